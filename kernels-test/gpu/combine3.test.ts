// combine3: out = a x + b y + c z over vec4 elements, at offsets inside shared buffers, against float64.
import { expect, it } from 'vitest';
import { encodeCombine3, combine3Pipeline } from '../../src/kernels/combine3.js';
import { beginBatch, submit } from '../../src/runtime/dispatch.js';
import { createTensor, disposeTensor, readback } from '../../src/runtime/tensor.js';
import { expectClose } from '../compare.js';
import { combine3Ref } from '../ref/combine3.js';
import { randn } from '../random.js';
import { describeGpu } from './device.js';

describeGpu('combine3', (get) => {
  // Sizes in vec4 elements: 1, WG - 1, WG, WG + 1, a prime, and more than 64 * WG (each invocation loops).
  for (const len4 of [1, 63, 64, 65, 1031, 64 * 64 + 5]) {
    it(`${4 * len4} elements at offsets in one stack`, async () => {
      const ctx = get();
      const len = 4 * len4;
      const seed = 7 + len4;
      const host = Float32Array.from(randn(4 * len + 8, seed));
      const stack = createTensor(ctx, [host.length], { data: host, label: 'test.stack' });
      const out = createTensor(ctx, [len + 4], { label: 'test.out' });
      try {
        const coef = [0.25, -1.5, 3] as const;
        const batch = beginBatch(ctx, 'test');
        encodeCombine3(batch, await combine3Pipeline(ctx), {
          x: stack,
          xOffset: 4,
          y: stack,
          yOffset: 4 + len,
          z: stack,
          zOffset: 4 + 2 * len,
          out,
          outOffset: 4,
          len,
          coef,
        });
        submit(batch);
        const got = await readback(ctx, out, 4, len);
        const ref = combine3Ref(
          host.subarray(4, 4 + len),
          host.subarray(4 + len, 4 + 2 * len),
          host.subarray(4 + 2 * len, 4 + 3 * len),
          coef,
        );
        // Three f32 products and two sums: within a few ulps of the largest term.
        expectClose(got, ref, { atol: 1e-5, rtol: 1e-6, seed, label: 'combine3' });
      } finally {
        disposeTensor(stack);
        disposeTensor(out);
      }
    });
  }

  it('refuses offsets that are not vec4-aligned, overruns and non-finite coefficients', async () => {
    const ctx = get();
    const t = createTensor(ctx, [16], { label: 'test.t' });
    const p = await combine3Pipeline(ctx);
    const batch = beginBatch(ctx, 'test');
    const args = { x: t, y: t, z: t, out: t, len: 8, coef: [1, 1, 1] as const };
    expect(() => encodeCombine3(batch, p, { ...args, xOffset: 2 })).toThrow(/xOffset 2 is not a multiple of 4/);
    expect(() => encodeCombine3(batch, p, { ...args, outOffset: 12 })).toThrow(
      /out holds 16 elements, fewer than offset 12 \+ 8/,
    );
    expect(() => encodeCombine3(batch, p, { ...args, coef: [1, Number.NaN, 1] })).toThrow(
      /coefficients must be finite/,
    );
    disposeTensor(t);
  });
});
