// Online Bayesian classifier along sampling trajectories (src/analysis/online-classifier.ts): with the exact
// Gaussian-mixture denoiser and a fine DDPM grid, p(c | x_s, ..., x_t) = p(c | x_t), so its mean entropy
// matches the exact H(C | x_t) of classEntropySteps (and so the closed form); unconditional chains; the
// refusals (unconditional denoiser, deterministic grid, bad prior).
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { onlineClassEntropy } from '../../src/analysis/online-classifier.js';
import { gmmDenoiser, isotropicCovariances } from '../../src/models/gmm-denoiser.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { ddimScheduler, ddpmScheduler } from '../../src/samplers/scheduler.js';
import { twoGaussianEntropy } from '../ref/information.js';

// T = 250 with DDPM's betas scaled by 1000 / T (iDDPM): the same abar curve as T = 1000, 4x fewer calls.
const schedule = makeSchedule('linear', 250, { betaStart: 4e-4, betaEnd: 0.08 });
const [m, s2] = [1.5, 0.25];

describeGpu('online class entropy', (get) => {
  it('exact mixture, class-conditional chains: the online entropy follows the closed-form H(C | x_t)', async () => {
    const ctx = get();
    const d = gmmDenoiser(
      ctx,
      { K: 2, D: 1, means: [m, -m], covs: isotropicCovariances(s2, 2, 1), weights: [1, 1], classOf: [0, 1] },
      schedule,
    );
    try {
      const n = 1024;
      const r = await onlineClassEntropy(ctx, d, { n, seed: 3, scheduler: ddpmScheduler(schedule), steps: 250 });
      expect(r.denoiserCalls).toBe(250);
      expect(r.steps[0]).toBe(250);
      expect(r.steps[r.steps.length - 1]).toBe(0);
      expect(r.entropy[0]).toBeCloseTo(Math.log(2), 12);
      let worst = 0;
      for (let k = 0; k < r.steps.length; k++) {
        const t = r.steps[k]!;
        const want = twoGaussianEntropy(m * m, s2, t === 0 ? 1 : schedule.alphasCumprod[t - 1]!);
        // Monte-Carlo (5 standard errors) plus 0.01 nats for the discrete chain: the true reverse kernel of a
        // mixture is a Gaussian mixture, wider than DDPM's fixed_small variance by ~beta / (1 - abar_prev)
        // at the last steps (measured: |dH| <= 0.015 nats, within 2.1 standard errors, at every step).
        // 0.01 nats is the allowance on top of the 5 standard errors.
        const err = Math.abs(r.entropy[k]! - want);
        worst = Math.max(worst, err);
        expect(err, `step ${t}: online ${r.entropy[k]} vs closed form ${want}`).toBeLessThanOrEqual(
          5 * r.stdError[k]! + 0.01,
        );
      }
      const all = Array.from({ length: 250 }, (_, i) => i + 1);
      const hs = all.map((t) => twoGaussianEntropy(m * m, s2, schedule.alphasCumprod[t - 1]!));
      let peak = 1;
      for (let t = 2; t < 250; t++) if (hs[t]! - hs[t - 2]! > hs[peak]! - hs[Math.max(peak - 2, 0)]!) peak = t;
      // The rate of a 1024-row mean on 1-step differences is noisy: within 25 steps (a tenth of the chain).
      expect(
        Math.abs(r.decisionStep - peak),
        `decision step ${r.decisionStep} vs closed form ${peak}; worst |dH| ${worst}`,
      ).toBeLessThanOrEqual(25);
      expect(r.accuracy!).toBeGreaterThan(0.97);
      expect(r.entropyByClass!.length).toBe(2 * r.steps.length);
    } finally {
      d.dispose();
    }
  });

  it('unconditional chains on a respaced grid: entropy falls from log 2 to ~0 and no accuracy is claimed', async () => {
    const ctx = get();
    const d = gmmDenoiser(
      ctx,
      { K: 2, D: 2, means: [2, 0, -2, 0], covs: isotropicCovariances(0.1, 2, 2), weights: [1, 1], classOf: [0, 1] },
      schedule,
    );
    try {
      const r = await onlineClassEntropy(ctx, d, {
        n: 64,
        seed: 4,
        scheduler: ddpmScheduler(schedule),
        steps: 50,
        classes: null,
      });
      expect(r.denoiserCalls).toBe(50);
      expect(r.accuracy).toBeNull();
      expect(r.entropyByClass).toBeNull();
      expect(r.entropy[0]).toBeCloseTo(Math.log(2), 12);
      expect(r.entropy[r.entropy.length - 1]).toBeLessThan(0.05);
    } finally {
      d.dispose();
    }
  });

  it('refuses an unconditional denoiser, a deterministic grid and a bad prior', async () => {
    const ctx = get();
    const u = gmmDenoiser(
      ctx,
      { K: 2, D: 1, means: [1, -1], covs: isotropicCovariances(0.1, 2, 1), weights: [1, 1], classOf: null },
      schedule,
    );
    const c = gmmDenoiser(
      ctx,
      { K: 2, D: 1, means: [1, -1], covs: isotropicCovariances(0.1, 2, 1), weights: [1, 1] },
      schedule,
    );
    try {
      await expect(
        onlineClassEntropy(ctx, u, { n: 4, seed: 1, scheduler: ddpmScheduler(schedule), steps: 10 }),
      ).rejects.toThrow(/'gmm' denoiser has 0 classes; the online classifier needs a class-conditional denoiser/);
      await expect(
        onlineClassEntropy(ctx, c, { n: 4, seed: 1, scheduler: ddimScheduler(schedule), steps: 10 }),
      ).rejects.toThrow(/deterministic \(sigma = 0\)/);
      await expect(
        onlineClassEntropy(ctx, c, { n: 4, seed: 1, scheduler: ddpmScheduler(schedule), steps: 10, prior: [1, 0] }),
      ).rejects.toThrow(/prior\[1\] must be finite and > 0, got 0/);
      await expect(onlineClassEntropy(ctx, c, { n: 4, seed: 1, scheduler: ddpmScheduler(schedule) })).rejects.toThrow(
        /no grid/,
      );
      await expect(
        onlineClassEntropy(ctx, c, {
          n: 2,
          seed: 1,
          scheduler: ddpmScheduler(schedule),
          steps: 5,
          classes: Int32Array.of(0, 2),
        }),
      ).rejects.toThrow(/class label 2 at row 1/);
    } finally {
      u.dispose();
      c.dispose();
    }
  });
});
