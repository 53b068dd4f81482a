// Exact quantities of a known Gaussian mixture on the host in float64 (the truth the gmm experiments
// score against): per-component log densities of clean data.
import { symmetricEigen } from '../kernels/eigh-cpu.js';
import type { GmmParams } from '../models/gmm-model.js';

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
