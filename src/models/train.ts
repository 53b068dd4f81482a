// The training loop of learned denoisers (eps prediction, MSE) and classifiers (cross-entropy), all on
// the GPU: per step the batch's rows come from a Philox shuffle of the data, steps, class dropout and
// eps from Philox counters of (seed, step) (diffusion_batch.wgsl), then forward, loss, backward,
// global-norm clipping, AdamW and EMA. Nothing is read back but the losses every `lossEvery` steps, so
// a fixed seed gives the same weights bit for bit, and resuming from a checkpoint equals not stopping.
// A non-finite loss stops training: the run is replayed from the last checked state to the bad step,
// whose forward is run layer by layer to name the first layer (or parameter) that is not finite.
// No checkpoint with a non-finite tensor is ever handed to onCheckpoint: every snapshot is checked on
// the host copy it already reads back, and a non-finite state stops training (NonFiniteStateError).
// Both in train-nonfinite.ts.
// A resumed checkpoint is checked before anything is allocated (checkTraining, train-plan.ts): model, finite state,
// steps left, and its data fingerprint against the data given.
import type { Context } from '../runtime/context.js';
import { beginBatch, encodeCopy, submit, type Batch } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback, upload, type Tensor } from '../runtime/tensor.js';
import { nnDenseKernels, CLIP_NONFINITE_INDEX, type NnDenseKernels } from '../kernels/nn_dense.js';
import { diffusionBatchPipeline, encodeDiffusionBatch, noiseCoefTable } from '../kernels/diffusion_batch.js';
import type { Checkpoint } from './checkpoint.js';
import { createModel, disposeModel, modelGraph, type LearnedModel, type ModelDef } from './model.js';
import {
  createOptimState,
  disposeOptimState,
  encodeLossAndGrads,
  encodeOptimizer,
  encodeResetClip,
  encodeStateFromParams,
  encodeStateToParams,
  loadMoments,
  readMoments,
  type AdamWOptions,
  type OptimState,
} from './optim.js';
import { initialValues, loadParams, readParams } from './params.js';
import { epochOrder, gatherBatch, type TrainData } from './train-data.js';
import { planTraining, type TrainPlan } from './train-plan.js';

import { nonFinite, saveFiniteCheckpoint, type ReplayTrainer } from './train-nonfinite.js';

export { checkTraining, type CheckWords } from './train-plan.js';
export { NonFiniteLossError, NonFiniteStateError, saveFiniteCheckpoint } from './train-nonfinite.js';

export interface TrainOptions {
  epochs: number;
  batch: number;
  seed: number;
  /** Probability of training a row with the null class (classifier-free guidance); default 0.1. */
  pUncond?: number;
  optimizer?: Partial<AdamWOptions>;
  /** Steps between loss readbacks (default 10). */
  lossEvery?: number;
  /** Stop after this global step even if epochs remain (the checkpoint then resumes mid-epoch). */
  maxSteps?: number;
  /** Stop at the first loss readback after this many seconds of training (the checkpoint then resumes where it stopped). */
  maxSeconds?: number;
  /** Continue this checkpoint's run (its weights, AdamW moments, EMA, step and loss curve). */
  resume?: Checkpoint | null;
  /** Resume on data whose fingerprint differs from the checkpoint's (refused otherwise). */
  allowDifferentData?: boolean;
  /** Seconds between periodic checkpoints handed to onCheckpoint (default 60). */
  checkpointEverySeconds?: number;
  onProgress?: (p: TrainProgress) => void;
  onCheckpoint?: (c: Checkpoint, reason: 'periodic' | 'final' | 'nonfinite') => void;
}

export interface TrainProgress {
  step: number;
  totalSteps: number;
  epoch: number;
  /** Mean loss over the steps since the previous report. */
  loss: number;
  samplesPerSecond: number;
  elapsedSeconds: number;
  /** Steps whose gradient norm was not finite (AdamW skipped them). */
  skippedSteps: number;
}

export interface TrainResult {
  model: LearnedModel;
  checkpoint: Checkpoint;
  /** (n, 2) rows of (step, loss) over the whole run, resumed parts included. */
  losses: Float32Array;
  stepsRun: number;
  seconds: number;
  samplesPerSecond: number;
}

/** The optimiser state a checked step can be rolled back to. */
const SLOTS = ['value', 'm', 'v', 'ema'] as const;

/** What a run allocates besides the model, freed when it ends. */
interface Owned {
  tensors: Tensor[];
  opt: OptimState | null;
}

/** The GPU side of the loop: what a replay needs, and the kernels, optimiser state and loss history. */
interface Trainer extends ReplayTrainer {
  k: NnDenseKernels;
  os: OptimState;
  /** The loss of the last lossEvery steps, (lossEvery). */
  hist: Tensor;
}

/** Trains a model of definition `def` on `data`. The caller owns (disposes) the returned model. */
export async function train(ctx: Context, def: ModelDef, data: TrainData, opts: TrainOptions): Promise<TrainResult> {
  const p = planTraining(def, data, opts);
  const { B, S, lossEvery } = p;
  let stop = p.stop;
  const m = createModel(ctx, def, { train: true, ema: true });
  const own: Owned = { tensors: [], opt: null };
  let ok = false;
  try {
    const { start, losses } = await startingPoint(ctx, def, m, opts);
    const t = await createTrainer(ctx, def, data, opts, p, m, own, losses);
    {
      const b = beginBatch(ctx, 'train start');
      encodeResetClip(b, t.k, t.os);
      encodeStateFromParams(b, t.os);
      t.copyState(b, true);
      submit(b);
    }
    let lastGood = start;
    let lastSave = performance.now();
    const t0 = performance.now();
    let skipped = 0;
    for (let s = start + 1; s <= stop; s++) {
      await t.runStep(s);
      if (s % lossEvery !== 0 && s !== stop) continue;
      const h = (await readback(ctx, t.hist)) as Float32Array;
      skipped = (await readback(ctx, t.os.clip))[CLIP_NONFINITE_INDEX]!;
      let sum = 0;
      for (let u = lastGood + 1; u <= s; u++) {
        const v = h[(u - 1) % lossEvery]!;
        if (!Number.isFinite(v)) await nonFinite(ctx, m, t, S, lastGood, u, v);
        sum += v;
      }
      for (let u = lastGood + 1; u <= s; u++) losses.push(u, h[(u - 1) % lossEvery]!);
      const windowSteps = s - lastGood;
      lastGood = s;
      const b = beginBatch(ctx, 'train shadow');
      t.copyState(b, true);
      submit(b);
      const elapsed = (performance.now() - t0) / 1e3;
      opts.onProgress?.({
        step: s,
        totalSteps: stop,
        epoch: Math.floor((s - 1) / S) + 1,
        loss: sum / windowSteps,
        samplesPerSecond: ((s - start) * B) / elapsed,
        elapsedSeconds: elapsed,
        skippedSteps: skipped,
      });
      if (opts.maxSeconds !== undefined && elapsed >= opts.maxSeconds) {
        stop = s;
        break;
      }
      if (opts.onCheckpoint && s < stop && performance.now() - lastSave > 1e3 * (opts.checkpointEverySeconds ?? 60)) {
        t.save(await t.snapshot(s), 'periodic');
        lastSave = performance.now();
      }
    }
    const seconds = (performance.now() - t0) / 1e3;
    const checkpoint = await t.snapshot(stop);
    t.save(checkpoint, 'final');
    ok = true;
    return {
      model: m,
      checkpoint,
      losses: Float32Array.from(losses),
      stepsRun: stop - start,
      seconds,
      samplesPerSecond: ((stop - start) * B) / Math.max(seconds, 1e-9),
    };
  } finally {
    for (const x of own.tensors) disposeTensor(x);
    if (own.opt) disposeOptimState(own.opt);
    if (!ok) disposeModel(m);
  }
}

/** Loads the resumed run's weights and EMA (or fresh initial values) into m: the step to continue from and the loss curve so far. */
async function startingPoint(
  ctx: Context,
  def: ModelDef,
  m: LearnedModel,
  opts: TrainOptions,
): Promise<{ start: number; losses: number[] }> {
  const r = opts.resume;
  const losses: number[] = [];
  if (!r) {
    const init = await initialValues(ctx, def.paramSpecs, opts.seed);
    loadParams(ctx, m.params, init);
    loadParams(ctx, m.params, init, 'ema');
    return { start: 0, losses };
  }
  // checkResume (in planTraining) has checked the model, the state and the steps left.
  loadParams(ctx, m.params, r.params, 'value', 'resume checkpoint');
  loadParams(ctx, m.params, r.ema!, 'ema', 'resume checkpoint (ema)');
  if (r.loss) losses.push(...r.loss);
  return { start: r.info.step, losses };
}

/** Kernels, the model's training graph, batch tensors and the optimiser state (with the resumed moments); `losses` is the run's curve, read by snapshots. */
async function createTrainer(
  ctx: Context,
  def: ModelDef,
  data: TrainData,
  opts: TrainOptions,
  p: TrainPlan,
  m: LearnedModel,
  own: Owned,
  losses: number[],
): Promise<Trainer> {
  const { isClassifier, D, lossEvery, pUncond, o, key, B, S, trainInfo, fingerprint } = p;
  const r = opts.resume;
  const keep = <T extends Tensor>(t: T) => (own.tensors.push(t), t);
  const k = await nnDenseKernels(ctx);
  const g = await modelGraph(ctx, m, B, 'train');
  const pipe = await diffusionBatchPipeline(ctx);
  const xb = keep(createTensor(ctx, [B, D], { label: 'train.x0' }));
  const lb = keep(createTensor(ctx, [B], { dtype: 'i32', label: 'train.labels' }));
  const eps = keep(createTensor(ctx, [B, D], { label: 'train.eps' }));
  const coef = def.schedule ? keep(noiseCoefTable(ctx, def.schedule)) : null;
  const hist = keep(createTensor(ctx, [lossEvery], { label: 'train.loss' }));
  const os = (own.opt = createOptimState(ctx, m.params));
  if (r) {
    loadMoments(ctx, os, r.optimM!, 'm', 'resume checkpoint (optim.m)');
    loadMoments(ctx, os, r.optimV!, 'v', 'resume checkpoint (optim.v)');
  }
  const shadow = SLOTS.map((s) => keep(createTensor(ctx, [os.count], { label: `train.shadow.${s}` })));
  const copyState = (b: Batch, toShadow: boolean) => {
    encodeCopy(
      b,
      (enc) =>
        SLOTS.forEach((s, i) => {
          const [from, to] = toShadow ? [os.flat[s], shadow[i]!] : [shadow[i]!, os.flat[s]];
          enc.copyBufferToBuffer(from.buffer, 0, to.buffer, 0, 4 * os.count);
        }),
      16 * os.count,
    );
    if (!toShadow) encodeStateToParams(b, os);
  };

  const xHost = new Float32Array(B * D);
  const lHost = new Int32Array(B);
  let order: Int32Array | null = null;
  let orderEpoch = -1;
  const prepare = async (s: number) => {
    const e = Math.floor((s - 1) / S);
    if (e !== orderEpoch) {
      order = await epochOrder(ctx, data.rows, opts.seed, e);
      orderEpoch = e;
    }
    gatherBatch(data, order!, ((s - 1) % S) * B, B, xHost, lHost);
    upload(ctx, isClassifier ? g.io.x.t : xb, xHost);
    upload(ctx, isClassifier ? g.io.labels.t : lb, lHost);
  };
  const encodeInputs = (b: Batch, s: number) => {
    if (isClassifier) return;
    encodeDiffusionBatch(b, pipe, {
      x0: xb,
      labelsIn: lb,
      coef: coef!,
      T: def.schedule!.T,
      xt: g.io.x.t,
      eps,
      steps: g.io.steps.t,
      labels: g.io.labels.t,
      rows: B,
      cols: D,
      key,
      iter: s,
      pUncond: def.numClasses > 0 ? pUncond : 1,
    });
  };
  const runStep = async (s: number) => {
    await prepare(s);
    const b = beginBatch(ctx, 'train step');
    encodeInputs(b, s);
    encodeLossAndGrads(b, k, m, g, isClassifier ? null : eps, hist, (s - 1) % lossEvery);
    // EMA warm-up (decay (1 + s) / (10 + s) until it reaches emaDecay) so short runs are not dominated by the start.
    encodeOptimizer(b, k, os, { ...o, emaDecay: Math.min(o.emaDecay, (1 + s) / (10 + s)) }, s);
    submit(b);
  };
  const snapshot = async (step: number): Promise<Checkpoint> => {
    const [params, optimM, optimV, ema] = [
      await readParams(ctx, m.params, 'value'),
      await readMoments(ctx, os, 'm'),
      await readMoments(ctx, os, 'v'),
      await readParams(ctx, m.params, 'ema'),
    ];
    return {
      info: {
        architecture: def.architecture,
        config: def.config,
        dataShape: def.dataShape,
        numClasses: def.numClasses,
        schedule: def.schedule ? { name: def.schedule.name, T: def.schedule.T } : null,
        step,
        epoch: Math.floor(step / S),
        seed: opts.seed,
        data: data.name,
        train: trainInfo,
        ...(data.options ? { dataOptions: data.options } : {}),
        dataFingerprint: fingerprint,
      },
      params,
      optimM,
      optimV,
      ema,
      loss: lossesUpTo(losses, step),
    };
  };
  const t: Trainer = {
    k,
    g,
    os,
    hist,
    prepare,
    encodeInputs,
    runStep,
    copyState,
    snapshot,
    lastSaved: null,
    save: (c, reason) => {
      saveFiniteCheckpoint(c, reason, opts.onCheckpoint, t.lastSaved);
      if (opts.onCheckpoint) t.lastSaved = c.info.step;
    },
  };
  return t;
}

/** The (step, loss) pairs of a flat list with step <= `step`. */
function lossesUpTo(flat: number[], step: number): Float32Array {
  let n = 0;
  while (2 * n < flat.length && flat[2 * n]! <= step) n++;
  return Float32Array.from(flat.slice(0, 2 * n));
}
