// diffusion_batch.wgsl against its float64 reference (steps, dropout, eps, x_t), the uniformity of the
// steps and the dropout rate over many rows, and that another iteration draws anew.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { beginBatch, submit } from '../../src/runtime/dispatch.js';
import { createTensor, disposeTensor, readback, type Tensor } from '../../src/runtime/tensor.js';
import {
  diffusionBatchPipeline,
  encodeDiffusionBatch,
  noiseCoefTable,
  TRAIN_EPS_STREAM,
  TRAIN_ROW_STREAM,
} from '../../src/kernels/diffusion_batch.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { seedKey } from '../../src/runtime/check.js';
import { expectClose } from '../compare.js';
import { randn } from '../random.js';
import { diffusionBatchRef } from '../ref/diffusion_batch.js';

async function run(
  ctx: Parameters<typeof createTensor>[0],
  x0: Float32Array,
  labels: Int32Array,
  rows: number,
  cols: number,
  T: number,
  seed: number,
  iter: number,
  pUncond: number,
) {
  const schedule = makeSchedule('linear', T);
  const made: Tensor[] = [];
  const t = <X extends Tensor>(x: X) => (made.push(x), x);
  const a = {
    x0: t(createTensor(ctx, [rows, cols], { data: x0 })),
    labelsIn: t(createTensor(ctx, [rows], { dtype: 'i32', data: labels })),
    coef: t(noiseCoefTable(ctx, schedule)),
    xt: t(createTensor(ctx, [rows, cols])),
    eps: t(createTensor(ctx, [rows, cols])),
    steps: t(createTensor(ctx, [rows], { dtype: 'u32' })),
    labels: t(createTensor(ctx, [rows], { dtype: 'i32' })),
  };
  try {
    const b = beginBatch(ctx, 'test');
    encodeDiffusionBatch(b, await diffusionBatchPipeline(ctx), {
      ...a,
      T,
      rows,
      cols,
      key: seedKey(seed),
      iter,
      pUncond,
    });
    submit(b);
    return {
      xt: (await readback(ctx, a.xt)) as Float32Array,
      eps: (await readback(ctx, a.eps)) as Float32Array,
      steps: (await readback(ctx, a.steps)) as Uint32Array,
      labels: (await readback(ctx, a.labels)) as Int32Array,
      abar: schedule.alphasCumprod,
    };
  } finally {
    for (const x of made) disposeTensor(x);
  }
}

describeGpu('diffusion_batch', (get) => {
  // rows * ceil(cols / 4) invocations: 1, 63, 64, 65 (WG - 1, WG, WG + 1), primes, cols not a multiple of 4.
  for (const [rows, cols] of [
    [1, 1],
    [63, 4],
    [64, 3],
    [65, 4],
    [7, 13],
    [131, 5],
  ] as const) {
    it(`matches the float64 reference for (${rows}, ${cols})`, async () => {
      const seed = rows * 7 + cols;
      const x0 = Float32Array.from(randn(rows * cols, seed));
      const labels = Int32Array.from({ length: rows }, (_, i) => i % 5);
      const got = await run(get(), x0, labels, rows, cols, 1000, seed, 12345, 0.3);
      const ref = diffusionBatchRef(
        x0,
        labels,
        rows,
        cols,
        got.abar,
        seedKey(seed),
        12345,
        0.3,
        TRAIN_EPS_STREAM,
        TRAIN_ROW_STREAM,
      );
      expect(Array.from(got.steps)).toEqual(Array.from(ref.steps));
      expect(Array.from(got.labels)).toEqual(Array.from(ref.labels));
      // eps: lib/normal.wgsl within 6.2e-8 max(1, |z|) of float64 Box-Muller; x_t adds ~3 f32 roundings.
      expectClose(got.eps, ref.eps, { atol: 4e-7, rtol: 2e-7, seed, label: 'eps' });
      expectClose(got.xt, ref.xt, { atol: 1e-6, rtol: 4e-7, seed, label: 'x_t' });
    });
  }

  it('draws steps uniformly on 1..T and drops labels at the rate p_uncond; a new iteration draws anew', async () => {
    const ctx = get();
    const rows = 20_000;
    const T = 10;
    const labels = new Int32Array(rows).fill(3);
    const a = await run(ctx, new Float32Array(rows), labels, rows, 1, T, 7, 1, 0.1);
    const counts = new Array(T + 1).fill(0);
    for (const s of a.steps) counts[s]++;
    expect(counts[0]).toBe(0);
    // Each count is Binomial(20000, 0.1): sd 42; 5 sd.
    for (let t = 1; t <= T; t++) expect(Math.abs(counts[t] - rows / T)).toBeLessThan(5 * 42);
    const dropped = a.labels.filter((l) => l === -1).length;
    expect(Math.abs(dropped - 0.1 * rows)).toBeLessThan(5 * 42);
    expect(a.labels.every((l) => l === -1 || l === 3)).toBe(true);
    const b = await run(ctx, new Float32Array(rows), labels, rows, 1, T, 7, 2, 0.1);
    expect(b.steps.filter((s, i) => s === a.steps[i]).length).toBeLessThan(rows / 5);
    const none = await run(ctx, new Float32Array(64), new Int32Array(64), 64, 1, T, 7, 1, 0);
    expect(none.labels.every((l) => l === 0)).toBe(true);
    const all = await run(ctx, new Float32Array(64), new Int32Array(64), 64, 1, T, 7, 1, 1);
    expect(all.labels.every((l) => l === -1)).toBe(true);
  });
});
