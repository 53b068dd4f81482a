// Exact quantities of a known Gaussian mixture on the host in float64 (the truth the gmm experiments
// score against): per-component log densities of clean data.
import type { GmmParams } from '../models/gmm-model.js';
import { frechetFromMoments } from '../metrics/frechet.js';
import { mixtureLogDensities } from '../metrics/gmm-exact.js';

/** log N(x_i; mu_k, Sigma_k) (n, K) for rows x (n, D): the metrics' Cholesky densities without log pi_k. */
export function gmmLogLikelihoods(p: GmmParams, x: ArrayLike<number>, n: number): Float64Array {
  const out = mixtureLogDensities(p, x, n);
  let wsum = 0;
  for (let k = 0; k < p.K; k++) wsum += p.weights[k]!;
  for (let i = 0; i < n; i++) for (let k = 0; k < p.K; k++) out[i * p.K + k]! -= Math.log(p.weights[k]! / wsum);
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
export function componentFrechet(
  p: GmmParams,
  x: ArrayLike<number>,
  n: number,
): { fd: number; perComponent: number[] } {
  const { K, D } = p;
  let wsum = 0;
  for (let k = 0; k < K; k++) wsum += p.weights[k]!;
  // Responsibilities r_ik = softmax_k(log pi_k + log N(x_i; mu_k, Sigma_k)).
  const r = mixtureLogDensities(p, x, n);
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, r[i * K + k]!);
    let z = 0;
    for (let k = 0; k < K; k++) z += r[i * K + k] = Math.exp(r[i * K + k]! - m);
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
    const truth = {
      mean: Float64Array.from({ length: D }, (_, c) => p.means[k * D + c]!),
      cov: Float64Array.from({ length: D * D }, (_, j) => p.covs[k * D * D + j]!),
    };
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
