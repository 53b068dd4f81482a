// The built-in synthetic dataset: a seeded Gaussian mixture (no download, the default everywhere).
// Class k has mean mu_k (norm `separation`) and a diagonal covariance with a decaying spectrum, so
// classes differ in both mean and fluctuations.

import type { Dataset } from './dataset.js';

export type { Dataset } from './dataset.js';

export interface GmmOptions {
  classes?: number;
  dim?: number;
  perClass?: number;
  separation?: number;
  seed?: number;
}

/** A 32-bit mixing generator (splitmix32) giving uniforms in (0, 1); the built-in datasets' randomness. */
export function splitmix(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = Math.imul(s ^ (s >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (((z ^ (z >>> 16)) >>> 0) + 0.5) / 2 ** 32;
  };
}

/** The true parameters of the built-in mixture: equal weights, means (K, D), diagonal variances (K, D). */
export interface GmmTruth {
  K: number;
  D: number;
  means: Float64Array;
  variances: Float64Array;
}

/** The mixture's samples together with the parameters they were drawn from (the exact truth). */
export function gaussianMixtureWithTruth(opts: GmmOptions = {}): { data: Dataset; truth: GmmTruth } {
  const K = opts.classes ?? 4;
  const D = opts.dim ?? 64;
  const n = opts.perClass ?? 1024;
  const sep = opts.separation ?? 4;
  const seed = opts.seed ?? 1;
  const u = splitmix(seed);
  const normal = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const x = new Float32Array(K * n * D);
  const labels = new Int32Array(K * n);
  const means = new Float64Array(K * D);
  const variances = new Float64Array(K * D);
  for (let k = 0; k < K; k++) {
    const mu = Array.from({ length: D }, normal);
    const norm = Math.hypot(...mu);
    // standard deviations 2 .. 0.2 in a class-specific order of dimensions
    const sd = Array.from({ length: D }, (_, d) => 2 * Math.pow(0.1, ((d + 7 * k) % D) / Math.max(1, D - 1)));
    for (let d = 0; d < D; d++) {
      means[k * D + d] = (sep * mu[d]!) / norm;
      variances[k * D + d] = sd[d]! * sd[d]!;
    }
    for (let i = 0; i < n; i++) {
      const row = k * n + i;
      labels[row] = k;
      for (let d = 0; d < D; d++) x[row * D + d] = (sep * mu[d]!) / norm + sd[d]! * normal();
    }
  }
  const data: Dataset = {
    name: 'gmm',
    x,
    labels,
    shape: [K * n, D],
    classes: K,
    classNames: Array.from({ length: K }, (_, k) => String(k)),
    imageShape: null,
    source: `built-in Gaussian mixture (seed ${seed})`,
    scale: 'as generated',
  };
  return { data, truth: { K, D, means, variances } };
}

export function gaussianMixture(opts: GmmOptions = {}): Dataset {
  return gaussianMixtureWithTruth(opts).data;
}

/**
 * Fresh samples of a known mixture (a test set of the truth): `perClass[k]` rows of class k (one count
 * for all classes, or one per class), drawn with their own seed, class by class.
 */
export function sampleGmmTruth(
  truth: GmmTruth,
  perClass: number | readonly number[],
  seed: number,
  name = 'gmm-test',
): Dataset {
  const { K, D } = truth;
  const counts = typeof perClass === 'number' ? new Array<number>(K).fill(perClass) : [...perClass];
  if (counts.length !== K || counts.some((c) => !Number.isInteger(c) || c < 0))
    throw new Error(
      `sampleGmmTruth: perClass must be a non-negative integer or ${K} of them, got ${JSON.stringify(perClass)}`,
    );
  const N = counts.reduce((a, b) => a + b, 0);
  const u = splitmix(seed);
  const normal = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const x = new Float32Array(N * D);
  const labels = new Int32Array(N);
  let row = 0;
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < counts[k]!; i++, row++) {
      labels[row] = k;
      for (let d = 0; d < D; d++)
        x[row * D + d] = truth.means[k * D + d]! + Math.sqrt(truth.variances[k * D + d]!) * normal();
    }
  }
  return {
    name,
    x,
    labels,
    shape: [N, D],
    classes: K,
    classNames: Array.from({ length: K }, (_, k) => String(k)),
    imageShape: null,
    source: `samples of the built-in Gaussian mixture's truth (seed ${seed})`,
    scale: 'as generated',
  };
}
