// Host helpers for the nn_dense GPU tests: tensors that are freed together, one batch per call, and
// the f32 error bound of a sum.
import { nnDenseKernels, NN_REDUCE_WG, type NnDenseKernels } from '../../src/kernels/nn_dense.js';
import { partsFor } from '../../src/kernels/nn_dense_specs.js';
import type { Context } from '../../src/runtime/context.js';
import { beginBatch, submit, type Batch } from '../../src/runtime/dispatch.js';
import { createTensor, disposeTensor, type Tensor } from '../../src/runtime/tensor.js';

export const U = 2 ** -24;

/** Tensors created through `pool` are destroyed by pool.dispose(). */
export function tensorPool(ctx: Context) {
  const list: Tensor[] = [];
  const make = <D extends 'f32' | 'i32' | 'u32'>(
    dtype: D,
    data: ArrayLike<number> | number,
    label: string,
  ): Tensor<D> => {
    const n = typeof data === 'number' ? data : data.length;
    const t = createTensor<D>(ctx, [Math.max(n, 1)], { dtype, label, ...(typeof data === 'number' ? {} : { data }) });
    list.push(t);
    return t;
  };
  return {
    f32: (data: ArrayLike<number> | number, label = 'test.f32') => make('f32', data, label),
    i32: (data: ArrayLike<number>, label = 'test.i32') => make('i32', data, label),
    u32: (data: ArrayLike<number>, label = 'test.u32') => make('u32', data, label),
    dispose: () => list.forEach(disposeTensor),
  };
}

/** Encodes `fn` into one batch and submits it. */
export async function encodeRun(ctx: Context, fn: (batch: Batch, k: NnDenseKernels) => void): Promise<void> {
  const k = await nnDenseKernels(ctx);
  const batch = beginBatch(ctx, 'nn_dense test');
  fn(batch, k);
  submit(batch);
}

/**
 * Error bound of an f32 sum of `terms` values whose absolute values add up to `absSum`, each term
 * already carrying a relative error `termUlps` * 2^-24: any summation order adds at most
 * (terms - 1) roundings of a partial sum <= absSum (Higham, Accuracy and Stability, 4.2).
 */
export const sumBound = (absSum: number, terms: number, termUlps = 1) => (terms - 1 + termUlps) * U * absSum;

/** Float32 copy of float64 data (the GPU's inputs, so the reference sees the same values). */
export const f32 = (a: ArrayLike<number>) => Float32Array.from(a);

/**
 * Error bound of the two-level reductions (strided partial sums of ceil(n / parts) terms, then
 * sum_reduce: ceil(parts / WG) terms per lane and a log2(WG)-level tree, then the scale): each value
 * passes through at most that many roundings of partial sums <= absSum, plus its own termUlps.
 * `direct`: one sum_reduce over the n items (no first level).
 */
export function reductionBound(absSum: number, n: number, termUlps = 1, direct = false): number {
  const parts = direct ? n : partsFor(n);
  const first = direct ? 0 : Math.ceil(n / parts);
  const depth = first + Math.ceil(parts / NN_REDUCE_WG) + Math.log2(NN_REDUCE_WG) + 1;
  return (depth + termUlps) * U * absSum;
}
