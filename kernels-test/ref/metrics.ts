// Float64 references for the sample-quality metrics, written from the formulas by other routes than
// src/metrics/: the Fréchet distance with the non-symmetric square root of S1 S2 by the Denman-Beavers
// iteration (tr (S1^{1/2} S2 S1^{1/2})^{1/2} = tr (S1 S2)^{1/2}: similar matrices), k-NN radii and PRDC from
// brute-force direct distances sum_d (a_d - b_d)² with full sorts, Gaussian-mixture densities from a
// Gauss-Jordan inverse and LU determinant, mixture covariance by the law of total covariance, and the
// chi-square tail in closed form for integer degrees of freedom. For singular covariances (N <= D), where
// Denman-Beavers has no inverse, the symmetric form with explicit square roots from Jacobi eigensolves.
import { jacobiEigen } from './eigh.js';
import { normalCdf } from './stats.js';

/** Two-pass mean (D) and covariance (D, D) with ddof = 1 of x (n, D). */
export function meanCovRef(x: ArrayLike<number>, n: number, d: number): { mean: Float64Array; cov: Float64Array } {
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j]! += x[i * d + j]! / n;
  const cov = new Float64Array(d * d);
  for (let i = 0; i < n; i++) {
    for (let a = 0; a < d; a++) {
      const da = x[i * d + a]! - mean[a]!;
      for (let b = 0; b < d; b++) cov[a * d + b]! += (da * (x[i * d + b]! - mean[b]!)) / (n - 1);
    }
  }
  return { mean, cov };
}

function matmulSq(a: Float64Array, b: Float64Array, n: number): Float64Array {
  const c = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let k = 0; k < n; k++) for (let j = 0; j < n; j++) c[i * n + j]! += a[i * n + k]! * b[k * n + j]!;
  return c;
}

/** Inverse of a (n, n) by Gauss-Jordan elimination with partial pivoting; also log |det a|. */
export function inverseRef(a: ArrayLike<number>, n: number): { inv: Float64Array; logAbsDet: number } {
  const m = Float64Array.from(a);
  const inv = new Float64Array(n * n);
  for (let i = 0; i < n; i++) inv[i * n + i] = 1;
  let logAbsDet = 0;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * n + c]!) > Math.abs(m[p * n + c]!)) p = r;
    if (m[p * n + c] === 0) throw new Error('inverseRef: singular matrix');
    for (let j = 0; j < n; j++) {
      [m[c * n + j], m[p * n + j]] = [m[p * n + j]!, m[c * n + j]!];
      [inv[c * n + j], inv[p * n + j]] = [inv[p * n + j]!, inv[c * n + j]!];
    }
    const piv = m[c * n + c]!;
    logAbsDet += Math.log(Math.abs(piv));
    for (let j = 0; j < n; j++) {
      m[c * n + j]! /= piv;
      inv[c * n + j]! /= piv;
    }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * n + c]!;
      if (f === 0) continue;
      for (let j = 0; j < n; j++) {
        m[r * n + j]! -= f * m[c * n + j]!;
        inv[r * n + j]! -= f * inv[c * n + j]!;
      }
    }
  }
  return { inv, logAbsDet };
}

/** sqrt(A) for A with eigenvalues off the closed negative real axis (Denman & Beavers 1976). */
export function sqrtmRef(a: ArrayLike<number>, n: number): Float64Array {
  let y = Float64Array.from(a);
  let z = new Float64Array(n * n);
  for (let i = 0; i < n; i++) z[i * n + i] = 1;
  for (let it = 0; it < 100; it++) {
    const yi = inverseRef(y, n).inv;
    const zi = inverseRef(z, n).inv;
    const y2 = y.map((v, i) => 0.5 * (v + zi[i]!));
    const z2 = z.map((v, i) => 0.5 * (v + yi[i]!));
    let diff = 0;
    let norm = 0;
    for (let i = 0; i < n * n; i++) {
      diff += (y2[i]! - y[i]!) ** 2;
      norm += y2[i]! ** 2;
    }
    y = y2;
    z = z2;
    if (diff <= 1e-28 * norm) break;
  }
  return y;
}

/** ||mu1 - mu2||² + tr S1 + tr S2 - 2 tr sqrt(S1 S2), for positive definite S1, S2. */
export function frechetRef(
  mu1: ArrayLike<number>,
  s1: ArrayLike<number>,
  mu2: ArrayLike<number>,
  s2: ArrayLike<number>,
  d: number,
): number {
  let fd = 0;
  for (let i = 0; i < d; i++) fd += (mu1[i]! - mu2[i]!) ** 2 + s1[i * d + i]! + s2[i * d + i]!;
  const root = sqrtmRef(matmulSq(Float64Array.from(s1), Float64Array.from(s2), d), d);
  for (let i = 0; i < d; i++) fd -= 2 * root[i * d + i]!;
  return fd;
}

/** S^{1/2} = Q diag(sqrt(max(l, 0))) Q^T by the Jacobi method. */
function psdSqrtRef(s: ArrayLike<number>, d: number): Float64Array {
  const { values, vectors } = jacobiEigen(s, d);
  const r = new Float64Array(d * d);
  for (let q = 0; q < d; q++) {
    const w = Math.sqrt(Math.max(values[q]!, 0));
    for (let i = 0; i < d; i++)
      for (let j = 0; j < d; j++) r[i * d + j]! += w * vectors[q * d + i]! * vectors[q * d + j]!;
  }
  return r;
}

/** FD for positive semi-definite S1, S2: tr sqrt(S1^{1/2} S2 S1^{1/2}) from Jacobi eigenvalues, negatives taken as 0. */
export function frechetPsdRef(
  mu1: ArrayLike<number>,
  s1: ArrayLike<number>,
  mu2: ArrayLike<number>,
  s2: ArrayLike<number>,
  d: number,
): number {
  let fd = 0;
  for (let i = 0; i < d; i++) fd += (mu1[i]! - mu2[i]!) ** 2 + s1[i * d + i]! + s2[i * d + i]!;
  const h = psdSqrtRef(s1, d);
  const m = matmulSq(matmulSq(h, Float64Array.from(s2), d), h, d);
  for (const v of jacobiEigen(m, d).values) fd -= 2 * Math.sqrt(Math.max(v, 0));
  return fd;
}

/** Squared Euclidean distance between row i of a and row j of b (both (., D)), summed directly. */
function dist2(a: ArrayLike<number>, i: number, b: ArrayLike<number>, j: number, d: number): number {
  let s = 0;
  for (let q = 0; q < d; q++) s += (a[i * d + q]! - b[j * d + q]!) ** 2;
  return s;
}

/** Squared distance of each row of x (n, D) to its k-th nearest other row (full sort per row). */
export function knnRadiiSqRef(x: ArrayLike<number>, n: number, d: number, k: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => {
    const row: number[] = [];
    for (let j = 0; j < n; j++) if (j !== i) row.push(dist2(x, i, x, j, d));
    row.sort((p, q) => p - q);
    return row[k - 1]!;
  });
}

export interface PrdcRef {
  precision: number;
  recall: number;
  density: number;
  coverage: number;
  realR2: Float64Array;
  fakeR2: Float64Array;
}

/**
 * PRDC (Naeem et al. 2020) by the definitions with strict inequalities; `slack` is added to every squared
 * radius before the comparisons (slack > 0 / < 0 give upper / lower bounds, as every statistic grows with
 * the radii).
 */
export function prdcRef(
  real: ArrayLike<number>,
  fake: ArrayLike<number>,
  N: number,
  M: number,
  d: number,
  k: number,
  slack = 0,
): PrdcRef {
  const realR2 = knnRadiiSqRef(real, N, d, k);
  const fakeR2 = knnRadiiSqRef(fake, M, d, k);
  let precise = 0;
  let inside = 0;
  const covered = new Uint8Array(N);
  const recalled = new Uint8Array(N);
  for (let j = 0; j < M; j++) {
    let any = false;
    for (let i = 0; i < N; i++) {
      const e = dist2(fake, j, real, i, d);
      if (e < realR2[i]! + slack) {
        any = true;
        inside++;
        covered[i] = 1;
      }
      if (e < fakeR2[j]! + slack) recalled[i] = 1;
    }
    if (any) precise++;
  }
  const sum = (a: Uint8Array) => a.reduce((s, v) => s + v, 0);
  return {
    precision: precise / M,
    recall: sum(recalled) / N,
    density: inside / (k * M),
    coverage: sum(covered) / N,
    realR2,
    fakeR2,
  };
}

export interface GmmRefParams {
  K: number;
  D: number;
  means: ArrayLike<number>;
  covs: ArrayLike<number>;
  weights: ArrayLike<number>;
}

/** Mixture mean and covariance: sum_k pi_k Sigma_k + sum_k pi_k (mu_k - mu)(mu_k - mu)^T. */
export function mixtureMomentsRef(p: GmmRefParams): { mean: Float64Array; cov: Float64Array } {
  const { K, D } = p;
  const wsum = Array.from(p.weights).reduce((a, b) => a + b, 0);
  const mean = new Float64Array(D);
  for (let k = 0; k < K; k++) for (let i = 0; i < D; i++) mean[i]! += (p.weights[k]! / wsum) * p.means[k * D + i]!;
  const cov = new Float64Array(D * D);
  for (let k = 0; k < K; k++) {
    const w = p.weights[k]! / wsum;
    for (let i = 0; i < D; i++) {
      for (let j = 0; j < D; j++) {
        cov[i * D + j]! +=
          w * (p.covs[k * D * D + i * D + j]! + (p.means[k * D + i]! - mean[i]!) * (p.means[k * D + j]! - mean[j]!));
      }
    }
  }
  return { mean, cov };
}

/** Per sample log p(x) and responsibilities p(k | x) (n, K) from the Gaussian densities written out. */
export function gmmRef(x: ArrayLike<number>, n: number, p: GmmRefParams): { logp: Float64Array; resp: Float64Array } {
  const { K, D } = p;
  const wsum = Array.from(p.weights).reduce((a, b) => a + b, 0);
  const comps = Array.from({ length: K }, (_, k) =>
    inverseRef(Array.from(p.covs).slice(k * D * D, (k + 1) * D * D), D),
  );
  const logp = new Float64Array(n);
  const resp = new Float64Array(n * K);
  for (let r = 0; r < n; r++) {
    const dens = comps.map(({ inv, logAbsDet }, k) => {
      let q = 0;
      for (let i = 0; i < D; i++)
        for (let j = 0; j < D; j++)
          q += (x[r * D + i]! - p.means[k * D + i]!) * inv[i * D + j]! * (x[r * D + j]! - p.means[k * D + j]!);
      return Math.log(p.weights[k]! / wsum) - 0.5 * q - 0.5 * logAbsDet - 0.5 * D * Math.log(2 * Math.PI);
    });
    const m = Math.max(...dens);
    const total = dens.reduce((s, v) => s + Math.exp(v - m), 0);
    logp[r] = m + Math.log(total);
    dens.forEach((v, k) => (resp[r * K + k] = Math.exp(v - logp[r]!)));
  }
  return { logp, resp };
}

/** P(chi2(dof) > x) for integer dof: Poisson sum (even dof), normal tail plus half-integer terms (odd). */
export function chiSquareSfRef(x: number, dof: number): number {
  const h = x / 2;
  if (dof % 2 === 0) {
    let term = Math.exp(-h);
    let s = term;
    for (let j = 1; 2 * j < dof; j++) {
      term = (term * h) / j;
      s += term;
    }
    return s;
  }
  // Q(1/2 + m, h) = erfc(sqrt h) + e^-h sum_{j=0}^{m-1} h^{j+1/2} / Gamma(j + 3/2).
  let s = 2 * (1 - normalCdf(Math.sqrt(x)));
  let term = (2 * Math.exp(-h) * Math.sqrt(h)) / Math.sqrt(Math.PI);
  for (let j = 0; 2 * j < dof - 1; j++) {
    s += term;
    term = (term * h) / (j + 1.5);
  }
  return s;
}
