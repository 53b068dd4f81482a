// Training throughput of the learned denoisers: optimiser steps per second and samples per second for
// the MLP on digits and the small U-Net on Fashion-MNIST at batch 128 (whole steps: noising, forward,
// MSE, backward, clipping, AdamW, EMA; one loss readback per timed chunk).
//   npx tsx scripts/bench/train.ts [--cases mlp-digits,mlp-fashion,unet16-fashion,unet-fashion] [--steps n] [--reps r] [--no-peer]
// Peer, same run: the same architecture and training step in PyTorch-CPU (Debian's python3-torch,
// scripts/bench/peers/train_torch.py, 2 threads = this machine's cores); ratio = ours / peer samples/s.
// FLOPs per sample and step = 3 x 2 x (forward multiply-adds): a Linear (out, in) on a row is out * in
// MACs (applied to every pixel for a 1x1 skip), a 3x3 conv (cout, 3, 3, cin) at h x w is its weight
// count times h w; the backward costs twice the forward (dW and dX products).
import { requestContext, destroyContext } from '../../src/runtime/context.js';
import { loadDataset } from '../../src/data/loaders.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { mlpDef } from '../../src/models/mlp.js';
import { unetDef } from '../../src/models/unet.js';
import { disposeModel, type ModelDef } from '../../src/models/model.js';
import { train } from '../../src/models/train.js';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { numArg, provenance, stats, strArg, writeResult } from './common.js';

const args = process.argv.slice(2);
const cases = strArg('cases', 'mlp-digits,mlp-fashion,unet16-fashion,unet-fashion').split(',');
const reps = numArg('reps', 3);
const BATCH = 128;
const withPeer = !args.includes('--no-peer');
const peerFile = fileURLToPath(new URL('./peers/train_torch.py', import.meta.url));

/** The PyTorch-CPU peer's ms per step for the same definition (null when torch is missing). */
function peerMs(def: ModelDef, classes: number, steps: number): number[] | null {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' });
  } catch {
    console.log('peer: /usr/bin/python3 has no torch (apt-get install python3-torch); peer skipped');
    return null;
  }
  const c = def.config as Record<string, number>;
  const cfg =
    def.architecture === 'mlp'
      ? { model: 'mlp', dim: def.dataShape[0], classes, hidden: c.hidden, blocks: c.blocks, timeDim: c.timeDim }
      : { model: 'unet', image: def.dataShape, classes, c0: c.c0, c1: c.c1, embDim: c.embDim, groups: c.groups };
  const out = execFileSync(
    '/usr/bin/python3',
    [peerFile, JSON.stringify({ ...cfg, batch: BATCH, steps, reps, threads: 2 })],
    { encoding: 'utf8' },
  );
  const r = JSON.parse(out) as { msPerStep: number[]; warmLosses: number[] };
  if (!r.warmLosses.every((v) => Number.isFinite(v) && v < 1.5))
    throw new Error(`peer: warm-up losses ${r.warmLosses} are not finite values near 1`);
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

const ctx = await requestContext({});
const results: Record<string, unknown>[] = [];
const schedule = makeSchedule('linear', 1000);
for (const name of cases) {
  const [model, dataName] = name.split('-') as [string, string];
  const ds = loadDataset(dataName === 'fashion' ? 'fashion-mnist' : dataName);
  const [N, D] = ds.shape;
  const image: [number, number, number] = [ds.imageShape![0], ds.imageShape![1], 1];
  const def =
    model === 'mlp'
      ? mlpDef(D, ds.classes, schedule)
      : unetDef(image, ds.classes, schedule, model === 'unet16' ? { c0: 16, c1: 32 } : {});
  const steps = numArg('steps', model === 'mlp' ? 100 : 3);
  const data = { x: ds.x, labels: ds.labels, rows: N, dim: D, name: dataName };
  // Correctness first: a few steps must give finite losses near the eps-prediction start of ~1.
  const warm = await train(ctx, def, data, { epochs: 1000, batch: BATCH, seed: 0, maxSteps: 2, lossEvery: 1 });
  disposeModel(warm.model);
  const l = Array.from(warm.losses).filter((_, i) => i % 2 === 1);
  if (!l.every((v) => Number.isFinite(v) && v < 1.5))
    throw new Error(`${name}: warm-up losses ${l} are not finite values near 1`);
  const ms: number[] = [];
  for (let r = 0; r < reps; r++) {
    const res = await train(ctx, def, data, { epochs: 1000, batch: BATCH, seed: r, maxSteps: steps, lossEvery: steps });
    disposeModel(res.model);
    ms.push((1e3 * res.seconds) / steps);
  }
  const s = stats(ms);
  const flopsPerSample = 6 * forwardMacs(def);
  const row = {
    case: name,
    batch: BATCH,
    stepsPerRep: steps,
    msPerStep: s,
    samplesPerSecond: (1e3 * BATCH) / s.median,
    gflopsPerSecond: (flopsPerSample * BATCH) / (s.median * 1e6),
    flopsPerSample,
    config: def.config,
  };
  console.log(
    `${name}: ${s.median.toFixed(1)} ms/step (spread ${(100 * s.relIqr).toFixed(0)}%), ${row.samplesPerSecond.toFixed(0)} samples/s, ${row.gflopsPerSecond.toFixed(1)} GFLOP/s`,
  );
  const pm = withPeer ? peerMs(def, ds.classes, steps) : null;
  if (pm) {
    const ps = stats(pm);
    const peerSps = (1e3 * BATCH) / ps.median;
    Object.assign(row, {
      peer: { impl: 'PyTorch-CPU (python3-torch), 2 threads', msPerStep: ps, samplesPerSecond: peerSps },
      ratioToPeer: row.samplesPerSecond / peerSps,
    });
    console.log(
      `  peer: ${ps.median.toFixed(1)} ms/step, ${peerSps.toFixed(0)} samples/s; ours / peer = ${(row.samplesPerSecond / peerSps).toFixed(2)}`,
    );
  }
  results.push(row);
}
console.log(`wrote ${writeResult('train', { provenance: provenance(ctx), results })}`);
destroyContext(ctx);
