// When does noised data become Gaussian? The D'Agostino-Pearson K² test (scipy's normaltest) of
// x_i = sqrt(abar) x0 + sqrt(1 - abar) eps along the top principal directions of the data and along
// every coordinate, at every step, from one pass over the data: with one noise draw eps per sample,
// the central moments of x_i along a direction are polynomials in (sqrt(abar), sqrt(1 - abar)) of
// the mixed central moments mean(dx^m de^n), m + n <= 4 (normality.ts). Every method tests this
// one-draw sample (the same eps as crn), so the step at which normality is no longer rejected is
// comparable across methods.
import type { Context } from '../runtime/context.js';
import type { Schedule } from '../schedule/schedules.js';
import type { Dataset } from '../data/gmm.js';
import { MIXED_ORDERS, noisedMoments } from '../kernels/mixed_moments.js';
import { STREAM_EPS } from '../kernels/philox_streams.js';
import { centralMomentsOfCombination, k2FromMoments } from './normality.js';
import type { NormalityReport } from '../formats/report-types.js';
import { abarOfStep } from './mergers.js';

/** Orders (m, n) of the mixed moments kept per column: all 2 <= m + n <= 4. */
const ORDERS = MIXED_ORDERS.filter(([m, n]) => m + n >= 2);

/**
 * Mixed central moments per column of x and e (both (N, C) row-major): returns mu[c] as a 5x5 table
 * mu[m][n] = mean((x - mean x)^m (e - mean e)^n) for m + n <= 4 (mu[0][0] = 1, first moments 0).
 */
export function columnMixedMoments(x: ArrayLike<number>, e: ArrayLike<number>, N: number, C: number): number[][][] {
  const mx = new Float64Array(C);
  const me = new Float64Array(C);
  for (let r = 0; r < N; r++) {
    for (let c = 0; c < C; c++) {
      mx[c]! += x[r * C + c]!;
      me[c]! += e[r * C + c]!;
    }
  }
  for (let c = 0; c < C; c++) {
    mx[c]! /= N;
    me[c]! /= N;
  }
  const K = ORDERS.length;
  const acc = new Float64Array(C * K);
  for (let r = 0; r < N; r++) {
    for (let c = 0; c < C; c++) {
      const dx = x[r * C + c]! - mx[c]!;
      const de = e[r * C + c]! - me[c]!;
      const x2 = dx * dx;
      const e2 = de * de;
      const o = c * K;
      // ORDERS: (2,0) (1,1) (0,2) (3,0) (2,1) (1,2) (0,3) (4,0) (3,1) (2,2) (1,3) (0,4)
      acc[o]! += x2;
      acc[o + 1]! += dx * de;
      acc[o + 2]! += e2;
      acc[o + 3]! += x2 * dx;
      acc[o + 4]! += x2 * de;
      acc[o + 5]! += dx * e2;
      acc[o + 6]! += e2 * de;
      acc[o + 7]! += x2 * x2;
      acc[o + 8]! += x2 * dx * de;
      acc[o + 9]! += x2 * e2;
      acc[o + 10]! += dx * e2 * de;
      acc[o + 11]! += e2 * e2;
    }
  }
  return Array.from({ length: C }, (_, c) => {
    const mu = Array.from({ length: 5 }, () => new Array<number>(5).fill(0));
    mu[0]![0] = 1;
    ORDERS.forEach(([m, n], k) => {
      mu[m]![n] = acc[c * K + k]! / N;
    });
    return mu;
  });
}

export interface NormalityInput {
  /** Projections of x0 and eps on the top r principal directions, (N, r). */
  px: ArrayLike<number>;
  pe: ArrayLike<number>;
  /**
   * Per coordinate of (x0, eps), (N, D) each, the central mixed moments (columnMixedMoments' tables; on
   * the GPU: noisedMoments in src/kernels/mixed_moments.ts), for the per-coordinate rejected fraction.
   */
  coords: readonly number[][][];
  N: number;
  D: number;
  r: number;
  schedule: Schedule;
  alpha: number;
}

/** K² per step and direction, rejected fraction of coordinates per step, and the normality step. */
export function normalityOverSteps(inp: NormalityInput): { report: NormalityReport; step: number | null } {
  const { N, D, r, schedule, alpha } = inp;
  const dirs = columnMixedMoments(inp.px, inp.pe, N, r);
  const coords = inp.coords;
  if (coords.length !== D) throw new Error(`normalityOverSteps: ${coords.length} coordinates' moments, not D = ${D}`);
  const steps = Array.from({ length: schedule.T + 1 }, (_, i) => i);
  const k2: number[][] = [];
  const pValue: number[][] = [];
  const rejectedFraction: number[] = [];
  let normalityStep: number | null = null;
  for (const step of steps) {
    const a = abarOfStep(schedule, step);
    const al = Math.sqrt(a);
    const be = Math.sqrt(1 - a);
    const row = dirs.map((mu) => {
      const m = centralMomentsOfCombination(al, be, mu);
      return k2FromMoments(N, m.m2, m.m3, m.m4);
    });
    k2.push(row.map((t) => t.k2));
    pValue.push(row.map((t) => t.p));
    // Bonferroni over the r directions: normal when no direction rejects at alpha / r.
    if (normalityStep === null && row.every((t) => t.p > alpha / r)) normalityStep = step;
    let tested = 0;
    let rejected = 0;
    for (const mu of coords) {
      const m = centralMomentsOfCombination(al, be, mu);
      const t = k2FromMoments(N, m.m2, m.m3, m.m4);
      if (Number.isNaN(t.p)) continue; // a constant coordinate (only at step 0) cannot be tested
      tested++;
      if (t.p <= alpha) rejected++;
    }
    rejectedFraction.push(tested > 0 ? rejected / tested : 0);
  }
  return { report: { alpha, directions: r, steps, k2, pValue, rejectedFraction }, step: normalityStep };
}

/** Normality of the one-draw noised data along the top principal directions of the data (none from moments). */
export async function noisedNormality(
  ctx: Context,
  data: Dataset,
  directions: Float64Array,
  o: { seed: number; r: number; schedule: Schedule; alpha: number; fromMoments: boolean },
): Promise<ReturnType<typeof normalityOverSteps>> {
  const { r, alpha, schedule } = o;
  if (o.fromMoments)
    return { step: null, report: { alpha, directions: 0, steps: [], k2: [], pValue: [], rejectedFraction: [] } };
  const [N, D] = data.shape;
  const v = new Float32Array(D * r);
  for (let j = 0; j < r; j++) for (let i = 0; i < D; i++) v[i * r + j] = directions[j * D + i]!;
  const { px, pe, coords } = await noisedMoments(ctx, data.x, N, D, v, r, { seed: o.seed, stream: STREAM_EPS });
  // Directions along which the data do not vary (rank-deficient data: constant columns, D > N - 1) are
  // arbitrary vectors of the null space, and K² of a constant sample is 0 / 0 at step 0: drop them.
  const keep = varyingColumns(px, N, r);
  if (keep.length === r) return normalityOverSteps({ px, pe, coords, N, D, r, schedule, alpha });
  const pick = (a: Float32Array) => {
    const out = new Float32Array(N * keep.length);
    for (let i = 0; i < N; i++) keep.forEach((c, j) => (out[i * keep.length + j] = a[i * r + c]!));
    return out;
  };
  return normalityOverSteps({ px: pick(px), pe: pick(pe), coords, N, D, r: keep.length, schedule, alpha });
}

/** Columns of the (N, r) matrix a whose variance exceeds 1e-6 of the largest (float32 rounding level). */
function varyingColumns(a: Float32Array, N: number, r: number): number[] {
  const mean = new Float64Array(r);
  const sq = new Float64Array(r);
  for (let i = 0; i < N; i++) for (let c = 0; c < r; c++) mean[c]! += a[i * r + c]!;
  for (let c = 0; c < r; c++) mean[c]! /= N;
  for (let i = 0; i < N; i++)
    for (let c = 0; c < r; c++) {
      const d = a[i * r + c]! - mean[c]!;
      sq[c]! += d * d;
    }
  const top = Math.max(...sq);
  return Array.from({ length: r }, (_, c) => c).filter((c) => sq[c]! > 1e-6 * top);
}
