// Training throughput of the learned denoisers: optimiser steps per second and samples per second of the MLP
// and the U-Net at batch 128 (whole steps: noising, forward, MSE, backward, clipping, AdamW, EMA; one loss
// readback per timed chunk). Cases are <model>-<data>: model mlp, unet16 (16/32 channels) or unet (32/64),
// data digits (8 x 8) or fashion (28 x 28, Debian's dataset-fashion-mnist). Correctness first: two warm-up
// steps must give finite losses near the eps-prediction start of ~1 (the layers' float64 checks are tests).
// Peer, same run: the same architecture and training step in PyTorch-CPU (one thread per core), or in
// PyTorch-CUDA fp32 (TF32 off) with --peer cuda (peers/train_torch.py); ratio = ours / peer samples/s.
// FLOPs per sample and step = 3 x 2 x (forward multiply-adds): a Linear (out, in) on a row is out * in MACs
// (applied to every pixel for a 1x1 skip), a 3x3 conv (cout, 3, 3, cin) at h x w is its weight count times
// h w; the backward costs twice the forward (dW and dX products).
import { cpus } from 'node:os';
import { join } from 'node:path';
import { loadDataset } from '../data/loaders.js';
import { cifarShaped } from '../data/bench-shapes.js';
import type { Dataset } from '../data/dataset.js';
import { makeSchedule } from '../schedule/schedules.js';
import { mlpDef } from '../models/mlp.js';
import { unetDef } from '../models/unet.js';
import { disposeModel, type LearnedModel, type ModelDef } from '../models/model.js';
import { train } from '../models/train.js';
import { learnedDenoiser } from '../models/learned.js';
import { sample } from '../samplers/sample.js';
import { ddpmScheduler } from '../samplers/scheduler.js';
import { type BenchCase, type BenchRow, findPython, PEERS_DIR, row, runPython, stats } from './common.js';

const MODELS = ['mlp', 'unet16', 'unet'];
/** The data of a case: built-in (gmm, and cifar: 128 procedural 32 x 32 x 3 images per class) or Debian's. */
const DATA: Record<string, () => Dataset> = {
  gmm: () => loadDataset('gmm'),
  cifar: () => ({ ...cifarShaped({ perClass: 128, seed: 1 }), imageShape: [32, 32] }),
  digits: () => loadDataset('digits'),
  fashion: () => loadDataset('fashion-mnist'),
};

/**
 * The PyTorch peer's (CPU, or CUDA) ms per training step for the same definition, or with mode 'sample'
 * per DDPM sampling step of `batch` images (no_grad forward and update); or why there is none.
 */
function peerMs(
  def: ModelDef,
  classes: number,
  batch: number,
  steps: number,
  reps: number,
  cuda: boolean,
  mode: 'train' | 'sample' = 'train',
): number[] | string {
  const py = findPython(cuda ? 'torch+cuda' : 'torch');
  if (typeof py === 'string') return py;
  const c = def.config as Record<string, number>;
  const cfg =
    def.architecture === 'mlp'
      ? { model: 'mlp', dim: def.dataShape[0], classes, hidden: c.hidden, blocks: c.blocks, timeDim: c.timeDim }
      : { model: 'unet', image: def.dataShape, classes, c0: c.c0, c1: c.c1, embDim: c.embDim, groups: c.groups };
  const config = { ...cfg, batch, steps, reps, threads: cpus().length, device: cuda ? 'cuda' : 'cpu', mode };
  const r = runPython<{ msPerStep: number[]; warmLosses?: number[]; finite?: boolean }>(py, [
    join(PEERS_DIR, 'train_torch.py'),
    JSON.stringify(config),
  ]);
  if (mode === 'sample' && r.finite !== true) throw new Error("train: the PyTorch peer's samples are not finite");
  if (mode === 'train' && !r.warmLosses?.every((v) => Number.isFinite(v) && v < 1.5))
    throw new Error(`train: the PyTorch peer's warm-up losses ${r.warmLosses} are not finite values near 1`);
  return r.msPerStep;
}

/** Forward multiply-adds per sample (see the header). */
function forwardMacs(def: ModelDef): number {
  const [H, W] = def.dataShape.length === 3 ? def.dataShape : [1, 1];
  let macs = 0;
  for (const p of def.paramSpecs) {
    if (!p.name.endsWith('.weight') || p.shape.length < 2) continue;
    const size = p.shape.reduce((a, b) => a * b, 1);
    const level = /^(down\.1|up\.1|res\.1)/.test(p.name) ? 4 : /^(mid|res\.2)/.test(p.name) ? 16 : 1;
    const pixels = (H! * W!) / level;
    const perPixel = p.shape.length === 4 || p.name.endsWith('.skip.weight') || p.name.startsWith('conv_');
    macs += perPixel ? size * pixels : p.name === 'class_emb.weight' ? 0 : size;
  }
  return macs;
}

/** DDPM sampling with the model (inference graph, EMA weights): ms per sampler step for `n` images over `steps` steps. */
async function samplingMs(
  env: { ctx: Parameters<typeof sample>[0] },
  model: LearnedModel,
  classes: number,
  n: number,
  steps: number,
  reps: number,
): Promise<number[]> {
  const d = learnedDenoiser(model);
  const opts = {
    n,
    classes: Int32Array.from({ length: n }, (_, i) => i % classes),
    seed: 5,
    steps,
    scheduler: ddpmScheduler(model.def.schedule!),
  };
  // Warm-up (compiles the inference graph); the samples must be finite.
  const first = await sample(env.ctx, d, { ...opts, steps: 1 });
  if (!first.x.every(Number.isFinite)) throw new Error('train: sampling gave non-finite values');
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    await sample(env.ctx, d, { ...opts, seed: 6 + r });
    ms.push((performance.now() - t0) / steps);
  }
  return ms;
}

export const trainBench: BenchCase<{
  cases: string;
  batch: number;
  steps: number;
  reps: number;
  sampleBatch: number;
  sampleSteps: number;
}> = {
  name: 'train',
  summary: 'denoiser training steps (MLP, U-Net) vs the same model in PyTorch (CPU, or CUDA with --peer cuda)',
  sizes: {
    small: { cases: 'mlp-gmm,unet16-cifar', batch: 32, steps: 0, reps: 2, sampleBatch: 32, sampleSteps: 2 },
    medium: {
      cases: 'mlp-digits,unet16-digits,unet-digits',
      batch: 128,
      steps: 0,
      reps: 3,
      sampleBatch: 250,
      sampleSteps: 5,
    },
    large: {
      cases: 'mlp-digits,mlp-fashion,unet16-fashion,unet-fashion',
      batch: 128,
      steps: 0,
      reps: 3,
      sampleBatch: 250,
      sampleSteps: 3,
    },
  },
  async run(env, p) {
    const rows: BenchRow[] = [];
    const detail: Record<string, unknown>[] = [];
    const warmLosses: string[] = [];
    const schedule = makeSchedule('linear', 1000);
    for (const name of String(p.cases).split(',')) {
      const [model, dataName] = name.split('-') as [string, string | undefined];
      if (!MODELS.includes(model) || !dataName || !DATA[dataName])
        throw new Error(
          `train: case '${name}' is not <model>-<data> with model ${MODELS.join(' | ')} and data ${Object.keys(DATA).join(' | ')}`,
        );
      const ds = DATA[dataName]!();
      const [N, D] = ds.shape;
      if (model !== 'mlp' && !ds.imageShape) throw new Error(`train: case '${name}': ${ds.name} rows are not images`);
      const [H, W] = ds.imageShape ?? [1, 1];
      const image: [number, number, number] = [H, W, D / (H * W)];
      const def =
        model === 'mlp'
          ? mlpDef(D, ds.classes, schedule)
          : unetDef(image, ds.classes, schedule, model === 'unet16' ? { c0: 16, c1: 32 } : {});
      const steps = p.steps || (model === 'mlp' ? 50 : dataName === 'digits' ? 10 : 3);
      const BATCH = p.batch;
      const data = { x: ds.x, labels: ds.labels, rows: N, dim: D, name: dataName };
      // Correctness first: two steps must give finite losses near the eps-prediction start of ~1.
      const warm = await train(env.ctx, def, data, { epochs: 1000, batch: BATCH, seed: 0, maxSteps: 2, lossEvery: 1 });
      // Sampling throughput of the U-Nets with the warm model's weights (the cost does not depend on them).
      const sampled =
        model === 'mlp' || !p.sampleSteps
          ? null
          : await samplingMs(env, warm.model, ds.classes, p.sampleBatch, p.sampleSteps, p.reps);
      disposeModel(warm.model);
      const l = Array.from(warm.losses).filter((_, i) => i % 2 === 1);
      if (!l.every((v) => Number.isFinite(v) && v < 1.5))
        throw new Error(`train: ${name}: warm-up losses ${l} are not finite values near 1`);
      warmLosses.push(`${name} ${l.map((v) => v.toFixed(3)).join(', ')}`);
      const ms: number[] = [];
      for (let r = 0; r < p.reps; r++) {
        const opts = { epochs: 1000, batch: BATCH, seed: r, maxSteps: steps, lossEvery: steps };
        const res = await train(env.ctx, def, data, opts);
        disposeModel(res.model);
        ms.push((1e3 * res.seconds) / steps);
      }
      const s = stats(ms);
      const flopsPerSample = 6 * forwardMacs(def);
      const cuda = env.peer === 'cuda';
      const pm = env.peer === 'none' ? 'peers off (--peer none)' : peerMs(def, ds.classes, BATCH, steps, p.reps, cuda);
      const peerName = cuda ? 'PyTorch-CUDA (fp32)' : `PyTorch-CPU (${cpus().length} threads)`;
      const peer: BenchRow['peer'] =
        typeof pm === 'string' ? { name: peerName, skipped: pm } : { name: peerName, ms: stats(pm).median };
      const shape = `${ds.name} ${model === 'mlp' ? D : image.join('x')}, batch ${BATCH}`;
      rows.push(row(`${model} training step`, shape, s, { rate: (1e3 * BATCH) / s.median, unit: 'samples/s' }, peer));
      if (sampled) {
        const ss = stats(sampled);
        const n = p.sampleBatch;
        const pm2 =
          env.peer === 'none'
            ? 'peers off (--peer none)'
            : peerMs(def, ds.classes, n, p.sampleSteps, p.reps, cuda, 'sample');
        rows.push(
          row(
            `${model} DDPM sampling step`,
            `${ds.name} ${image.join('x')}, ${n} images`,
            ss,
            { rate: (1e3 * n) / ss.median, unit: 'images x steps/s' },
            typeof pm2 === 'string' ? { name: peerName, skipped: pm2 } : { name: peerName, ms: stats(pm2).median },
          ),
        );
        detail.push({
          case: `${name} sampling`,
          images: n,
          stepsPerRep: p.sampleSteps,
          // 1000 images x 1000 DDPM steps at this rate (the sampling goal).
          projectedSecondsFor1000x1000: (1e6 * ss.median) / (1e3 * n),
        });
      }
      detail.push({
        case: name,
        batch: BATCH,
        stepsPerRep: steps,
        flopsPerSample,
        gflopsPerSecond: (flopsPerSample * BATCH) / (s.median * 1e6),
        config: def.config,
      });
    }
    return { check: `warm-up losses finite and near 1: ${warmLosses.join('; ')}`, rows, detail: { cases: detail } };
  },
};
