// Exact quantities of a known Gaussian mixture on the host in float64 (the truth the gmm experiments
// score against): per-component log densities of clean data.
import { symmetricEigen } from '../kernels/eigh-cpu.js';
import type { GmmParams } from '../models/gmm-model.js';
import { frechetFromMoments } from '../metrics/frechet.js';

/** log N(x_i; mu_k, Sigma_k) (n, K) for rows x (n, D), from each covariance's eigendecomposition. */
export function gmmLogLikelihoods(p: GmmParams, x: ArrayLike<number>, n: number): Float64Array {
  const { K, D } = p;
  const out = new Float64Array(n * K);
  for (let k = 0; k < K; k++) {
    const cov = Array.from({ length: D * D }, (_, i) => p.covs[k * D * D + i]!);
    const { values, vectors } = symmetricEigen(cov, D, { vectors: true });
    let logdet = 0;
    for (let j = 0; j < D; j++) logdet += Math.log(values[j]!);
    for (let i = 0; i < n; i++) {
      let q = 0;
      for (let j = 0; j < D; j++) {
        let z = 0;
        for (let c = 0; c < D; c++) z += vectors![j * D + c]! * (x[i * D + c]! - p.means[k * D + c]!);
        q += (z * z) / values[j]!;
      }
      out[i * K + k] = -0.5 * (q + logdet + D * Math.log(2 * Math.PI));
    }
  }
  return out;
}

/**
 * Per-component Fréchet distance to a known mixture, sensitive to the mixture's structure (a single
 * Gaussian with the right overall mean and covariance scores well on the plain FD but not here):
 * sum_k pi_k FD(N(m_k, C_k), N(mu_k, Sigma_k)), where m_k, C_k are the sample moments weighted by the
 * responsibilities r_ik = p(k | x_i) under the truth. A component that receives less than two samples
 * worth of responsibility has its weighted moments
 * replaced by (mu_k, 0), which costs tr(Sigma_k).
 */
export function componentFrechet(p: GmmParams, x: ArrayLike<number>, n: number): { fd: number; perComponent: number[] } {
  const { K, D } = p;
  const ll = gmmLogLikelihoods(p, x, n);
  let wsum = 0;
  for (let k = 0; k < K; k++) wsum += p.weights[k]!;
  const r = new Float64Array(n * K);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, Math.log(p.weights[k]! / wsum) + ll[i * K + k]!);
    let z = 0;
    for (let k = 0; k < K; k++) z += (r[i * K + k] = Math.exp(Math.log(p.weights[k]! / wsum) + ll[i * K + k]! - m));
    for (let k = 0; k < K; k++) r[i * K + k]! /= z;
  }
  const perComponent: number[] = [];
  let fd = 0;
  for (let k = 0; k < K; k++) {
    let w = 0;
    const mean = new Float64Array(D);
    for (let i = 0; i < n; i++) {
      const q = r[i * K + k]!;
      w += q;
      for (let c = 0; c < D; c++) mean[c]! += q * x[i * D + c]!;
    }
    const truth = { mean: Float64Array.from({ length: D }, (_, c) => p.means[k * D + c]!), cov: Float64Array.from({ length: D * D }, (_, j) => p.covs[k * D * D + j]!) };
    let est: { mean: Float64Array; cov: Float64Array };
    if (w < 2) {
      est = { mean: truth.mean, cov: new Float64Array(D * D) };
    } else {
      for (let c = 0; c < D; c++) mean[c]! /= w;
      const cov = new Float64Array(D * D);
      for (let i = 0; i < n; i++) {
        const q = r[i * K + k]!;
        if (q === 0) continue;
        for (let a = 0; a < D; a++) {
          const da = q * (x[i * D + a]! - mean[a]!);
          for (let b = a; b < D; b++) cov[a * D + b]! += da * (x[i * D + b]! - mean[b]!);
        }
      }
      for (let a = 0; a < D; a++) for (let b = a; b < D; b++) cov[b * D + a] = cov[a * D + b]! /= w;
      est = { mean, cov };
    }
    const f = frechetFromMoments(est, truth);
    perComponent.push(f);
    fd += (p.weights[k]! / wsum) * f;
  }
  return { fd, perComponent };
}
