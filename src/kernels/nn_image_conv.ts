// 3x3 convolution, padding 1, stride 1, over NHWC images as im2col + GEMM: with cols (NHW, 9 Cin) the
// patch matrix (column (ky * 3 + kx) * Cin + ci) and W (Cout, 9 Cin), b (Cout):
//   forward   y = cols W^T + b
//   backward  dW += dY^T cols, db += column sums of dY, dcols = dY W, dx += col2im(dcols).
// The patch matrix lives in one scratch tensor of at most maxScratchBytes; larger batches run in chunks
// of pixels (each chunk: im2col, then its GEMMs; col2im of a chunk gathers only that chunk's taps).
// Where the device has subgroups, the products can instead run as implicit GEMMs (conv3x3_implicit.ts: no
// patch matrix); the forward path is timed per adapter and shape class, dx and dW follow a rule. This file
// makes the kernels and chooses the paths; nn_image_conv_encode.ts encodes the passes.
import { checkInt } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { beginBatch, submit, sync } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, type Tensor } from '../runtime/tensor.js';
import { MATMUL, matmulPlan, type GemmBuild, type GemmPlan } from './matmul.js';
import { convDims, disposeImageKernels, IM2COL3X3, imageKernels, type ImageKernels } from './nn_image_base.js';
import { dimClass, sizeClass, tune, tunedChoice } from './autotune.js';
import {
  CONV3X3_IMPLICIT,
  CONV3X3_IMPLICIT_BIAS,
  CONV3X3_IMPLICIT_DW,
  dwSplits,
  FEW_ROWS,
  implicitRowsFor,
  implicitConvPlan,
  implicitDwPlan,
  implicitRuns,
  type ImplicitConvPlan,
  type ImplicitDwPlan,
  type ImplicitRows,
} from './conv3x3_implicit.js';
import { encodeConv3x3Backward, encodeConv3x3Forward, encodeConv3x3InputGrad } from './nn_image_conv_encode.js';

export * from './nn_image_conv_encode.js';

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

/** How the forward product, dx or dW is computed: im2col + GEMM, or the implicit GEMM with 8, 16 or 32 rows per tile. */
export type ConvPath = 'gemm' | ImplicitRows;

export interface Conv3x3Options {
  /** Force one GEMM build (a scalar one: it serves all three transpose pairs) instead of autotuning. */
  build?: GemmBuild;
  /**
   * Force the path of the forward product and of dx (default: timed per adapter and shape class among
   * im2col + GEMM and, with subgroups, the implicit GEMM; 'gemm' when `build` is forced).
   */
  path?: ConvPath;
  /** Autotune cache file (see matmulPlan). */
  tuneCache?: string;
  /** Cap on the patch-matrix scratch (default CONV3X3_SCRATCH_BYTES, at most one storage binding). */
  maxScratchBytes?: number;
  /** Share a scratch tensor between convolutions (not disposed with these kernels). */
  scratch?: Tensor;
  /** Share the image kernels (and their reduction scratch); created otherwise. */
  image?: ImageKernels;
  /** The forward pass will add a residual (Conv3x3Args.residual): make the implicit plan's residual builds. */
  residual?: boolean;
}

export interface Conv3x3Kernels {
  cin: number;
  cout: number;
  image: ImageKernels;
  /** y = cols W^T (transB), dW += dY^T cols (transA), dcols = dY W (no transposes). */
  forward: GemmPlan;
  weightGrad: GemmPlan;
  inputGrad: GemmPlan;
  /** Implicit-GEMM plans of the forward product and of dx, or null: im2col + GEMM. */
  implicitForward: ImplicitConvPlan | null;
  implicitInputGrad: ImplicitConvPlan | null;
  implicitWeightGrad: ImplicitDwPlan | null;
  /** Partial products of the implicit dW's pixel splits (null on the GEMM path). */
  part: Tensor | null;
  /** Patch-matrix scratch of chunkRows * 9 cin values. */
  cols: Tensor;
  chunkRows: number;
  /** Made with `residual`: the forward pass may add one. */
  residual: boolean;
  /** The GEMM path's residual plus its bias, made on demand by the forward pass (the last is the largest). */
  residualSums: Tensor[];
  owns: { cols: boolean; image: boolean };
}

/** GEMM plans (autotuned per shape class unless opts.build) and scratch for convolutions of this shape. */
export async function conv3x3Kernels(
  ctx: Context,
  shape: Conv3x3Shape,
  opts: Conv3x3Options = {},
): Promise<Conv3x3Kernels> {
  const op = 'conv3x3Kernels';
  const [n, h, w, cin, cout] = convDims(op, shape);
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
  const k: Conv3x3Kernels = {
    cin,
    cout,
    image,
    forward,
    weightGrad,
    inputGrad,
    implicitForward: null,
    implicitInputGrad: null,
    implicitWeightGrad: null,
    part: null,
    cols,
    chunkRows,
    residual: opts.residual ?? false,
    residualSums: [],
    owns: { cols: !opts.scratch, image: !opts.image },
  };
  const forced = opts.path ?? (opts.build ? 'gemm' : undefined);
  if (forced !== undefined && forced !== 'gemm' && !implicitRuns(ctx))
    throw new Error(
      `${op}: path ${forced} (implicit GEMM) needs the subgroups feature with subgroups of at least 8 invocations`,
    );
  if (forced === 'gemm' || (forced === undefined && !implicitRuns(ctx))) return k;
  // dx and dW take the implicit kernels on CPU-emulated adapters (lavapipe, SwiftShader), where they were
  // measured faster than im2col + GEMM; hardware GPUs keep im2col + GEMM for them until measured there.
  // Never by timing: the two paths round differently, and a seed must give the same bits on one adapter.
  const grads = forced !== undefined || ctx.adapterInfo.isFallback;
  if (grads) k.part = createTensor(ctx, [dwSplits(n * h * w, cin, cout) * cout * width], { label: 'conv3x3.dw.part' });
  for (const mode of grads ? CONV_MODES : (['forward'] as const)) {
    const path = forced ?? (await tunedPath(ctx, k, mode, { n, h, w }, opts.tuneCache));
    if (mode === 'forward')
      k.implicitForward =
        path === 'gemm' ? null : await implicitConvPlan(ctx, path, 'forward', { residual: k.residual });
    else if (path === 'gemm') throw new Error(`${op}: internal: ${mode} has no GEMM path beside the implicit one`);
    else if (mode === 'inputGrad') k.implicitInputGrad = await implicitConvPlan(ctx, path, 'inputGrad');
    else k.implicitWeightGrad = await implicitDwPlan(ctx, path);
  }
  return k;
}

const CONV_MODES = ['forward', 'inputGrad', 'weightGrad'] as const;

/**
 * Channel counts by class for the path choice: the GEMM tuning's dimClass (which splits the small class
 * at 8 and 32, so that a U-Net's 16- and 32-channel convolutions tune apart: at 14 x 14, batch 128, 32 -> 32
 * runs 32-row tiles in 30.0 ms against 36.3 ms for the 16-row tiles a 16 -> 16 convolution chooses, dx;
 * scripts/dev/conv-implicit-time.ts), with fewer than 4 channels apart ('t'). A U-Net's
 * first (1 -> c0) and last (c0 -> 1) convolutions waste most of an implicit tile's rows or a GEMM tile's
 * columns, so they favour another path than the c0 -> c0 convolutions of the same size class: on lavapipe
 * the choice timed on the 1 -> 16 convolution (im2col + GEMM) was also taken by the 16 -> 16 ones, which run
 * about twice as fast implicit (scripts/dev/unet-prof.ts).
 */
const channelClass = (c: number) => (c < FEW_ROWS ? 't' : dimClass(c));

/**
 * The faster path for the forward product, dx or dW of this layer on this adapter, by shape class
 * (pixels, cin, cout): im2col + GEMM (forward only) against the implicit GEMM with 16 and 32 rows per
 * tile (and 8 for few rows), timed on the typical shape (constant-filled tensors: a convolution's cost does
 * not depend on the values). The implicit dx and dW sum in another order than their GEMM paths (dx: one chain over
 * (tap, channel) instead of per tap, then col2im; dW: in pixel splits), so they never switch between the
 * two by timing (a seed must give the same bits on one adapter); every tile height gives the same bits,
 * as does every forward path.
 */
async function tunedPath(
  ctx: Context,
  k: Conv3x3Kernels,
  mode: (typeof CONV_MODES)[number],
  s: { n: number; h: number; w: number },
  cacheFile: string | undefined,
): Promise<ConvPath> {
  const pixels = s.n * s.h * s.w;
  const key = `conv3x3|${mode}|${sizeClass(pixels)}${channelClass(k.cin)}${channelClass(k.cout)}`;
  const heights = implicitRowsFor(mode === 'inputGrad' ? k.cin : k.cout, mode !== 'inputGrad');
  const candidates: ConvPath[] = mode === 'forward' ? ['gemm', ...heights] : [...heights];
  // The forward's GEMM path is im2col + matmul; the implicit paths, their kernels.
  const cache = {
    file: cacheFile,
    kernels: [CONV3X3_IMPLICIT, CONV3X3_IMPLICIT_BIAS, CONV3X3_IMPLICIT_DW, IM2COL3X3, MATMUL],
    untimedFirst: true,
  };
  const same = (a: ConvPath, b: ConvPath) => a === b;
  // A choice already made: no timing tensors, no compiles.
  const known = tunedChoice(ctx, key, candidates, same, cache);
  if (known !== undefined) return known;
  const t = [pixels * k.cin, k.cout * 9 * k.cin, pixels * k.cout].map((len, i) =>
    createTensor(ctx, [len], { data: new Float32Array(len).fill(0.5), label: `conv3x3.tune.${i}` }),
  );
  const [x, weight, y] = t as [Tensor, Tensor, Tensor];
  const none = { implicitForward: null, implicitInputGrad: null, implicitWeightGrad: null };
  // Polling, as the GEMM autotune does: the context's wait model, shared by the candidates' kernel sets,
  // must not oversleep a fast candidate after a slow one.
  const waitMode = ctx.waitMode;
  ctx.waitMode = 'poll';
  try {
    const time = async (p: ConvPath) => {
      const kk: Conv3x3Kernels = { ...k, ...none };
      if (p !== 'gemm' && mode === 'forward') kk.implicitForward = await implicitConvPlan(ctx, p, 'forward');
      if (p !== 'gemm' && mode === 'inputGrad') kk.implicitInputGrad = await implicitConvPlan(ctx, p, 'inputGrad');
      if (p !== 'gemm' && mode === 'weightGrad') kk.implicitWeightGrad = await implicitDwPlan(ctx, p);
      const t0 = performance.now();
      const b = beginBatch(ctx, `autotune conv3x3 ${mode}`);
      if (mode === 'forward') encodeConv3x3Forward(b, kk, { x, weight, y, ...s });
      else if (mode === 'inputGrad') encodeConv3x3InputGrad(b, kk, { weight, dy: y, dx: x, accumulate: false, ...s });
      else encodeConv3x3Backward(b, kk, { x, weight, dy: y, dweight: weight, ...s });
      submit(b);
      await sync(ctx);
      return performance.now() - t0;
    };
    return await tune(ctx, key, candidates, time, same, cache);
  } finally {
    ctx.waitMode = waitMode;
    t.forEach(disposeTensor);
  }
}

export function disposeConv3x3Kernels(k: Conv3x3Kernels): void {
  if (k.owns.cols) disposeTensor(k.cols);
  if (k.part) disposeTensor(k.part);
  k.residualSums.forEach(disposeTensor);
  if (k.owns.image) disposeImageKernels(k.image);
}
