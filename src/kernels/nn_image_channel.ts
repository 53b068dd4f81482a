// Per-(image, channel) bias over NHWC images (with n = 1 the bias of a convolution) and the per-(image,
// channel) sums over pixels in two reduction levels (its gradient; with n = 1 a convolution's dbias).
import { dispatch, grid2d, type Batch } from '../runtime/dispatch.js';
import type { Tensor } from '../runtime/tensor.js';
import { blockPlan, dim, distinct, need, NN_IMAGE_WG, scratch, type ImageKernels } from './nn_image_base.js';

const grid = (batch: Batch, count: number) => grid2d(batch.ctx, count, NN_IMAGE_WG);

export interface ChannelBiasArgs {
  /** (n * hw, c) input; may be the same tensor as y (then y += e in place). */
  x: Tensor;
  /** (n, c) per-image channel offsets (time / class conditioning). */
  e: Tensor;
  y: Tensor;
  n: number;
  hw: number;
  c: number;
}

/** y[n, p, c] = x[n, p, c] + e[n, c] (x may be y). */
export function encodeAddChannelBias(batch: Batch, k: ImageKernels, a: ChannelBiasArgs): void {
  const op = 'addChannelBias';
  const [n, hw, c] = [dim(op, 'n', a.n), dim(op, 'hw', a.hw), dim(op, 'c', a.c)];
  const total = n * hw * c;
  need(batch.ctx, op, 'x', a.x, total);
  need(batch.ctx, op, 'e', a.e, n * c);
  need(batch.ctx, op, 'y', a.y, total);
  distinct(op, [['e', a.e, 'y', a.y]]);
  const inPlace = a.x.buffer === a.y.buffer;
  dispatch(batch, inPlace ? k.p.channelBiasInPlace : k.p.channelBias, {
    params: { hw, c, pixels: n * hw },
    bindings: inPlace ? [a.e, a.y] : [a.x, a.e, a.y],
    workgroups: grid(batch, n * hw),
    flops: total,
    bytes: 8 * total + 4 * n * c,
  });
}

export interface ChannelSumArgs {
  /** (n * hw, c) values. */
  x: Tensor;
  /** (n, c): out[n, c] += sum over the hw pixels of x[n, p, c]. */
  out: Tensor;
  n: number;
  hw: number;
  c: number;
}

/** out[n, c] += sum_p x[n, p, c] (two-level: blocks of pixels, then the blocks; the bias gradient of a conv with n = 1). */
export function encodeChannelSum(batch: Batch, k: ImageKernels, a: ChannelSumArgs): void {
  const op = 'channelSum';
  const [n, hw, c] = [dim(op, 'n', a.n), dim(op, 'hw', a.hw), dim(op, 'c', a.c)];
  need(batch.ctx, op, 'x', a.x, n * hw * c);
  need(batch.ctx, op, 'out', a.out, n * c);
  distinct(op, [['x', a.x, 'out', a.out]]);
  const { blocks, blockRows } = blockPlan(hw, 1);
  const total = n * blocks * c;
  const partial = scratch(k, 'partial', blocks > 1 ? total : 1);
  dispatch(batch, k.p.channelSum, {
    params: { hw, c, blocks, block_rows: blockRows, total },
    bindings: [a.x, partial, a.out],
    workgroups: grid(batch, total),
    flops: n * hw * c,
    bytes: 4 * (n * hw * c + total),
  });
  if (blocks > 1) {
    dispatch(batch, k.p.channelSumFinish, {
      params: { c, blocks, total: n * c, accumulate: 1 },
      bindings: [partial, a.out],
      workgroups: grid(batch, n * c),
      flops: total,
      bytes: 4 * (total + 2 * n * c),
    });
  }
}
