// Float64 references for the merger analysis: datasets whose per-class empirical (population)
// covariance is exactly a chosen Sigma_k (up to the final f32 rounding), and brute-force curves of
// the Gaussian closed form C_k(i) = abar_i Sigma_k + (1 - abar_i) I (DESIGN.md §6).
import { symmetricEigen } from '../../src/linalg/eigh-cpu.js';
import { randn } from '../random.js';

/** Lower Cholesky factor L (n, n) of SPD a (row-major), float64. */
export function cholesky(a: ArrayLike<number>, n: number): Float64Array {
  const l = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i * n + j]!;
      for (let k = 0; k < j; k++) s -= l[i * n + k]! * l[j * n + k]!;
      l[i * n + j] = i === j ? Math.sqrt(s) : s / l[j * n + j]!;
    }
  }
  return l;
}

/** A random SPD (D, D) matrix with eigenvalues spread over [lo, hi]: Q diag Q^T with Q from Gram-Schmidt. */
export function randomSpd(D: number, seed: number, lo: number, hi: number): Float64Array {
  const q = randn(D * D, seed);
  for (let i = 0; i < D; i++) {
    for (let j = 0; j < i; j++) {
      let dot = 0;
      for (let k = 0; k < D; k++) dot += q[i * D + k]! * q[j * D + k]!;
      for (let k = 0; k < D; k++) q[i * D + k]! -= dot * q[j * D + k]!;
    }
    let norm = 0;
    for (let k = 0; k < D; k++) norm += q[i * D + k]! ** 2;
    for (let k = 0; k < D; k++) q[i * D + k]! /= Math.sqrt(norm);
  }
  const out = new Float64Array(D * D);
  for (let j = 0; j < D; j++) {
    const l = D === 1 ? hi : lo + ((hi - lo) * j) / (D - 1);
    for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) out[a * D + b]! += l * q[j * D + a]! * q[j * D + b]!;
  }
  return out;
}

/**
 * n rows (n, D) whose mean is mu and whose population covariance (divide by n) is sigma: random
 * rows, centred, whitened exactly (W^T W / n = I via the Cholesky factor of their own covariance),
 * then coloured by sigma's Cholesky factor. Only the f32 rounding of the result is inexact.
 */
export function rowsWithCovariance(
  n: number,
  D: number,
  mu: ArrayLike<number>,
  sigma: ArrayLike<number>,
  seed: number,
): Float64Array {
  const z = randn(n * D, seed);
  const mean = new Float64Array(D);
  for (let r = 0; r < n; r++) for (let c = 0; c < D; c++) mean[c]! += z[r * D + c]! / n;
  for (let r = 0; r < n; r++) for (let c = 0; c < D; c++) z[r * D + c]! -= mean[c]!;
  const s = new Float64Array(D * D);
  for (let r = 0; r < n; r++)
    for (let a = 0; a < D; a++) for (let b = 0; b < D; b++) s[a * D + b]! += (z[r * D + a]! * z[r * D + b]!) / n;
  const ls = cholesky(s, D);
  const lt = cholesky(sigma, D);
  const out = new Float64Array(n * D);
  const w = new Float64Array(D);
  for (let r = 0; r < n; r++) {
    // w = L_s^{-1} z_r (forward substitution), then x = L_t w + mu.
    for (let i = 0; i < D; i++) {
      let v = z[r * D + i]!;
      for (let k = 0; k < i; k++) v -= ls[i * D + k]! * w[k]!;
      w[i] = v / ls[i * D + i]!;
    }
    for (let i = 0; i < D; i++) {
      let v = mu[i]!;
      for (let k = 0; k <= i; k++) v += lt[i * D + k]! * w[k]!;
      out[r * D + i] = v;
    }
  }
  return out;
}

/** Population covariance of a pooled set of classes: sum_k w_k (Sigma_k + (mu_k - mu)(mu_k - mu)^T). */
export function pooledCovariance(
  sigmas: Float64Array[],
  mus: Float64Array[],
  counts: number[],
  D: number,
): Float64Array {
  const n = counts.reduce((a, b) => a + b, 0);
  const mu = new Float64Array(D);
  mus.forEach((m, k) => m.forEach((v, i) => (mu[i]! += (counts[k]! * v) / n)));
  const out = new Float64Array(D * D);
  sigmas.forEach((s, k) => {
    const w = counts[k]! / n;
    for (let a = 0; a < D; a++) {
      for (let b = 0; b < D; b++)
        out[a * D + b]! += w * (s[a * D + b]! + (mus[k]![a]! - mu[a]!) * (mus[k]![b]! - mu[b]!));
    }
  });
  return out;
}

/** Brute force on explicit matrices: C_k(i) = abar Sigma_k + (1 - abar) I, then M, d per abar. */
export function gaussianCurves(
  s1: Float64Array,
  s2: Float64Array,
  D: number,
  abar: ArrayLike<number>,
): { M: Float64Array; d: Float64Array } {
  const M = new Float64Array(abar.length);
  const d = new Float64Array(abar.length);
  for (let q = 0; q < abar.length; q++) {
    const a = abar[q]!;
    const c = (s: Float64Array) => s.map((v, k) => a * v + (Math.floor(k / D) === k % D ? 1 - a : 0));
    const c1 = c(s1);
    const c2 = c(s2);
    let x = 0;
    let n1 = 0;
    let n2 = 0;
    for (let k = 0; k < D * D; k++) {
      x += c1[k]! * c2[k]!;
      n1 += c1[k]! ** 2;
      n2 += c2[k]! ** 2;
    }
    M[q] = Math.abs(x) / Math.sqrt(n1 * n2);
    const l1 = symmetricEigen(c1, D).values;
    const l2 = symmetricEigen(c2, D).values;
    d[q] = Math.max(...Array.from(l1, (v, j) => Math.abs(v - l2[j]!)));
  }
  return { M, d };
}
