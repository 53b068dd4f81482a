// Implicit-GEMM 3x3 convolution (shaders/conv3x3_implicit.wgsl, conv3x3_implicit_dw.wgsl): the forward
// product, the input gradient and the weight gradient (in pixel splits, then column_reduce) of a
// padding-1, stride-1 convolution over NHWC images, read straight from the image instead of a patch
// matrix, with every weight (or dY row) broadcast across a subgroup of 8 lanes. Needs the `subgroups`
// feature with subgroups of at least 8 invocations; nn_image_conv.ts times it against im2col + GEMM.
import type { Context } from '../runtime/context.js';
import { ceilDiv, dispatch, grid2d, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import type { Tensor } from '../runtime/tensor.js';
import { subgroupsOf8 } from './gemm_builds.js';
import { convDims, distinct, need } from './nn_image_base.js';
import { NN_DENSE_BUILDS, NN_LOOP_WG } from './nn_dense_specs.js';

export const CONV3X3_IMPLICIT: KernelSpec = {
  name: 'conv3x3_implicit',
  libs: ['lib/conv_bcast.wgsl'],
  storage: ['read', 'read', 'read_write'],
};
/** The same shader with the bias binding (BIAS builds). */
export const CONV3X3_IMPLICIT_BIAS: KernelSpec = {
  ...CONV3X3_IMPLICIT,
  storage: ['read', 'read', 'read_write', 'read'],
};
/** BIAS builds that also add a residual (RES builds), and its per-row bias (RES_BIAS builds). */
export const CONV3X3_IMPLICIT_RES: KernelSpec = {
  ...CONV3X3_IMPLICIT,
  storage: ['read', 'read', 'read_write', 'read', 'read'],
};
export const CONV3X3_IMPLICIT_RES_BIAS: KernelSpec = {
  ...CONV3X3_IMPLICIT,
  storage: ['read', 'read', 'read_write', 'read', 'read', 'read'],
};
export const CONV3X3_IMPLICIT_DW: KernelSpec = {
  name: 'conv3x3_implicit_dw',
  libs: ['lib/conv_bcast.wgsl'],
  storage: ['read', 'read', 'read_write'],
};

/**
 * Output rows (channels) per workgroup tile: 8 (1 per lane), 16 (2) or 32 (4), or 1 (lane 0's: the forward
 * pass of a convolution with one output channel); 64 pixels each.
 */
export type ImplicitRows = 1 | 8 | 16 | 32;
/**
 * Every tile height of the input gradient, and of the other passes but 1. Any height gives the same bits:
 * each sum runs over k in order.
 */
export const IMPLICIT_ROWS: readonly Exclude<ImplicitRows, 1>[] = [8, 16, 32];
/** The tile heights of the forward pass and the weight gradient: also 1. */
export const IMPLICIT_ROWS_WITH_1: readonly ImplicitRows[] = [1, ...IMPLICIT_ROWS];
/**
 * Fewer rows (channels) than this are "few": the 8-row tile is timed for them, and the path choice keeps
 * them in a class of their own (nn_image_conv.ts channelClass), so that the two always agree.
 */
export const FEW_ROWS = 4;
/**
 * The tile heights worth timing for a product with `rows` output rows: 8 only for few rows (a U-Net's
 * 16 -> 1 convolution and its weight gradient, where a 16-row tile computes 16 rows to keep one), and 1 for
 * one output row in the forward pass and the weight gradient: the 16 -> 1 convolution of a U-Net sampling
 * step (250 images, 28 x 28) took 50.7 ms in 8-row tiles, 8 products for each one kept
 * (scripts/dev/unet-prof.ts --layers 1). The input gradient has no 1-row build (its rows are the input
 * channels: one only for a first convolution, whose input needs no gradient).
 */
export const implicitRowsFor = (rows: number, oneRow = false): readonly ImplicitRows[] =>
  rows < FEW_ROWS ? (oneRow && rows === 1 ? IMPLICIT_ROWS_WITH_1 : IMPLICIT_ROWS) : [16, 32];

/** Which operands a build reads as vec4s: none, src (VEC4), or src and the weights (VEC4 + WVEC4). */
export type ImplicitLoads = 'scalar' | 'src' | 'both';
export const IMPLICIT_LOADS: readonly ImplicitLoads[] = ['scalar', 'src', 'both'];

/** What the forward pass's epilogue adds after the bias: nothing, a residual, or a residual and its bias. */
export type ImplicitResidual = 'none' | 'res' | 'resBias';

/** The 1-row build is the 8-row one (1 row per lane) keeping lane 0's row only. Residual builds are bias builds. */
export const implicitBuild = (
  rows: ImplicitRows,
  bias = false,
  loads: ImplicitLoads = 'scalar',
  residual: ImplicitResidual = 'none',
) => ({
  variant: {
    ROWS1: rows === 1,
    ROWS8: rows === 8 || rows === 1,
    ROWS16: rows === 16,
    BIAS: bias || residual !== 'none',
    VEC4: loads !== 'scalar',
    WVEC4: loads === 'both',
    RES: residual !== 'none',
    RES_BIAS: residual === 'resBias',
  },
});

/** Whether the device can run the kernel: subgroups of at least 8 invocations. */
export const implicitRuns = (ctx: Context) => subgroupsOf8(ctx.features);

export interface ImplicitConvPlan {
  rows: ImplicitRows;
  mode: 'forward' | 'inputGrad';
  pipeline: CachedPipeline;
  /** The build that adds a bias per output row after the product. */
  withBias: CachedPipeline;
  /**
   * The same two with vec4 loads, for chans a multiple of 4: src as vec4s of 4 channels and, in the
   * forward pass (whose weights run along k), the weights as vec4s of 4 consecutive k. On lavapipe every
   * storage load is a loop over the lanes, so this takes a quarter of them (batch 128, 28 x 28, 16 -> 16,
   * 16-row tiles: forward 48.5 -> 45.3 ms, dx 58.8 -> 47.4 ms; 14 x 14, 32 -> 32, 32-row tiles: 41.7 ->
   * 37.5 and 40.5 -> 30.0 ms; scripts/dev/conv-implicit-time.ts, both in one run). The same sums in the
   * same order, so the same bits.
   */
  vec4: CachedPipeline;
  vec4WithBias: CachedPipeline;
  /**
   * Forward plans made with `residual`: the bias builds that also add a residual ('res') or a residual and
   * its per-row bias ('resBias'), with scalar and vec4 loads.
   */
  residual?: Record<Exclude<ImplicitResidual, 'none'>, { scalar: CachedPipeline; vec4: CachedPipeline }>;
}

function checkRuns(ctx: Context): void {
  if (!implicitRuns(ctx))
    throw new Error(
      `conv3x3 implicit: needs the subgroups feature with subgroups of at least 8 invocations (this device: subgroups ${ctx.features.subgroups}, smallest size ${ctx.features.subgroupMinSize})`,
    );
}

export async function implicitConvPlan(
  ctx: Context,
  rows: ImplicitRows,
  mode: ImplicitConvPlan['mode'],
  opts: { residual?: boolean } = {},
): Promise<ImplicitConvPlan> {
  checkRuns(ctx);
  if (rows === 1 && mode !== 'forward')
    throw new Error('conv3x3 implicit: 1-row tiles are a forward and weight-gradient build only');
  if (opts.residual && mode !== 'forward') throw new Error('conv3x3 implicit: a residual is a forward build only');
  const loads = mode === 'forward' ? 'both' : 'src';
  const plan: ImplicitConvPlan = {
    rows,
    mode,
    pipeline: await getPipeline(ctx, CONV3X3_IMPLICIT, implicitBuild(rows)),
    withBias: await getPipeline(ctx, CONV3X3_IMPLICIT_BIAS, implicitBuild(rows, true)),
    vec4: await getPipeline(ctx, CONV3X3_IMPLICIT, implicitBuild(rows, false, loads)),
    vec4WithBias: await getPipeline(ctx, CONV3X3_IMPLICIT_BIAS, implicitBuild(rows, true, loads)),
  };
  if (opts.residual) {
    const builds = async (r: 'res' | 'resBias') => {
      const spec = r === 'res' ? CONV3X3_IMPLICIT_RES : CONV3X3_IMPLICIT_RES_BIAS;
      return {
        scalar: await getPipeline(ctx, spec, implicitBuild(rows, true, 'scalar', r)),
        vec4: await getPipeline(ctx, spec, implicitBuild(rows, true, loads, r)),
      };
    };
    plan.residual = { res: await builds('res'), resBias: await builds('resBias') };
  }
  return plan;
}

export interface ImplicitConvArgs {
  /** Weights, (cout, 9 cin) with column (ky * 3 + kx) * cin + ci. */
  weight: Tensor;
  /** 'forward': src = x (pixels, cin), out = y (pixels, cout). 'inputGrad': src = dY (pixels, cout), out = dx (pixels, cin). */
  mode: 'forward' | 'inputGrad';
  src: Tensor;
  out: Tensor;
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
  /** out = alpha * conv + beta * out (default 1, 0; beta 0 never reads out). */
  alpha?: number;
  beta?: number;
  /** (rows): added to every pixel's row r after the product (the forward pass's bias). */
  bias?: Tensor;
  /**
   * Forward with bias, on a plan made with `residual`: (pixels, cout) added after the bias (a residual
   * block's skip path), plus residualBias (cout) per row when given: out = conv + bias + (residual + residualBias).
   */
  residual?: Tensor;
  residualBias?: Tensor;
}

/**
 * forward: out = y = conv3x3(x) (no bias); inputGrad: out = dx = the adjoint, sum over taps t and
 * channels o of dY[p - s_t, o] W[o, t, ci].
 */
export function encodeConv3x3Implicit(batch: Batch, plan: ImplicitConvPlan, a: ImplicitConvArgs): void {
  const op = `conv3x3 implicit ${a.mode}`;
  const [n, h, w, cin, cout] = convDims(op, a);
  const pixels = n * h * w;
  const fwd = a.mode === 'forward';
  const [rows, chans] = fwd ? [cout, cin] : [cin, cout];
  const ctx = batch.ctx;
  if (plan.mode !== a.mode) throw new Error(`${op}: the plan was made for ${plan.mode}`);
  need(ctx, op, 'weight', a.weight, cout * 9 * cin);
  need(ctx, op, 'src', a.src, pixels * chans);
  need(ctx, op, 'out', a.out, pixels * rows);
  if (a.bias) need(ctx, op, 'bias', a.bias, rows);
  const residual = residualBuilds(op, plan, a);
  if (a.residual) need(ctx, op, 'residual', a.residual, pixels * rows);
  if (a.residualBias) need(ctx, op, 'residualBias', a.residualBias, rows);
  distinct(op, [
    ['bias', a.bias, 'out', a.out],
    ['src', a.src, 'out', a.out],
    ['weight', a.weight, 'out', a.out],
    ['residual', a.residual, 'out', a.out],
    ['residualBias', a.residualBias, 'out', a.out],
  ]);
  const alpha = a.alpha ?? 1;
  const beta = a.beta ?? 0;
  if (!Number.isFinite(alpha) || !Number.isFinite(beta))
    throw new Error(`${op}: alpha and beta must be finite, got ${alpha}, ${beta}`);
  const tilesN = ceilDiv(pixels, 64);
  const tiles = ceilDiv(rows, plan.rows) * tilesN;
  const vec4 = chans % 4 === 0;
  const [withBias, plain] = vec4 ? [plan.vec4WithBias, plan.vec4] : [plan.withBias, plan.pipeline];
  const pipeline = residual ? residual[vec4 ? 'vec4' : 'scalar'] : a.bias ? withBias : plain;
  const extra = [a.bias, a.residual, a.residualBias].filter((t) => t !== undefined);
  dispatch(batch, pipeline, {
    params: {
      rows,
      pixels,
      chans,
      h,
      w,
      // Weight strides per output row, tap and input channel.
      a_r: fwd ? 9 * cin : 1,
      a_t: cin,
      a_i: fwd ? 1 : 9 * cin,
      ldc: rows,
      tiles_n: tilesN,
      tiles,
      flip: fwd ? 0 : 1,
      alpha,
      beta,
    },
    bindings: [a.weight, a.src, a.out, ...extra],
    workgroups: grid2d(ctx, tiles, 1),
    flops: 2 * pixels * rows * 9 * chans + pixels * rows * extra.length,
    bytes: 4 * (pixels * chans + 9 * cin * cout + (1 + (beta !== 0 ? 1 : 0) + (a.residual ? 1 : 0)) * pixels * rows),
  });
}

/** The residual builds an implicit call takes (null: none), after checking that its arguments allow them. */
function residualBuilds(op: string, plan: ImplicitConvPlan, a: ImplicitConvArgs) {
  if (a.residualBias && !a.residual) throw new Error(`${op}: residualBias without a residual`);
  if (!a.residual) return null;
  if (a.mode !== 'forward') throw new Error(`${op}: a residual is added in the forward pass only`);
  if (!a.bias) throw new Error(`${op}: a residual needs the bias (residual builds are bias builds)`);
  if (!plan.residual) throw new Error(`${op}: the plan was made without residual builds ({ residual: true })`);
  return plan.residual[a.residualBias ? 'resBias' : 'res'];
}

export interface ImplicitDwPlan {
  rows: ImplicitRows;
  pipeline: CachedPipeline;
  /** The build reading x as vec4s (VEC4), for cin a multiple of 8: the same values, so the same bits. */
  vec4: CachedPipeline;
  /** column_reduce: dW += the sum of the splits' partial products. */
  reduce: CachedPipeline;
}

export async function implicitDwPlan(ctx: Context, rows: ImplicitRows): Promise<ImplicitDwPlan> {
  checkRuns(ctx);
  const r = NN_DENSE_BUILDS.columnReduce;
  return {
    rows,
    pipeline: await getPipeline(ctx, CONV3X3_IMPLICIT_DW, implicitBuild(rows)),
    vec4: await getPipeline(ctx, CONV3X3_IMPLICIT_DW, implicitBuild(rows, false, 'src')),
    reduce: await getPipeline(ctx, r.spec, r.build),
  };
}

/** Pixels per split at least this many (a split's FMA chain amortises its tile's setup and store). */
const DW_MIN_SPLIT = 256;
/** Workgroups the splits aim to give the weight gradient at the 32-row tile (any tile height: the same splits). */
const DW_TARGET_GROUPS = 64;

/**
 * Splits of the pixels for dW of a (cout, 9 cin) weight: enough workgroups to fill the device, each split
 * at least DW_MIN_SPLIT pixels. Depends on the shape only (never on the tile height), so the sums, and
 * their bits, are the same whichever tile the autotune picks.
 */
export function dwSplits(pixels: number, cin: number, cout: number): number {
  const tiles = ceilDiv(cout, 32) * ceilDiv(9 * cin, 64);
  return Math.max(1, Math.min(ceilDiv(DW_TARGET_GROUPS, tiles), Math.floor(pixels / DW_MIN_SPLIT)));
}

export interface ImplicitDwArgs {
  x: Tensor;
  dy: Tensor;
  /** (cout, 9 cin): += dY^T cols. */
  dweight: Tensor;
  /** Scratch of at least splits * cout * 9 cin values (dwSplits; fewer splits when it is smaller). */
  part: Tensor;
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
}

/** dweight += sum over pixels p and taps of dY[p]^T x[p + s_t] (the patch-matrix product dY^T cols). */
export function encodeConv3x3ImplicitDw(batch: Batch, plan: ImplicitDwPlan, a: ImplicitDwArgs): void {
  const op = 'conv3x3 implicit weight gradient';
  const [n, h, w, cin, cout] = convDims(op, a);
  const pixels = n * h * w;
  const cols = 9 * cin;
  const ctx = batch.ctx;
  need(ctx, op, 'x', a.x, pixels * cin);
  need(ctx, op, 'dy', a.dy, pixels * cout);
  need(ctx, op, 'dweight', a.dweight, cout * cols);
  need(ctx, op, 'part', a.part, cout * cols);
  distinct(op, [
    ['x', a.x, 'part', a.part],
    ['dy', a.dy, 'part', a.part],
    ['dweight', a.dweight, 'part', a.part],
  ]);
  const splits = Math.min(dwSplits(pixels, cin, cout), Math.floor(a.part.size / (cout * cols)));
  const split = ceilDiv(pixels, splits);
  const tilesN = ceilDiv(cols, 64);
  const tiles = ceilDiv(cout, plan.rows) * tilesN;
  dispatch(batch, cin % 8 === 0 ? plan.vec4 : plan.pipeline, {
    params: { rows: cout, cols, cin, pixels, h, w, split, splits, tiles_n: tilesN, tiles },
    bindings: [a.dy, a.x, a.part],
    workgroups: grid2d(ctx, tiles * splits, 1),
    flops: 2 * pixels * cout * cols,
    bytes: 4 * (pixels * (cin + cout) + splits * cout * cols),
  });
  dispatch(batch, plan.reduce, {
    params: { cols: cout * cols, blocks: splits },
    bindings: [a.part, a.dweight],
    workgroups: grid2d(ctx, cout * cols, NN_LOOP_WG),
    flops: splits * cout * cols,
    bytes: 4 * (splits + 2) * cout * cols,
  });
}
