// The classifier (MLP and conv): logits and features against the float64 reference, and the
// cross-entropy gradients of every layer against float64 finite differences.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { checkGradsFd, gpuForward, gpuGrads, randomParams, setParams } from './model-check.js';
import { classifierDef, classifierFeatures, featureDim } from '../../src/models/classifier.js';
import { createModel, disposeModel } from '../../src/models/model.js';
import { createTensor, disposeTensor, readback } from '../../src/runtime/tensor.js';
import { expectClose } from '../compare.js';
import { randn } from '../random.js';
import { classifierRef, crossEntropyRef, type ClassifierRefConfig } from '../ref/classifier.js';

const CASES: ClassifierRefConfig[] = [
  { kind: 'mlp', dataShape: [7], numClasses: 3, hidden: 9, blocks: 2, c0: 1, c1: 1, groups: 1, features: 5 },
  { kind: 'conv', dataShape: [4, 8, 1], numClasses: 4, hidden: 1, blocks: 0, c0: 4, c1: 6, groups: 2, features: 5 },
];

describeGpu('classifier', (get) => {
  for (const c of CASES) {
    const rows = 6;
    const D = c.dataShape.reduce((a, b) => a * b, 1);
    const def = () => classifierDef(c.dataShape, c.numClasses, c);
    const labels = Int32Array.from({ length: rows }, (_, i) => i % c.numClasses);
    const inp = (seed: number) => ({
      rows,
      x: Float32Array.from(randn(rows * D, seed)),
      steps: new Uint32Array(rows),
      labels,
    });

    it(`${c.kind}: logits and features match the float64 reference`, async () => {
      const ctx = get();
      const d = def();
      const m = createModel(ctx, d, { train: false, ema: false });
      try {
        const { f32, f64 } = randomParams(d.paramSpecs, 3);
        setParams(ctx, m, f32);
        const i = inp(4);
        const ref = classifierRef(f64, c, Float64Array.from(i.x), rows);
        expectClose(await gpuForward(ctx, m, i), ref.logits, { atol: 2e-5, rtol: 1e-4, label: 'logits' });
        const xt = createTensor(ctx, [rows, D], { data: i.x });
        const f = await classifierFeatures(ctx, m, xt, rows);
        expect(f.shape).toEqual([rows, featureDim(m)]);
        expectClose((await readback(ctx, f)) as Float32Array, ref.features, {
          atol: 2e-5,
          rtol: 1e-4,
          label: 'features',
        });
        disposeTensor(xt);
        disposeTensor(f);
      } finally {
        disposeModel(m);
      }
    });

    it(`${c.kind}: cross-entropy gradients of every layer match float64 finite differences`, async () => {
      const ctx = get();
      const d = def();
      const m = createModel(ctx, d, { train: true, ema: false });
      try {
        const { f32, f64 } = randomParams(d.paramSpecs, 5);
        setParams(ctx, m, f32);
        const i = inp(6);
        const { loss, grads } = await gpuGrads(ctx, m, i, null);
        const refLoss = (p: typeof f64) =>
          crossEntropyRef(classifierRef(p, c, Float64Array.from(i.x), rows).logits, labels, c.numClasses);
        expect(Math.abs(loss - refLoss(f64))).toBeLessThan(1e-4 * refLoss(f64) + 1e-6);
        checkGradsFd(grads, f64, refLoss, 3, 7);
      } finally {
        disposeModel(m);
      }
    });
  }
});
