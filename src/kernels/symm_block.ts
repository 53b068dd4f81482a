// W = scale * C V for symmetric C (d, d) and a thin block V (d, 4 q4): the product behind power
// iteration (q4 = 1) and block subspace iteration. No workgroup memory: each invocation keeps
// R x 4 CG accumulators in registers (fast on CPU drivers; C is read once per column block); the vec4
// build (aligned C) takes 8 rows from two vec4 loads and 12 columns per invocation.
import type { Context } from '../runtime/context.js';
import { ceilDiv, dispatch, encodeCopy, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import type { Tensor } from '../runtime/tensor.js';

export const SYMM_BLOCK: KernelSpec = { name: 'symm_block', storage: ['read', 'read', 'read_write'] };
export const SYMM_BLOCK_WG = 64;
/** The shader's const R and CG (rows and vec4 column groups per invocation), scalar and VEC_C builds. */
export const SYMM_BLOCK_R = 4;
export const SYMM_BLOCK_CG = 2;
export const SYMM_BLOCK_VEC_R = 8;
export const SYMM_BLOCK_VEC_CG = 3;
export const symmBlockBuild = (vec: boolean) => ({ constants: { WG: SYMM_BLOCK_WG }, variant: { VEC_C: vec } });

/** Both builds: `vec` reads C as vec4 (d and the offset of C multiples of 4), `scalar` any d. */
export interface SymmBlockPipelines {
  scalar: CachedPipeline;
  vec: CachedPipeline;
}

export async function symmBlockPipeline(ctx: Context): Promise<SymmBlockPipelines> {
  return {
    scalar: await getPipeline(ctx, SYMM_BLOCK, symmBlockBuild(false)),
    vec: await getPipeline(ctx, SYMM_BLOCK, symmBlockBuild(true)),
  };
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

/**
 * Encodes W = scale * C V into the batch (C must be symmetric: its columns are read as rows). The vec4
 * build runs when d and cOffset are multiples of 4 (or when `build` forces one, for tests).
 */
export function encodeSymmBlock(batch: Batch, p: SymmBlockPipelines, a: SymmBlockArgs, build?: 'scalar' | 'vec'): void {
  const cOffset = a.cOffset ?? 0;
  const aligned = a.d % 4 === 0 && cOffset % 4 === 0;
  if (build === 'vec' && !aligned)
    throw new Error(`symm_block: the vec4 build needs d (${a.d}) and cOffset (${cOffset}) multiples of 4`);
  const vec = build ? build === 'vec' : aligned;
  const [R, CG] = vec ? [SYMM_BLOCK_VEC_R, SYMM_BLOCK_VEC_CG] : [SYMM_BLOCK_R, SYMM_BLOCK_CG];
  const groups = ceilDiv(a.q4, CG);
  dispatch(batch, vec ? p.vec : p.scalar, {
    params: {
      d: a.d,
      q4: a.q4,
      c_off: cOffset,
      v_off: a.vOffset ?? 0,
      w_off: a.wOffset ?? 0,
      scale: a.scale ?? 1,
    },
    bindings: [a.c, a.v, a.w],
    workgroups: [ceilDiv(a.d, SYMM_BLOCK_WG * R), groups],
    flops: 2 * a.d * a.d * 4 * a.q4,
    // C is read once per column group; V and W once.
    bytes: 4 * a.d * a.d * groups + 32 * a.d * a.q4,
  });
}

/**
 * Encodes W = (scale * C)^count V (count >= 1) as `count` products that alternate between the two blocks;
 * V is overwritten, and an even count ends with a copy of the last product from V's block into W's.
 */
export function encodeSymmBlockPower(batch: Batch, p: SymmBlockPipelines, a: SymmBlockArgs, count: number): void {
  if (!(Number.isInteger(count) && count >= 1))
    throw new Error(`symm_block: count must be an integer >= 1, got ${count}`);
  for (let j = 0; j < count; j++)
    encodeSymmBlock(batch, p, {
      ...a,
      v: j % 2 ? a.w : a.v,
      w: j % 2 ? a.v : a.w,
      ...(j % 2 ? { vOffset: a.wOffset, wOffset: a.vOffset } : {}),
    });
  if (count % 2 === 0) {
    const bytes = 16 * a.d * a.q4;
    encodeCopy(
      batch,
      (enc) => enc.copyBufferToBuffer(a.v.buffer, 16 * (a.vOffset ?? 0), a.w.buffer, 16 * (a.wOffset ?? 0), bytes),
      bytes,
    );
  }
}
