// Class entropy H(C | x_t) over steps (src/analysis/class-entropy.ts): exact for the Gaussian mixture against
// the closed-form two-Gaussian integral (1-D and 3-D, with its rate peak), for the empirical denoiser against
// a float64 posterior over training points on the same x_t; bad input.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { classEntropySteps, entropyRate, INFORMATION_STREAM } from '../../src/analysis/class-entropy.js';
import { gmmDenoiser, isotropicCovariances } from '../../src/models/gmm-denoiser.js';
import { empiricalDenoiser } from '../../src/models/empirical-denoiser.js';
import { standardNormals } from '../../src/kernels/forward_noise.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { expectClose } from '../compare.js';
import { gaussian, rng } from '../random.js';
import { empiricalPosteriorRef, entropyRef, twoGaussianEntropy } from '../ref/information.js';

const schedule = makeSchedule('linear', 1000);

/** n rows, half from N(+m, s2 I) and half from N(-m, s2 I) (stratified: the class weights are exact). */
function twoGaussianData(m: number[], s2: number, n: number, seed: number): Float32Array {
  const g = gaussian(seed);
  const D = m.length;
  return Float32Array.from(
    { length: n * D },
    (_, i) => (Math.floor(i / D) % 2 === 0 ? 1 : -1) * m[i % D]! + Math.sqrt(s2) * g(),
  );
}

describeGpu('class entropy', (get) => {
  const cases = [
    { m: [2], s2: 0.25, seed: 11 },
    { m: [0.6, -0.9, 1.2], s2: 0.5, seed: 12 },
  ];
  for (const { m, s2, seed } of cases) {
    it(`two symmetric Gaussians in ${m.length}-D: H(C | x_t) and its rate peak match the closed form (seed ${seed})`, async () => {
      const ctx = get();
      const D = m.length;
      const m2 = m.reduce((s, v) => s + v * v, 0);
      const d = gmmDenoiser(
        ctx,
        {
          K: 2,
          D,
          means: [...m, ...m.map((v) => -v)],
          covs: isotropicCovariances(s2, 2, D),
          weights: [1, 1],
          classOf: [0, 1],
        },
        schedule,
      );
      try {
        const n = 4096;
        const steps = Array.from({ length: 40 }, (_, k) => 1 + 25 * k);
        const r = await classEntropySteps(ctx, d, twoGaussianData(m, s2, n, seed), [n, D], steps, { seed });
        const want = Array.from(r.abar, (a) => twoGaussianEntropy(m2, s2, a));
        // Monte-Carlo: 5 standard errors of the batch mean, plus 2e-3 nats: at low-entropy steps the mean is
        // carried by the few rows near the class boundary, so the sample standard error is itself uncertain
        // (seeds 11..13 reach 5.0 standard errors there, with no sign bias); the f32 log-likelihoods add ~1e-5.
        for (let k = 0; k < steps.length; k++) {
          expect(
            Math.abs(r.entropy[k]! - want[k]!),
            `step ${r.steps[k]}: ${r.entropy[k]} vs ${want[k]} (seed ${seed})`,
          ).toBeLessThanOrEqual(5 * r.stdError[k]! + 2e-3);
        }
        // Closed-form rate on every step; the measured peak (grid spacing 25) within two grid spacings.
        const all = Array.from({ length: 1000 }, (_, i) => i + 1);
        const exact = entropyRate(
          all,
          all.map((t) => twoGaussianEntropy(m2, s2, schedule.alphasCumprod[t - 1]!)),
        );
        expect(
          Math.abs(r.decisionStep - exact.peakStep),
          `decision step ${r.decisionStep} vs closed form ${exact.peakStep}`,
        ).toBeLessThanOrEqual(50);
        expect(r.entropy[r.entropy.length - 1]).toBeCloseTo(Math.log(2), 2);
      } finally {
        d.dispose();
      }
    });
  }

  it('empirical denoiser: per-row H(C | x_t) equals the float64 posterior over training points', async () => {
    const ctx = get();
    const [M, D, C] = [53, 5, 3];
    const g = gaussian(21);
    const u = rng(22);
    const labels = Int32Array.from({ length: M }, (_, j) => (j < C ? j : Math.floor(u() * C)));
    const y = Float32Array.from({ length: M * D }, (_, i) => labels[Math.floor(i / D)]! * 0.8 + 0.7 * g());
    // Chunks of 16 rows: several chunks per class, so the per-chunk (max, sum) combination is exercised.
    const d = empiricalDenoiser(ctx, y, [M, D], schedule, { labels, chunkRows: 16 });
    try {
      const steps = [1, 40, 150, 400, 999];
      const r = await classEntropySteps(ctx, d, y, [M, D], steps, { seed: 5, keepRows: true });
      const eps = await standardNormals(ctx, M, D, { seed: 5, stream: INFORMATION_STREAM });
      for (let k = 0; k < steps.length; k++) {
        const a = r.abar[k]!;
        const x = Float32Array.from(y, (v, i) => Math.sqrt(a) * v + Math.sqrt(1 - a) * eps[i]!);
        const h = entropyRef(empiricalPosteriorRef(y, labels, M, D, C, x, M, a), M, C);
        const got = Float64Array.from({ length: M }, (_, i) => r.rows![i * steps.length + k]!);
        // f32 logits (sqrt(abar) x.y - abar |y|^2 / 2) / (1 - abar) of size <= ~1e3 at step 1 carry
        // ~1e-4 absolute rounding; the entropy moves by at most that times |log p| ~ 10 where p is not tiny.
        expectClose(got, h, { atol: 2e-3, rtol: 0, label: `row entropies at step ${steps[k]}` });
      }
      expect(r.entropy[0]).toBeLessThan(1e-3);
    } finally {
      d.dispose();
    }
  });

  it('rejects unconditional denoisers, too few steps and mismatched data', async () => {
    const ctx = get();
    const d = gmmDenoiser(
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
      const x = Float32Array.of(1, -1);
      await expect(classEntropySteps(ctx, d, x, [2, 1], [1, 2], { seed: 1 })).rejects.toThrow(
        /gmm denoiser is unconditional/,
      );
      await expect(classEntropySteps(ctx, c, x, [2, 1], [5], { seed: 1 })).rejects.toThrow(/at least 2 steps/);
      await expect(classEntropySteps(ctx, c, x, [1, 2], [1, 2], { seed: 1 })).rejects.toThrow(
        /x0 has 2 columns but the denoiser's dimension is 1/,
      );
      await expect(classEntropySteps(ctx, c, x, [2, 1], [0, 2], { seed: 1 })).rejects.toThrow(
        /steps\[0\] must be an integer in \[1, 1000\], got 0/,
      );
    } finally {
      d.dispose();
      c.dispose();
    }
  });
});
