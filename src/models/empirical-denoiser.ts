// Empirical optimal denoiser of a finite training set Y (M, D) (DESIGN.md §3, §6): the exact posterior mean
// when the data distribution is the empirical one, x0_hat(x_t) = sum_j w_j y_j with
// w = softmax_j(-||x_t - sqrt(abar) y_j||^2 / (2 (1 - abar))), and eps_hat = (x_t - sqrt(abar) x0_hat) /
// sqrt(1 - abar). ||x_t||^2 is the same for every j and cancels, so the logits are (sqrt(abar) x_t . y_j -
// abar ||y_j||^2 / 2) / (1 - abar): x_t . y_j from a GEMM (src/kernels/matmul.ts), ||y_j||^2 precomputed in
// float64. Y streams in chunks (posterior-stream.ts) with an online log-sum-exp (empirical_softmax.wgsl)
// and a second GEMM for the weighted sum, so Y may exceed one storage binding (Fashion-MNIST: 188 MB).
// Rows are stored sorted by class: a class label restricts x0_hat to that class's rows, and chunks break at
// class starts so the class posterior p(c | x_t) = sum_{j in c} w_j costs only per-chunk (max, sum) pairs.
import { checkFinite, checkInt, checkMatrix } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { createTensor, disposeTensor, readback, type Tensor } from '../runtime/tensor.js';
import type { PlanOptions } from '../kernels/matmul.js';
import { empiricalSoftmaxPipeline, encodeEmpiricalSoftmax } from '../kernels/empirical_softmax.js';
import { checkDenoiseArgs, NULL_CLASS, type Denoiser } from './denoiser.js';
import {
  checkXt,
  chunksOf,
  disposeScratch,
  makeSlabs,
  runStream,
  type Scratch,
  type SideOutput,
  type StreamSource,
} from './posterior-stream.js';
import type { Schedule } from '../schedule/schedules.js';

/** Default training rows per streamed chunk. */
export const EMPIRICAL_CHUNK_ROWS = 8192;

export interface EmpiricalDenoiserOptions {
  /** (M) class of each training row, 0..numClasses-1; absent or null: unconditional only. */
  labels?: ArrayLike<number> | null;
  /** Number of classes (default: largest label + 1). A class without rows is refused when asked for. */
  numClasses?: number;
  imageShape?: readonly [number, number, number] | null;
  /** Training rows per streamed chunk (default EMPIRICAL_CHUNK_ROWS). */
  chunkRows?: number;
  /** GEMM build choice (forced build, autotune cache file). */
  gemm?: PlanOptions;
}

export interface EmpiricalDenoiser extends Denoiser {
  readonly kind: 'empirical';
  /** Training rows M. */
  readonly count: number;
  /** (C) training rows per class. */
  readonly classCounts: Int32Array;
}

interface Internal {
  ctx: Context;
  src: StreamSource;
  scratch: Scratch;
  yy: Tensor;
  /** (C + 1) sorted rows of class c are [classStart[c], classStart[c + 1]). */
  classStart: Int32Array;
  disposed: boolean;
}

const internals = new WeakMap<EmpiricalDenoiser, Internal>();

/** Builds the denoiser from training rows y (M, D) row-major f32: sorts them by class and uploads them. */
export function empiricalDenoiser(
  ctx: Context,
  y: Float32Array,
  shape: readonly [number, number],
  schedule: Schedule,
  opts: EmpiricalDenoiserOptions = {},
): EmpiricalDenoiser {
  if (!(y instanceof Float32Array))
    throw new Error(`empirical denoiser: y must be a Float32Array, got ${Object.prototype.toString.call(y)}`);
  const [M, D] = checkMatrix('empirical denoiser: y', y, shape);
  checkFinite('empirical denoiser: y', y, D);
  const labels = opts.labels ?? null;
  let C = 0;
  if (labels !== null) {
    if (labels.length !== M) throw new Error(`empirical denoiser: labels has ${labels.length} entries for ${M} rows`);
    for (let j = 0; j < M; j++) {
      const c = labels[j]!;
      if (!Number.isInteger(c) || c < 0)
        throw new Error(`empirical denoiser: labels[${j}] must be an integer >= 0, got ${c}`);
      C = Math.max(C, c + 1);
    }
    if (opts.numClasses !== undefined) {
      checkInt('empirical denoiser: numClasses', opts.numClasses, 1, 2 ** 20);
      if (opts.numClasses < C)
        throw new Error(`empirical denoiser: numClasses ${opts.numClasses} is below a label ${C - 1} + 1`);
      C = opts.numClasses;
    }
  } else if (opts.numClasses !== undefined) {
    throw new Error('empirical denoiser: numClasses needs labels');
  }
  const chunkRows = checkInt('empirical denoiser: chunkRows', opts.chunkRows ?? EMPIRICAL_CHUNK_ROWS, 1, 2 ** 24);
  // Stable counting sort by class; yy in float64 from the f32 values.
  const classStart = new Int32Array(C + 1);
  if (labels !== null) for (let j = 0; j < M; j++) classStart[labels[j]! + 1]!++;
  for (let c = 0; c < C; c++) classStart[c + 1]! += classStart[c]!;
  const next = classStart.slice(0, Math.max(C, 1));
  const sorted = labels === null ? y : new Float32Array(M * D);
  const yy = new Float32Array(M);
  for (let j = 0; j < M; j++) {
    const at = labels === null ? j : next[labels[j]!]!++;
    const row = y.subarray(j * D, (j + 1) * D);
    if (labels !== null) sorted.set(row, at * D);
    let s = 0;
    for (let i = 0; i < D; i++) s += row[i]! * row[i]!;
    yy[at] = s;
  }
  if (M > ctx.limits.maxStorageBufferBindingSize / 4)
    throw new Error(`empirical denoiser: ${M} rows' norms exceed one storage binding`);
  const slabs = makeSlabs(ctx, 'empirical denoiser', sorted, M, 1, D);
  const yyT = createTensor(ctx, [M], { data: yy, label: 'empirical.yy' });
  const breaks = Array.from(classStart.subarray(1, C));
  const src: StreamSource = {
    name: 'empirical denoiser',
    dim: D,
    rowsPerUnit: 1,
    slabs,
    range: (label) => {
      if (label === NULL_CLASS) return [0, M];
      const r: [number, number] = [classStart[label]!, classStart[label + 1]!];
      if (r[0] === r[1]) throw new Error(`empirical denoiser: class ${label} has no training rows`);
      return r;
    },
    breaks,
    chunkUnits: chunkRows,
    gemm: opts.gemm ?? {},
  };
  let st: Internal;
  const d: EmpiricalDenoiser = {
    kind: 'empirical',
    dim: D,
    imageShape: opts.imageShape ?? null,
    numClasses: C,
    schedule,
    count: M,
    classCounts: Int32Array.from({ length: C }, (_, c) => classStart[c + 1]! - classStart[c]!),
    predictEps: (c, xt, n, step, classes) => run(d, c, xt, n, step, classes, 'eps', null),
    dispose: () => {
      if (st.disposed) return;
      st.disposed = true;
      for (const s of slabs) disposeTensor(s.v);
      disposeTensor(yyT);
      disposeScratch(st.scratch);
    },
  };
  st = { ctx, src, scratch: new Map(), yy: yyT, classStart, disposed: false };
  internals.set(d, st);
  return d;
}

async function run(
  d: EmpiricalDenoiser,
  ctx: Context,
  xt: Tensor,
  n: number,
  step: number,
  classes: Int32Array | null,
  output: 'eps' | 'x0',
  side: SideOutput | null,
): Promise<Tensor> {
  const st = internals.get(d)!;
  checkXt('empirical', ctx === st.ctx, st.disposed, xt, n, d.dim);
  checkDenoiseArgs(d, n, step, classes);
  const abar = d.schedule.alphasCumprod[step - 1]!;
  const s2 = 1 - abar;
  if (!(s2 > 0)) throw new Error(`empirical denoiser: abar = ${abar} at step ${step}; the softmax needs abar < 1`);
  const a = Math.sqrt(abar);
  const p = await empiricalSoftmaxPipeline(ctx);
  const [cx, cacc] = output === 'eps' ? [1 / Math.sqrt(s2), -a / Math.sqrt(s2)] : [0, 1];
  return runStream(ctx, st.src, st.scratch, {
    xt,
    n,
    classes,
    cx,
    cacc,
    ...(side ? { side } : {}),
    weights: (batch, w) =>
      encodeEmpiricalSoftmax(batch, p, {
        scores: w.scores,
        ld: w.ld,
        rows: w.rows,
        cols: w.chunk.units,
        yy: st.yy,
        yOffset: w.chunk.unit,
        state: w.state,
        acc: w.acc,
        d: d.dim,
        first: w.first,
        coefDot: a / s2,
        coefSq: abar / (2 * s2),
        stats: w.side ? { tensor: w.side.tensor, ld: w.side.ld, col: w.chunk.index, row: w.side.row } : null,
        dummy: w.dummy,
      }),
  });
}

/** x0_hat (n, D) = sum_j w_j y_j for rows 0..n-1 of x_t (N, D) f32 (class labels as in predictEps); caller disposes. */
export function empiricalX0(
  ctx: Context,
  d: EmpiricalDenoiser,
  xt: Tensor,
  n: number,
  step: number,
  classes: Int32Array | null = null,
): Promise<Tensor> {
  return run(d, ctx, xt, n, step, classes, 'x0', null);
}

/**
 * Class posterior p(c | x_t) = sum_{j in class c} w_j (n, C) float64, with the unconditional weights w, for
 * rows 0..n-1 of x_t (N, D) f32. Each chunk of one class leaves (max, sum) per row; the host combines them.
 */
export async function empiricalClassPosterior(
  ctx: Context,
  d: EmpiricalDenoiser,
  xt: Tensor,
  n: number,
  step: number,
): Promise<Float64Array> {
  const st = internals.get(d)!;
  if (d.numClasses === 0)
    throw new Error('empirical denoiser: the class posterior needs labels (the denoiser is unconditional)');
  const chunks = chunksOf(st.src, 0, d.count);
  const stats = createTensor(ctx, [n, 2 * chunks.length], { label: 'empirical.stats' });
  try {
    disposeTensor(await run(d, ctx, xt, n, step, null, 'x0', { tensor: stats, ld: chunks.length }));
    const s = await readback(ctx, stats);
    const C = d.numClasses;
    const classOfChunk = chunks.map((c) => {
      let k = 0;
      while (st.classStart[k + 1]! <= c.unit) k++;
      return k;
    });
    const out = new Float64Array(n * C);
    const lse = new Float64Array(C);
    for (let i = 0; i < n; i++) {
      lse.fill(-Infinity);
      for (let j = 0; j < chunks.length; j++) {
        const [m, sum] = [s[(i * chunks.length + j) * 2]!, s[(i * chunks.length + j) * 2 + 1]!];
        if (!(sum > 0)) continue;
        const v = m + Math.log(sum);
        const c = classOfChunk[j]!;
        const hi = Math.max(lse[c]!, v);
        lse[c] = hi + Math.log(Math.exp(lse[c]! - hi) + Math.exp(v - hi));
      }
      const top = lse.reduce((x, y) => Math.max(x, y), -Infinity);
      let total = 0;
      for (let c = 0; c < C; c++) total += Math.exp(lse[c]! - top);
      for (let c = 0; c < C; c++) out[i * C + c] = Math.exp(lse[c]! - top) / total;
    }
    return out;
  } finally {
    disposeTensor(stats);
  }
}
