// Collapse (Biroli et al. 2024; src/analysis/collapse.ts): the step where the empirical denoiser's sampler
// settles on training points, against the closed form t_C = 1/2 log(1 + sigma^2 / (n^{2/d} - 1)); bad input.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { collapseStep, collapseTimeGaussian } from '../../src/analysis/collapse.js';
import { empiricalDenoiser } from '../../src/models/empirical-denoiser.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { ddpmScheduler } from '../../src/samplers/scheduler.js';
import { gaussian } from '../random.js';

const schedule = makeSchedule('linear', 1000);

describeGpu('collapse', (get) => {
  it('collapse: the median settling time of the empirical sampler is near t_C for 64 points in 8-D', async () => {
    const ctx = get();
    const [M, D] = [64, 8];
    const g = gaussian(41);
    const y = Float32Array.from({ length: M * D }, () => g());
    const d = empiricalDenoiser(ctx, y, [M, D], schedule);
    try {
      const r = await collapseStep(ctx, d, y, [M, D], {
        n: 128,
        seed: 7,
        scheduler: ddpmScheduler(schedule),
        steps: 500,
      });
      const tc = collapseTimeGaussian(M, D, 1).t;
      // float64 simulations of this setting (5 seeds, 128 trajectories) put the median at t = 0.20..0.245
      // against t_C = 0.218 (the closed form is exact only as d -> infinity): 25% in OU time.
      expect(
        Math.abs(r.collapseOuTime - tc) / tc,
        `collapse t ${r.collapseOuTime} (step ${r.collapseStep}) vs t_C ${tc}`,
      ).toBeLessThanOrEqual(0.25);
      expect(r.settledFraction[r.settledFraction.length - 1]).toBe(1);
      for (let k = 1; k < r.settledFraction.length; k++)
        expect(r.settledFraction[k]!).toBeGreaterThanOrEqual(r.settledFraction[k - 1]!);
      // Memorisation: every final sample sits on a training point.
      expect(Math.max(...r.finalDistance)).toBeLessThan(0.05);
      const r9 = await collapseStep(ctx, d, y, [M, D], {
        n: 32,
        seed: 7,
        scheduler: ddpmScheduler(schedule),
        steps: 100,
        fraction: 0.9,
      });
      expect(r9.fraction).toBe(0.9);
      await expect(
        collapseStep(ctx, d, y, [M, D], { n: 4, seed: 1, scheduler: ddpmScheduler(schedule), steps: 10, fraction: 0 }),
      ).rejects.toThrow(/fraction must be in \(0, 1\], got 0/);
      await expect(
        collapseStep(ctx, d, y, [M, 4], { n: 4, seed: 1, scheduler: ddpmScheduler(schedule), steps: 10 }),
      ).rejects.toThrow(/shape|columns/);
    } finally {
      d.dispose();
    }
  });
});
