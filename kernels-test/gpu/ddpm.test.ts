// sampleDdpm (the samplers' DDPM with the 'fixed_large' variance; the update kernel is tested against its
// float64 reference in samplers.test.ts): a chain whose denoiser returns the exact eps of a point mass
// lands on that point, and a seed fixes the samples.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { createTensor, readback, type Tensor } from '../../src/runtime/tensor.js';
import { sampleDdpm } from '../../src/samplers/ddpm.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import type { Denoiser } from '../../src/models/denoiser.js';
import { expectClose, expectSameBits } from '../compare.js';

describeGpu('sampleDdpm', (get) => {
  it('samples a point mass exactly (eps_hat of x0 = c) and repeats bit for bit for one seed', async () => {
    const ctx = get();
    const schedule = makeSchedule('cosine', 50);
    const D = 3;
    const c = [0.5, -1, 2];
    // For data x0 = c the exact eps_hat(x_t, t) = (x_t - sqrt(abar_t) c) / sqrt(1 - abar_t).
    const d: Denoiser = {
      kind: 'point',
      dim: D,
      imageShape: null,
      numClasses: 0,
      schedule,
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
      expectClose(
        xs,
        Float64Array.from({ length: 5 * D }, (_, i) => c[i % D]!),
        { atol: 1e-4, rtol: 1e-4, label: `${steps} steps` },
      );
      expectSameBits(xs, await sampleDdpm(ctx, d, { n: 5, classes: null, seed: 3, steps }), 'same seed');
    }
    await expect(sampleDdpm(ctx, d, { n: 2, classes: null, seed: 3, steps: 51 })).rejects.toThrow(
      /ddpm: steps must be an integer in \[1, 50\], got 51/,
    );
  });
});
