// Training losses with their gradients, reduced on the GPU in two levels (strided partial sums into
// the scratch tensor, then one sum_reduce workgroup): mean squared error (eps prediction) and mean
// softmax cross-entropy (classifier). The loss lands in a small tensor the trainer reads back rarely.
import { dispatch, grid2d, type Batch } from '../runtime/dispatch.js';
import type { Tensor } from '../runtime/tensor.js';
import {
  checkDistinct,
  checkReal,
  checkTensor,
  NN_LOOP_WG,
  partsFor,
  size,
  type NnDenseKernels,
} from './nn_dense_specs.js';

/** out[outIndex] = scale * sum_{j < count} f(src[offset + j]), f = identity or square: one workgroup. */
export function encodeSumReduce(
  batch: Batch,
  k: NnDenseKernels,
  a: { src: Tensor; count: number; out: Tensor; outIndex: number; scale: number; square: boolean; offset?: number },
): void {
  const what = 'encodeSumReduce';
  const count = size(what, 'count', a.count);
  const offset = size(what, 'offset', a.offset ?? 0);
  const outIndex = size(what, 'outIndex', a.outIndex);
  checkTensor(what, 'src', a.src, offset + count);
  checkTensor(what, 'out', a.out, outIndex + 1);
  checkDistinct(what, [['src', a.src, 'out', a.out]]);
  dispatch(batch, k.pipes.sumReduce, {
    params: { count, offset, out_index: outIndex, square: a.square ? 1 : 0, scale: checkReal(what, 'scale', a.scale) },
    bindings: [a.src, a.out],
    workgroups: [1],
    flops: (a.square ? 2 : 1) * count,
    bytes: 4 * count + 4,
  });
}

export interface MseLossArgs {
  pred: Tensor;
  target: Tensor;
  /** (rows, cols) gradient of the loss with respect to pred, overwritten (not pred or target). */
  dpred: Tensor;
  /** Receives the loss at loss[lossIndex] (default 0). */
  loss: Tensor;
  lossIndex?: number;
  rows: number;
  cols: number;
}

/**
 * loss[lossIndex] = mean over rows * cols of (pred - target)^2, dpred = 2 (pred - target) / (rows * cols)
 * (overwrites). pred, target, dpred: (rows, cols) f32.
 */
export function encodeMseLoss(batch: Batch, k: NnDenseKernels, a: MseLossArgs): void {
  const what = 'encodeMseLoss';
  const rows = size(what, 'rows', a.rows, 1);
  const cols = size(what, 'cols', a.cols, 1);
  const n = rows * cols;
  checkTensor(what, 'pred', a.pred, n);
  checkTensor(what, 'target', a.target, n);
  checkTensor(what, 'dpred', a.dpred, n);
  const lossIndex = size(what, 'lossIndex', a.lossIndex ?? 0);
  checkTensor(what, 'loss', a.loss, lossIndex + 1);
  checkDistinct(what, [
    ['pred', a.pred, 'dpred', a.dpred],
    ['target', a.target, 'dpred', a.dpred],
    ['loss', a.loss, 'dpred', a.dpred],
  ]);
  const parts = partsFor(n);
  dispatch(batch, k.pipes.mseLoss, {
    params: { n, parts, grad_scale: 2 / n },
    bindings: [a.pred, a.target, a.dpred, k.scratch],
    workgroups: grid2d(batch.ctx, parts, NN_LOOP_WG),
    flops: 4 * n,
    bytes: 12 * n + 4 * parts,
  });
  encodeSumReduce(batch, k, {
    src: k.scratch,
    count: parts,
    out: a.loss,
    outIndex: lossIndex,
    scale: 1 / n,
    square: false,
  });
}

export interface CrossEntropyArgs {
  /** (rows, classes) unnormalised log-probabilities. */
  logits: Tensor;
  /** (rows) i32 class indices in 0..classes-1 (others give NaN for their row). */
  labels: Tensor;
  /** (rows, classes) gradient, overwritten: (softmax(logits) - onehot(labels)) / rows. */
  dlogits: Tensor;
  /** Receives the mean loss at loss[lossIndex] (default 0). */
  loss: Tensor;
  lossIndex?: number;
  rows: number;
  classes: number;
}

/** loss[lossIndex] = mean over rows of -log softmax(logits[r, :])[labels[r]], with its gradient. */
export function encodeCrossEntropy(batch: Batch, k: NnDenseKernels, a: CrossEntropyArgs): void {
  const what = 'encodeCrossEntropy';
  const rows = size(what, 'rows', a.rows, 1);
  const classes = size(what, 'classes', a.classes, 1);
  const n = rows * classes;
  checkTensor(what, 'logits', a.logits, n);
  checkTensor(what, 'labels', a.labels, rows, 'i32');
  checkTensor(what, 'dlogits', a.dlogits, n);
  const lossIndex = size(what, 'lossIndex', a.lossIndex ?? 0);
  checkTensor(what, 'loss', a.loss, lossIndex + 1);
  checkDistinct(what, [
    ['logits', a.logits, 'dlogits', a.dlogits],
    ['loss', a.loss, 'dlogits', a.dlogits],
  ]);
  // Rows, not elements, are the items of the first level: each invocation handles whole rows.
  const parts = Math.max(1, Math.min(rows, partsFor(n)));
  dispatch(batch, k.pipes.crossEntropy, {
    params: { rows, classes, parts, inv_rows: 1 / rows, nan: NaN },
    bindings: [a.logits, a.labels, a.dlogits, k.scratch],
    workgroups: grid2d(batch.ctx, parts, NN_LOOP_WG),
    // max, exp twice, sum, scale: ~ 25 flops per logit counting exp as 10.
    flops: 25 * n,
    bytes: 4 * (3 * n + rows + parts),
  });
  encodeSumReduce(batch, k, {
    src: k.scratch,
    count: parts,
    out: a.loss,
    outIndex: lossIndex,
    scale: 1 / rows,
    square: false,
  });
}
