// Kernels of the Kamb & Ganguli patch denoisers (src/models/patch-denoiser.ts): zero padding of NHWC query rows taken in
// class order (shaders/patch_pad.wgsl), the patch posterior of one class group against one slab of padded training
// images with an online log-sum-exp per split (shaders/patch_posterior.wgsl, variants LS and ELS), and the merge of the
// splits into eps_hat or x0_hat written back in the caller's row order (shaders/patch_merge.wgsl).
import type { Context } from '../runtime/context.js';
import { dispatch, grid2d, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec, type PipelineOptions } from '../runtime/pipeline.js';
import type { Tensor } from '../runtime/tensor.js';

const INDEX = ['lib/index.wgsl'];
export const PATCH_PAD: KernelSpec = { name: 'patch_pad', libs: INDEX, storage: ['read', 'read', 'read_write'] };
export const PATCH_POSTERIOR: KernelSpec = { name: 'patch_posterior', storage: ['read', 'read', 'read_write'] };
export const PATCH_MERGE: KernelSpec = {
  name: 'patch_merge',
  libs: INDEX,
  storage: ['read', 'read', 'read', 'read_write'],
};
export const PATCH_WG = 64;
/** Queries per invocation of patch_posterior.wgsl (its TQ). */
export const PATCH_TQ = 8;
export const PATCH_BUILD: PipelineOptions = { constants: { WG: PATCH_WG } };
export const patchPosteriorBuild = (els: boolean): PipelineOptions => ({
  constants: { WG: PATCH_WG },
  variant: { ELS: els },
});

/** Invocations of one posterior split for `rows` rows of hw pixels (ELS: TQ pixels of a row each; LS: one pixel of TQ rows). */
export function patchLanes(els: boolean, rows: number, hw: number): number {
  return els ? rows * Math.ceil(hw / PATCH_TQ) : Math.ceil(rows / PATCH_TQ) * hw;
}

/** Most rows of hw pixels one posterior dispatch takes (its workgroup count is within one grid dimension). */
export function maxPatchRows(hw: number): number {
  return Math.floor((65535 * PATCH_WG) / hw);
}

/** Floats per (split, query) partial state: (m, s, 0, 0) and acc as two vec4. */
export const PARTIAL_FLOATS = 8;

export interface PatchKernels {
  pad: CachedPipeline;
  ls: CachedPipeline;
  els: CachedPipeline;
  merge: CachedPipeline;
}

export async function patchKernels(ctx: Context): Promise<PatchKernels> {
  const [pad, ls, els, merge] = await Promise.all([
    getPipeline(ctx, PATCH_PAD, PATCH_BUILD),
    getPipeline(ctx, PATCH_POSTERIOR, patchPosteriorBuild(false)),
    getPipeline(ctx, PATCH_POSTERIOR, patchPosteriorBuild(true)),
    getPipeline(ctx, PATCH_MERGE, PATCH_BUILD),
  ]);
  return { pad, ls, els, merge };
}

export interface PadArgs {
  /** (N, h, w, c) images; rows order[orderOffset ..] of it are padded, in that order. */
  src: Tensor;
  order: Tensor;
  orderOffset: number;
  /** (rows, h + 2r, w + 2r, c), overwritten. */
  out: Tensor;
  rows: number;
  h: number;
  w: number;
  c: number;
  r: number;
}

export function encodePatchPad(batch: Batch, k: PatchKernels, a: PadArgs): void {
  const hp = a.h + 2 * a.r;
  const wp = a.w + 2 * a.r;
  const elems = a.rows * hp * wp * a.c;
  dispatch(batch, k.pad, {
    params: { rows: a.rows, h: a.h, w: a.w, c: a.c, r: a.r, hp, wp, order_off: a.orderOffset },
    bindings: [a.src, a.order, a.out],
    workgroups: grid2d(batch.ctx, elems, PATCH_WG),
    flops: 0,
    bytes: 4 * (elems + a.rows * (a.h * a.w * a.c + 1)),
  });
}

export interface PosteriorArgs {
  /** (chunkRows, hp, wp, c) zero-padded queries and (images, hp, wp, c) zero-padded training images. */
  xpad: Tensor;
  ypad: Tensor;
  part: Tensor;
  /** Rows [row0, row0 + rows) of the chunk's chunkRows rows, all drawing patches from ypad images [lo, hi). */
  rows: number;
  row0: number;
  chunkRows: number;
  lo: number;
  hi: number;
  h: number;
  w: number;
  c: number;
  k: number;
  els: boolean;
  /** Splits of this dispatch, written at split index split0 onward. */
  splits: number;
  split0: number;
  /** sqrt(abar) and 1 / (2 (1 - abar)). */
  a: number;
  g: number;
}

export function encodePatchPosterior(batch: Batch, k: PatchKernels, a: PosteriorArgs): void {
  const r = (a.k - 1) / 2;
  const hw = a.h * a.w;
  const kkc = a.k * a.k * a.c;
  const pairs = a.rows * hw * (a.hi - a.lo) * (a.els ? hw : 1);
  dispatch(batch, a.els ? k.els : k.ls, {
    params: {
      h: a.h,
      w: a.w,
      c: a.c,
      k: a.k,
      hp: a.h + 2 * r,
      wp: a.w + 2 * r,
      r,
      rows: a.rows,
      row0: a.row0,
      chunk_rows: a.chunkRows,
      splits: a.splits,
      split0: a.split0,
      lo: a.lo,
      hi: a.hi,
      coef: [a.a, a.g],
    },
    bindings: [a.xpad, a.ypad, a.part],
    workgroups: [Math.ceil(patchLanes(a.els, a.rows, hw) / PATCH_WG), 1, a.splits],
    // Per (query pixel, training patch): 3 flops per patch element (x - a y; fma counted as 2, a y hoisted out of the
    // TQ queries), plus about 2c + 4 for the softmax update with the exp counted as one.
    flops: pairs * (3 * kkc + 2 * a.c + 4),
    // Register blocking: TQ + TU loads per patch element feed TQ x TU pairs.
    bytes: 4 * pairs * (kkc * (2 / PATCH_TQ) + a.c / PATCH_TQ) + 4 * PARTIAL_FLOATS * a.rows * hw * a.splits,
  });
}

export interface MergeArgs {
  part: Tensor;
  /** Query pixels of the chunk (rows * hw); chunk row j is row order[orderOffset + j] of x and out, (N, hw * c) each. */
  queries: number;
  hw: number;
  c: number;
  splits: number;
  order: Tensor;
  orderOffset: number;
  x: Tensor;
  out: Tensor;
  /** out = cx x + cacc x0_hat. */
  cx: number;
  cacc: number;
}

export function encodePatchMerge(batch: Batch, k: PatchKernels, a: MergeArgs): void {
  dispatch(batch, k.merge, {
    params: {
      queries: a.queries,
      hw: a.hw,
      c: a.c,
      splits: a.splits,
      order_off: a.orderOffset,
      pad: 0,
      cx: a.cx,
      cacc: a.cacc,
    },
    bindings: [a.part, a.order, a.x, a.out],
    workgroups: grid2d(batch.ctx, a.queries, PATCH_WG),
    flops: a.queries * (a.splits * (3 + 2 * 4) + 3 * a.c),
    bytes: 4 * a.queries * (a.splits * PARTIAL_FLOATS + 2 * a.c),
  });
}
