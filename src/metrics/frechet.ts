// Fréchet distance between two Gaussians fitted to samples (Heusel et al. 2017; Dowson & Landau 1982):
//   FD = ||mu1 - mu2||² + tr(S1 + S2 - 2 (S1^{1/2} S2 S1^{1/2})^{1/2}).
// Means and covariances (ddof = 1, as numpy.cov) come from the GPU's streamed moments (float64 state);
// the rest is float64 host maths in the symmetric form: with S1 = V^T diag(l) V (eigenvectors as rows of V),
// S1^{1/2} S2 S1^{1/2} = V^T (L^{1/2} V S2 V^T L^{1/2}) V is an orthogonal similarity, so its square root's
// trace is sum_i sqrt(m_i) over the eigenvalues m_i of the r x r matrix L^{1/2} (V S2 V^T) L^{1/2}
// restricted to the r eigenvalues l_i > 0. No non-symmetric square root is taken.
// Clamp: eigenvalues of S1 and of that product below 0 are rounding of positive semi-definite matrices
// and are set to 0 (those more negative than -PSD_CLAMP times the largest |eigenvalue|, and negative
// variances of S2, are an Error: the input is not a covariance); FD itself is clamped at 0.
import { checkFinite, checkMatrix } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { symmetricEigen } from '../linalg/eigh-cpu.js';
import { moments, momentState, type MomentState } from '../kernels/moments.js';
import type { PlanOptions } from '../kernels/matmul.js';

/**
 * Relative size (to the largest |eigenvalue|) of a negative eigenvalue still taken as rounding of a
 * semi-definite matrix: GPU covariances of f32 data carry entry errors up to ~1e-5 of the largest
 * variance, so rank-deficient ones (N <= D) show negative eigenvalues of that order.
 */
export const PSD_CLAMP = 1e-3;

/** A Gaussian fitted to samples (or given exactly): mean (D) and covariance (D, D) row-major, float64. */
export interface GaussianMoments {
  /** Number of samples behind the fit (0 for exact moments). */
  count: number;
  dim: number;
  mean: Float64Array;
  cov: Float64Array;
}

export interface MomentsOptions {
  /** Rows per streamed chunk (default: as many as fit one storage binding). */
  chunkRows?: number;
  plan?: PlanOptions;
}

/** Sample mean and covariance (ddof = 1) of x (N, D) row-major f32, N >= 2, on the GPU. */
export async function sampleMoments(
  ctx: Context,
  x: Float32Array,
  shape: readonly number[],
  opts: MomentsOptions = {},
  what = 'sampleMoments: x',
): Promise<GaussianMoments> {
  const [n, d] = checkMatrix(what, x, shape);
  checkFinite(what, x, d);
  if (n < 2) throw new Error(`${what}: a covariance needs at least 2 samples, got ${n}`);
  const [c] = await moments(ctx, x, null, [n, d], {
    classes: 1,
    covariance: 'covariance',
    chunkRows: opts.chunkRows,
    plan: opts.plan,
  });
  return { count: n, dim: d, mean: c!.mean!, cov: c!.cov! };
}

/** The mergeable state of sampleMoments, for data that arrives in batches (merge with opts.state). */
export async function sampleMomentState(
  ctx: Context,
  x: Float32Array,
  shape: readonly number[],
  state?: MomentState,
  opts: MomentsOptions = {},
  what = 'x',
): Promise<MomentState> {
  const [, d] = checkMatrix(what, x, shape);
  checkFinite(what, x, d);
  return momentState(ctx, x, null, shape, { classes: 1, state, chunkRows: opts.chunkRows, plan: opts.plan });
}

/** Eigenvalues of a symmetric matrix clamped at 0, or an Error naming `what` when clearly indefinite. */
function clampedEigen(a: Float64Array, n: number, vectors: boolean, what: string) {
  const e = symmetricEigen(a, n, { vectors });
  const top = Math.max(Math.abs(e.values[0]!), Math.abs(e.values[n - 1]!));
  for (let i = 0; i < n; i++) {
    const v = e.values[i]!;
    if (v < -PSD_CLAMP * top)
      throw new Error(`${what} is not positive semi-definite: eigenvalue ${v} (largest |eigenvalue| ${top})`);
    if (v < 0) e.values[i] = 0;
  }
  return e;
}

function checkGaussian(name: string, g: { mean: ArrayLike<number>; cov: ArrayLike<number> }, d: number): void {
  if (g.mean.length !== d)
    throw new Error(`frechetFromMoments: ${name}.mean has ${g.mean.length} entries, expected D = ${d}`);
  if (g.cov.length !== d * d)
    throw new Error(`frechetFromMoments: ${name}.cov has ${g.cov.length} entries, expected D * D = ${d * d}`);
  checkFinite(`frechetFromMoments: ${name}.mean`, g.mean, d);
  checkFinite(`frechetFromMoments: ${name}.cov`, g.cov, d);
}

/** FD between N(a.mean, a.cov) and N(b.mean, b.cov), D from a.mean; float64, symmetric form (header). */
export function frechetFromMoments(
  a: { mean: ArrayLike<number>; cov: ArrayLike<number> },
  b: { mean: ArrayLike<number>; cov: ArrayLike<number> },
): number {
  const d = a.mean.length;
  if (d < 1) throw new Error('frechetFromMoments: a.mean is empty');
  checkGaussian('a', a, d);
  if (b.mean.length !== d)
    throw new Error(`frechetFromMoments: dimensions differ: a has D = ${d}, b has D = ${b.mean.length}`);
  checkGaussian('b', b, d);
  let dist = 0;
  let trace = 0;
  for (let i = 0; i < d; i++) {
    dist += (a.mean[i]! - b.mean[i]!) ** 2;
    trace += a.cov[i * d + i]! + b.cov[i * d + i]!;
  }
  const s1 = Float64Array.from(a.cov);
  const s2 = Float64Array.from(
    { length: d * d },
    (_, i) => 0.5 * (b.cov[i]! + b.cov[(i % d) * d + Math.floor(i / d)]!),
  );
  for (let i = 0; i < d; i++) {
    if (s2[i * d + i]! < -PSD_CLAMP * Math.abs(trace))
      throw new Error(`frechetFromMoments: b.cov has a negative variance ${s2[i * d + i]} at [${i}, ${i}]`);
  }
  const { values: l, vectors: v } = clampedEigen(s1, d, true, 'frechetFromMoments: a.cov');
  // Rows of V with l_i > 0 (values are descending): W = V_r S2 (r, D), then P = W V_r^T (r, r).
  let r = 0;
  while (r < d && l[r]! > 0) r++;
  let sqrtTrace = 0;
  if (r > 0) {
    const w = new Float64Array(r * d);
    for (let i = 0; i < r; i++) {
      const wi = w.subarray(i * d, (i + 1) * d);
      for (let k = 0; k < d; k++) {
        const vik = v![i * d + k]!;
        if (vik === 0) continue;
        const row = s2.subarray(k * d, (k + 1) * d);
        for (let j = 0; j < d; j++) wi[j]! += vik * row[j]!;
      }
    }
    const p = new Float64Array(r * r);
    for (let i = 0; i < r; i++) {
      const wi = w.subarray(i * d, (i + 1) * d);
      for (let j = 0; j <= i; j++) {
        const vj = v!.subarray(j * d, (j + 1) * d);
        let s = 0;
        for (let k = 0; k < d; k++) s += wi[k]! * vj[k]!;
        const x = Math.sqrt(l[i]! * l[j]!) * s;
        p[i * r + j] = x;
        p[j * r + i] = x;
      }
    }
    const m = clampedEigen(p, r, false, 'frechetFromMoments: S1^{1/2} S2 S1^{1/2}').values;
    for (let i = 0; i < r; i++) sqrtTrace += Math.sqrt(m[i]!);
  }
  return Math.max(0, dist + trace - 2 * sqrtTrace);
}

/** Checks two sample sets (N1, D) and (N2, D) and returns D. */
export function checkPair(
  name: string,
  a: Float32Array,
  aShape: readonly number[],
  b: Float32Array,
  bShape: readonly number[],
  names: [string, string] = ['real', 'fake'],
): number {
  const [, da] = checkMatrix(`${name}: ${names[0]}`, a, aShape);
  const [, db] = checkMatrix(`${name}: ${names[1]}`, b, bShape);
  if (da !== db)
    throw new Error(`${name}: dimension mismatch: ${names[0]} has D = ${da} columns, ${names[1]} has D = ${db}`);
  checkFinite(`${name}: ${names[0]}`, a, da);
  checkFinite(`${name}: ${names[1]}`, b, db);
  return da;
}

/** FD between Gaussians fitted (on the GPU) to real (N1, D) and fake (N2, D), in the data's own space. */
export async function frechetDistance(
  ctx: Context,
  real: Float32Array,
  realShape: readonly number[],
  fake: Float32Array,
  fakeShape: readonly number[],
  opts: MomentsOptions = {},
): Promise<number> {
  checkPair('frechetDistance', real, realShape, fake, fakeShape);
  const a = await sampleMoments(ctx, real, realShape, opts, 'frechetDistance: real');
  const b = await sampleMoments(ctx, fake, fakeShape, opts, 'frechetDistance: fake');
  return frechetFromMoments(a, b);
}
