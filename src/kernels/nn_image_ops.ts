// Image ops on NHWC tensors ((N * H * W, C) row-major f32): 3x3 patch matrices (im2col / col2im),
// 2x2 average pooling and nearest 2x upsampling, channel concatenation.
// Each encodes dispatches into a batch (tensors already on the GPU; nothing is read back or submitted).
import { dispatch, grid2d, type Batch } from '../runtime/dispatch.js';
import type { Tensor } from '../runtime/tensor.js';
import { dim, distinct, need, NN_IMAGE_WG, type ImageKernels } from './nn_image_base.js';

const grid = (batch: Batch, count: number) => grid2d(batch.ctx, count, NN_IMAGE_WG);

export interface Im2colArgs {
  /** (n * h * w, c) input image. */
  x: Tensor;
  /** (rows, 9 c) patch rows of pixels [rowStart, rowStart + rows), column (ky * 3 + kx) * c + ci. */
  cols: Tensor;
  n: number;
  h: number;
  w: number;
  c: number;
  /** First pixel and pixel count of the chunk (default: all n * h * w pixels). */
  rowStart?: number;
  rows?: number;
}

/** Pixel range [p0, p0 + rows) of a chunk inside n * h * w pixels, checked. */
function chunk(op: string, pixels: number, rowStart = 0, rows = pixels - rowStart): [number, number] {
  if (!Number.isInteger(rowStart) || rowStart < 0 || rowStart >= pixels)
    throw new Error(`${op}: rowStart must be an integer in [0, ${pixels - 1}], got ${rowStart}`);
  if (!Number.isInteger(rows) || rows < 1 || rowStart + rows > pixels)
    throw new Error(`${op}: rows must be an integer in [1, ${pixels - rowStart}], got ${rows}`);
  return [rowStart, rows];
}

/** cols[r, (ky * 3 + kx) * c + ci] = x[n, y + ky - 1, x + kx - 1, ci] (0 outside) for pixel rowStart + r. */
export function encodeIm2col3x3(batch: Batch, k: ImageKernels, a: Im2colArgs): void {
  const op = 'im2col3x3';
  const [n, h, w, c] = [dim(op, 'n', a.n), dim(op, 'h', a.h), dim(op, 'w', a.w), dim(op, 'c', a.c)];
  const [p0, rows] = chunk(op, n * h * w, a.rowStart, a.rows);
  need(batch.ctx, op, 'x', a.x, n * h * w * c);
  need(batch.ctx, op, 'cols', a.cols, rows * 9 * c);
  distinct(op, [['x', a.x, 'cols', a.cols]]);
  const total = rows * 9 * c;
  dispatch(batch, k.p.im2col, {
    params: { h, w, c, p0, rows },
    bindings: [a.x, a.cols],
    workgroups: grid(batch, rows * 9),
    flops: 0,
    bytes: 8 * total,
  });
}

export interface Col2imArgs {
  /** (rows, 9 c) gradient of the patch rows of pixels [rowStart, rowStart + rows). */
  cols: Tensor;
  /** (n * h * w, c) input gradient: += the adjoint of im2col3x3 (or overwritten, see `accumulate`). */
  dx: Tensor;
  n: number;
  h: number;
  w: number;
  c: number;
  rowStart?: number;
  rows?: number;
  /** false: pixels from `overwriteFrom` on (default: the first pixel this chunk reaches) are overwritten. */
  accumulate?: boolean;
  overwriteFrom?: number;
}

/** Input pixels [q0, q1) that the patch rows of pixels [p0, p0 + rows) read (one image row and column around). */
export function col2imReach(p0: number, rows: number, w: number, pixels: number): [number, number] {
  return [Math.max(0, p0 - w - 1), Math.min(pixels, p0 + rows + w + 1)];
}

/**
 * dx[q, ci] += sum over the taps that read input pixel q of cols[p - rowStart, tap * c + ci] (gather form:
 * one invocation per (q, ci), no atomics). With accumulate = false, pixels >= overwriteFrom are set
 * instead (for chunked use: later chunks pass the end of the previous chunk's reach).
 */
export function encodeCol2im3x3(batch: Batch, k: ImageKernels, a: Col2imArgs): void {
  const op = 'col2im3x3';
  const [n, h, w, c] = [dim(op, 'n', a.n), dim(op, 'h', a.h), dim(op, 'w', a.w), dim(op, 'c', a.c)];
  const pixels = n * h * w;
  const [p0, rows] = chunk(op, pixels, a.rowStart, a.rows);
  need(batch.ctx, op, 'cols', a.cols, rows * 9 * c);
  need(batch.ctx, op, 'dx', a.dx, pixels * c);
  distinct(op, [['cols', a.cols, 'dx', a.dx]]);
  const [q0, q1] = col2imReach(p0, rows, w, pixels);
  const overwriteFrom = (a.accumulate ?? true) ? pixels : (a.overwriteFrom ?? q0);
  const total = (q1 - q0) * c;
  dispatch(batch, k.p.col2im, {
    params: { h, w, c, p0, rows, q0, count: q1 - q0, overwrite_from: overwriteFrom },
    bindings: [a.cols, a.dx],
    workgroups: grid(batch, q1 - q0),
    flops: 9 * total,
    bytes: 4 * (9 * rows * c + 2 * total),
  });
}

export interface Pool2Args {
  /** (n * h * w, c) input, h and w even. */
  x: Tensor;
  /** (n * h/2 * w/2, c) output. */
  y: Tensor;
  n: number;
  h: number;
  w: number;
  c: number;
}

/**
 * Channels per unit of the pooling and concatenation kernels: 4 (their VEC4 builds, the same operations per
 * value) when every channel count is a multiple of 4, else 1.
 */
const quads = (...c: number[]) => (c.every((v) => v % 4 === 0) ? 4 : 1);

function even(op: string, name: string, v: number): number {
  if (v % 2 !== 0) throw new Error(`${op}: ${name} must be even, got ${v}`);
  return v;
}

/** 2x2 sums times `scale` from (n, 2h2, 2w2, c) `from` into (n, h2, w2, c) `to` (overwritten). */
function pool(
  batch: Batch,
  k: ImageKernels,
  op: string,
  from: Tensor,
  to: Tensor,
  n: number,
  h2: number,
  w2: number,
  c: number,
  scale: number,
  names: [string, string],
) {
  const total = n * h2 * w2 * c;
  need(batch.ctx, op, names[0], from, 4 * total);
  need(batch.ctx, op, names[1], to, total);
  distinct(op, [[names[0], from, names[1], to]]);
  const u = quads(c);
  dispatch(batch, u === 4 ? k.p.avgPool2x4 : k.p.avgPool2, {
    params: { h: h2, w: w2, c: c / u, pixels: n * h2 * w2, scale },
    bindings: [from, to],
    workgroups: grid(batch, n * h2 * w2),
    flops: 4 * total,
    bytes: 20 * total,
  });
}

/** Nearest 2x copy times `scale` from (n, h2, w2, c) `from` into (n, 2h2, 2w2, c) `to` (overwritten). */
function spread(
  batch: Batch,
  k: ImageKernels,
  op: string,
  from: Tensor,
  to: Tensor,
  n: number,
  h2: number,
  w2: number,
  c: number,
  scale: number,
  names: [string, string],
  accumulate = false,
) {
  const total = 4 * n * h2 * w2 * c;
  need(batch.ctx, op, names[0], from, total / 4);
  need(batch.ctx, op, names[1], to, total);
  distinct(op, [[names[0], from, names[1], to]]);
  const u = quads(c);
  const p = accumulate ? (u === 4 ? k.p.upsample2Acc4 : k.p.upsample2Acc) : u === 4 ? k.p.upsample2x4 : k.p.upsample2;
  dispatch(batch, p, {
    params: { h: h2, w: w2, c: c / u, pixels: n * h2 * w2, scale },
    bindings: [from, to],
    workgroups: grid(batch, n * h2 * w2),
    flops: (accumulate ? 2 : 1) * total,
    bytes: (accumulate ? 9 : 5) * total,
  });
}

const dims = (op: string, a: { n: number; h: number; w: number; c: number }) =>
  [dim(op, 'n', a.n), dim(op, 'h', a.h), dim(op, 'w', a.w), dim(op, 'c', a.c)] as const;

/** y (n, h/2, w/2, c) = mean of each 2x2 block of x (n, h, w, c); h, w even. */
export function encodeAvgPool2(batch: Batch, k: ImageKernels, a: Pool2Args): void {
  const op = 'avgPool2';
  const [n, h, w, c] = dims(op, a);
  pool(batch, k, op, a.x, a.y, n, even(op, 'h', h) / 2, even(op, 'w', w) / 2, c, 0.25, ['x', 'y']);
}

export interface Pool2BackwardArgs {
  /** (n * h/2 * w/2, c) output gradient. */
  dy: Tensor;
  /** (n * h * w, c) input gradient (overwritten): dy / 4 at each of the 4 pixels. */
  dx: Tensor;
  n: number;
  h: number;
  w: number;
  c: number;
  /** dx += instead (the rounding of adding it in a pass of its own). */
  accumulate?: boolean;
}

/** dx[n, y, x, c] = dy[n, y/2, x/2, c] / 4 (overwrites dx); h, w are the input's (even). */
export function encodeAvgPool2Backward(batch: Batch, k: ImageKernels, a: Pool2BackwardArgs): void {
  const op = 'avgPool2Backward';
  const [n, h, w, c] = dims(op, a);
  spread(batch, k, op, a.dy, a.dx, n, even(op, 'h', h) / 2, even(op, 'w', w) / 2, c, 0.25, ['dy', 'dx'], a.accumulate);
}

export interface Upsample2Args {
  /** (n * h * w, c) input. */
  x: Tensor;
  /** (n * 2h * 2w, c) output. */
  y: Tensor;
  n: number;
  h: number;
  w: number;
  c: number;
}

/** Nearest upsampling: y[n, Y, X, c] = x[n, Y/2, X/2, c], y (n, 2h, 2w, c). */
export function encodeUpsample2(batch: Batch, k: ImageKernels, a: Upsample2Args): void {
  const op = 'upsample2';
  const [n, h, w, c] = dims(op, a);
  spread(batch, k, op, a.x, a.y, n, h, w, c, 1, ['x', 'y']);
}

export interface Upsample2BackwardArgs {
  /** (n * 2h * 2w, c) output gradient. */
  dy: Tensor;
  /** (n * h * w, c) input gradient (overwritten): the sum of the 4 pixels it was copied to. */
  dx: Tensor;
  n: number;
  h: number;
  w: number;
  c: number;
}

/** dx[n, y, x, c] = sum of dy over the 2x2 block (2y.., 2x..) (overwrites dx); h, w are the input's. */
export function encodeUpsample2Backward(batch: Batch, k: ImageKernels, a: Upsample2BackwardArgs): void {
  const op = 'upsample2Backward';
  const [n, h, w, c] = dims(op, a);
  pool(batch, k, op, a.dy, a.dx, n, h, w, c, 1, ['dy', 'dx']);
}

/** a's images at half resolution (n, h, w): y = [upsample2(a) | b], with y and b (n, 2h, 2w). */
export interface HalfImages {
  n: number;
  h: number;
  w: number;
}

export interface ConcatArgs {
  a: Tensor;
  ca: number;
  b: Tensor;
  cb: number;
  y: Tensor;
  /** Pixels of y and b. */
  pixels: number;
  /** a at half resolution, nearest-upsampled into y in the same pass (the U-Net's skip concatenations). */
  up?: HalfImages;
}

/** a's pixels: pixels, or a quarter of them when a is at half resolution (checked against `up`). */
function sidePixels(op: string, pixels: number, up: HalfImages | undefined): number {
  if (!up) return pixels;
  const [n, h, w] = [dim(op, 'up.n', up.n), dim(op, 'up.h', up.h), dim(op, 'up.w', up.w)];
  if (4 * n * h * w !== pixels)
    throw new Error(
      `${op}: pixels = ${pixels}, but half-resolution images (${n}, ${h}, ${w}) upsample to ${4 * n * h * w}`,
    );
  return n * h * w;
}

/** y (pixels, ca + cb) = [a (pixels, ca) | b (pixels, cb)], or [upsample2(a) | b] with `up`. */
export function encodeConcatChannels(batch: Batch, k: ImageKernels, x: ConcatArgs): void {
  const op = 'concatChannels';
  const [ca, cb, pixels] = [dim(op, 'ca', x.ca), dim(op, 'cb', x.cb), dim(op, 'pixels', x.pixels)];
  const aPixels = sidePixels(op, pixels, x.up);
  need(batch.ctx, op, 'a', x.a, aPixels * ca);
  need(batch.ctx, op, 'b', x.b, pixels * cb);
  need(batch.ctx, op, 'y', x.y, pixels * (ca + cb));
  distinct(op, [
    ['a', x.a, 'y', x.y],
    ['b', x.b, 'y', x.y],
  ]);
  const total = pixels * (ca + cb);
  const u = quads(ca, cb);
  const p = x.up ? (u === 4 ? k.p.concatUp4 : k.p.concatUp) : u === 4 ? k.p.concat4 : k.p.concat;
  dispatch(batch, p, {
    params: { ca: ca / u, cb: cb / u, pixels: aPixels, w: x.up?.w ?? 0 },
    bindings: [x.a, x.b, x.y],
    workgroups: grid(batch, aPixels),
    flops: 0,
    bytes: 4 * (total + aPixels * ca + pixels * cb),
  });
}

export interface ConcatBackwardArgs {
  dy: Tensor;
  da: Tensor;
  ca: number;
  db: Tensor;
  cb: number;
  /** Pixels of dy and db. */
  pixels: number;
  /** true: da += and db += their columns of dy; default false: both are overwritten. */
  accumulate?: boolean;
  /** The forward's a at half resolution: da takes each 2 x 2 block's sum (upsample2's backward). */
  up?: HalfImages;
}

/**
 * da (pixels, ca) = dy[:, :ca], db (pixels, cb) = dy[:, ca:] (overwrites unless accumulate); with `up`,
 * da at half resolution = the 2 x 2 block sums of dy[:, :ca] (upsample2's backward, same order and bits).
 */
export function encodeConcatChannelsBackward(batch: Batch, k: ImageKernels, x: ConcatBackwardArgs): void {
  const op = 'concatChannelsBackward';
  const [ca, cb, pixels] = [dim(op, 'ca', x.ca), dim(op, 'cb', x.cb), dim(op, 'pixels', x.pixels)];
  const aPixels = sidePixels(op, pixels, x.up);
  need(batch.ctx, op, 'dy', x.dy, pixels * (ca + cb));
  need(batch.ctx, op, 'da', x.da, aPixels * ca);
  need(batch.ctx, op, 'db', x.db, pixels * cb);
  distinct(op, [
    ['dy', x.dy, 'da', x.da],
    ['dy', x.dy, 'db', x.db],
    ['da', x.da, 'db', x.db],
  ]);
  const total = pixels * (ca + cb);
  const accumulate = Number(x.accumulate ?? false);
  const u = quads(ca, cb);
  const p = x.up ? (u === 4 ? k.p.splitDown4 : k.p.splitDown) : u === 4 ? k.p.split4 : k.p.split;
  const written = aPixels * ca + pixels * cb;
  dispatch(batch, p, {
    params: { ca: ca / u, cb: cb / u, pixels: aPixels, accumulate, w: x.up?.w ?? 0 },
    bindings: [x.dy, x.da, x.db],
    workgroups: grid(batch, aPixels),
    flops: (x.up ? 3 * aPixels * ca : 0) + accumulate * written,
    bytes: 4 * (total + (1 + accumulate) * written),
  });
}
