// Precision, recall, density and coverage (Naeem, Oh, Uh, Choi & Yoo 2020, "Reliable fidelity and
// diversity metrics for generative models"), with real points X_i (N) and fake points Y_j (M), r_i the
// distance from X_i to its k-th nearest other real point and s_j that of Y_j among the fake points:
//   precision = (1/M) sum_j 1[exists i: ||Y_j - X_i|| < r_i]
//   recall    = (1/N) sum_i 1[exists j: ||X_i - Y_j|| < s_j]
//   density   = (1/(k M)) sum_j sum_i 1[||Y_j - X_i|| < r_i]
//   coverage  = (1/N) sum_i 1[exists j: ||X_i - Y_j|| < r_i]     (min_j ||X_i - Y_j|| < r_i)
// Strict inequalities as the authors' reference code, so identical sets give density exactly 1 when no
// distances tie. On the GPU: radii from knn_select.wgsl over streamed distance blocks (knn.ts), then one
// pass of fake-row blocks against all real points with prdc_count.wgsl; the host sums counts and flags.
import { checkFinite, checkInt, checkMatrix } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { beginBatch, submit } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback, type Tensor } from '../runtime/tensor.js';
import { KNN_MAX_K } from '../kernels/knn_select.js';
import { COVERED_FLAG, encodePrdcCount, prdcCountPipeline, RECALLED_FLAG } from '../kernels/prdc_count.js';
import { checkPair } from './frechet.js';
import {
  columnMeans,
  disposePoints,
  distancePlan,
  encodeDistanceBlock,
  knnRadiiOf,
  uploadPoints,
  type KnnOptions,
  type PointSet,
} from './knn.js';

/** Default neighbourhood size (Naeem et al. 2020). */
export const PRDC_K = 5;

export interface PrdcOptions extends KnnOptions {
  /** Neighbours k in [1, KNN_MAX_K] (default PRDC_K); each set needs more than k points. */
  k?: number;
  /**
   * The real points' k-NN radii from an earlier knnRadii(real) or prdc(real, ...) with the same k, to skip
   * the N x N pass when one real set is compared with many fake sets (same results: same centring).
   */
  realRadii?: Float64Array;
}

export interface PrdcResult {
  precision: number;
  recall: number;
  density: number;
  coverage: number;
  k: number;
  /** k-NN radii r_i of the real points (N) and s_j of the fake points (M): Euclidean distances. */
  realRadii: Float64Array;
  fakeRadii: Float64Array;
}

function checkK(name: string, k: number, n: number, set: string): number {
  checkInt(`${name}: k`, k, 1, KNN_MAX_K);
  if (k >= n)
    throw new Error(
      `${name}: k = ${k} must be less than the number of ${set} samples (${n}): each point needs k other points`,
    );
  return k;
}

const sqrt64 = (sq: Float32Array) => Float64Array.from(sq, (v) => Math.sqrt(v));

/** Distance from each row of x (N, D) row-major f32 to its k-th nearest other row (GPU). */
export async function knnRadii(
  ctx: Context,
  x: Float32Array,
  shape: readonly number[],
  opts: PrdcOptions = {},
): Promise<Float64Array> {
  const [n, d] = checkMatrix('knnRadii: x', x, shape);
  checkFinite('knnRadii: x', x, d);
  const k = checkK('knnRadii', opts.k ?? PRDC_K, n, 'x');
  const p = uploadPoints(ctx, 'knnRadii', x, n, d, columnMeans(x, n, d));
  try {
    return sqrt64(await knnRadiiOf(ctx, p, k, opts, 'knnRadii'));
  } finally {
    disposePoints(p);
  }
}

/** Squared radii (f32, as the GPU computed them: sqrt then square restores the f32 value) from given radii. */
function givenRadii(r: Float64Array, n: number): Float32Array {
  if (r.length !== n) throw new Error(`prdc: realRadii has ${r.length} entries, expected one per real sample (${n})`);
  return Float32Array.from(r, (v, i) => {
    if (!(Number.isFinite(v) && v >= 0)) throw new Error(`prdc: realRadii[${i}] must be finite and >= 0, got ${v}`);
    return v * v;
  });
}

/** Interleaves (squared norm, squared radius) per point for prdc_count.wgsl. */
function normsAndRadii(ctx: Context, p: PointSet, r2: Float32Array, label: string): Tensor {
  const v = new Float32Array(2 * p.n);
  for (let i = 0; i < p.n; i++) {
    v[2 * i] = p.hostNorms[i]!;
    v[2 * i + 1] = r2[i]!;
  }
  return createTensor(ctx, [p.n, 2], { data: v, label });
}

/** Precision, recall, density and coverage of fake (M, D) against real (N, D), row-major f32 (header). */
export async function prdc(
  ctx: Context,
  real: Float32Array,
  realShape: readonly number[],
  fake: Float32Array,
  fakeShape: readonly number[],
  opts: PrdcOptions = {},
): Promise<PrdcResult> {
  const d = checkPair('prdc', real, realShape, fake, fakeShape);
  const N = realShape[0]!;
  const M = fakeShape[0]!;
  const k = opts.k ?? PRDC_K;
  checkK('prdc', k, N, 'real');
  checkK('prdc', k, M, 'fake');
  const shift = columnMeans(real, N, d);
  const made: Tensor[] = [];
  const R = uploadPoints(ctx, 'prdc.real', real, N, d, shift);
  let F: PointSet | null = null;
  try {
    F = uploadPoints(ctx, 'prdc.fake', fake, M, d, shift);
    const r2 = opts.realRadii ? givenRadii(opts.realRadii, N) : await knnRadiiOf(ctx, R, k, opts, 'prdc.real');
    const s2 = await knnRadiiOf(ctx, F, k, opts, 'prdc.fake');
    const realT = normsAndRadii(ctx, R, r2, 'prdc.real.radii');
    made.push(realT);
    const fakeT = normsAndRadii(ctx, F, s2, 'prdc.fake.radii');
    made.push(fakeT);
    const counts = createTensor(ctx, [M], { dtype: 'u32', label: 'prdc.counts' });
    made.push(counts);
    const flags = createTensor(ctx, [N], { dtype: 'u32', data: new Uint32Array(N), label: 'prdc.flags' });
    made.push(flags);
    const p = await prdcCountPipeline(ctx);
    const dp = await distancePlan(ctx, F, R, opts.rowBlock, opts.plan, 'prdc.cross');
    made.push(dp.c);
    const batch = beginBatch(ctx, 'prdc');
    for (let r0 = 0; r0 < M; r0 += dp.rows) {
      const rows = Math.min(dp.rows, M - r0);
      encodeDistanceBlock(batch, dp, F, R, r0, rows);
      encodePrdcCount(batch, p, { c: dp.c, fake: fakeT, real: realT, counts, flags, rows, cols: N, rowOffset: r0 });
    }
    submit(batch);
    const cnt = (await readback(ctx, counts)) as Uint32Array;
    const flg = (await readback(ctx, flags)) as Uint32Array;
    let inside = 0;
    let total = 0;
    for (let j = 0; j < M; j++) {
      total += cnt[j]!;
      if (cnt[j]! > 0) inside++;
    }
    let covered = 0;
    let recalled = 0;
    for (let i = 0; i < N; i++) {
      if (flg[i]! & COVERED_FLAG) covered++;
      if (flg[i]! & RECALLED_FLAG) recalled++;
    }
    return {
      precision: inside / M,
      recall: recalled / N,
      density: total / (k * M),
      coverage: covered / N,
      k,
      realRadii: sqrt64(r2),
      fakeRadii: sqrt64(s2),
    };
  } finally {
    disposePoints(R);
    if (F) disposePoints(F);
    for (const t of made) disposeTensor(t);
  }
}
