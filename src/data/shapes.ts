// The built-in procedural images: small seeded pictures of two or three kinds (no download), so the
// image views of the web explorer and the image paths of the analysis have data without a file.
//   class 0 'horizontal stripes': cos(2 pi f y / S + phase), f in {1, 2}
//   class 1 'vertical stripes':   cos(2 pi f x / S + phase)
//   class 2 'blobs':              2 exp(-|p - c|^2 / (2 r^2)) - 1, centre c and radius r random
// each times a random contrast in [0.6, 1], plus pixel noise of standard deviation `noise`, clipped to
// [-1, 1]. Pure: no Node APIs (the browser page uses it).
import { checkInt } from '../runtime/check.js';
import type { Dataset } from './dataset.js';
import { splitmix } from './gmm.js';

export const SHAPE_CLASSES = ['horizontal stripes', 'vertical stripes', 'blobs'] as const;

export interface ShapesOptions {
  /** 2 (stripes only) or 3 (with blobs); default 3. */
  classes?: number;
  /** Images per class (default 512). */
  perClass?: number;
  /** Side S of the S x S images (default 8). */
  size?: number;
  /** Pixel noise standard deviation (default 0.1). */
  noise?: number;
  seed?: number;
}

/** Labelled S x S images, x (K * perClass, S * S) row-major in [-1, 1], classes in blocks. */
export function proceduralImages(opts: ShapesOptions = {}): Dataset {
  const K = checkInt('shapes: classes', opts.classes ?? 3, 2, SHAPE_CLASSES.length);
  const n = checkInt('shapes: perClass', opts.perClass ?? 512, 2, 1 << 20);
  const S = checkInt('shapes: size', opts.size ?? 8, 4, 64);
  const noise = opts.noise ?? 0.1;
  if (!(noise >= 0 && noise <= 1)) throw new Error(`shapes: noise must be in [0, 1], got ${noise}`);
  const seed = checkInt('shapes: seed', opts.seed ?? 1, 0, 2 ** 32 - 1);
  const u = splitmix(seed);
  const normal = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const D = S * S;
  const x = new Float32Array(K * n * D);
  const labels = new Int32Array(K * n);
  for (let k = 0; k < K; k++) {
    for (let i = 0; i < n; i++) {
      const row = k * n + i;
      labels[row] = k;
      const contrast = 0.6 + 0.4 * u();
      const f = u() < 0.5 ? 1 : 2;
      const phase = 2 * Math.PI * u();
      const cx = 1 + (S - 2) * u();
      const cy = 1 + (S - 2) * u();
      const r = S * (0.12 + 0.13 * u());
      for (let y = 0; y < S; y++) {
        for (let c = 0; c < S; c++) {
          let v: number;
          if (k === 2) v = 2 * Math.exp(-((c - cx) ** 2 + (y - cy) ** 2) / (2 * r * r)) - 1;
          else v = Math.cos((2 * Math.PI * f * (k === 0 ? y : c)) / S + phase);
          x[row * D + y * S + c] = Math.max(-1, Math.min(1, contrast * v + noise * normal()));
        }
      }
    }
  }
  return {
    name: 'shapes',
    x,
    labels,
    shape: [K * n, D],
    classes: K,
    classNames: SHAPE_CLASSES.slice(0, K),
    imageShape: [S, S],
    source: `built-in procedural ${S}x${S} images (seed ${seed})`,
    scale: 'generated in [-1, 1]',
  };
}
