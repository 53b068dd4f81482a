// 3x3 convolution, padding 1, stride 1, over NHWC images as im2col + GEMM: with cols (NHW, 9 Cin) the
// patch matrix (column (ky * 3 + kx) * Cin + ci) and W (Cout, 9 Cin), b (Cout):
//   forward   y = cols W^T + b
//   backward  dW += dY^T cols, db += column sums of dY, dcols = dY W, dx += col2im(dcols).
// The patch matrix lives in one scratch tensor of at most maxScratchBytes; larger batches run in chunks
// of pixels (each chunk: im2col, then its GEMMs; col2im of a chunk gathers only that chunk's taps).
import { checkInt } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import type { Batch } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, type Tensor } from '../runtime/tensor.js';
import { encodeMatmul, matmulPlan, type GemmBuild, type GemmPlan } from './matmul.js';
import { dim, distinct, disposeImageKernels, imageKernels, need, type ImageKernels } from './nn_image_base.js';
import { col2imReach, encodeCol2im3x3, encodeIm2col3x3 } from './nn_image_ops.js';
import { encodeAddChannelBias, encodeChannelSum } from './nn_image_channel.js';

/** Default cap on the patch-matrix scratch: 64 MiB (chunks of pixels beyond that). */
export const CONV3X3_SCRATCH_BYTES = 64 * 2 ** 20;

export interface Conv3x3Shape {
  /** Typical batch, height and width: they pick the GEMMs' tuning class and size the scratch (any n, h, w
   * work later; more pixels than the scratch holds run in more chunks). cin and cout are fixed. */
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
}

export interface Conv3x3Options {
  /** Force one GEMM build (a scalar one: it serves all three transpose pairs) instead of autotuning. */
  build?: GemmBuild;
  /** Autotune cache file (see matmulPlan). */
  tuneCache?: string;
  /** Cap on the patch-matrix scratch (default CONV3X3_SCRATCH_BYTES, at most one storage binding). */
  maxScratchBytes?: number;
  /** Share a scratch tensor between convolutions (not disposed with these kernels). */
  scratch?: Tensor;
  /** Share the image kernels (and their reduction scratch); created otherwise. */
  image?: ImageKernels;
}

export interface Conv3x3Kernels {
  cin: number;
  cout: number;
  image: ImageKernels;
  /** y = cols W^T (transB), dW += dY^T cols (transA), dcols = dY W (no transposes). */
  forward: GemmPlan;
  weightGrad: GemmPlan;
  inputGrad: GemmPlan;
  /** Patch-matrix scratch of chunkRows * 9 cin values. */
  cols: Tensor;
  chunkRows: number;
  owns: { cols: boolean; image: boolean };
}

/** GEMM plans (autotuned per shape class unless opts.build) and scratch for convolutions of this shape. */
export async function conv3x3Kernels(
  ctx: Context,
  shape: Conv3x3Shape,
  opts: Conv3x3Options = {},
): Promise<Conv3x3Kernels> {
  const op = 'conv3x3Kernels';
  const [n, h, w, cin, cout] = [
    dim(op, 'n', shape.n),
    dim(op, 'h', shape.h),
    dim(op, 'w', shape.w),
    dim(op, 'cin', shape.cin),
    dim(op, 'cout', shape.cout),
  ];
  const limit = ctx.limits.maxStorageBufferBindingSize;
  const width = 9 * cin;
  let chunkRows: number;
  if (opts.scratch) {
    chunkRows = Math.floor(Math.min(opts.scratch.size, limit / 4) / width);
    if (chunkRows < 1)
      throw new Error(
        `${op}: scratch holds ${opts.scratch.size} elements, fewer than one patch row of 9 * cin = ${width}`,
      );
  } else {
    const cap = checkInt(
      `${op}: maxScratchBytes`,
      opts.maxScratchBytes ?? CONV3X3_SCRATCH_BYTES,
      4 * width,
      Number.MAX_SAFE_INTEGER,
    );
    chunkRows = Math.floor(Math.min(cap, limit) / (4 * width));
    if (chunkRows < 1)
      throw new Error(
        `${op}: one patch row of 9 * cin = ${width} values exceeds the storage binding limit of ${limit} bytes`,
      );
  }
  chunkRows = Math.min(chunkRows, n * h * w);
  const plan = { build: opts.build, tuneCache: opts.tuneCache };
  // Sequential: autotuning times GPU runs, which concurrent tuning would disturb.
  const forward = await matmulPlan(ctx, { m: chunkRows, n: cout, k: width, transB: true }, plan);
  const weightGrad = await matmulPlan(ctx, { m: cout, n: width, k: chunkRows, transA: true }, plan);
  const inputGrad = await matmulPlan(ctx, { m: chunkRows, n: width, k: cout }, plan);
  const image = opts.image ?? (await imageKernels(ctx));
  const cols = opts.scratch ?? createTensor(ctx, [chunkRows * width], { label: 'conv3x3.cols' });
  return {
    cin,
    cout,
    image,
    forward,
    weightGrad,
    inputGrad,
    cols,
    chunkRows,
    owns: { cols: !opts.scratch, image: !opts.image },
  };
}

export function disposeConv3x3Kernels(k: Conv3x3Kernels): void {
  if (k.owns.cols) disposeTensor(k.cols);
  if (k.owns.image) disposeImageKernels(k.image);
}

export interface Conv3x3Args {
  /** (n * h * w, cin) input. */
  x: Tensor;
  /** (cout, 9 cin), column (ky * 3 + kx) * cin + ci. */
  weight: Tensor;
  /** (cout); omitted: no bias. */
  bias?: Tensor;
  /** (n * h * w, cout) output (overwritten). */
  y: Tensor;
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
  distinct(op, [
    ['x', a.x, 'y', a.y],
    ['weight', a.weight, 'y', a.y],
    ['bias', a.bias, 'y', a.y],
  ]);
  for (const [p0, rows] of chunks(pixels, k.chunkRows)) {
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
  if (a.bias) encodeAddChannelBias(batch, k.image, { x: a.y, e: a.bias, y: a.y, n: 1, hw: pixels, c: k.cout });
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
 * accumulateDx false). The patch matrix of x is rebuilt per chunk (not kept from the forward), and the
 * same scratch then takes dcols.
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
  const accumulate = a.accumulateDx ?? true;
  let reached = 0;
  for (const [p0, rows] of chunks(pixels, k.chunkRows)) {
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
    if (!a.dx) continue;
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
  if (a.dbias) encodeChannelSum(batch, k.image, { x: a.dy, out: a.dbias, n: 1, hw: pixels, c: k.cout });
}
