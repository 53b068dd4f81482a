// Procedural datasets at the paper's dimensions for benchmarks (no download): CIFAR-shaped 32 x 32 x 3
// images of ten kinds, and latent-shaped 4096-dimensional codes of ten classes with fewer rows per class
// than dimensions (the Gram path). Seeded and deterministic. Pure: no Node APIs.
//   cifar-shaped, NHWC in [-1, 1], each image a random-contrast, random-colour pattern plus pixel noise:
//     0 horizontal stripes, 1 vertical stripes, 2 diagonal stripes, 3 checkerboard, 4 blob, 5 ring,
//     6 horizontal gradient, 7 vertical gradient, 8 two blobs, 9 cross
//   latent-shaped: x = mu_k + sum_j sqrt(s_kj) z_j u_kj + sigma g, where the u_kj are smooth 64 x 64
//     patterns (a few Fourier modes per class, class-specific frequencies), z, g standard normal.
import { checkInt } from '../runtime/check.js';
import type { Dataset } from './dataset.js';
import { splitmix } from './gmm.js';

export const CIFAR_SHAPED_CLASSES = [
  'horizontal stripes',
  'vertical stripes',
  'diagonal stripes',
  'checkerboard',
  'blob',
  'ring',
  'horizontal gradient',
  'vertical gradient',
  'two blobs',
  'cross',
] as const;

function normalOf(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}

/** Ten kinds of 32 x 32 x 3 images, `perClass` each (classes interleaved in row order). */
export function cifarShaped(opts: { perClass?: number; seed?: number; noise?: number } = {}): Dataset {
  const n = checkInt('cifar-shaped: perClass', opts.perClass ?? 5000, 2, 1 << 20);
  const seed = checkInt('cifar-shaped: seed', opts.seed ?? 1, 0, 2 ** 32 - 1);
  const noise = opts.noise ?? 0.15;
  const S = 32;
  const C = 3;
  const D = S * S * C;
  const K = CIFAR_SHAPED_CLASSES.length;
  const u = splitmix(seed);
  const normal = normalOf(u);
  const x = new Float32Array(K * n * D);
  const labels = new Int32Array(K * n);
  const blob = (px: number, py: number, cx: number, cy: number, r: number) =>
    Math.exp(-((px - cx) ** 2 + (py - cy) ** 2) / (2 * r * r));
  for (let row = 0; row < K * n; row++) {
    const k = row % K;
    labels[row] = k;
    const contrast = 0.5 + 0.5 * u();
    const colour = [0.4 + 0.6 * u(), 0.4 + 0.6 * u(), 0.4 + 0.6 * u()];
    const f = 1 + Math.floor(3 * u());
    const phase = 2 * Math.PI * u();
    const cx = 6 + 20 * u();
    const cy = 6 + 20 * u();
    const cx2 = 6 + 20 * u();
    const cy2 = 6 + 20 * u();
    const r = 3 + 5 * u();
    for (let y = 0; y < S; y++) {
      for (let c = 0; c < S; c++) {
        let v: number;
        switch (k) {
          case 0:
            v = Math.cos((2 * Math.PI * f * y) / S + phase);
            break;
          case 1:
            v = Math.cos((2 * Math.PI * f * c) / S + phase);
            break;
          case 2:
            v = Math.cos((2 * Math.PI * f * (c + y)) / S + phase);
            break;
          case 3:
            v = Math.cos((Math.PI * f * c) / 4 + phase) * Math.cos((Math.PI * f * y) / 4);
            break;
          case 4:
            v = 2 * blob(c, y, cx, cy, r) - 1;
            break;
          case 5:
            v = 2 * Math.exp(-((Math.hypot(c - cx, y - cy) - r) ** 2) / 4) - 1;
            break;
          case 6:
            v = (2 * c) / (S - 1) - 1;
            break;
          case 7:
            v = (2 * y) / (S - 1) - 1;
            break;
          case 8:
            v = 2 * Math.max(blob(c, y, cx, cy, r), blob(c, y, cx2, cy2, r)) - 1;
            break;
          default:
            v = Math.abs(c - cx) < 2 || Math.abs(y - cy) < 2 ? 1 : -1;
        }
        for (let ch = 0; ch < C; ch++) {
          const at = row * D + (y * S + c) * C + ch;
          x[at] = Math.max(-1, Math.min(1, contrast * colour[ch]! * v + noise * normal()));
        }
      }
    }
  }
  return {
    name: 'cifar-shaped',
    x,
    labels,
    shape: [K * n, D],
    classes: K,
    classNames: [...CIFAR_SHAPED_CLASSES],
    // imageShape describes grey images (D = H W); these are NHWC colour rows.
    imageShape: null,
    source: `built-in procedural 32x32x3 images, ${n} per class (seed ${seed})`,
    scale: 'generated in [-1, 1]',
  };
}

/** Ten classes of 4096-dimensional codes (64 x 64), `perClass` each (default 1300 < 4096: the Gram path). */
export function latentShaped(opts: { perClass?: number; seed?: number; rank?: number } = {}): Dataset {
  const n = checkInt('latent-shaped: perClass', opts.perClass ?? 1300, 2, 1 << 20);
  const seed = checkInt('latent-shaped: seed', opts.seed ?? 1, 0, 2 ** 32 - 1);
  const rank = checkInt('latent-shaped: rank', opts.rank ?? 12, 1, 256);
  const S = 64;
  const D = S * S;
  const K = 10;
  const u = splitmix(seed);
  const normal = normalOf(u);
  // Per class: a smooth mean and `rank` smooth unit patterns with decaying variances.
  const pattern = (fx: number, fy: number, ph: number) => {
    const p = new Float64Array(D);
    let ss = 0;
    for (let y = 0; y < S; y++) {
      for (let x = 0; x < S; x++) {
        const v = Math.cos((2 * Math.PI * (fx * x + fy * y)) / S + ph);
        p[y * S + x] = v;
        ss += v * v;
      }
    }
    return p.map((v) => v / Math.sqrt(ss));
  };
  const classes = Array.from({ length: K }, (_, k) => ({
    mean: pattern(1 + (k % 3), 1 + Math.floor(k / 3), u() * 6).map((v) => v * 4),
    modes: Array.from({ length: rank }, (_, j) => ({
      u: pattern(1 + ((k + j) % 7), 1 + ((2 * k + 3 * j) % 5), u() * 6),
      s: (6 + k) * 0.8 ** j,
    })),
  }));
  const x = new Float32Array(K * n * D);
  const labels = new Int32Array(K * n);
  for (let row = 0; row < K * n; row++) {
    const k = row % K;
    labels[row] = k;
    const cls = classes[k]!;
    const out = x.subarray(row * D, (row + 1) * D);
    for (let i = 0; i < D; i++) out[i] = cls.mean[i]! + 0.5 * normal();
    for (const m of cls.modes) {
      const z = Math.sqrt(m.s) * normal();
      for (let i = 0; i < D; i++) out[i] = out[i]! + z * m.u[i]!;
    }
  }
  return {
    name: 'latent-shaped',
    x,
    labels,
    shape: [K * n, D],
    classes: K,
    classNames: Array.from({ length: K }, (_, k) => `latent ${k}`),
    imageShape: [S, S],
    source: `built-in latent-shaped codes 64x64, ${n} per class (seed ${seed})`,
    scale: 'generated',
  };
}
