// `fluctus experiment quality` end to end on the built-in gmm with its true mixture as the denoiser: the
// samples are draws of the truth, so their FD must lie near the training rows' (the goal met), with the
// table, goal, training FDs per subset and the eps recorded; and trainingSubset's class shares, disjoint
// subsets and its refusal when a class runs out of rows.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { disposeSetup, prepareExperiment } from '../../src/experiments/setup.js';
import { QUALITY_RATIO, runQuality, trainingSubset } from '../../src/experiments/quality.js';

describeGpu('experiment quality', (getCtx) => {
  it('samples of the true mixture score like as many training rows (goal met); the table and raw numbers', async () => {
    const s = await prepareExperiment(getCtx(), { data: 'gmm', samplesPerClass: 256, referencePerClass: 128, seed: 4 });
    try {
      const r = await runQuality(s, { samples: 200, seeds: 2, steps: 50 });
      expect(r.tables[0]!.rows.map((x) => x[0])).toEqual([expect.stringMatching(/^model samples/), 'training rows']);
      const data = r.data as { ratio: number; training: { fd: number[] } };
      expect(data.training.fd).toHaveLength(2);
      expect(data.training.fd.every((v) => Number.isFinite(v) && v > 0)).toBe(true);
      expect(data.ratio).toBeGreaterThan(0);
      expect(data.ratio).toBeLessThan(QUALITY_RATIO);
      expect(r.goals[0]!.met).toBe(true);
      expect(r.settings.eps).toMatchObject({ ratio: 400 });
      // gmm's reference is fresh draws of the truth: held out, no warning.
      expect(r.warnings).toEqual([]);
    } finally {
      disposeSetup(s);
    }
  });
});

it('trainingSubset: equal class shares in the sampler order, disjoint subsets, a clear refusal', () => {
  // 3 classes, 4 rows each, D = 1 (the value is the row index).
  const labels = Int32Array.from({ length: 12 }, (_, i) => i % 3);
  const x = Float32Array.from({ length: 12 }, (_, i) => i);
  const a = trainingSubset(x, labels, 1, 3, 6, 0);
  const b = trainingSubset(x, labels, 1, 3, 6, 1);
  expect(Array.from(a.classes)).toEqual([0, 1, 2, 0, 1, 2]);
  expect(Array.from(a.x)).toEqual([0, 1, 2, 3, 4, 5]);
  expect(Array.from(b.x)).toEqual([6, 7, 8, 9, 10, 11]);
  expect(() => trainingSubset(x, labels, 1, 3, 6, 2)).toThrow(
    /quality: class 0 has 4 training rows, too few for subset 3 of 2 rows per class \(--samples 6\)/,
  );
});
