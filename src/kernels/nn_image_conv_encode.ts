// The passes of a 3x3 convolution (padding 1, stride 1, NHWC) on the kernels of nn_image_conv.ts: forward
// (y = conv(x) + b), backward (dW, db, dx) and dx alone, each on the path the kernels chose (im2col + GEMM
// over chunks of pixels, or the implicit GEMMs of conv3x3_implicit.ts).
import type { Batch } from '../runtime/dispatch.js';
import { createTensor, type Tensor } from '../runtime/tensor.js';
import { encodeMatmul } from './matmul.js';
import { dim, distinct, need } from './nn_image_base.js';
import { col2imReach, encodeCol2im3x3, encodeIm2col3x3 } from './nn_image_ops.js';
import { encodeAddChannelBias, encodeChannelSum } from './nn_image_channel.js';
import { encodeConv3x3Implicit, encodeConv3x3ImplicitDw } from './conv3x3_implicit.js';
import type { Conv3x3Kernels } from './nn_image_conv.js';

export interface Conv3x3Args {
  /** (n * h * w, cin) input. */
  x: Tensor;
  /** (cout, 9 cin), column (ky * 3 + kx) * cin + ci. */
  weight: Tensor;
  /** (cout); omitted: no bias. */
  bias?: Tensor;
  /** (n * h * w, cout) output (overwritten). */
  y: Tensor;
  /**
   * (n * h * w, cout), with bias, on kernels made with `residual`: added after the bias (a residual block's
   * skip path), plus residualBias (cout) per channel when given: y = conv + b + (residual + residualBias).
   */
  residual?: Tensor;
  residualBias?: Tensor;
  n: number;
  h: number;
  w: number;
}

function sizes(op: string, k: Conv3x3Kernels, a: { n: number; h: number; w: number }) {
  const [n, h, w] = [dim(op, 'n', a.n), dim(op, 'h', a.h), dim(op, 'w', a.w)];
  return { n, h, w, pixels: n * h * w, width: 9 * k.cin };
}

/** Chunks [p0, p0 + rows) of the pixels that fit the scratch. */
function* chunks(pixels: number, per: number): Generator<[number, number]> {
  for (let p0 = 0; p0 < pixels; p0 += per) yield [p0, Math.min(per, pixels - p0)];
}

/** y (n h w, cout) = conv3x3(x) + bias: per chunk im2col and cols W^T, then the bias in place. */
export function encodeConv3x3Forward(batch: Batch, k: Conv3x3Kernels, a: Conv3x3Args): void {
  const op = 'conv3x3Forward';
  const { n, h, w, pixels, width } = sizes(op, k, a);
  const ctx = batch.ctx;
  need(ctx, op, 'x', a.x, pixels * k.cin);
  need(ctx, op, 'weight', a.weight, k.cout * width);
  need(ctx, op, 'y', a.y, pixels * k.cout);
  if (a.bias) need(ctx, op, 'bias', a.bias, k.cout);
  if (a.residual && !k.residual) throw new Error(`${op}: a residual needs kernels made with { residual: true }`);
  if (a.residual && !a.bias) throw new Error(`${op}: a residual needs the bias`);
  if (a.residualBias && !a.residual) throw new Error(`${op}: residualBias without a residual`);
  if (a.residual) need(ctx, op, 'residual', a.residual, pixels * k.cout);
  if (a.residualBias) need(ctx, op, 'residualBias', a.residualBias, k.cout);
  distinct(op, [
    ['x', a.x, 'y', a.y],
    ['weight', a.weight, 'y', a.y],
    ['bias', a.bias, 'y', a.y],
    ['residual', a.residual, 'y', a.y],
    ['residualBias', a.residualBias, 'y', a.y],
  ]);
  if (k.implicitForward) {
    encodeConv3x3Implicit(batch, k.implicitForward, {
      mode: 'forward',
      weight: a.weight,
      src: a.x,
      out: a.y,
      n,
      h,
      w,
      cin: k.cin,
      cout: k.cout,
      bias: a.bias,
      residual: a.residual,
      residualBias: a.residualBias,
    });
  }
  for (const [p0, rows] of k.implicitForward ? [] : chunks(pixels, k.chunkRows)) {
    encodeIm2col3x3(batch, k.image, { x: a.x, cols: k.cols, n, h, w, c: k.cin, rowStart: p0, rows });
    encodeMatmul(batch, k.forward, {
      a: k.cols,
      b: a.weight,
      c: a.y,
      m: rows,
      n: k.cout,
      k: width,
      transB: true,
      offsetC: p0 * k.cout,
    });
  }
  if (k.implicitForward) return;
  // The implicit kernel adds the bias and the residual itself, with the same roundings: the bias after the
  // product, then the residual (plus its bias).
  const c = k.cout;
  if (a.bias) encodeAddChannelBias(batch, k.image, { x: a.y, e: a.bias, y: a.y, n: 1, hw: pixels, c });
  if (!a.residual) return;
  let add = a.residual;
  if (a.residualBias) {
    // Grown, never replaced: a batch not yet submitted may still bind a smaller one.
    let sum = k.residualSums.at(-1);
    if (!sum || sum.size < pixels * c) {
      sum = createTensor(ctx, [pixels * c], { label: 'conv3x3.residual' });
      k.residualSums.push(sum);
    }
    add = sum;
    encodeAddChannelBias(batch, k.image, { x: a.residual, e: a.residualBias, y: add, n: 1, hw: pixels, c });
  }
  // Elementwise: every pixel its own "image" of one pixel.
  encodeAddChannelBias(batch, k.image, { x: a.y, e: add, y: a.y, n: pixels, hw: 1, c });
}

export interface Conv3x3BackwardArgs {
  /** The forward's input (n * h * w, cin) and weight (cout, 9 cin). */
  x: Tensor;
  weight: Tensor;
  /** (n * h * w, cout) output gradient. */
  dy: Tensor;
  /** (cout, 9 cin): += dY^T cols. */
  dweight: Tensor;
  /** (cout): += column sums of dY; omitted for a convolution without bias. */
  dbias?: Tensor;
  /** (n * h * w, cin): += col2im(dY W); omitted when the input needs no gradient. */
  dx?: Tensor;
  /** false: dx is overwritten instead of accumulated. */
  accumulateDx?: boolean;
  n: number;
  h: number;
  w: number;
}

/**
 * dweight += dY^T cols, dbias += sum over pixels of dY, dx += col2im(dY W) (or dx = with
 * accumulateDx false; see encodeConv3x3InputGrad). The patch matrix of x is rebuilt per chunk (not kept
 * from the forward), and the same scratch then takes dcols on the im2col + GEMM path of dx.
 */
export function encodeConv3x3Backward(batch: Batch, k: Conv3x3Kernels, a: Conv3x3BackwardArgs): void {
  const op = 'conv3x3Backward';
  const { n, h, w, pixels, width } = sizes(op, k, a);
  const ctx = batch.ctx;
  need(ctx, op, 'x', a.x, pixels * k.cin);
  need(ctx, op, 'weight', a.weight, k.cout * width);
  need(ctx, op, 'dy', a.dy, pixels * k.cout);
  need(ctx, op, 'dweight', a.dweight, k.cout * width);
  if (a.dbias) need(ctx, op, 'dbias', a.dbias, k.cout);
  if (a.dx) need(ctx, op, 'dx', a.dx, pixels * k.cin);
  distinct(op, [
    ['dy', a.dy, 'dweight', a.dweight],
    ['x', a.x, 'dweight', a.dweight],
    ['dy', a.dy, 'dbias', a.dbias],
    ['dy', a.dy, 'dx', a.dx],
  ]);
  if (k.implicitWeightGrad)
    encodeConv3x3ImplicitDw(batch, k.implicitWeightGrad, {
      x: a.x,
      dy: a.dy,
      dweight: a.dweight,
      part: k.part!,
      n,
      h,
      w,
      cin: k.cin,
      cout: k.cout,
    });
  for (const [p0, rows] of k.implicitWeightGrad ? [] : chunks(pixels, k.chunkRows)) {
    encodeIm2col3x3(batch, k.image, { x: a.x, cols: k.cols, n, h, w, c: k.cin, rowStart: p0, rows });
    encodeMatmul(batch, k.weightGrad, {
      a: a.dy,
      b: k.cols,
      c: a.dweight,
      m: k.cout,
      n: width,
      k: rows,
      transA: true,
      offsetA: p0 * k.cout,
      lda: k.cout,
      beta: 1,
    });
  }
  if (a.dx)
    encodeConv3x3InputGrad(batch, k, {
      weight: a.weight,
      dy: a.dy,
      dx: a.dx,
      accumulate: a.accumulateDx ?? true,
      n,
      h,
      w,
    });
  if (a.dbias) encodeChannelSum(batch, k.image, { x: a.dy, out: a.dbias, n: 1, hw: pixels, c: k.cout });
}

/**
 * dx += the adjoint of the convolution applied to dY (dx = with accumulate false): the implicit GEMM, or
 * per chunk of pixels dcols = dY W in the scratch and col2im into dx. Arguments checked by the caller.
 */
export function encodeConv3x3InputGrad(
  batch: Batch,
  k: Conv3x3Kernels,
  a: { weight: Tensor; dy: Tensor; dx: Tensor; accumulate: boolean; n: number; h: number; w: number },
): void {
  const { n, h, w } = a;
  const pixels = n * h * w;
  const width = 9 * k.cin;
  if (k.implicitInputGrad) {
    encodeConv3x3Implicit(batch, k.implicitInputGrad, {
      mode: 'inputGrad',
      weight: a.weight,
      src: a.dy,
      out: a.dx,
      n,
      h,
      w,
      cin: k.cin,
      cout: k.cout,
      beta: a.accumulate ? 1 : 0,
    });
    return;
  }
  const accumulate = a.accumulate;
  let reached = 0;
  for (const [p0, rows] of chunks(pixels, k.chunkRows)) {
    encodeMatmul(batch, k.inputGrad, {
      a: a.dy,
      b: a.weight,
      c: k.cols,
      m: rows,
      n: width,
      k: k.cout,
      offsetA: p0 * k.cout,
    });
    // Overwrite mode: the pixels this chunk reaches first are set, those an earlier chunk reached accumulate.
    encodeCol2im3x3(batch, k.image, {
      cols: k.cols,
      dx: a.dx,
      n,
      h,
      w,
      c: k.cin,
      rowStart: p0,
      rows,
      accumulate,
      overwriteFrom: reached,
    });
    reached = col2imReach(p0, rows, w, pixels)[1];
  }
}
