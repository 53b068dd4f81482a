// Zero-shot diffusion classifier, host parts: the weightings, argmin classification, the closed-form
// per-step error against a Gauss–Jordan reference, and the exact log-likelihoods of a mixture.
import { describe, expect, it } from 'vitest';
import {
  classifierWeights,
  classify,
  expectedClassifierErrors,
  sharedWindowEnd,
  VARIANTS,
  variantScoring,
  WEIGHTINGS,
} from '../../src/experiments/diffusion-classifier.js';
import { componentFrechet, gmmLogLikelihoods } from '../../src/experiments/gmm-truth.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { pairedDifference, wilson } from '../../src/experiments/zero-shot.js';
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

describe('zero-shot scoring variants on a class-symmetric mixture', () => {
  // Three classes, means at 120 degrees on a circle, equal isotropic covariances; the test points are a
  // random set and its two rotations by 120 degrees, and the errors are the exact expectations. Any class
  // preference then comes from the scoring alone: the merger steps (window ends) differ a lot on purpose,
  // as noisy estimates of the equal true steps could.
  const K = 3;
  const rot = (x: number, y: number, k: number) => {
    const a = (2 * Math.PI * k) / K;
    return [Math.cos(a) * x - Math.sin(a) * y, Math.sin(a) * x + Math.cos(a) * y];
  };
  const means = Float64Array.from(Array.from({ length: K }, (_, k) => rot(1.5, 0, k)).flat());
  const covs = new Float64Array(K * 4);
  for (let k = 0; k < K; k++) [covs[4 * k], covs[4 * k + 3]] = [0.3, 0.3];
  const p = { K, D: 2, means, covs, weights: new Float64Array(K).fill(1) };
  const g = gaussian(5);
  const m = 300;
  const base = Array.from({ length: m }, () => [1.5 * g(), 1.5 * g()]);
  const x = Float64Array.from([0, 1, 2].flatMap((k) => base.flatMap(([a, b]) => rot(a!, b!, k))));
  const n = K * m;
  const abar = [1, ...makeSchedule('linear', 1000).alphasCumprod];
  const steps = Array.from({ length: 100 }, (_, i) => Math.round(1 + (999 * i) / 99));
  const err = expectedClassifierErrors(p, x, n, steps, (t) => abar[t]!);
  const mergers = [200, 500, 900];

  function run(name: string) {
    const v = VARIANTS.find((q) => q.name === name)!;
    const { weights, relative } = variantScoring(v, steps, abar, mergers, 20);
    const pred = classify(err, n, K, steps.length, weights, relative);
    const counts = [0, 0, 0];
    for (const c of pred) counts[c]!++;
    // A rotated point's prediction is the original's class rotated.
    let equivariant = 0;
    for (let i = 0; i < m; i++) for (let k = 0; k < K; k++) if (pred[k * m + i] === (pred[i]! + k) % K) equivariant++;
    return { counts, equivariant: equivariant / n };
  }

  it.each(['uniform', 'inverse-snr', 'shared-window'])(
    '%s: the same weights for every class, so no class bias',
    (name) => {
      expect(run(name)).toEqual({ counts: [m, m, m], equivariant: 1 });
    },
  );

  it('per-class-window (relative errors): windows 200, 500, 900 leave the classes within 6 % of balance', () => {
    const r = run('per-class-window');
    for (const c of r.counts) expect(Math.abs(c - m) / m).toBeLessThan(0.06);
    expect(r.equivariant).toBeGreaterThan(0.95);
  });

  it('per-class-window-absolute: the class with the longest window takes almost every point (the bias removed above)', () => {
    expect(run('per-class-window-absolute').counts[2]).toBeGreaterThan(0.9 * n);
  });

  it('the shared window ends at the median merger step (no merger counts as T)', () => {
    expect(sharedWindowEnd([200, 500, 900], 1000)).toBe(500);
    expect(sharedWindowEnd([200, null, 900, 100], 1000)).toBe(550);
  });

  it('relative errors: classes scored on different steps compare by information, not by error level', () => {
    // One row, two classes, two steps (layout class, step); class 0 is scored on step 0 only, class 1 on step 1.
    const w = Float64Array.from([1, 0, 0, 1]);
    // No information anywhere, step 0 at a high error level: absolute errors pick class 1, relative ones tie (first).
    const flat = Float64Array.from([4, 1, 4, 1]);
    expect(classify(flat, 1, 2, 2, w, false)[0]).toBe(1);
    expect(classify(flat, 1, 2, 2, w, true)[0]).toBe(0);
    // Step 0 favours class 0 (3 against 5): relative errors see it (0.75 < 1), absolute ones do not (3 > 1).
    const informative = Float64Array.from([3, 1, 5, 1]);
    expect(classify(informative, 1, 2, 2, w, true)[0]).toBe(0);
    expect(classify(informative, 1, 2, 2, w, false)[0]).toBe(1);
  });
});

describe('zero-shot intervals', () => {
  it('Wilson interval of a proportion (Newcombe 1998, table I: 81 of 263 gives 0.2553 to 0.3662)', () => {
    const [lo, hi] = wilson(81 / 263, 263);
    expect(lo).toBeCloseTo(0.2553, 4);
    expect(hi).toBeCloseTo(0.3662, 4);
    const [a, b] = wilson(1, 50);
    expect(b).toBeCloseTo(1, 12);
    expect(a).toBeGreaterThan(0.9);
  });

  it('paired difference: discordant rows only, and its interval', () => {
    const labels = Int32Array.from({ length: 100 }, () => 1);
    const a = Int32Array.from({ length: 100 }, (_, i) => (i < 30 ? 1 : 0)); // right on rows 0..29
    const b = Int32Array.from({ length: 100 }, (_, i) => (i >= 10 && i < 20 ? 1 : 0)); // right on 10..19
    const d = pairedDifference(a, b, labels, 100);
    // 20 rows only a gets right, none only b: d = 0.2, se = sqrt(20 - 100 * 0.04) / 100 = 0.04.
    expect(d.diff).toBeCloseTo(0.2, 12);
    expect(d.lo).toBeCloseTo(0.2 - 1.959964 * 0.04, 9);
    expect(d.hi).toBeCloseTo(0.2 + 1.959964 * 0.04, 9);
  });
});
