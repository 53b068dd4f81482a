// The small U-Net denoiser: forward against the float64 reference of the whole model on tiny images,
// and the gradients of every layer against float64 finite differences of the reference loss.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { checkGradsFd, gpuForward, gpuGrads, randomParams, setParams } from './model-check.js';
import { unetDef } from '../../src/models/unet.js';
import { createModel, disposeModel } from '../../src/models/model.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { expectClose } from '../compare.js';
import { randn, rng } from '../random.js';
import { mseRef } from '../ref/mlp.js';
import { unetRef, type UnetRefConfig } from '../ref/unet.js';

const schedule = makeSchedule('cosine', 40);

// [H, W, C], c0, c1, embDim, groups, classes, rows: the smallest pyramid (4 -> 2 -> 1), a non-square
// image with 3 channels and 3 groups. Every group holds >= 2 channels: with one channel per group the
// norm after the per-channel conditioning offset removes it exactly and the time MLP gets no gradient.
const CASES: [[number, number, number], number, number, number, number, number, number][] = [
  [[4, 4, 1], 4, 6, 5, 2, 2, 3],
  [[8, 4, 3], 6, 6, 4, 3, 0, 2],
  [[4, 8, 2], 2, 4, 3, 1, 3, 1],
];

describeGpu('unet', (get) => {
  for (const [shape, c0, c1, embDim, groups, classes, rows] of CASES) {
    const [H, W, C] = shape;
    const cfg: UnetRefConfig = { h: H, w: W, c: C, c0, c1, embDim, groups, numClasses: classes };
    const D = H * W * C;
    const seed = H * 1000 + W * 100 + C * 10 + c0;
    const inputs = (s: number) => {
      const u = rng(s);
      return {
        rows,
        x: Float32Array.from(randn(rows * D, s)),
        steps: Uint32Array.from({ length: rows }, () => 1 + Math.floor(u() * schedule.T)),
        labels: Int32Array.from({ length: rows }, (_, i) => (classes === 0 || i === rows - 1 ? -1 : i % classes)),
      };
    };
    const def = () => unetDef(shape, classes, schedule, { c0, c1, embDim, groups });

    it(`forward matches the float64 reference (${H}x${W}x${C}, channels ${c0}/${c1}, ${groups} groups, ${rows} rows)`, async () => {
      const ctx = get();
      const d = def();
      const m = createModel(ctx, d, { train: false, ema: false });
      try {
        const { f32, f64 } = randomParams(d.paramSpecs, seed);
        setParams(ctx, m, f32);
        const inp = inputs(seed + 1);
        const got = await gpuForward(ctx, m, inp);
        // ~25 f32 layers, GroupNorm divides by standard deviations of O(1): relative rounding ~1e-6 per layer.
        expectClose(got, unetRef(f64, cfg, Float64Array.from(inp.x), inp.steps, inp.labels), {
          atol: 5e-5,
          rtol: 2e-4,
          seed,
          label: 'eps_hat',
        });
      } finally {
        disposeModel(m);
      }
    });

    it(`gradients of every layer match float64 finite differences (${H}x${W}x${C}, channels ${c0}/${c1})`, async () => {
      const ctx = get();
      const d = def();
      const m = createModel(ctx, d, { train: true, ema: false });
      try {
        const { f32, f64 } = randomParams(d.paramSpecs, seed + 2);
        setParams(ctx, m, f32);
        const inp = inputs(seed + 3);
        const target = Float32Array.from(randn(rows * D, seed + 4));
        const { loss, grads } = await gpuGrads(ctx, m, inp, target);
        const refLoss = (p: typeof f64) =>
          mseRef(unetRef(p, cfg, Float64Array.from(inp.x), inp.steps, inp.labels), target);
        expect(Math.abs(loss - refLoss(f64))).toBeLessThan(1e-4 * refLoss(f64) + 1e-6);
        // Table rows of classes absent from the batch get no gradient.
        if (new Set(inp.labels).size < classes + 1) grads.delete('class_emb.weight');
        checkGradsFd(grads, f64, refLoss, 3, seed);
      } finally {
        disposeModel(m);
      }
    });
  }

  it('rejects image shapes the pyramid cannot take and groups that do not divide the channels', () => {
    expect(() => unetDef([6, 8, 1], 0, schedule)).toThrow(
      /H and W must be divisible by 4 \(two 2x2 poolings\), got 6 x 8/,
    );
    expect(() => unetDef([64], 0, schedule)).toThrow(/needs image data \[H, W, C\], got shape \[64\]/);
    expect(() => unetDef([8, 8, 1], 0, schedule, { c0: 12, groups: 8 })).toThrow(
      /groups = 8 must divide every normalised channel count \(12, 64, 128, 76\)/,
    );
  });
});
