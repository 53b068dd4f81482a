// float64 references for the patch denoisers (Kamb & Ganguli LS / ELS), written from the maths: for pixel p of x_t,
// w_u ∝ exp(-||P_p(x_t) - sqrt(abar) P_u||^2 / (2 (1 - abar))) over training patches u (LS: the patch at p of each
// allowed image; ELS: the patch at every location of each allowed image), x0_hat(p) = sum_u w_u centre(P_u),
// eps_hat = (x_t - sqrt(abar) x0_hat) / sqrt(1 - abar). Patches are k x k, centred, zero outside the image.
// Also an independent empirical (whole-image) denoiser and the closed form of ELS with k = 1 on +-1 pixels.

export interface ImageSet {
  data: ArrayLike<number>;
  count: number;
  h: number;
  w: number;
  c: number;
}

/** The k x k x c patch of image i centred at (py, px), zeros outside; entries ordered (dy, dx, channel). */
export function patchOf(s: ImageSet, i: number, py: number, px: number, k: number): Float64Array {
  const r = (k - 1) / 2;
  const out = new Float64Array(k * k * s.c);
  for (let dy = 0; dy < k; dy++) {
    for (let dx = 0; dx < k; dx++) {
      const y = py + dy - r;
      const x = px + dx - r;
      if (y < 0 || y >= s.h || x < 0 || x >= s.w) continue;
      for (let ch = 0; ch < s.c; ch++) out[(dy * k + dx) * s.c + ch] = s.data[((i * s.h + y) * s.w + x) * s.c + ch]!;
    }
  }
  return out;
}

/** Posterior mean of `values` (u, c) under logits l_u: max-shifted softmax in float64. */
function softmaxMean(logits: number[], values: number[][], c: number): Float64Array {
  const m = logits.reduce((a, b) => Math.max(a, b), -Infinity);
  let z = 0;
  const acc = new Float64Array(c);
  logits.forEach((l, u) => {
    const e = Math.exp(l - m);
    z += e;
    for (let ch = 0; ch < c; ch++) acc[ch] += e * values[u]![ch]!;
  });
  return acc.map((v) => v / z);
}

export interface PatchRefArgs {
  mode: 'ls' | 'els';
  train: ImageSet;
  /** Allowed training images per query row (e.g. its class); all when absent. */
  allowed?: (row: number) => number[];
  xt: ArrayLike<number>;
  n: number;
  abar: number;
  k: number;
  /** Pixels (p = y w + x) to compute, the rest left NaN; all when absent. */
  pixels?: readonly number[];
}

/** x0_hat and eps_hat, (n, h w c) each, in float64. */
export function patchDenoiserRef(a: PatchRefArgs): { x0: Float64Array; eps: Float64Array } {
  const { train: t, k, abar } = a;
  const D = t.h * t.w * t.c;
  const sa = Math.sqrt(abar);
  const s2 = 1 - abar;
  const q: ImageSet = { data: a.xt, count: a.n, h: t.h, w: t.w, c: t.c };
  const r = (k - 1) / 2;
  const centreOf = (patch: Float64Array) => Array.from(patch.subarray((r * k + r) * t.c, (r * k + r + 1) * t.c));
  const x0 = new Float64Array(a.n * D).fill(NaN);
  const pixels = a.pixels ?? Array.from({ length: t.h * t.w }, (_, p) => p);
  for (let n = 0; n < a.n; n++) {
    const images = a.allowed ? a.allowed(n) : Array.from({ length: t.count }, (_, i) => i);
    for (const p of pixels) {
      const [py, px] = [Math.floor(p / t.w), p % t.w];
      const xp = patchOf(q, n, py, px, k);
      const logits: number[] = [];
      const centres: number[][] = [];
      for (const i of images) {
        const locations =
          a.mode === 'ls' ? [[py, px]] : Array.from({ length: t.h * t.w }, (_, j) => [Math.floor(j / t.w), j % t.w]);
        for (const [qy, qx] of locations) {
          const yp = patchOf(t, i, qy!, qx!, k);
          let d = 0;
          for (let e = 0; e < yp.length; e++) d += (xp[e]! - sa * yp[e]!) ** 2;
          logits.push(-d / (2 * s2));
          centres.push(centreOf(yp));
        }
      }
      x0.set(softmaxMean(logits, centres, t.c), n * D + p * t.c);
    }
  }
  const eps = Float64Array.from(x0, (v, e) => (a.xt[e]! - sa * v) / Math.sqrt(s2));
  return { x0, eps };
}

/** Ideal empirical denoiser: x0_hat = sum_i softmax_i(-||x - sqrt(abar) y_i||^2 / (2 (1 - abar))) y_i over whole rows. */
export function empiricalDenoiserRef(
  train: ArrayLike<number>,
  m: number,
  d: number,
  xt: ArrayLike<number>,
  n: number,
  abar: number,
): Float64Array {
  const sa = Math.sqrt(abar);
  const out = new Float64Array(n * d);
  for (let r = 0; r < n; r++) {
    const logits: number[] = [];
    const rows: number[][] = [];
    for (let i = 0; i < m; i++) {
      let dist = 0;
      for (let j = 0; j < d; j++) dist += (xt[r * d + j]! - sa * train[i * d + j]!) ** 2;
      logits.push(-dist / (2 * (1 - abar)));
      rows.push(Array.from({ length: d }, (_, j) => train[i * d + j]!));
    }
    out.set(softmaxMean(logits, rows, d), r * d);
  }
  return out;
}

/**
 * ELS with k = 1 when every training pixel is +1 or -1 (one channel), nPlus of them +1 and nMinus -1: the
 * posterior over pixel values gives x0_hat(x) = tanh(sqrt(abar) x / (1 - abar) + log(nPlus / nMinus) / 2), the
 * same function at every pixel (the v^2 = 1 terms cancel in the softmax).
 */
export function elsPixelTanh(x: number, abar: number, nPlus: number, nMinus: number): number {
  return Math.tanh((Math.sqrt(abar) * x) / (1 - abar) + 0.5 * Math.log(nPlus / nMinus));
}
