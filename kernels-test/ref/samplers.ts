// float64 reference samplers written from the papers, not from src/samplers: DDPM through x0_hat and the
// posterior q(x_{t-1} | x_t, x0) (Ho et al. 2020 eq. 6-7, diffusers' DDPMScheduler form), DDIM through
// x0_hat and the "direction pointing to x_t" (Song et al. 2021 eq. 12), classifier-free guidance as
// eps_u + w (eps_c - eps_u) with both predictions always evaluated, z from the Philox reference with
// counter (d / 4, row, step, stream). Also a first-order bound on an f32 implementation's error for
// denoisers whose eps is affine in x with a scalar slope (Gaussian data), propagated along the chain.
import { epsBlock } from './forward_noise.js';

export const U32 = 2 ** -24;

/** numpy's round (half to even). */
function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

/**
 * linspace(0, s, n) grid as diffusers builds it for s = T: numpy's linspace(0, s - 1, n) (k * step with
 * step = (s - 1) / (n - 1), the last entry exactly s - 1), rounded half to even, reversed, plus 1 (our
 * steps count from 1); n = 1: [s].
 */
export function linspaceGridRef(s: number, n: number): number[] {
  if (n === 1) return [s];
  const step = (s - 1) / (n - 1);
  const t = Array.from({ length: n }, (_, k) => (k === n - 1 ? s - 1 : k * step));
  return t.map((v) => roundHalfEven(v) + 1).reverse();
}

export type RefKind = { kind: 'ddpm'; variance: 'fixed_small' | 'fixed_large' } | { kind: 'ddim'; eta: number };

/** One update of one element: x_prev from x_t, eps_hat and the normal z. */
export function stepRef(
  kind: RefKind,
  x: number,
  eps: number,
  z: number,
  abar: number,
  abarPrev: number,
  last: boolean,
): number {
  const x0 = (x - Math.sqrt(1 - abar) * eps) / Math.sqrt(abar);
  const alpha = abar / abarPrev;
  const beta = 1 - alpha;
  if (kind.kind === 'ddpm') {
    const cx0 = (Math.sqrt(abarPrev) * beta) / (1 - abar);
    const cxt = (Math.sqrt(alpha) * (1 - abarPrev)) / (1 - abar);
    const variance = kind.variance === 'fixed_small' ? (beta * (1 - abarPrev)) / (1 - abar) : last ? 0 : beta;
    const sd = Math.sqrt(variance);
    return cx0 * x0 + cxt * x + sd * z;
  }
  const sigma = kind.eta * Math.sqrt((1 - abarPrev) / (1 - abar)) * Math.sqrt(1 - alpha);
  const dir = Math.sqrt(1 - abarPrev - sigma * sigma) * eps;
  return Math.sqrt(abarPrev) * x0 + dir + sigma * z;
}

/** The update's coefficients (a, b, sigma) of x_prev = a x + b eps + sigma z, from stepRef by linearity. */
export function coefficientsRef(
  kind: RefKind,
  abar: number,
  abarPrev: number,
  last: boolean,
): { a: number; b: number; sigma: number } {
  const c = stepRef(kind, 0, 0, 0, abar, abarPrev, last);
  const a = stepRef(kind, 1, 0, 0, abar, abarPrev, last) - c;
  const b = stepRef(kind, 0, 1, 0, abar, abarPrev, last) - c;
  const sigma = stepRef(kind, 0, 0, 1, abar, abarPrev, last) - c;
  return { a, b, sigma };
}

/** Predictions used at one step: labels 'cond' | 'uncond' | 'neg', mixed as A + w (B - A). */
export interface RefMix {
  a: 'cond' | 'uncond' | 'neg';
  b: 'cond';
  w: number;
}

export interface RefChain {
  kind: RefKind;
  /** Grid steps (descending) and abar at each; abar after the last is 1. */
  steps: number[];
  abar: number[];
  /** (n, D) start state. */
  x: ArrayLike<number>;
  n: number;
  D: number;
  key: readonly [number, number];
  stream: number;
  /** eps for all rows at a step for a label set. */
  eps: (x: Float64Array, step: number, label: 'cond' | 'uncond' | 'neg') => Float64Array;
  /** Guidance mix at a step (default: conditional alone, w = 1 with A = uncond). */
  mix?: (step: number) => RefMix;
  /** For the error bound: d eps / d x (a scalar) at a step, the same for every label. */
  slope?: (step: number) => number;
  /** For the error bound: per row (n), a bound on the error of the implementation's own eps (0 if absent). */
  epsBound?: (x: Float64Array, step: number) => Float64Array;
}

export interface RefResult {
  x: Float64Array;
  /** (n, D) first-order bound on |x_f32 - x| (0 without `slope`). */
  bound: Float64Array;
}

/**
 * The chain in float64. Bound: each f32 update a x + b e + sigma z, e = A + w (B - A), makes at most
 * 6 roundings (coefficients to f32, three products, two sums, plus the mix's three and the f32 eps and
 * normal deviates, each within one ulp of its magnitude): |err| <= 6 u (|a x| + |b| (|A| + |w| (|A| + |B|))
 * + |sigma z|), plus |b| (1 + 2 |w|) times the implementation's own eps error (epsBound). An error d in
 * x_t reaches x_prev as (a + b slope) d since eps is affine in x.
 */
export function sampleRef(c: RefChain): RefResult {
  const { n, D } = c;
  let x = Float64Array.from(c.x);
  const bound = new Float64Array(n * D);
  const mixAt = c.mix ?? (() => ({ a: 'uncond', b: 'cond', w: 1 }) as RefMix);
  for (let k = 0; k < c.steps.length; k++) {
    const t = c.steps[k]!;
    const abar = c.abar[k]!;
    const prev = k + 1 < c.steps.length ? c.abar[k + 1]! : 1;
    const last = k === c.steps.length - 1;
    const m = mixAt(t);
    const A = c.eps(x, t, m.a);
    const B = c.eps(x, t, m.b);
    const co = coefficientsRef(c.kind, abar, prev, last);
    const L = c.slope ? Math.abs(co.a + co.b * c.slope(t)) : 0;
    const eb = c.epsBound ? c.epsBound(x, t) : new Float64Array(n);
    const next = new Float64Array(n * D);
    for (let i = 0; i < n; i++) {
      for (let q = 0; 4 * q < D; q++) {
        const z = epsBlock(c.key, q, i, t, c.stream);
        for (let j = 0; j < 4 && 4 * q + j < D; j++) {
          const idx = i * D + 4 * q + j;
          const e = A[idx]! + m.w * (B[idx]! - A[idx]!);
          const zz = co.sigma === 0 ? 0 : z[j]!;
          next[idx] = stepRef(c.kind, x[idx]!, e, zz, abar, prev, last);
          const mag =
            Math.abs(co.a * x[idx]!) +
            Math.abs(co.b) * (Math.abs(A[idx]!) + Math.abs(m.w) * (Math.abs(A[idx]!) + Math.abs(B[idx]!))) +
            Math.abs(co.sigma * zz);
          bound[idx] = L * bound[idx]! + 6 * U32 * mag + Math.abs(co.b) * (1 + 2 * Math.abs(m.w)) * eb[i]!;
        }
      }
    }
    x = next;
  }
  return { x, bound };
}

/** Late-start draw x = mu + V^T (sqrt(lambda) z1) + sqrt(rest) (z2 - V^T V z2) for one row, float64. */
export function lateStartRowRef(
  mean: ArrayLike<number>,
  V: number[][],
  lambda: ArrayLike<number>,
  rest: number,
  z1: ArrayLike<number>,
  z2: ArrayLike<number>,
): Float64Array {
  const D = mean.length;
  const out = Float64Array.from(mean);
  const proj = new Float64Array(D);
  V.forEach((v) => {
    const dot = v.reduce((s, vd, d) => s + vd * z2[d]!, 0);
    v.forEach((vd, d) => (proj[d]! += dot * vd));
  });
  for (let d = 0; d < D; d++) out[d]! += Math.sqrt(rest) * (z2[d]! - proj[d]!);
  V.forEach((v, j) => v.forEach((vd, d) => (out[d]! += Math.sqrt(lambda[j]!) * z1[j]! * vd)));
  return out;
}

/** Philox normals (rows, cols) in float64 for counters (d / 4, firstRow + i, step, stream). */
export function normalsRef(
  key: readonly [number, number],
  rows: number,
  cols: number,
  step: number,
  stream: number,
  firstRow = 0,
): Float64Array {
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) {
    for (let q = 0; 4 * q < cols; q++) {
      const z = epsBlock(key, q, firstRow + i, step, stream);
      for (let j = 0; j < 4 && 4 * q + j < cols; j++) out[i * cols + 4 * q + j] = z[j]!;
    }
  }
  return out;
}
