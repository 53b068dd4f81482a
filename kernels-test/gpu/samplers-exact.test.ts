// Samplers with exact denoisers against closed forms and statistics: DDIM (eta = 0) with the exact
// denoiser of N(m, s2 I) data is the linear map x_0 = m + prod_k g_k (x_s - sqrt(abar_s) m); DDPM with the
// exact Gaussian-mixture denoiser reproduces the mixture's mean and covariance (z-scores), conditionally
// and unconditionally.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { expectWithinBound, zScores } from './sampler-fixtures.js';
import { gmmDenoiser, diagonalCovariances, isotropicCovariances } from '../../src/models/gmm-denoiser.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { standardNormals } from '../../src/kernels/forward_noise.js';
import { seedKey } from '../../src/runtime/check.js';
import { ddimScheduler, ddpmScheduler, sample, SAMPLE_STREAM } from '../../src/samplers/index.js';
import { gmmRef } from '../ref/gmm-denoiser.js';
import { sampleRef } from '../ref/samplers.js';
import { randn } from '../random.js';
import { expectClose } from '../compare.js';

describeGpu('samplers with exact denoisers', (get) => {
  it('DDIM eta = 0 on N(m, s2 I) data is the closed-form linear map (from T and from a late step)', async () => {
    const ctx = get();
    const [n, D, s2] = [257, 5, 1.7];
    const schedule = makeSchedule('linear', 100, { betaStart: 1e-3, betaEnd: 0.2 });
    const means = randn(D, 31);
    const params = { K: 1, D, means, covs: isotropicCovariances(s2, 1, D), weights: [1], classOf: null };
    const den = gmmDenoiser(ctx, params, schedule);
    try {
      for (const [steps, start] of [
        [10, 100],
        [6, 37],
      ] as const) {
        const res = await sample(ctx, den, {
          n,
          classes: null,
          seed: 5,
          scheduler: ddimScheduler(schedule),
          steps,
          start: { step: start },
        });
        const xs = await standardNormals(ctx, n, D, { seed: 5, stream: SAMPLE_STREAM, step: 0 });
        // Exact eps = sqrt(1 - a) u / v with u = x - sqrt(a) m, v = a s2 + 1 - a; DDIM's x_prev = sqrt(ap) x0_hat
        // + sqrt(1 - ap) eps gives u_prev = g u, g = (sqrt(ap a) s2 + sqrt((1 - ap)(1 - a))) / v.
        const t = Array.from(res.timesteps);
        const ab = t.map((k) => schedule.alphasCumprod[k - 1]!);
        let G = 1;
        ab.forEach((a, k) => {
          const ap = k + 1 < ab.length ? ab[k + 1]! : 1;
          G *= (Math.sqrt(ap * a) * s2 + Math.sqrt((1 - ap) * (1 - a))) / (a * s2 + 1 - a);
        });
        const closed = Float64Array.from(xs, (v, i) => means[i % D]! + G * (v - Math.sqrt(ab[0]!) * means[i % D]!));
        const ref = sampleRef({
          kind: { kind: 'ddim', eta: 0 },
          steps: t,
          abar: ab,
          x: xs,
          n,
          D,
          key: seedKey(5),
          stream: SAMPLE_STREAM,
          eps: (x, k) => gmmRef(params, schedule.alphasCumprod[k - 1]!, x, n).eps,
          slope: (k) =>
            Math.sqrt(1 - schedule.alphasCumprod[k - 1]!) /
            (schedule.alphasCumprod[k - 1]! * s2 + 1 - schedule.alphasCumprod[k - 1]!),
          epsBound: (x, k) => gmmRef(params, schedule.alphasCumprod[k - 1]!, x, n).bound,
        });
        // The float64 chain is the closed form up to float64 rounding.
        expectClose(ref.x, closed, { atol: 1e-12, rtol: 1e-12, label: 'ref vs closed form' });
        // GPU: 2x the first-order bound (the denoiser's own f32 error bound from ref/gmm-denoiser.ts included).
        expectWithinBound(res.x, closed, ref.bound, 2, 1e-7, `gpu vs closed form (${steps} steps from ${start})`);
      }
    } finally {
      den.dispose();
    }
  });

  it('DDPM with the exact mixture denoiser reproduces the mixture mean and covariance (class 0 and unconditional)', async () => {
    const ctx = get();
    const [K, D, n] = [3, 3, 4000];
    const means = [2, 0, -1, -2, 1, 0.5, 0, -2, 1.5];
    const vars = [0.3, 0.5, 0.2, 0.6, 0.2, 0.4, 0.25, 0.35, 0.5];
    const weights = [0.5, 0.3, 0.2];
    const classOf = [0, 0, 1];
    // The full 200-step cosine chain: a 100-step respacing of linear T = 1000 biases the variances by
    // ~ -0.03 sd (measured: z ~ -3.8 at n = 20000), the full chains by less than the sampling error.
    const schedule = makeSchedule('cosine', 200);
    const den = gmmDenoiser(ctx, { K, D, means, covs: diagonalCovariances(vars, K, D), weights, classOf }, schedule);
    const moments = (ks: number[]) => {
      const wsum = ks.reduce((s, k) => s + weights[k]!, 0);
      const mu = Array.from({ length: D }, (_, d) =>
        ks.reduce((s, k) => s + (weights[k]! / wsum) * means[k * D + d]!, 0),
      );
      const cov = Array.from({ length: D * D }, (_, ij) => {
        const [a, b] = [Math.floor(ij / D), ij % D];
        return ks.reduce(
          (s, k) =>
            s +
            (weights[k]! / wsum) *
              ((a === b ? vars[k * D + a]! : 0) + (means[k * D + a]! - mu[a]!) * (means[k * D + b]! - mu[b]!)),
          0,
        );
      });
      return { mu, cov };
    };
    try {
      const classes = Int32Array.from({ length: n }, (_, i) => (i < n / 2 ? 0 : -1));
      const res = await sample(ctx, den, { n, classes, seed: 17, scheduler: ddpmScheduler(schedule) });
      expect(res.denoiserCalls).toBe(200);
      for (const [label, rows, ks] of [
        ['class 0', res.x.subarray(0, (n / 2) * D), [0, 1]],
        ['unconditional', res.x.subarray((n / 2) * D), [0, 1, 2]],
      ] as const) {
        const { mu, cov } = moments([...ks]);
        const z = zScores(rows, n / 2, D, mu, cov);
        // 9 z-scores per group, 18 in all: with an unbiased sampler P(any |z| > 4) ~ 18 * 6.3e-5 = 1e-3.
        for (const v of [...z.mean, ...z.cov])
          expect(
            Math.abs(v),
            `${label}: z-scores mean ${z.mean.map((q) => q.toFixed(2))} cov ${z.cov.map((q) => q.toFixed(2))}`,
          ).toBeLessThan(4);
      }
    } finally {
      den.dispose();
    }
  });
});
