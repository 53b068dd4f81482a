// Host logic of the critical-window, pulse and entropic-schedule experiments (src/experiments/critical-common.ts):
// curve normalisation, peak / steepest-change steps, pairwise agreement within 10% of T, the cosine and
// merger-aware grids (strictly descending, first step T, last 1, the stated share inside the window) and the
// seeded pulse centres.
import { describe, expect, it } from 'vitest';
import {
  agreement,
  clampCentre,
  cosineGrid,
  finiteList,
  medianOf,
  mergerAwareGrid,
  normaliseCurve,
  peakAtEnd,
  peakStep,
  pulseCentreRange,
  randomCentres,
  signalSteps,
  steepestStep,
  strictGrid,
} from '../../src/experiments/critical-common.js';
import { makeSchedule } from '../../src/schedule/schedules.js';

const strictlyDescending = (g: ArrayLike<number>, T: number) => {
  for (let j = 0; j < g.length; j++) {
    expect(Number.isInteger(g[j])).toBe(true);
    expect(g[j]).toBeGreaterThanOrEqual(1);
    expect(g[j]).toBeLessThanOrEqual(T);
    if (j > 0) expect(g[j]!).toBeLessThan(g[j - 1]!);
  }
};

describe('critical-window host logic', () => {
  it('normaliseCurve maps to [0, 1], non-finite to null, a flat curve to 0', () => {
    expect(normaliseCurve([2, 4, 3])).toEqual([0, 1, 0.5]);
    expect(normaliseCurve([1, Infinity, NaN, 3])).toEqual([0, null, null, 1]);
    expect(normaliseCurve([5, 5])).toEqual([0, 0]);
    expect(finiteList([1, Infinity, NaN])).toEqual([1, null, null]);
  });

  it.each([
    ['interior peak', [10, 20, 30, 40], [1, 5, 3, 2], 20, false],
    ['ties: the first', [10, 20, 30], [1, 5, 5], 20, false],
    ['monotone: the end', [10, 20, 30], [1, 2, 3], 30, true],
    ['non-finite skipped', [10, 20, 30], [NaN, Infinity, 1], 30, true],
  ])('peakStep: %s', (_n, steps, values, want, atEnd) => {
    expect(peakStep(steps, values)).toBe(want);
    expect(peakAtEnd(steps, values)).toBe(atEnd);
  });

  it('steepestStep: the largest |centred difference|, non-uniform steps, sign kept', () => {
    // v = t^2 on t = 1, 2, 4, 8: slopes (4 - 1) / 3 = 1 at 2, (64 - 4) / 6 = 10 at 4.
    expect(steepestStep([1, 2, 4, 8], [1, 4, 16, 64])).toEqual({ step: 4, slope: 10 });
    expect(steepestStep([1, 2, 3, 4], [0, 0, -3, -3])).toEqual({ step: 2, slope: -1.5 });
    expect(steepestStep([1, 2], [0, 1])).toBeNull();
    expect(() => steepestStep([1, 2, 3], [1, 2])).toThrow(/2 values for 3 steps/);
    // span 2 on t = 1..7: only t = 3..5 have entries 2 steps away; slopes (v(t + 2) - v(t - 2)) / 4 = 0.5, 0.725, 0.5.
    const t = [1, 2, 3, 4, 5, 6, 7];
    const v = [0, 0, 0, 1, 2, 2.9, 2];
    expect(steepestStep(t, v)).toEqual({ step: 4, slope: 1 });
    const w = steepestStep(t, v, 2)!;
    expect(w.step).toBe(4);
    expect(w.slope).toBeCloseTo(0.725, 12);
    expect(steepestStep(t, v, 4)).toBeNull();
  });

  it('agreement: pairs within 10% of T, null estimates left out, spread', () => {
    const a = agreement(
      [
        { name: 'a', step: 300 },
        { name: 'b', step: 390 },
        { name: 'c', step: null },
        { name: 'd', step: 420 },
      ],
      1000,
    );
    expect(a.tolerance).toBe(100);
    expect(a.pairs).toEqual([
      { a: 'a', b: 'b', diff: 90, agree: true },
      { a: 'a', b: 'd', diff: 120, agree: false },
      { a: 'b', b: 'd', diff: 30, agree: true },
    ]);
    expect(a.spread).toBe(120);
    expect(a.all).toBe(false);
    expect(
      agreement(
        [
          { name: 'a', step: 1 },
          { name: 'b', step: null },
        ],
        1000,
      ),
    ).toEqual({ pairs: [], spread: null, all: null, tolerance: 100 });
    expect(
      agreement(
        [
          { name: 'a', step: 100 },
          { name: 'b', step: 200 },
        ],
        1000,
      ).all,
    ).toBe(true);
  });

  it('medianOf and signalSteps', () => {
    expect(medianOf([3, null, 1, 2])).toBe(2);
    expect(medianOf([4, 1, 2, 3])).toBe(2.5);
    expect(medianOf([null])).toBeNull();
    expect(signalSteps(1000, 4)).toEqual([250, 500, 750, 1000]);
    expect(signalSteps(10, 10)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(() => signalSteps(1000, 1)).toThrow(/signal steps/);
  });
});

describe('sampler grids', () => {
  const sch = makeSchedule('linear', 1000);

  it('strictGrid: collisions pushed down and lifted to fit', () => {
    expect(Array.from(strictGrid([10, 10, 10], 3, 10))).toEqual([10, 9, 8]);
    expect(Array.from(strictGrid([1, 1, 1], 3, 10))).toEqual([3, 2, 1]);
    expect(Array.from(strictGrid([500, 1000, 1], 3, 1000))).toEqual([1000, 500, 1]);
  });

  it.each([2, 3, 5, 10, 20, 50])(
    'cosineGrid n = %i: T first, 1 last, strictly descending, the cosine abar at interior points',
    (n) => {
      const g = cosineGrid(sch, n);
      expect(g).toHaveLength(n);
      strictlyDescending(g, 1000);
      expect(g[0]).toBe(1000);
      expect(g[n - 1]).toBe(1);
      // At u = 1/2 the cosine abar is cos^2(0.504 pi / 2 / 1.008 ... ) ~ 0.49: the linear schedule reaches it near step 250.
      if (n === 3) expect(Math.abs(g[1]! - 250)).toBeLessThan(30);
    },
  );

  it.each([
    [5, 758, 423],
    [10, 758, 423],
    [20, 692, 317],
    [3, 758, 423],
    [2, 758, 423],
    [1, 758, 423],
    [20, null, null],
    [10, 600, 700],
  ])(
    'mergerAwareGrid n = %i (merger %s, speciation %s): T first, 1 last, round(0.6 (n - 1)) steps in the window',
    (n, merger, speciation) => {
      const { grid, window } = mergerAwareGrid(1000, n, merger, speciation);
      expect(grid).toHaveLength(n);
      strictlyDescending(grid, 1000);
      expect(grid[0]).toBe(1000);
      if (n >= 2) expect(grid[n - 1]).toBe(1);
      const [lo, hi] = window;
      expect(hi).toBe(merger ?? 1000);
      expect(lo).toBe(speciation !== null && merger !== null && speciation < merger ? speciation : 1);
      if (n >= 3 && merger !== null && hi < 1000) {
        const m = n - 1;
        const mIn = Math.min(m - 1, Math.max(1, Math.round(0.6 * m)));
        expect(
          Array.from(grid)
            .slice(1)
            .filter((t) => t >= lo && t <= hi).length,
        ).toBeGreaterThanOrEqual(mIn);
      }
    },
  );
});

describe('pulse centres', () => {
  it('pulseCentreRange keeps the window [ceil(c - w/2), floor(c + w/2)] inside 1..T', () => {
    expect(pulseCentreRange(1000, 100)).toEqual([51, 950]);
    expect(pulseCentreRange(1000, 101)).toEqual([52, 949]);
    expect(() => pulseCentreRange(10, 20)).toThrow(/does not fit/);
    expect(clampCentre(1000, 100, 10)).toBe(51);
    expect(clampCentre(1000, 100, 999)).toBe(950);
    expect(clampCentre(1000, 100, 420.4)).toBe(420);
  });

  it('randomCentres: seeded, inside the range, spread over it', () => {
    const a = randomCentres(1000, 100, 200, 7);
    expect(randomCentres(1000, 100, 200, 7)).toEqual(a);
    expect(randomCentres(1000, 100, 200, 8)).not.toEqual(a);
    for (const c of a) {
      expect(Number.isInteger(c)).toBe(true);
      expect(c).toBeGreaterThanOrEqual(51);
      expect(c).toBeLessThanOrEqual(950);
    }
    // 200 uniform draws over 900 values: the mean is within 4 standard errors (260 / sqrt(200) ~ 18) of 500.5.
    const mean = a.reduce((x, y) => x + y, 0) / a.length;
    expect(Math.abs(mean - 500.5)).toBeLessThan(75);
  });
});
