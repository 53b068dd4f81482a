// Entropic time (src/analysis/entropic-time.ts) with the exact Gaussian denoiser (gmmDenoiser, one
// isotropic component of variance c^2): the measured mse(sigma) against c^2 sigma^2 / (c^2 + sigma^2), the
// rescaled schedule uniform in arctan(sigma / c) and the entropic one uniform in log(sigma / sqrt(c^2 +
// sigma^2)); the timesteps drive a DDIM sampler through setTimesteps(n, { timesteps }).
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { denoisingError, entropicSchedule, logSigmaSteps } from '../../src/analysis/entropic-time.js';
import { gmmDenoiser, isotropicCovariances } from '../../src/models/gmm-denoiser.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { ddimScheduler } from '../../src/samplers/scheduler.js';
import { sample } from '../../src/samplers/sample.js';
import { expectClose } from '../compare.js';
import { gaussian } from '../random.js';
import { gaussianEntropicSigmas, gaussianMse } from '../ref/information.js';

const schedule = makeSchedule('linear', 1000);

describeGpu('entropic time', (get) => {
  it('Gaussian data: mse(sigma) and both schedules match the closed forms; a sampler runs on the timesteps', async () => {
    const ctx = get();
    const [D, c2, n] = [4, 0.5, 2000];
    const d = gmmDenoiser(
      ctx,
      { K: 1, D, means: new Float64Array(D), covs: isotropicCovariances(c2, 1, D), weights: [1], classOf: null },
      schedule,
    );
    try {
      const g = gaussian(31);
      const x0 = Float32Array.from({ length: n * D }, () => Math.sqrt(c2) * g());
      const err = await denoisingError(ctx, d, x0, [n, D], logSigmaSteps(schedule, 60), { seed: 9 });
      const want = Float64Array.from(err.sigma, (s) => gaussianMse(c2, s));
      for (let k = 0; k < want.length; k++) {
        // 5 standard errors of the row mean, plus f32 eps rounding (~1e-6 relative).
        expect(
          Math.abs(err.mse[k]! - want[k]!),
          `sigma ${err.sigma[k]}: ${err.mse[k]} vs ${want[k]}`,
        ).toBeLessThanOrEqual(5 * err.stdError[k]! + 1e-6 * want[k]!);
      }
      const [lo, hi] = [err.sigma[0]!, err.sigma[err.sigma.length - 1]!];
      for (const kind of ['rescaled', 'entropic'] as const) {
        const e = entropicSchedule(schedule, err, 10, { kind });
        // The mse has ~1.6% relative noise per step (sqrt(2 / D) / sqrt(n)), shared between steps through the
        // common eps; the 60-node trapezoid adds ~1e-3: 5% on the target sigmas.
        expectClose(e.targetSigmas, gaussianEntropicSigmas(c2, lo, hi, 10, kind), {
          rtol: 0.05,
          atol: 0,
          label: `${kind} sigmas`,
        });
        expect(e.timesteps[0]).toBe(1000);
        expect(e.timesteps[9]).toBe(1);
      }
      const e = entropicSchedule(schedule, err, 8, { kind: 'rescaled' });
      const sch = ddimScheduler(schedule);
      sch.setTimesteps(8, { timesteps: e.timesteps });
      const out = await sample(ctx, d, { n: 16, classes: null, seed: 2, scheduler: sch });
      expect(Array.from(out.timesteps)).toEqual(Array.from(e.timesteps));
      expect(out.denoiserCalls).toBe(8);
      expect(JSON.parse(JSON.stringify(e.json)).timesteps[0]).toBe(999);
    } finally {
      d.dispose();
    }
  });
});
