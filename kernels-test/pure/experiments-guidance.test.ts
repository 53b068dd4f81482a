// Guidance experiment, host parts: merger-derived windows, the grid of candidate windows, argmin, the
// median window, the leaky conditional mixture (its marginal stays the truth), and guidance objects.
import { describe, expect, it } from 'vitest';
import {
  argminFinite,
  componentOf,
  gridWindows,
  leakyConditional,
  medianWindow,
  mergerWindow,
  restrictMixture,
  windowGuidance,
} from '../../src/experiments/guidance-common.js';
import type { GmmParams } from '../../src/models/gmm-model.js';

function mixture(K: number, D: number, weights?: number[]): GmmParams {
  const means = Float64Array.from({ length: K * D }, (_, i) => i + 1);
  const covs = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) for (let i = 0; i < D; i++) covs[(k * D + i) * D + i] = k + 1 + i / 10;
  return { K, D, means, covs, weights: Float64Array.from(weights ?? new Array<number>(K).fill(1)) };
}

describe('mergerWindow', () => {
  const a = {
    classRestMerger: [736, null, 5, 700],
    classMergerMatrix: [
      [0, 398, 419, 476],
      [398, 0, null, 489],
      [419, null, 0, 485],
      [476, 489, 485, 0],
    ],
  };
  it.each([
    [0, [398, 736]],
    [1, [398, 1000]], // null class-rest merger: T
    [2, [5, 5]], // lo clamped to hi
    [3, [476, 700]],
  ])('class %i: [earliest class-class merger, class-rest merger]', (k, want) => {
    expect(mergerWindow(a, k, 1000)).toEqual(want);
  });
  it('a class that never merges with another class gets lo = hi', () => {
    expect(
      mergerWindow(
        {
          classRestMerger: [300, 300],
          classMergerMatrix: [
            [0, null],
            [null, 0],
          ],
        },
        0,
        1000,
      ),
    ).toEqual([300, 300]);
  });
});

describe('gridWindows', () => {
  it.each([
    [1000, 125, 36],
    [1000, 100, 55],
    [1000, 1000, 1],
    [10, 3, 10],
  ])('T = %i, step %i: %i windows', (T, step, count) => {
    const w = gridWindows(T, step);
    expect(w.length).toBe(count);
    for (const [lo, hi] of w) {
      expect(lo).toBeGreaterThanOrEqual(1);
      expect(hi).toBeLessThanOrEqual(T);
      expect(lo).toBeLessThanOrEqual(hi);
    }
    expect(w).toContainEqual([1, T]);
  });
  it('T = 10, step 3 covers edges 0, 3, 6, 9, 10', () => {
    expect(gridWindows(10, 3)).toEqual([
      [1, 3],
      [1, 6],
      [1, 9],
      [1, 10],
      [4, 6],
      [4, 9],
      [4, 10],
      [7, 9],
      [7, 10],
      [10, 10],
    ]);
  });
  it.each([0, 1.5, 1001])('refuses step %s', (s) => {
    expect(() => gridWindows(1000, s)).toThrow(/grid step must be an integer in \[1, 1000\]/);
  });
});

describe('small helpers', () => {
  it('argminFinite skips NaN and takes the first of ties', () => {
    expect(argminFinite([3, NaN, 1, 1, 2])).toBe(2);
    expect(argminFinite([NaN, Infinity])).toBe(-1);
  });
  it('medianWindow', () => {
    expect(
      medianWindow([
        [1, 10],
        [5, 30],
        [3, 20],
      ]),
    ).toEqual([3, 20]);
    expect(
      medianWindow([
        [1, 10],
        [4, 31],
      ]),
    ).toEqual([3, 21]); // 2.5 and 20.5 round up
  });
  it('windowGuidance', () => {
    expect(windowGuidance(3, null)).toBeUndefined();
    expect(windowGuidance(3, 'everywhere')).toEqual({ kind: 'constant', w: 3 });
    expect(windowGuidance(2, [10, 20])).toEqual({ kind: 'interval', w: 2, lo: 10, hi: 20 });
  });
});

describe('leakyConditional', () => {
  it.each([
    [0, [1, 1, 1]],
    [0.3, [1, 1, 1]],
    [0.3, [8, 1, 1]],
    [0.9, [1, 2, 3]],
  ])('leak %s, weights %j: classes and the marginal', (leak, wts) => {
    const p = mixture(3, 2, wts);
    const q = leakyConditional(p, leak);
    const pi = wts.map((w) => w / wts.reduce((a, b) => a + b, 0));
    expect(q.K).toBe(leak === 0 ? 3 : 9);
    // Marginal weight of each true Gaussian j (components whose mean is mean j): pi_j.
    const marg = new Array<number>(3).fill(0);
    const perClass = new Array<number>(3).fill(0);
    const own = new Array<number>(3).fill(0);
    for (let c = 0; c < q.K; c++) {
      const j = Math.round(q.means[c * 2]!) === 1 ? 0 : Math.round(q.means[c * 2]!) === 3 ? 1 : 2;
      expect(q.covs[c * 4]).toBe(p.covs[j * 4]);
      marg[j]! += q.weights[c]!;
      perClass[q.classOf![c]!]! += q.weights[c]!;
      if (q.classOf![c] === j) own[j]! += q.weights[c]!;
    }
    for (let j = 0; j < 3; j++) {
      expect(marg[j]).toBeCloseTo(pi[j]!, 14);
      expect(perClass[j]).toBeCloseTo(pi[j]!, 14);
      // Within class j the own Gaussian has weight (1 - leak) + leak pi_j.
      expect(own[j]! / perClass[j]!).toBeCloseTo(1 - leak + leak * pi[j]!, 14);
    }
  });
  it.each([-0.1, 1, NaN])('refuses leak %s', (l) => {
    expect(() => leakyConditional(mixture(2, 2), l)).toThrow(/leak must be in \[0, 1\)/);
  });
  it('componentOf and restrictMixture pick components', () => {
    const p = mixture(3, 2, [1, 2, 3]);
    const c = componentOf(p, 1);
    expect(Array.from(c.means)).toEqual([3, 4]);
    expect(Array.from(c.covs)).toEqual([2, 0, 0, 2.1]);
    const r = restrictMixture(p, [2, 0], false);
    expect(Array.from(r.means)).toEqual([5, 6, 1, 2]);
    expect(Array.from(r.weights)).toEqual([3, 1]);
    expect(r.classOf).toBeNull();
    expect(Array.from(restrictMixture(p, [2, 0], true).classOf!)).toEqual([0, 1]);
  });
});
