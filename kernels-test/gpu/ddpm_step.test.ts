// ddpm_step.wgsl against the float64 update, and the sampler: a chain whose denoiser returns the exact
// eps of a point mass lands on that point, and a seed fixes the samples.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { beginBatch, submit } from '../../src/runtime/dispatch.js';
import { createTensor, disposeTensor, readback, type Tensor } from '../../src/runtime/tensor.js';
import { ddpmStepPipeline, encodeDdpmStep } from '../../src/kernels/ddpm_step.js';
import { sampleDdpm } from '../../src/models/ddpm.js';
import { makeSchedule } from '../../src/models/schedules.js';
import type { Denoiser } from '../../src/models/denoiser.js';
import { seedKey } from '../../src/runtime/check.js';
import { expectClose, expectSameBits } from '../compare.js';
import { randn } from '../random.js';
import { ddpmStepRef } from '../ref/ddpm.js';

describeGpu('ddpm_step', (get) => {
  for (const [rows, cols, last] of [[1, 1, false], [63, 4, false], [65, 3, true], [7, 13, false], [64, 5, false]] as const) {
    it(`matches the float64 update for (${rows}, ${cols})${last ? ' at the last step (no noise)' : ''}`, async () => {
      const ctx = get();
      const seed = rows + cols;
      const x = Float32Array.from(randn(rows * cols, seed));
      const e = Float32Array.from(randn(rows * cols, seed + 1));
      const [beta, abar, step, stream] = [0.02, 0.3, 77, 48];
      const xt = createTensor(ctx, [rows, cols], { data: x });
      const et = createTensor(ctx, [rows, cols], { data: e });
      try {
        const b = beginBatch(ctx, 'test');
        encodeDdpmStep(b, await ddpmStepPipeline(ctx), { epsHat: et, x: xt, rows, cols, key: seedKey(seed), step, stream, c1: 1 / Math.sqrt(1 - beta), c2: beta / Math.sqrt(1 - abar), sigma: last ? 0 : Math.sqrt(beta) });
        submit(b);
        const got = (await readback(ctx, xt)) as Float32Array;
        // Three f32 roundings of O(1) values plus the normal's 6.2e-8 relative error times sigma.
        expectClose(got, ddpmStepRef(x, e, rows, cols, beta, abar, last, seedKey(seed), step, stream), { atol: 1e-6, rtol: 5e-7, seed });
      } finally {
        disposeTensor(xt);
        disposeTensor(et);
      }
    });
  }

  it('samples a point mass exactly (eps_hat of x0 = c) and repeats bit for bit for one seed', async () => {
    const ctx = get();
    const schedule = makeSchedule('cosine', 50);
    const D = 3;
    const c = [0.5, -1, 2];
    // For data x0 = c the exact eps_hat(x_t, t) = (x_t - sqrt(abar_t) c) / sqrt(1 - abar_t).
    const d: Denoiser = {
      kind: 'point', dim: D, imageShape: null, numClasses: 0, schedule,
      async predictEps(cx, xt, n, step) {
        const a = schedule.alphasCumprod[step - 1]!;
        const x = (await readback(cx, xt)) as Float32Array;
        const out = x.map((v, i) => (v - Math.sqrt(a) * c[i % D]!) / Math.sqrt(1 - a));
        return createTensor(cx, [n, D], { data: out }) as Tensor;
      },
      dispose() {},
    };
    for (const steps of [50, 7]) {
      const xs = await sampleDdpm(ctx, d, { n: 5, classes: null, seed: 3, steps });
      // Rounding only: each step contracts errors; the f32 recursion over 50 steps stays near 1e-5.
      expectClose(xs, Float64Array.from({ length: 5 * D }, (_, i) => c[i % D]!), { atol: 1e-4, rtol: 1e-4, label: `${steps} steps` });
      expectSameBits(xs, await sampleDdpm(ctx, d, { n: 5, classes: null, seed: 3, steps }), 'same seed');
    }
    await expect(sampleDdpm(ctx, d, { n: 2, classes: null, seed: 3, steps: 51 })).rejects.toThrow(/ddpm: steps must be an integer in \[1, 50\], got 51/);
  });
});
