// Optimiser kernels: sums of squares of many gradient tensors into one small buffer, the global-norm
// clip scale and a non-finite counter computed from it on the GPU (no readback per step), AdamW
// reading that scale, the EMA of the weights, and fill (zeroing gradients).
import { dispatch, grid2d, type Batch } from '../runtime/dispatch.js';
import type { Tensor } from '../runtime/tensor.js';
import { encodeSumReduce } from './nn_dense_loss.js';
import {
  checkDistinct,
  checkReal,
  checkTensor,
  ewParts,
  NN_ELEMENTWISE_WG,
  NN_LOOP_WG,
  NN_SMALL_SUM,
  partsFor,
  size,
  type NnDenseKernels,
} from './nn_dense_specs.js';

/** Layout of encodeClipScale's output tensor. */
export const CLIP_SCALE_INDEX = 0;
export const CLIP_NORM_INDEX = 1;
export const CLIP_NONFINITE_INDEX = 2;
/** Elements of encodeClipScale's output tensor. */
export const CLIP_STATE_SIZE = 3;

export interface SumSquaresArgs {
  x: Tensor;
  n: number;
  /** Receives sum_{i < n} x[offset + i]^2 at out[outIndex] (overwritten). */
  out: Tensor;
  outIndex: number;
  /** Element offset of the first value in x (default 0). */
  offset?: number;
}

/** out[outIndex] = sum of squares of x[offset .. offset + n) (two levels; one dispatch when n <= 4096). */
export function encodeSumSquares(batch: Batch, k: NnDenseKernels, a: SumSquaresArgs): void {
  const what = 'encodeSumSquares';
  const n = size(what, 'n', a.n);
  const offset = size(what, 'offset', a.offset ?? 0);
  checkTensor(what, 'x', a.x, offset + n);
  const outIndex = size(what, 'outIndex', a.outIndex);
  checkTensor(what, 'out', a.out, outIndex + 1);
  checkDistinct(what, [['x', a.x, 'out', a.out]]);
  if (n <= NN_SMALL_SUM) {
    encodeSumReduce(batch, k, { src: a.x, offset, count: n, out: a.out, outIndex, scale: 1, square: true });
    return;
  }
  const parts = partsFor(n);
  dispatch(batch, k.pipes.sumSquares, {
    params: { n, offset, parts },
    bindings: [a.x, k.scratch],
    workgroups: grid2d(batch.ctx, parts, NN_LOOP_WG),
    flops: 2 * n,
    bytes: 4 * (n + parts),
  });
  encodeSumReduce(batch, k, { src: k.scratch, count: parts, out: a.out, outIndex, scale: 1, square: false });
}

export interface ClipScaleArgs {
  /** (count) sums of squares (encodeSumSquares slots) of every gradient tensor. */
  sumSquares: Tensor;
  count: number;
  /** Largest global gradient norm; Infinity: no clipping (the norm and the flag are still computed). */
  maxNorm: number;
  /** (3) f32: [scale, norm, non-finite count]; the count is added to (zero it once with encodeFill). */
  out: Tensor;
}

/**
 * From the global norm = sqrt(sum of sumSquares[0..count)): out[0] = min(1, maxNorm / (norm + 1e-6))
 * (torch.nn.utils.clip_grad_norm_), or 0 when the norm is NaN or infinite, which makes encodeAdamW skip
 * the step; out[1] = norm; out[2] += 1 for a non-finite norm, so occasional readbacks see every bad step.
 */
export function encodeClipScale(batch: Batch, k: NnDenseKernels, a: ClipScaleArgs): void {
  const what = 'encodeClipScale';
  const count = size(what, 'count', a.count);
  checkTensor(what, 'sumSquares', a.sumSquares, count);
  checkTensor(what, 'out', a.out, CLIP_STATE_SIZE);
  checkDistinct(what, [['sumSquares', a.sumSquares, 'out', a.out]]);
  const clip = a.maxNorm !== Infinity;
  if (clip) checkReal(what, 'maxNorm', a.maxNorm, Number.MIN_VALUE);
  dispatch(batch, k.pipes.clipScale, {
    params: { count, clip: clip ? 1 : 0, max_norm: clip ? a.maxNorm : 0 },
    bindings: [a.sumSquares, a.out],
    workgroups: [1],
    flops: count + 4,
    bytes: 4 * (count + 4),
  });
}

export interface AdamWArgs {
  /** Parameters, updated in place. */
  param: Tensor;
  grad: Tensor;
  /** First and second moment estimates (zero before step 1), updated in place. */
  m: Tensor;
  v: Tensor;
  n: number;
  /** Element offset shared by param, grad, m and v (default 0). */
  offset?: number;
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** 1-based step count for the bias corrections 1 - beta^step. */
  step: number;
  /**
   * Gradient multiplier: a number, or a tensor holding it at clipIndex (default CLIP_SCALE_INDEX), e.g.
   * encodeClipScale's output. A value that is not positive and finite skips the update entirely.
   */
  clipScale: Tensor | number;
  clipIndex?: number;
}

/**
 * torch.optim.AdamW on n elements, with g = clipScale * grad: p *= 1 - lr wd (decoupled decay),
 * m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, p -= lr / (1 - b1^t) m / (sqrt(v / (1 - b2^t)) + eps).
 */
export function encodeAdamW(batch: Batch, k: NnDenseKernels, a: AdamWArgs): void {
  const what = 'encodeAdamW';
  const n = size(what, 'n', a.n);
  const offset = size(what, 'offset', a.offset ?? 0);
  for (const [name, t] of [
    ['param', a.param],
    ['grad', a.grad],
    ['m', a.m],
    ['v', a.v],
  ] as const)
    checkTensor(what, name, t, offset + n);
  const lr = checkReal(what, 'lr', a.lr, 0);
  const beta1 = checkReal(what, 'beta1', a.beta1, 0, 1);
  const beta2 = checkReal(what, 'beta2', a.beta2, 0, 1);
  if (beta1 === 1 || beta2 === 1) throw new Error(`${what}: beta1 and beta2 must be below 1, got ${beta1}, ${beta2}`);
  const eps = checkReal(what, 'eps', a.eps, 0);
  const wd = checkReal(what, 'weightDecay', a.weightDecay, 0);
  const step = size(what, 'step', a.step, 1);
  const useClip = typeof a.clipScale !== 'number';
  const clipIndex = size(what, 'clipIndex', a.clipIndex ?? CLIP_SCALE_INDEX);
  if (useClip) checkTensor(what, 'clipScale', a.clipScale as Tensor, clipIndex + 1);
  else if (typeof a.clipScale !== 'number' || Number.isNaN(a.clipScale))
    throw new Error(`${what}: clipScale must be a Tensor or a number, got ${String(a.clipScale)}`);
  const clip = useClip ? (a.clipScale as Tensor) : a.grad;
  checkDistinct(what, [
    ['param', a.param, 'grad', a.grad],
    ['param', a.param, 'm', a.m],
    ['param', a.param, 'v', a.v],
    ['m', a.m, 'v', a.v],
    ['grad', a.grad, 'm', a.m],
    ['grad', a.grad, 'v', a.v],
    ['clipScale', clip, 'param', a.param],
    ['clipScale', clip, 'm', a.m],
    ['clipScale', clip, 'v', a.v],
  ]);
  dispatch(batch, k.pipes.adamW, {
    params: {
      n,
      offset,
      use_clip: useClip ? 1 : 0,
      clip_index: clipIndex,
      scale: useClip ? 1 : (a.clipScale as number),
      beta1,
      beta2,
      one_minus_beta1: 1 - beta1,
      one_minus_beta2: 1 - beta2,
      eps,
      decay: 1 - lr * wd,
      step_size: lr / (1 - beta1 ** step),
      inv_sqrt_bc2: 1 / Math.sqrt(1 - beta2 ** step),
      parts: ewParts(n),
    },
    bindings: [a.param, a.grad, a.m, a.v, clip],
    workgroups: grid2d(batch.ctx, ewParts(n), NN_ELEMENTWISE_WG),
    flops: 16 * n,
    bytes: 28 * n,
  });
}

/** ema (n) = decay ema + (1 - decay) param, elementwise from element `offset` (default 0). */
export function encodeEma(
  batch: Batch,
  k: NnDenseKernels,
  a: { ema: Tensor; param: Tensor; n: number; decay: number; offset?: number },
): void {
  const what = 'encodeEma';
  const n = size(what, 'n', a.n);
  const offset = size(what, 'offset', a.offset ?? 0);
  checkTensor(what, 'ema', a.ema, offset + n);
  checkTensor(what, 'param', a.param, offset + n);
  checkDistinct(what, [['ema', a.ema, 'param', a.param]]);
  const decay = checkReal(what, 'decay', a.decay, 0, 1);
  dispatch(batch, k.pipes.ema, {
    params: { n, offset, weight: 1 - decay, parts: ewParts(n) },
    bindings: [a.ema, a.param],
    workgroups: grid2d(batch.ctx, ewParts(n), NN_ELEMENTWISE_WG),
    flops: 3 * n,
    bytes: 12 * n,
  });
}

/** x[offset + i] = value for i < n (offset default 0); value is converted to x's dtype. */
export function encodeFill(
  batch: Batch,
  k: NnDenseKernels,
  a: { x: Tensor; n: number; value: number; offset?: number },
): void {
  const what = 'encodeFill';
  const n = size(what, 'n', a.n);
  const offset = size(what, 'offset', a.offset ?? 0);
  checkTensor(what, 'x', a.x, offset + n, a.x?.dtype);
  const v = a.value;
  if (typeof v !== 'number') throw new Error(`${what}: value must be a number, got ${String(v)}`);
  let bits: number;
  if (a.x.dtype === 'f32') bits = new Uint32Array(Float32Array.of(v).buffer)[0]!;
  else if (a.x.dtype === 'u32') bits = checkReal(what, 'value', v, 0, 0xffffffff) >>> 0;
  else bits = checkReal(what, 'value', v, -0x80000000, 0x7fffffff) >>> 0;
  if (a.x.dtype !== 'f32' && !Number.isInteger(v))
    throw new Error(`${what}: value must be an integer for a ${a.x.dtype} tensor, got ${v}`);
  dispatch(batch, k.pipes.fill, {
    params: { n, offset, value: bits, parts: ewParts(n) },
    bindings: [a.x],
    workgroups: grid2d(batch.ctx, ewParts(n), NN_ELEMENTWISE_WG),
    flops: 0,
    bytes: 4 * n,
  });
}
