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

function splitmix(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = Math.imul(s ^ (s >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (((z ^ (z >>> 16)) >>> 0) + 0.5) / 2 ** 32;
  };
}

export function gaussianMixture(opts: GmmOptions = {}): Dataset {
  const K = opts.classes ?? 4;
  const D = opts.dim ?? 64;
  const n = opts.perClass ?? 1024;
  const sep = opts.separation ?? 4;
  const seed = opts.seed ?? 1;
  const u = splitmix(seed);
  const normal = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const x = new Float32Array(K * n * D);
  const labels = new Int32Array(K * n);
  for (let k = 0; k < K; k++) {
    const mu = Array.from({ length: D }, normal);
    const norm = Math.hypot(...mu);
    // standard deviations 2 .. 0.2 in a class-specific order of dimensions
    const sd = Array.from({ length: D }, (_, d) => 2 * Math.pow(0.1, ((d + 7 * k) % D) / Math.max(1, D - 1)));
    for (let i = 0; i < n; i++) {
      const row = k * n + i;
      labels[row] = k;
      for (let d = 0; d < D; d++) x[row * D + d] = (sep * mu[d]!) / norm + sd[d]! * normal();
    }
  }
  return {
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
}
