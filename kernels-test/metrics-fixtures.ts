// Inputs for the metrics tests: random mixtures and seeded draws from them (component labels kept),
// Gaussian sample sets, and point sets whose sample mean and covariance are known exactly.
import type { GmmParams } from '../src/models/gmm-model.js';
import { gaussian, rng } from './random.js';

/** K components in D dimensions: means of norm ~ sep, covariances A A^T / D + 0.1 I, weights 1..K. */
export function mixture(K: number, D: number, seed: number, sep = 3): GmmParams {
  const g = gaussian(seed);
  const covs = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) {
    const A = Float64Array.from({ length: D * D }, () => g());
    for (let i = 0; i < D; i++) {
      for (let j = 0; j < D; j++) {
        let s = i === j ? 0.1 : 0;
        for (let r = 0; r < D; r++) s += (A[i * D + r]! * A[j * D + r]!) / D;
        covs[(k * D + i) * D + j] = s;
      }
    }
  }
  const means = Float64Array.from({ length: K * D }, () => (sep * g()) / Math.sqrt(D));
  return { K, D, means, covs, weights: Float64Array.from({ length: K }, (_, k) => k + 1) };
}

/** n draws (f32) from the mixture with their component labels: x = mu_k + L_k z (Cholesky in float64). */
export function sampleMixture(
  p: GmmParams,
  n: number,
  seed: number,
  weights: ArrayLike<number> = p.weights,
): { x: Float32Array; labels: Int32Array } {
  const { K, D } = p;
  const chol = Array.from({ length: K }, (_, k) => {
    const l = new Float64Array(D * D);
    for (let j = 0; j < D; j++) {
      let s = p.covs[k * D * D + j * D + j]!;
      for (let q = 0; q < j; q++) s -= l[j * D + q]! ** 2;
      l[j * D + j] = Math.sqrt(s);
      for (let i = j + 1; i < D; i++) {
        let t = p.covs[k * D * D + i * D + j]!;
        for (let q = 0; q < j; q++) t -= l[i * D + q]! * l[j * D + q]!;
        l[i * D + j] = t / l[j * D + j]!;
      }
    }
    return l;
  });
  const total = Array.from(weights).reduce((a, b) => a + b, 0);
  const u = rng(seed);
  const g = gaussian(seed + 1);
  const x = new Float32Array(n * D);
  const labels = new Int32Array(n);
  const z = new Float64Array(D);
  for (let r = 0; r < n; r++) {
    let t = u() * total;
    let k = 0;
    while (k < K - 1 && t >= weights[k]!) t -= weights[k++]!;
    labels[r] = k;
    for (let i = 0; i < D; i++) z[i] = g();
    for (let i = 0; i < D; i++) {
      let s = p.means[k * D + i]!;
      for (let j = 0; j <= i; j++) s += chol[k]![i * D + j]! * z[j]!;
      x[r * D + i] = s;
    }
  }
  return { x, labels };
}

/** n Gaussian rows (f32) with per-column scales (1 + s d / D) and an offset. */
export function gaussianSet(n: number, D: number, seed: number, offset = 0, spread = 0.5): Float32Array {
  const g = gaussian(seed);
  return Float32Array.from({ length: n * D }, (_, i) => offset + g() * (1 + (spread * (i % D)) / D));
}

/**
 * 2D rows mu ± a_d e_d (give dyadic mu and a so that every value is exact in f32): the sample mean is
 * exactly mu and the sample covariance (ddof = 1) exactly diag(sigma²), sigma_d² = 2 a_d² / (2D - 1),
 * since sum_n (x_n - mu)(x_n - mu)^T = diag(2 a²).
 */
export function designedSet(mu: ArrayLike<number>, a: ArrayLike<number>): { x: Float32Array; sigma: Float64Array } {
  const D = mu.length;
  const x = new Float32Array(2 * D * D);
  for (let r = 0; r < 2 * D; r++) {
    const d = r >> 1;
    const s = r & 1 ? -1 : 1;
    for (let j = 0; j < D; j++) x[r * D + j] = mu[j]! + (j === d ? s * a[j]! : 0);
  }
  return { x, sigma: Float64Array.from(a, (v) => Math.sqrt((2 * v * v) / (2 * D - 1))) };
}
