// W = scale * C V for symmetric C (d, d) and a thin block V (d, 4 q4): the product behind power
// iteration (q4 = 1) and block subspace iteration. No workgroup memory: each invocation keeps
// R x 4 CG accumulators in registers (fast on CPU drivers; C is read once per column block).
import type { Context } from '../runtime/context.js';
import { ceilDiv, dispatch, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import type { Tensor } from '../runtime/tensor.js';

export const SYMM_BLOCK: KernelSpec = { name: 'symm_block', storage: ['read', 'read', 'read_write'] };
export const SYMM_BLOCK_WG = 64;
/** The shader's const R and CG (rows and vec4 column groups per invocation). */
export const SYMM_BLOCK_R = 4;
export const SYMM_BLOCK_CG = 2;
export const symmBlockBuild = { constants: { WG: SYMM_BLOCK_WG } };

export function symmBlockPipeline(ctx: Context): Promise<CachedPipeline> {
  return getPipeline(ctx, SYMM_BLOCK, symmBlockBuild);
}

export interface SymmBlockArgs {
  /** f32 buffer holding C (d, d) row-major from element cOffset. */
  c: Tensor;
  cOffset?: number;
  /** V (d, 4 q4) row-major from vec4 vOffset; W likewise from vec4 wOffset. */
  v: Tensor;
  w: Tensor;
  d: number;
  q4: number;
  vOffset?: number;
  wOffset?: number;
  scale?: number;
}

/** Encodes W = scale * C V into the batch (C must be symmetric: its columns are read as rows). */
export function encodeSymmBlock(batch: Batch, p: CachedPipeline, a: SymmBlockArgs): void {
  const groups = ceilDiv(a.q4, SYMM_BLOCK_CG);
  dispatch(batch, p, {
    params: {
      d: a.d,
      q4: a.q4,
      c_off: a.cOffset ?? 0,
      v_off: a.vOffset ?? 0,
      w_off: a.wOffset ?? 0,
      scale: a.scale ?? 1,
    },
    bindings: [a.c, a.v, a.w],
    workgroups: [ceilDiv(a.d, SYMM_BLOCK_WG * SYMM_BLOCK_R), groups],
    flops: 2 * a.d * a.d * 4 * a.q4,
    // C is read once per column group; V and W once.
    bytes: 4 * a.d * a.d * groups + 32 * a.d * a.q4,
  });
}
