// N(0, 1) rows on the GPU for any list of row indices: row r of the result holds exactly what
// standardNormals / forward_noise draw for data row rows[r] (same key, stream and step tag), so rows can
// be generated in whatever order the consumer wants them (e.g. sorted by class) without a host copy.
// The LOWER mode writes a lower-triangular block with a given diagonal (Bartlett factors of a Wishart draw).
import { checkInt } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { dispatch, grid2d, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import type { Tensor } from '../runtime/tensor.js';
import { RNG_LIBS } from './philox.js';

export const NORMAL_ROWS: KernelSpec = { name: 'normal_rows', libs: RNG_LIBS, storage: ['read', 'read', 'read_write'] };
export const NORMAL_ROWS_WG = 64;
export const normalRowsBuild = { constants: { WG: NORMAL_ROWS_WG } };

export function normalRowsPipeline(ctx: Context): Promise<CachedPipeline> {
  return getPipeline(ctx, NORMAL_ROWS, normalRowsBuild);
}

export interface NormalRowsArgs {
  /** u32 row indices (count of them from element 0). */
  rows: Tensor;
  count: number;
  /** Columns drawn per row; the row stride ldo (a multiple of 4, >= cols) is zero-filled past cols. */
  cols: number;
  ldo: number;
  out: Tensor;
  outOffset?: number;
  key: readonly [number, number];
  stream: number;
  /** The counter's third word (standardNormals' `step`; 0 for the merger analysis' eps). */
  tag?: number;
  /** Lower-triangular block: entries right of the diagonal 0, the diagonal from diag[diagOffset + i]. */
  lower?: { diag: Tensor; diagOffset?: number };
}

export function encodeNormalRows(batch: Batch, p: CachedPipeline, a: NormalRowsArgs): void {
  const count = checkInt('normal_rows: count', a.count, 0, a.rows.size);
  const ldo = checkInt('normal_rows: ldo', a.ldo, Math.max(4, a.cols), 0xffffffff);
  if (ldo % 4) throw new Error(`normal_rows: ldo ${ldo} is not a multiple of 4`);
  const off = checkInt('normal_rows: outOffset', a.outOffset ?? 0, 0, 0xffffffff);
  if (off % 4) throw new Error(`normal_rows: outOffset ${off} is not a multiple of 4`);
  if (off + count * ldo > a.out.size) {
    throw new Error(`normal_rows: ${count} rows of ${ldo} from ${off} exceed the output's ${a.out.size} elements`);
  }
  if (count === 0) return;
  const quads = ldo / 4;
  dispatch(batch, p, {
    params: {
      key: a.key,
      count,
      cols: a.cols,
      quads,
      tag: a.tag ?? 0,
      stream: a.stream,
      o_off: off / 4,
      d_off: a.lower?.diagOffset ?? 0,
      lower: a.lower ? 1 : 0,
    },
    bindings: [a.rows, a.lower?.diag ?? a.rows, a.out],
    workgroups: grid2d(batch.ctx, count * quads, NORMAL_ROWS_WG),
    bytes: 4 * count * (ldo + 1),
  });
}
