// Squared distances on the GPU for k-NN metrics: ||a_i - b_j||² = ||a_i||² + ||b_j||² - 2 a_i . b_j, with
// -2 A B^T from the engine's matmul (points stored transposed, so it is the A^T B layout) streamed in
// blocks of rows of A, so that a 10k x 10k problem needs one (rows, N) block at a time; the norms are
// added by the consuming kernel (knn_select.wgsl, prdc_count.wgsl).
// Both sets are centred on the host by one shared shift (the reference set's float64 mean) before the
// f32 upload: distances do not change, and the f32 cancellation error of the expansion, about
// D * 2^-24 * (||a||² + ||b||²), is relative to the spread of the data instead of its offset.
import { checkInt } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { beginBatch, submit, sync, type Batch } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback, type Tensor } from '../runtime/tensor.js';
import { encodeMatmul, matmulPlan, type GemmPlan, type PlanOptions } from '../kernels/matmul.js';
import { encodeKnnSelect, knnSelectPipeline, KNN_MAX_K } from '../kernels/knn_select.js';

/** Default largest rows of A per distance block (also capped by one storage binding). */
export const DISTANCE_BLOCK_ROWS = 2048;

/**
 * A point set on the GPU: centred points stored transposed, (D, ld) f32 with ld = n rounded up to a
 * multiple of 4 (zero columns after n), so that -2 A B^T is the A^T B product whose vec4 GEMM builds are
 * the fast ones; and their squared norms (n) f32 (also kept on the host).
 */
export interface PointSet {
  n: number;
  d: number;
  ld: number;
  x: Tensor;
  norms: Tensor;
  hostNorms: Float32Array;
}

/** Column means of x (n, D) in float64: the shift both sets are centred by. */
export function columnMeans(x: Float32Array, n: number, d: number): Float64Array {
  const m = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) m[j]! += x[i * d + j]!;
  for (let j = 0; j < d; j++) m[j]! /= n;
  return m;
}

/** Uploads x (n, D) - shift and its squared norms (float64 sums of the centred f32 values, rounded once). */
export function uploadPoints(
  ctx: Context,
  what: string,
  x: Float32Array,
  n: number,
  d: number,
  shift: Float64Array,
): PointSet {
  const ld = Math.ceil(n / 4) * 4;
  if (4 * ld * d > ctx.limits.maxStorageBufferBindingSize) {
    throw new Error(
      `${what}: ${n} x ${d} points (${4 * ld * d} bytes) exceed one storage binding (${ctx.limits.maxStorageBufferBindingSize} bytes); use fewer samples`,
    );
  }
  const c = new Float32Array(ld * d);
  const norms = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < d; j++) {
      const v = Math.fround(x[i * d + j]! - shift[j]!);
      c[j * ld + i] = v;
      s += v * v;
    }
    norms[i] = s;
  }
  return {
    n,
    d,
    ld,
    x: createTensor(ctx, [d, ld], { data: c, label: `${what}.points` }),
    norms: createTensor(ctx, [n], { data: norms, label: `${what}.norms` }),
    hostNorms: norms,
  };
}

export function disposePoints(p: PointSet): void {
  disposeTensor(p.x);
  disposeTensor(p.norms);
}

/**
 * Rows of A per block so that the (rows, cols) block fits one storage binding; a multiple of 4 when the
 * block is left to the default (block offsets then keep the vec4 GEMM builds eligible).
 */
export function blockRows(ctx: Context, rows: number, cols: number, requested?: number): number {
  const fit = Math.floor(ctx.limits.maxStorageBufferBindingSize / (4 * Math.max(cols, 1)));
  if (fit < 1) throw new Error(`distance block: one row of ${cols} distances exceeds one storage binding`);
  if (requested !== undefined) return Math.max(1, Math.min(rows, checkInt('rowBlock', requested, 1, 2 ** 31 - 1), fit));
  const b = Math.min(rows, DISTANCE_BLOCK_ROWS, fit);
  return b >= rows || b < 4 ? Math.max(1, b) : b - (b % 4);
}

export interface DistancePlan {
  plan: GemmPlan;
  rows: number;
  c: Tensor;
}

/** A distance-block buffer and the matmul plan for blocks of A (rows of `a`) against all of `b`. */
export async function distancePlan(
  ctx: Context,
  a: PointSet,
  b: PointSet,
  rowBlock: number | undefined,
  opts: PlanOptions | undefined,
  label: string,
): Promise<DistancePlan> {
  const rows = blockRows(ctx, a.n, b.n, rowBlock);
  const plan = await matmulPlan(ctx, { m: rows, n: b.n, k: a.d, transA: true }, opts);
  return { plan, rows, c: createTensor(ctx, [rows, b.n], { label: `${label}.block` }) };
}

/** Encodes c = -2 A[r0 : r0 + rows] B^T (from the transposed storage: op(A) = A^T) into the plan's block buffer. */
export function encodeDistanceBlock(
  batch: Batch,
  dp: DistancePlan,
  a: PointSet,
  b: PointSet,
  r0: number,
  rows: number,
): void {
  encodeMatmul(batch, dp.plan, {
    a: a.x,
    b: b.x,
    c: dp.c,
    m: rows,
    n: b.n,
    k: a.d,
    transA: true,
    alpha: -2,
    offsetA: r0,
    lda: a.ld,
    ldb: b.ld,
  });
}

export interface KnnOptions {
  /** Rows per distance block (default DISTANCE_BLOCK_ROWS, capped by one storage binding). */
  rowBlock?: number;
  plan?: PlanOptions;
}

/**
 * Squared distance from each point of `a` to its k-th nearest point of `b` (excluding itself when a and b
 * are the same set: `self`), as (a.n) f32 on the GPU (caller disposes).
 */
export async function kthNeighbourSq(
  ctx: Context,
  a: PointSet,
  b: PointSet,
  k: number,
  self: boolean,
  opts: KnnOptions = {},
  label = 'knn',
): Promise<Tensor> {
  checkInt(`${label}: k`, k, 1, KNN_MAX_K);
  if (k > b.n - (self ? 1 : 0))
    throw new Error(`${label}: k = ${k} needs more than ${b.n - (self ? 1 : 0)} other points`);
  const out = createTensor(ctx, [a.n], { label: `${label}.radii` });
  const p = await knnSelectPipeline(ctx);
  const dp = await distancePlan(ctx, a, b, opts.rowBlock, opts.plan, label);
  try {
    const batch = beginBatch(ctx, label);
    for (let r0 = 0; r0 < a.n; r0 += dp.rows) {
      const rows = Math.min(dp.rows, a.n - r0);
      encodeDistanceBlock(batch, dp, a, b, r0, rows);
      encodeKnnSelect(batch, p, {
        c: dp.c,
        normA: a.norms,
        normB: b.norms,
        out,
        rows,
        cols: b.n,
        k,
        rowOffset: r0,
        excludeSelf: self,
      });
    }
    submit(batch);
    await sync(ctx);
    return out;
  } catch (e) {
    disposeTensor(out);
    throw e;
  } finally {
    disposeTensor(dp.c);
  }
}

/** Squared distance (f32) from each point of p to its k-th nearest other point of p. */
export async function knnRadiiOf(
  ctx: Context,
  p: PointSet,
  k: number,
  opts: KnnOptions = {},
  label = 'knnRadii',
): Promise<Float32Array> {
  const t = await kthNeighbourSq(ctx, p, p, k, true, opts, label);
  try {
    return (await readback(ctx, t)) as Float32Array;
  } finally {
    disposeTensor(t);
  }
}
