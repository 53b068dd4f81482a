// Diffusion classifier on the GPU: the Monte-Carlo errors of the exact Gaussian-mixture denoiser (one
// Gaussian per class) against the closed form E ||eps - eps_hat_k||², the same noises for every class,
// determinism, and bad input.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { gmmDenoiser } from '../../src/models/gmm-denoiser.js';
import { classifierErrors, expectedClassifierErrors } from '../../src/experiments/diffusion-classifier.js';
import { abarSchedule } from '../denoiser-fixtures.js';
import { gaussian } from '../random.js';

function mixture(K: number, D: number, seed: number) {
  const g = gaussian(seed);
  const means = Float64Array.from({ length: K * D }, () => g());
  const covs = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) {
    const A = Float64Array.from({ length: D * D }, () => g());
    for (let i = 0; i < D; i++)
      for (let j = 0; j < D; j++) {
        let s = 0;
        for (let r = 0; r < D; r++) s += A[i * D + r]! * A[j * D + r]!;
        covs[(k * D + i) * D + j] = s / D + (i === j ? 0.05 : 0);
      }
  }
  return { K, D, means, covs, weights: new Float64Array(K).fill(1) };
}

describeGpu('diffusion classifier', (getCtx) => {
  it.each([
    [3, 5, 7],
    [2, 17, 3],
  ])('K = %i, D = %i, n = %i: Monte-Carlo errors match the closed form', async (K, D, n) => {
    const ctx = getCtx();
    const p = mixture(K, D, 100 + D);
    const abars = [0.999, 0.7, 0.2, 0.01];
    const sched = abarSchedule(abars);
    const d = gmmDenoiser(ctx, p, sched);
    const g = gaussian(7 + n);
    const x = Float32Array.from({ length: n * D }, () => g());
    const steps = [1, 2, 3, 4];
    const J = 64;
    try {
      const { err, calls } = await classifierErrors(ctx, d, x, n, { steps, noises: J, seed: 3 });
      expect(calls).toBe(steps.length * J * K);
      const cf = expectedClassifierErrors(p, x, n, steps, (t) => abars[t - 1]!);
      // ||e||² with e ~ N(m, A²), A = I - (1 - abar) S^-1 has eigenvalues in [0, 1), so
      // Var ||e||² = 2 tr(A⁴) + 4 m' A² m <= 2 D + 4 ||m||² <= 2 D + 4 E; the mean of J draws is within
      // 5 sd of E: |mc - E| <= 5 sqrt((2 D + 4 E) / J) (f32 rounding is far below that).
      for (let i = 0; i < err.length; i++) {
        const tol = 5 * Math.sqrt((2 * D + 4 * cf[i]!) / J);
        expect(Math.abs(err[i]! - cf[i]!), `entry ${i}: mc ${err[i]} closed form ${cf[i]}`).toBeLessThanOrEqual(tol);
      }
      // Same seed, same errors (the noises are Philox draws of (seed, row, step, stream)).
      const again = await classifierErrors(ctx, d, x, n, { steps: [2], noises: 1, seed: 3 });
      const once = await classifierErrors(ctx, d, x, n, { steps: [2], noises: 1, seed: 3 });
      expect(Array.from(again.err)).toEqual(Array.from(once.err));
    } finally {
      d.dispose();
    }
  });

  it('refuses an unconditional denoiser and a bad noise count', async () => {
    const ctx = getCtx();
    const p = mixture(2, 3, 1);
    const d = gmmDenoiser(ctx, { ...p, classOf: null }, abarSchedule([0.5]));
    const d2 = gmmDenoiser(ctx, p, abarSchedule([0.5]));
    try {
      await expect(
        classifierErrors(ctx, d, new Float32Array(3), 1, { steps: [1], noises: 1, seed: 0 }),
      ).rejects.toThrow(/class-conditional denoiser; 'gmm' has 0 classes/);
      await expect(
        classifierErrors(ctx, d2, new Float32Array(3), 1, { steps: [1], noises: 0, seed: 0 }),
      ).rejects.toThrow(/noises must be an integer in \[1, 64\], got 0/);
    } finally {
      d.dispose();
      d2.dispose();
    }
  });
});
