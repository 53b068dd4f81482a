// Shared by the sampler tests: a Denoiser whose eps is the exact Tweedie prediction for Gaussian data
// N(m_label, s2 I) (affine in x with the scalar slope sqrt(1 - abar) / (abar s2 + 1 - abar)), computed on
// the host in float64 and returned as f32, counting its calls; and its float64 twin for ref/samplers.ts.
import type { Denoiser } from '../../src/models/denoiser.js';
import type { Schedule } from '../../src/schedule/schedules.js';
import { createTensor, readback } from '../../src/runtime/tensor.js';
import { randn } from '../random.js';

export interface GaussDenoiser extends Denoiser {
  calls: number;
  /** x_t seen by the first call (n, D), to check start states. */
  firstX: Float32Array | null;
  /** float64 eps for rows x (n, D) with per-row labels (-1: unconditional). */
  epsF64(x: ArrayLike<number>, step: number, labels: Int32Array | null, n: number): Float64Array;
  slope(step: number): number;
}

/** means ((C + 1), D): row 0 the unconditional mean, row c + 1 class c's. */
export function gaussDenoiser(schedule: Schedule, D: number, C: number, s2: number, seed: number): GaussDenoiser {
  const means = randn((C + 1) * D, seed);
  const coef = (step: number) => {
    const a = schedule.alphasCumprod[step - 1]!;
    return { ra: Math.sqrt(a), g: Math.sqrt(1 - a) / (a * s2 + 1 - a) };
  };
  const epsF64 = (x: ArrayLike<number>, step: number, labels: Int32Array | null, n: number) => {
    const { ra, g } = coef(step);
    const out = new Float64Array(n * D);
    for (let i = 0; i < n; i++) {
      const row = (labels === null ? -1 : labels[i]!) + 1;
      for (let d = 0; d < D; d++) out[i * D + d] = (x[i * D + d]! - ra * means[row * D + d]!) * g;
    }
    return out;
  };
  const den: GaussDenoiser = {
    kind: 'gauss-test',
    dim: D,
    imageShape: null,
    numClasses: C,
    schedule,
    calls: 0,
    firstX: null,
    async predictEps(ctx, xt, n, step, classes) {
      den.calls++;
      const x = (await readback(ctx, xt, 0, n * D)) as Float32Array;
      den.firstX ??= x;
      return createTensor(ctx, [n, D], {
        data: Float32Array.from(epsF64(x, step, classes, n)),
        label: 'gauss-test.eps',
      });
    },
    dispose() {},
    epsF64,
    slope: (step) => coef(step).g,
  };
  return den;
}

/** |got - want| <= scale * bound + floor element-wise, failing with the worst element (seed printed). */
export function expectWithinBound(
  got: ArrayLike<number>,
  want: ArrayLike<number>,
  bound: ArrayLike<number>,
  scale: number,
  floor: number,
  label: string,
): void {
  let worst = -1;
  let ratio = 0;
  for (let i = 0; i < want.length; i++) {
    const r = Math.abs(got[i]! - want[i]!) / (scale * bound[i]! + floor);
    if (!(r <= ratio)) {
      ratio = Number.isNaN(r) ? Infinity : r;
      worst = i;
    }
  }
  if (got.length !== want.length || ratio > 1) {
    throw new Error(
      `${label}: [${worst}] got ${got[worst]} want ${want[worst]}, ${ratio.toFixed(2)}x the allowed ${scale} * ${bound[worst]} + ${floor} (lengths ${got.length}, ${want.length})`,
    );
  }
}

/** z-scores of the sample mean (D) and covariance entries (upper triangle, row by row) of rows x (n, D) against (mu, cov). */
export function zScores(
  x: ArrayLike<number>,
  n: number,
  D: number,
  mu: number[],
  cov: number[],
): { mean: number[]; cov: number[] } {
  const m = new Array<number>(D).fill(0);
  for (let i = 0; i < n; i++) for (let d = 0; d < D; d++) m[d]! += x[i * D + d]! / n;
  const zMean = m.map((v, d) => (v - mu[d]!) / Math.sqrt(cov[d * D + d]! / n));
  const zCov: number[] = [];
  for (let a = 0; a < D; a++) {
    for (let b = a; b < D; b++) {
      // The sample covariance entry is a mean of p_i = (x_a - m_a)(x_b - m_b): its variance is var(p) / n,
      // var(p) estimated from the same rows (fourth moments of a mixture are not the Gaussian ones).
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < n; i++) {
        const p = (x[i * D + a]! - m[a]!) * (x[i * D + b]! - m[b]!);
        s += p;
        s2 += p * p;
      }
      const c = s / n;
      zCov.push((c - cov[a * D + b]!) / Math.sqrt((s2 / n - c * c) / n));
    }
  }
  return { mean: zMean, cov: zCov };
}
