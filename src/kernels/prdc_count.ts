// The counting step of precision / recall / density / coverage (shaders/prdc_count.wgsl): for a block of
// fake rows against all real columns (c = -2 F R^T from matmul), per fake row the number of real points
// whose k-NN ball holds it, and per real column two flags OR-ed over the blocks: 1 = some fake point
// lies in its ball (coverage), 2 = it lies in some fake point's ball (recall).
import type { Context } from '../runtime/context.js';
import { dispatch, grid2d, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import type { Tensor } from '../runtime/tensor.js';

export const PRDC_COUNT: KernelSpec = {
  name: 'prdc_count',
  libs: ['lib/index.wgsl'],
  storage: ['read', 'read', 'read', 'read_write', 'read_write'],
};
export const PRDC_COUNT_WG = 64;
export const COVERED_FLAG = 1;
export const RECALLED_FLAG = 2;

export function prdcCountPipeline(ctx: Context): Promise<CachedPipeline> {
  return getPipeline(ctx, PRDC_COUNT, { constants: { WG: PRDC_COUNT_WG } });
}

export interface PrdcCountArgs {
  /** (rows, cols) block of -2 f_j . r_i for fake rows rowOffset .. rowOffset + rows. */
  c: Tensor;
  /** (M, 2) per fake point: squared norm, squared k-NN radius within the fake set. */
  fake: Tensor;
  /** (N, 2) per real point: squared norm, squared k-NN radius within the real set (N = cols). */
  real: Tensor;
  /** (M) u32, written at rowOffset .. rowOffset + rows. */
  counts: Tensor;
  /** (N) u32, zeroed before the first block. */
  flags: Tensor;
  rows: number;
  cols: number;
  rowOffset: number;
}

export function encodePrdcCount(batch: Batch, p: CachedPipeline, a: PrdcCountArgs): void {
  const end = a.rowOffset + a.rows;
  if (a.c.size < a.rows * a.cols)
    throw new Error(`prdc_count: c holds ${a.c.size} values, needs rows * cols = ${a.rows} * ${a.cols}`);
  if (a.fake.size < 2 * end || a.counts.size < end)
    throw new Error(
      `prdc_count: fake (${a.fake.size / 2} points) and counts (${a.counts.size}) need rowOffset + rows = ${end}`,
    );
  if (a.real.size < 2 * a.cols || a.flags.size < a.cols)
    throw new Error(`prdc_count: real (${a.real.size / 2} points) and flags (${a.flags.size}) need cols = ${a.cols}`);
  const elems = a.rows * a.cols;
  dispatch(batch, p, {
    params: { rows: a.rows, cols: a.cols, row_offset: a.rowOffset, pad: 0 },
    bindings: [a.c, a.fake, a.real, a.counts, a.flags],
    workgroups: grid2d(batch.ctx, a.rows + a.cols, PRDC_COUNT_WG),
    // Each entry is visited twice (row and column invocations): two adds, a max and one or two compares.
    flops: 9 * elems,
    bytes: 4 * (2 * elems + 2 * a.rows + 2 * a.cols),
  });
}
