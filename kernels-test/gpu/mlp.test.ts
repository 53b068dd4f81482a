// The MLP denoiser: forward against the float64 reference of the whole model, every layer's gradient
// against float64 finite differences, the Denoiser interface (EMA weights, class checks) on tiny sizes.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { checkGradsFd, gpuForward, gpuGrads, randomParams, setParams } from './model-check.js';
import { mlpDef } from '../../src/models/mlp.js';
import { createModel, disposeModel } from '../../src/models/model.js';
import { learnedDenoiser } from '../../src/models/learned.js';
import { predictEpsHost } from '../../src/models/denoiser.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { loadParams } from '../../src/models/params.js';
import { expectClose } from '../compare.js';
import { randn, rng } from '../random.js';
import { mlpRef, mseRef } from '../ref/mlp.js';

const schedule = makeSchedule('linear', 50);

// dim, hidden, blocks, timeDim, classes, rows: dims not multiples of 4 or of the GEMM tiles; 1 row; no blocks; unconditional.
const CASES: [number, number, number, number, number, number][] = [
  [5, 7, 2, 6, 3, 9],
  [1, 4, 1, 2, 0, 1],
  [13, 33, 0, 10, 10, 17],
];

function inputs(dim: number, classes: number, rows: number, seed: number) {
  const u = rng(seed);
  return {
    rows,
    x: Float32Array.from(randn(rows * dim, seed)),
    steps: Uint32Array.from({ length: rows }, () => 1 + Math.floor(u() * schedule.T)),
    labels: Int32Array.from({ length: rows }, (_, i) =>
      classes === 0 || i % 3 === 2 ? -1 : Math.floor(u() * classes),
    ),
  };
}

describeGpu('mlp', (get) => {
  for (const [dim, hidden, blocks, timeDim, classes, rows] of CASES) {
    const cfg = { dim, hidden, blocks, timeDim, numClasses: classes };
    const seed = dim * 100 + hidden;
    it(`forward matches the float64 reference (D ${dim}, H ${hidden}, ${blocks} blocks, ${classes} classes, ${rows} rows)`, async () => {
      const ctx = get();
      const def = mlpDef(dim, classes, schedule, { hidden, blocks, timeDim });
      const m = createModel(ctx, def, { train: false, ema: false });
      try {
        const { f32, f64 } = randomParams(def.paramSpecs, seed);
        setParams(ctx, m, f32);
        const inp = inputs(dim, classes, rows, seed);
        const got = await gpuForward(ctx, m, inp);
        // f32 layers of width <= 33 and depth ~10: relative rounding ~1e-6 per layer, values O(1).
        expectClose(got, mlpRef(f64, cfg, Float64Array.from(inp.x), inp.steps, inp.labels), {
          atol: 2e-5,
          rtol: 1e-4,
          seed,
          label: 'eps_hat',
        });
      } finally {
        disposeModel(m);
      }
    });

    it(`gradients of every layer match float64 finite differences (D ${dim}, H ${hidden}, ${blocks} blocks)`, async () => {
      const ctx = get();
      const def = mlpDef(dim, classes, schedule, { hidden, blocks, timeDim });
      const m = createModel(ctx, def, { train: true, ema: false });
      try {
        const { f32, f64 } = randomParams(def.paramSpecs, seed + 1);
        setParams(ctx, m, f32);
        const inp = inputs(dim, classes, rows, seed + 2);
        const target = Float32Array.from(randn(rows * dim, seed + 3));
        const { loss, grads } = await gpuGrads(ctx, m, inp, target);
        const refLoss = (p: typeof f64) =>
          mseRef(mlpRef(p, cfg, Float64Array.from(inp.x), inp.steps, inp.labels), target);
        expect(Math.abs(loss - refLoss(f64))).toBeLessThan(1e-4 * refLoss(f64) + 1e-6);
        // The table rows of classes absent from the batch get no gradient; check only when all rows are hit.
        if (classes > 0 && new Set(inp.labels).size < classes + 1) grads.delete('class_emb.weight');
        checkGradsFd(grads, f64, refLoss, 4, seed);
      } finally {
        disposeModel(m);
      }
    });
  }

  it('predictEps uses the EMA weights when present and checks steps and classes', async () => {
    const ctx = get();
    const def = mlpDef(6, 2, schedule, { hidden: 8, blocks: 1, timeDim: 4 });
    const d = learnedDenoiser(createModel(ctx, def, { train: false, ema: true }));
    try {
      const a = randomParams(def.paramSpecs, 1);
      const b = randomParams(def.paramSpecs, 2);
      loadParams(ctx, d.model.params, a.f32);
      loadParams(ctx, d.model.params, b.f32, 'ema');
      const x = Float32Array.from(randn(3 * 6, 4));
      const classes = Int32Array.of(0, -1, 1);
      const got = await predictEpsHost(ctx, d, x, 3, 7, classes);
      const cfg = { dim: 6, hidden: 8, blocks: 1, timeDim: 4, numClasses: 2 };
      expectClose(got, mlpRef(b.f64, cfg, Float64Array.from(x), [7, 7, 7], classes), {
        atol: 2e-5,
        rtol: 1e-4,
        label: 'EMA weights',
      });
      await expect(predictEpsHost(ctx, d, x, 3, 7, Int32Array.of(0, 2, 1))).rejects.toThrow(
        /class label 2 at row 1 is outside the model's classes; valid: 0..1 or -1/,
      );
      await expect(predictEpsHost(ctx, d, x, 3, 51, null)).rejects.toThrow(
        /step must be an integer in \[1, 50\], got 51/,
      );
    } finally {
      d.dispose();
    }
  });
});
