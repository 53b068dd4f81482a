// The training loop: determinism for a seed, resume = an uninterrupted run (bit for bit), the loss
// falling on a small Gaussian mixture, a classifier learning it, NaN handling (stop, keep the last
// good state, name the step and layer), mismatched checkpoints and labels outside the model's classes.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { expectSameBits } from '../compare.js';
import { gaussianMixture } from '../../src/data/gmm.js';
import { mlpDef } from '../../src/models/mlp.js';
import { unetDef } from '../../src/models/unet.js';
import { classifierDef, classifierFeatures, classifyHost } from '../../src/models/classifier.js';
import { disposeModel, type ModelDef } from '../../src/models/model.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { decodeCheckpoint, encodeCheckpoint, type Checkpoint, type HostTensors } from '../../src/models/checkpoint.js';
import { NonFiniteLossError, train, type TrainOptions } from '../../src/models/train.js';
import type { TrainData } from '../../src/models/train-data.js';
import type { Context } from '../../src/runtime/context.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeCheckpoint } from '../../src/models/checkpoint.js';
import { loadClassifier, loadDenoiser } from '../../src/models/load.js';
import { learnedDenoiser } from '../../src/models/learned.js';
import { predictEpsHost, type Denoiser } from '../../src/models/denoiser.js';
import { sample } from '../../src/samplers/sample.js';
import { ddpmScheduler } from '../../src/samplers/scheduler.js';
import { createTensor, disposeTensor, readback } from '../../src/runtime/tensor.js';

const schedule = makeSchedule('linear', 100);

function gmmData(perClass: number, dim: number, classes = 3, seed = 1): TrainData {
  const ds = gaussianMixture({ seed, perClass, dim, classes });
  return { x: ds.x, labels: ds.labels, rows: ds.shape[0], dim, name: 'gmm-test' };
}

async function run(ctx: Context, def: ModelDef, data: TrainData, opts: TrainOptions): Promise<Checkpoint> {
  const r = await train(ctx, def, data, opts);
  disposeModel(r.model);
  return r.checkpoint;
}

function sameTensors(a: HostTensors | null, b: HostTensors | null, what: string): void {
  expect([...a!.keys()]).toEqual([...b!.keys()]);
  for (const [k, v] of a!) expectSameBits(v.data, b!.get(k)!.data, `${what} ${k}`);
}

function sameState(a: Checkpoint, b: Checkpoint): void {
  sameTensors(a.params, b.params, 'weights');
  sameTensors(a.optimM, b.optimM, 'AdamW m');
  sameTensors(a.optimV, b.optimV, 'AdamW v');
  sameTensors(a.ema, b.ema, 'EMA');
  expect(a.info.step).toBe(b.info.step);
}

describeGpu('train', (get) => {
  const small = () => mlpDef(5, 3, schedule, { hidden: 16, blocks: 1, timeDim: 8 });
  const data = gmmData(30, 5);
  const base: TrainOptions = { epochs: 3, batch: 16, seed: 11, lossEvery: 4 };

  it('gives identical weights, moments, EMA and losses for one seed; another seed differs', async () => {
    const ctx = get();
    const a = await run(ctx, small(), data, base);
    const b = await run(ctx, small(), data, base);
    sameState(a, b);
    expectSameBits(a.loss!, b.loss!, 'loss curve');
    expect(a.info.step).toBe(3 * Math.floor(90 / 16));
    const c = await run(ctx, small(), data, { ...base, seed: 12 });
    expect(Array.from(c.params.get('input.weight')!.data)).not.toEqual(Array.from(a.params.get('input.weight')!.data));
  });

  it('resuming from a checkpoint (mid-epoch, between loss readbacks) equals the uninterrupted run', async () => {
    const ctx = get();
    const full = await run(ctx, small(), data, base);
    const half = await run(ctx, small(), data, { ...base, maxSteps: 7 });
    expect(half.info.step).toBe(7);
    const resumed = await run(ctx, small(), data, { ...base, resume: decodeCheckpoint(encodeCheckpoint(half)) });
    sameState(full, resumed);
    expectSameBits(full.loss!, resumed.loss!, 'loss curve');
  });

  it('U-Net training is deterministic too (8x8 images, 2 steps)', async () => {
    const ctx = get();
    const img = gaussianMixture({ seed: 2, perClass: 8, dim: 64, classes: 2 });
    const d: TrainData = { x: img.x, labels: img.labels, rows: 16, dim: 64, name: 'img' };
    const def = () => unetDef([8, 8, 1], 2, schedule, { c0: 4, c1: 8, embDim: 8, groups: 2 });
    const o: TrainOptions = { epochs: 1, batch: 8, seed: 3, lossEvery: 1 };
    sameState(await run(ctx, def(), d, o), await run(ctx, def(), d, o));
  });

  it('lowers the loss on a small Gaussian mixture', async () => {
    const ctx = get();
    const r = await train(ctx, mlpDef(8, 3, schedule, { hidden: 64, blocks: 2, timeDim: 16 }), gmmData(200, 8), {
      epochs: 60,
      batch: 64,
      seed: 1,
      lossEvery: 20,
      optimizer: { lr: 3e-3 },
    });
    disposeModel(r.model);
    const l = r.losses;
    const mean = (from: number, to: number) => {
      let s = 0;
      for (let i = from; i < to; i++) s += l[2 * i + 1]!;
      return s / (to - from);
    };
    const n = l.length / 2;
    expect(n).toBe(60 * 9);
    // eps prediction starts at loss ~1 (zero output layer); a trained denoiser of a separated mixture
    // removes a large part of it at small and medium noise.
    expect(mean(0, 20)).toBeGreaterThan(0.8);
    expect(mean(n - 100, n)).toBeLessThan(0.75 * mean(0, 20));
  });

  it('trains a classifier that separates the mixture and exposes its features', async () => {
    const ctx = get();
    const d = gmmData(100, 6, 3, 4);
    const r = await train(ctx, classifierDef([6], 3, { hidden: 32, blocks: 1, features: 12 }), d, {
      epochs: 15,
      batch: 32,
      seed: 2,
      lossEvery: 9,
    });
    try {
      const pred = await classifyHost(ctx, r.model, d.x, d.rows, 128);
      const acc = pred.reduce((s, p, i) => s + Number(p === d.labels[i]), 0) / d.rows;
      expect(acc).toBeGreaterThan(0.9);
      const x = createTensor(ctx, [5, 6], { data: d.x.subarray(0, 30) });
      const f = await classifierFeatures(ctx, r.model, x, 5);
      expect(f.shape).toEqual([5, 12]);
      const fv = (await readback(ctx, f)) as Float32Array;
      expect(fv.every(Number.isFinite)).toBe(true);
      disposeTensor(x);
      disposeTensor(f);
    } finally {
      disposeModel(r.model);
    }
  });

  it('stops on a non-finite loss, names the step and the layer, and keeps the last good state', async () => {
    const ctx = get();
    const saved: [Checkpoint, string][] = [];
    let err: unknown = null;
    try {
      await run(ctx, small(), data, {
        ...base,
        epochs: 50,
        lossEvery: 5,
        optimizer: { lr: 1e8, maxNorm: Infinity },
        onCheckpoint: (c, why) => saved.push([c, why]),
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(NonFiniteLossError);
    const e = err as NonFiniteLossError;
    expect(e.message).toMatch(
      /training stopped: the loss is (NaN|-?Infinity) at step \d+ \(epoch \d+\); the first non-finite value is in (layer|parameter) '[\w.]+'/,
    );
    expect(e.message).toContain(`the last good state (step ${e.checkpointStep}) was kept`);
    expect(e.step).toBeGreaterThan(e.checkpointStep);
    expect(e.where).not.toBe('loss');
    const [c, why] = saved[saved.length - 1]!;
    expect(why).toBe('nonfinite');
    expect(c.info.step).toBe(e.checkpointStep);
    for (const [k, v] of c.params) expect(v.data.every(Number.isFinite), k).toBe(true);
    expect(c.loss!.length / 2).toBe(e.checkpointStep);
  });

  it('rejects a checkpoint of another architecture or data shape, saying what differs', async () => {
    const ctx = get();
    const ck = await run(ctx, small(), data, { ...base, maxSteps: 2 });
    await expect(
      train(ctx, mlpDef(5, 3, schedule, { hidden: 32, blocks: 1, timeDim: 8 }), data, { ...base, resume: ck }),
    ).rejects.toThrow('resume checkpoint does not match: hidden is 16 but 32 was asked for');
    const wide = gmmData(30, 6);
    await expect(
      train(ctx, mlpDef(6, 3, schedule, { hidden: 16, blocks: 1, timeDim: 8 }), wide, { ...base, resume: ck }),
    ).rejects.toThrow('resume checkpoint does not match: data shape is [5] but the data are [6]');
    await expect(
      train(ctx, mlpDef(5, 3, makeSchedule('cosine', 100), { hidden: 16, blocks: 1, timeDim: 8 }), data, {
        ...base,
        resume: ck,
      }),
    ).rejects.toThrow(/schedule is linear T=100 but cosine T=100 was asked for/);
  });

  it('loads a checkpoint as a Denoiser with the EMA weights; a mismatched expectation says what differs', async () => {
    const ctx = get();
    const dir = mkdtempSync(join(tmpdir(), 'fluctus-load-'));
    const r = await train(ctx, small(), data, { ...base, maxSteps: 5 });
    const trained = learnedDenoiser(r.model);
    try {
      const path = join(dir, 'm.safetensors');
      writeCheckpoint(path, r.checkpoint);
      const d = loadDenoiser(ctx, path, { architecture: 'mlp', dataShape: [5], numClasses: 3 });
      const x = data.x.subarray(0, 20);
      const classes = Int32Array.of(0, 1, 2, -1);
      expectSameBits(
        await predictEpsHost(ctx, d, x, 4, 30, classes),
        await predictEpsHost(ctx, trained, x, 4, 30, classes),
        'loaded vs trained',
      );
      d.dispose();
      expect(() => loadDenoiser(ctx, path, { architecture: 'mlp', dataShape: [28, 28, 1], numClasses: 10 })).toThrow(
        `checkpoint ${path} does not match: data shape is [5] but the data are [28, 28, 1]; it has 3 classes but the data have 10`,
      );
      expect(() => loadClassifier(ctx, path)).toThrow(/holds a mlp denoiser, not a classifier/);
    } finally {
      trained.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a U-Net evaluates both CFG predictions in one call (predictEpsPair), bit for bit as two calls, and CFG sampling uses it', async () => {
    const ctx = get();
    const img = gaussianMixture({ seed: 4, perClass: 8, dim: 64, classes: 2 });
    const d8: TrainData = { x: img.x, labels: img.labels, rows: 16, dim: 64, name: 'img' };
    const def = unetDef([8, 8, 1], 2, schedule, { c0: 4, c1: 8, embDim: 8, groups: 2 });
    const r = await train(ctx, def, d8, { epochs: 1, batch: 8, seed: 5, maxSteps: 2 });
    const den = learnedDenoiser(r.model);
    try {
      const n = 5;
      const xt = createTensor(ctx, [n, 64], { data: img.x.subarray(0, n * 64) });
      const cond = Int32Array.of(0, 1, 1, -1, 0);
      const [a, b] = await den.predictEpsPair!(ctx, xt, n, 40, cond, null);
      const one = await den.predictEps(ctx, xt, n, 40, cond);
      const two = await den.predictEps(ctx, xt, n, 40, null);
      const host = async (t: typeof a) => (await readback(ctx, t)) as Float32Array;
      expectSameBits(await host(a), await host(one), 'conditional half');
      expectSameBits(await host(b), await host(two), 'unconditional half');
      for (const t of [xt, a, b, one, two]) disposeTensor(t);
      // The sampler with guidance: the same samples with the pair as with two calls per step.
      const opts = {
        n: 6,
        classes: Int32Array.of(0, 1, 0, 1, 0, 1),
        seed: 9,
        steps: 4,
        guidance: { kind: 'constant' as const, w: 2 },
        scheduler: ddpmScheduler(schedule),
      };
      const paired = await sample(ctx, den, opts);
      const { predictEpsPair: _, ...plain } = den;
      const separate = await sample(ctx, plain as Denoiser, opts);
      expectSameBits(paired.x, separate.x, 'CFG samples, paired vs separate');
      expect(paired.denoiserCalls).toBe(separate.denoiserCalls);
    } finally {
      den.dispose();
    }
  });

  it("rejects class labels outside the model's classes", async () => {
    const ctx = get();
    const bad = { ...data, labels: data.labels.map((l, i) => (i === 17 ? 3 : l)) };
    await expect(train(ctx, small(), bad, base)).rejects.toThrow(
      "train: labels of gmm-test: label 3 at row 17 is outside the model's classes; valid labels: 0..2",
    );
  });
});
