// Zero-shot diffusion classifier, host parts: the weightings, argmin classification, the closed-form
// per-step error against a Gauss–Jordan reference, and the exact log-likelihoods of a mixture.
import { describe, expect, it } from 'vitest';
import {
  classifierWeights,
  classify,
  expectedClassifierErrors,
  WEIGHTINGS,
} from '../../src/experiments/diffusion-classifier.js';
import { componentFrechet, gmmLogLikelihoods } from '../../src/experiments/gmm-truth.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { expectedErrorRef, inverse } from '../ref/zero-shot.js';
import { gaussian } from '../random.js';
import { expectClose } from '../compare.js';

function randomSpd(D: number, g: () => number): Float64Array {
  const A = Float64Array.from({ length: D * D }, () => g());
  const S = new Float64Array(D * D);
  for (let i = 0; i < D; i++)
    for (let j = 0; j < D; j++) {
      let s = 0;
      for (let r = 0; r < D; r++) s += A[i * D + r]! * A[j * D + r]!;
      S[i * D + j] = s / D + (i === j ? 0.1 : 0);
    }
  return S;
}

describe('zero-shot weights', () => {
  const sched = makeSchedule('linear', 1000);
  const abar = [1, ...sched.alphasCumprod];
  const steps = [1, 10, 20, 100, 400, 700, 701, 999, 1000];
  it.each(WEIGHTINGS)('%s: every class sums to 1, no negative weight', (w) => {
    const out = classifierWeights(w, steps, abar, [700, null, 5]);
    for (let k = 0; k < 3; k++) {
      const row = Array.from(out.subarray(k * steps.length, (k + 1) * steps.length));
      expect(row.every((v) => v >= 0)).toBe(true);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    }
  });
  it('truncated inverse SNR is (1 - abar) / abar inside [20, merger], zero outside; null merger runs to T', () => {
    const S = steps.length;
    const w = classifierWeights('truncated-inverse-snr', steps, abar, [700, null], 20);
    const inside = (t: number, hi: number) => t >= 20 && t <= hi;
    for (const [k, hi] of [
      [0, 700],
      [1, Infinity],
    ] as const) {
      let sum = 0;
      for (const t of steps) if (inside(t, hi)) sum += (1 - abar[t]!) / abar[t]!;
      steps.forEach((t, s) =>
        expect(w[k * S + s]).toBeCloseTo(inside(t, hi) ? (1 - abar[t]!) / abar[t]! / sum : 0, 12),
      );
    }
  });
  it('a window holding no evaluated step falls back to the nearest step', () => {
    const w = classifierWeights('truncated-inverse-snr', [100, 200, 300], abar, [50], 20);
    expect(Array.from(w)).toEqual([1, 0, 0]);
  });
  it('classify takes the argmin of the weighted errors', () => {
    // 2 rows, 2 classes, 2 steps (layout row, class, step): on step 1 row 0 favours class 0 and row 1 class 1; on step 0 the reverse.
    const err = Float64Array.from([5, 1, 4, 3, /* row 1 */ 1, 9, 2, 1]);
    const w = Float64Array.from([0, 1, 0, 1]);
    expect(Array.from(classify(err, 2, 2, 2, w))).toEqual([0, 1]);
    const w2 = Float64Array.from([1, 0, 1, 0]);
    expect(Array.from(classify(err, 2, 2, 2, w2))).toEqual([1, 0]);
  });
});

describe('closed-form classifier error', () => {
  it.each([
    [1, 2],
    [3, 3],
    [7, 2],
  ])('D = %i, K = %i: equals the Gauss–Jordan reference at abar near 1, middle, near 0', (D, K) => {
    const g = gaussian(31 * D + K);
    const means = Float64Array.from({ length: K * D }, () => g());
    const covs = new Float64Array(K * D * D);
    for (let k = 0; k < K; k++) covs.set(randomSpd(D, g), k * D * D);
    const p = { K, D, means, covs, weights: new Float64Array(K).fill(1) };
    const n = 4;
    const x = Float64Array.from({ length: n * D }, () => 2 * g());
    const abars = [0.9999, 0.5, 1e-4];
    const steps = [1, 2, 3];
    const got = expectedClassifierErrors(p, x, n, steps, (t) => abars[t - 1]!);
    const want = new Float64Array(n * K * 3);
    for (let i = 0; i < n; i++)
      for (let k = 0; k < K; k++)
        for (let s = 0; s < 3; s++) {
          want[(i * K + k) * 3 + s] = expectedErrorRef(
            means.subarray(k * D, (k + 1) * D),
            covs.subarray(k * D * D, (k + 1) * D * D),
            x.subarray(i * D, (i + 1) * D),
            D,
            abars[s]!,
          );
        }
    expectClose(got, want, { rtol: 1e-9, atol: 1e-12 });
  });
  it('Gauss–Jordan inverse: A A^-1 = I', () => {
    const g = gaussian(5);
    const A = randomSpd(6, g);
    const Ai = inverse(A, 6);
    for (let i = 0; i < 6; i++)
      for (let j = 0; j < 6; j++) {
        let s = 0;
        for (let r = 0; r < 6; r++) s += A[i * 6 + r]! * Ai[r * 6 + j]!;
        expect(s).toBeCloseTo(i === j ? 1 : 0, 10);
      }
  });
});

describe('gmmLogLikelihoods', () => {
  it('diagonal covariances: equals the sum of 1-D log densities', () => {
    const K = 2;
    const D = 3;
    const means = [0, 1, -1, 2, 0, 0.5];
    const vars = [1, 4, 0.25, 2, 0.5, 1];
    const covs = new Float64Array(K * D * D);
    for (let k = 0; k < K; k++) for (let i = 0; i < D; i++) covs[(k * D + i) * D + i] = vars[k * D + i]!;
    const x = [0.3, -0.2, 1.1, -2, 0.7, 0];
    const ll = gmmLogLikelihoods({ K, D, means, covs, weights: [1, 1] }, x, 2);
    for (let i = 0; i < 2; i++)
      for (let k = 0; k < K; k++) {
        let want = 0;
        for (let d = 0; d < D; d++) {
          const v = vars[k * D + d]!;
          want += -0.5 * (Math.log(2 * Math.PI * v) + (x[i * D + d]! - means[k * D + d]!) ** 2 / v);
        }
        expect(ll[i * K + k]).toBeCloseTo(want, 10);
      }
  });
});

describe('componentFrechet', () => {
  // Two well-separated 2-D components with diagonal covariances.
  const K = 2;
  const D = 2;
  const means = [-6, 0, 6, 0];
  const vars = [1, 0.25, 0.5, 2];
  const covs = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) for (let i = 0; i < D; i++) covs[(k * D + i) * D + i] = vars[k * D + i]!;
  const p = { K, D, means, covs, weights: [1, 1] };
  const g = gaussian(12);
  const n = 20000;
  it('samples of the truth score near 0; a single Gaussian with the same overall moments scores far worse', () => {
    const x = new Float64Array(n * D);
    for (let i = 0; i < n; i++) {
      const k = i % 2;
      for (let d = 0; d < D; d++) x[i * D + d] = means[k * D + d]! + Math.sqrt(vars[k * D + d]!) * g();
    }
    const good = componentFrechet(p, x, n);
    // FD of a sample of n / 2 points has an O(D / n) bias; 0.01 is ~ 25x that.
    expect(good.fd).toBeLessThan(0.01);
    // The mixture's overall mean (0, 0) and covariance diag(36 + 0.75, 1.125): one Gaussian blob.
    const blob = new Float64Array(n * D);
    for (let i = 0; i < n; i++) {
      blob[i * D] = Math.sqrt(36.75) * g();
      blob[i * D + 1] = Math.sqrt(1.125) * g();
    }
    expect(componentFrechet(p, blob, n).fd).toBeGreaterThan(1);
  });
  it('a component that receives no samples costs tr(Sigma_k) (its moments become (mu_k, 0)), weighted by pi_k', () => {
    const x = new Float64Array(1000 * D);
    for (let i = 0; i < 1000; i++) for (let d = 0; d < D; d++) x[i * D + d] = means[d]! + Math.sqrt(vars[d]!) * g();
    const r = componentFrechet(p, x, 1000);
    expect(r.perComponent[1]).toBeCloseTo(vars[2]! + vars[3]!, 10);
    expect(r.fd).toBeCloseTo(0.5 * r.perComponent[0]! + 0.5 * r.perComponent[1]!, 12);
  });
});
