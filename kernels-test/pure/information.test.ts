// Information diagnostics without a GPU: row entropies, the finite-difference entropy rate, the entropic
// schedule from closed-form Gaussian errors against its closed form (both kinds), explicit sampler grids
// (setTimesteps with a timestep list), the collapse closed form, and the two-Gaussian entropy reference.
import { describe, expect, it } from 'vitest';
import { entropyRate, rowEntropies } from '../../src/analysis/class-entropy.js';
import { entropicSchedule, logSigmaSteps } from '../../src/analysis/entropic-time.js';
import { collapseTimeGaussian } from '../../src/analysis/collapse.js';
import { abarToSigma, makeSchedule } from '../../src/schedule/schedules.js';
import { samplerGrid } from '../../src/samplers/grid.js';
import { ddimScheduler, ddpmScheduler } from '../../src/samplers/scheduler.js';
import { expectClose } from '../compare.js';
import { gaussianEntropicSigmas, gaussianMse, twoGaussianEntropy } from '../ref/information.js';

describe('class entropy helpers', () => {
  it('rowEntropies: uniform rows give log C, one-hot rows 0', () => {
    const p = Float64Array.from([0.25, 0.25, 0.25, 0.25, 0, 1, 0, 0, 0.5, 0.5, 0, 0]);
    expectClose(rowEntropies(p, 3, 4), [Math.log(4), 0, Math.log(2)], { atol: 1e-15 });
    expect(() => rowEntropies(p, 2, 4)).toThrow(/expected n \* C = 2 \* 4/);
  });

  it('entropyRate: exact for a quadratic on an unsorted non-uniform grid, peak at the largest slope', () => {
    const steps = [30, 1, 7, 12, 50, 19];
    const f = (t: number) => -0.01 * (t - 20) ** 2 + 3 * t;
    const r = entropyRate(steps, steps.map(f));
    expect(Array.from(r.steps)).toEqual([1, 7, 12, 19, 30, 50]);
    // Inside: exact derivative 3 - 0.02 (t - 20); ends one-sided (exact for the secant).
    for (let k = 1; k < 5; k++) expect(r.rate[k]).toBeCloseTo(3 - 0.02 * (r.steps[k]! - 20), 10);
    expect(r.rate[0]).toBeCloseTo((f(7) - f(1)) / 6, 10);
    expect(r.peakStep).toBe(1);
    expect(() => entropyRate([3, 3], [0, 1])).toThrow(/step 3 appears twice/);
    expect(() => entropyRate([3], [0])).toThrow(/at least 2 steps/);
  });

  it('twoGaussianEntropy: log 2 in pure noise, 0 for far-apart classes, decreasing in abar', () => {
    expect(twoGaussianEntropy(1, 0.1, 1e-16)).toBeCloseTo(Math.log(2), 12);
    expect(twoGaussianEntropy(400, 0.1, 0.999)).toBeLessThan(1e-12);
    let prev = Infinity;
    for (const a of [0.001, 0.01, 0.1, 0.5, 0.9]) {
      const h = twoGaussianEntropy(4, 0.25, a);
      expect(h).toBeLessThan(prev);
      prev = h;
    }
  });
});

describe('entropic schedule', () => {
  const sch = makeSchedule('linear', 1000);
  const grid = logSigmaSteps(sch, 400);
  const sigma = Float64Array.from(grid, (t) => abarToSigma(sch.alphasCumprod[t - 1]!));
  const lo = sigma[0]!;
  const hi = sigma[sigma.length - 1]!;

  it('logSigmaSteps: ascending unique steps from 1 to T', () => {
    expect(grid[0]).toBe(1);
    expect(grid[grid.length - 1]).toBe(1000);
    for (let k = 1; k < grid.length; k++) expect(grid[k]!).toBeGreaterThan(grid[k - 1]!);
  });

  const cases = [
    { kind: 'rescaled' as const, c2: 1, n: 10 },
    { kind: 'rescaled' as const, c2: 0.05, n: 7 },
    { kind: 'entropic' as const, c2: 1, n: 10 },
    { kind: 'entropic' as const, c2: 4, n: 25 },
  ];
  for (const { kind, c2, n } of cases) {
    it(`${kind}, Gaussian data of variance ${c2}, ${n} steps: equal steps of the closed form`, () => {
      const mse = Float64Array.from(sigma, (s) => gaussianMse(c2, s));
      const e = entropicSchedule(sch, { sigma, mse }, n, { kind });
      const want = gaussianEntropicSigmas(c2, lo, hi, n, kind);
      // Trapezoid in log sigma with 400 nodes over ~9.7 e-folds (h ~ 0.024): O(h^2) relative error ~ 1e-4;
      // inversion by linear interpolation adds the same order.
      expectClose(e.targetSigmas, want, { rtol: 2e-3, atol: 0, label: `${kind} target sigmas` });
      expect(e.timesteps[0]).toBe(1000);
      expect(e.timesteps[n - 1]).toBe(1);
      for (let j = 1; j < n; j++) expect(e.timesteps[j]!).toBeLessThan(e.timesteps[j - 1]!);
      expect(e.json.timesteps).toEqual(Array.from(e.timesteps, (t) => t - 1));
      expect(e.json.sigmas.length).toBe(n);
      let sum = 0;
      for (const v of e.increments) sum += v;
      expect(sum).toBeCloseTo(1, 6);
    });
  }

  it('rescaled time for Gaussian data is uniform in arctan(sigma / c)', () => {
    const c2 = 0.5;
    const e = entropicSchedule(sch, { sigma, mse: Float64Array.from(sigma, (s) => gaussianMse(c2, s)) }, 12, {
      kind: 'rescaled',
    });
    const th = Array.from(e.targetSigmas, (s) => Math.atan(s / Math.sqrt(c2)));
    const d0 = th[0]! - th[1]!;
    for (let j = 1; j < 11; j++) expect(Math.abs(th[j]! - th[j + 1]! - d0)).toBeLessThan(2e-3 * d0);
  });

  it('rejects bad input, naming the value', () => {
    const mse = Float64Array.from(sigma, (s) => gaussianMse(1, s));
    expect(() => entropicSchedule(sch, { sigma, mse }, 5, { kind: 'bogus' as never })).toThrow(
      /unknown kind 'bogus'; valid: entropic, rescaled/,
    );
    expect(() => entropicSchedule(sch, { sigma: Float64Array.of(1, 0.5), mse: Float64Array.of(1, 1) }, 2)).toThrow(
      /strictly ascending/,
    );
    expect(() => entropicSchedule(sch, { sigma, mse: new Float64Array(sigma.length) }, 5)).toThrow(/carry no entropy/);
    expect(() => entropicSchedule(sch, { sigma, mse }, 1001)).toThrow(/n \(at most the grid's largest step 1000\)/);
  });
});

describe('explicit sampler grids', () => {
  const sch = makeSchedule('linear', 1000);

  it('samplerGrid and setTimesteps take a strictly descending list', () => {
    const g = samplerGrid(sch, 4, { timesteps: [900, 400, 37, 1] });
    expect(Array.from(g.steps)).toEqual([900, 400, 37, 1]);
    expect(g.alphasCumprod[1]).toBe(sch.alphasCumprod[399]);
    expect(g.prevAlphasCumprod[3]).toBe(1);
    const d = ddimScheduler(sch);
    expect(Array.from(d.setTimesteps(3, { timesteps: Int32Array.of(1000, 500, 2) }))).toEqual([1000, 500, 2]);
    expect(d.coefficients(500).a).toBeCloseTo(Math.sqrt(sch.alphasCumprod[1]! / sch.alphasCumprod[499]!), 12);
    const p = ddpmScheduler(sch);
    p.setTimesteps(2, { timesteps: [10, 3], start: 10 });
    expect(Array.from(p.timesteps)).toEqual([10, 3]);
  });

  it('rejects bad lists', () => {
    expect(() => samplerGrid(sch, 3, { timesteps: [900, 400] })).toThrow(/holds 2 steps but the number of steps is 3/);
    expect(() => samplerGrid(sch, 3, { timesteps: [900, 900, 1] })).toThrow(
      /strictly descending, got 900 then 900 at 1/,
    );
    expect(() => samplerGrid(sch, 2, { timesteps: [1001, 1] })).toThrow(
      /timesteps\[0\] must be an integer in \[1, 1000\], got 1001/,
    );
    expect(() => samplerGrid(sch, 2, { timesteps: [10, 1], start: 20 })).toThrow(
      /start at 10 but the start step is 20/,
    );
    expect(() => samplerGrid(sch, 2, { timesteps: [2.5, 1] })).toThrow(/got 2.5/);
  });
});

describe('collapse closed form', () => {
  it('t_C solves n^{2/d} = (sigma^2 e^{-2t} + 1 - e^{-2t}) / (1 - e^{-2t})', () => {
    for (const [n, d, s2] of [
      [64, 8, 1],
      [1000, 20, 2.5],
      [2, 1, 0.1],
    ] as const) {
      const { t, abar } = collapseTimeGaussian(n, d, s2);
      expect(abar).toBeCloseTo(Math.exp(-2 * t), 14);
      expect((s2 * abar + 1 - abar) / (1 - abar)).toBeCloseTo(n ** (2 / d), 9);
    }
    expect(collapseTimeGaussian(64, 8, 1).t).toBeCloseTo(0.5 * Math.log(1 + 1 / (Math.sqrt(8) - 1)), 12);
    expect(() => collapseTimeGaussian(1, 8, 1)).toThrow(/n must be an integer in \[2/);
    expect(() => collapseTimeGaussian(4, 8, 0)).toThrow(/sigma2 must be finite and > 0, got 0/);
  });
});
