// What train() checks and derives before it allocates anything (src/models/train.ts): the data against the
// model definition, the options, and a resumed checkpoint (same model, a full finite state, steps left,
// the same data unless overridden).
import { checkInt, seedKey } from '../runtime/check.js';
import {
  checkCheckpoint,
  checkpointNonFinite,
  dataFingerprint,
  type CheckpointInfo,
  type DataFingerprint,
} from './checkpoint.js';
import type { ModelDef } from './model.js';
import { ADAMW_DEFAULTS, type AdamWOptions } from './optim.js';
import { checkLabels, stepsPerEpoch, type TrainData } from './train-data.js';
import type { TrainOptions } from './train.js';

/** The options once checked, and the sizes derived from them. */
export interface TrainPlan {
  isClassifier: boolean;
  D: number;
  lossEvery: number;
  pUncond: number;
  o: AdamWOptions;
  key: [number, number];
  /** Batch size and steps per epoch. */
  B: number;
  S: number;
  /** The last step this call runs. */
  stop: number;
  /** The training options recorded in every checkpoint. */
  trainInfo: CheckpointInfo['train'];
  fingerprint: DataFingerprint;
  /** What the caller should be told about the resumed checkpoint (checkResume). */
  warnings: string[];
}

/** How checkTraining names things in its messages. */
export interface CheckWords {
  /** The resumed checkpoint (default 'resume checkpoint'). */
  what?: string;
  /** The way to allow resuming on other data (default 'allowDifferentData'). */
  override?: string;
}

/**
 * Everything train() checks before it allocates anything, on the host: the data against the
 * definition, the options, and a resumed checkpoint (checkResume). Throws on a refusal; returns the
 * warnings to show (train() itself shows none), e.g. a resumed checkpoint without a data fingerprint.
 */
export function checkTraining(def: ModelDef, data: TrainData, opts: TrainOptions, words: CheckWords = {}): string[] {
  return planTraining(def, data, opts, words).warnings;
}

/** Checks the data and options against the definition; the batch, steps per epoch and last step. */
export function planTraining(def: ModelDef, data: TrainData, opts: TrainOptions, words: CheckWords = {}): TrainPlan {
  const isClassifier = def.architecture === 'classifier';
  const D = data.dim;
  if (D !== def.dataShape.reduce((a, b) => a * b, 1))
    throw new Error(`train: data rows have ${D} values but the model takes [${def.dataShape}]`);
  checkLabels(data.labels, def.numClasses, `train: labels of ${data.name}`);
  checkInt('epochs', opts.epochs, 1, 1e6);
  checkInt('batch', opts.batch, 1, 1 << 20);
  const lossEvery = checkInt('lossEvery', opts.lossEvery ?? 10, 1, 10_000);
  const pUncond = opts.pUncond ?? 0.1;
  if (opts.maxSeconds !== undefined && !(opts.maxSeconds > 0 && Number.isFinite(opts.maxSeconds)))
    throw new Error(`maxSeconds must be a positive number of seconds, got ${opts.maxSeconds}`);
  if (!(pUncond >= 0 && pUncond <= 1)) throw new Error(`pUncond must be in [0, 1], got ${pUncond}`);
  const o: AdamWOptions = { ...ADAMW_DEFAULTS, ...opts.optimizer };
  const key = seedKey(opts.seed);
  const { batch: B, steps: S } = stepsPerEpoch(data.rows, opts.batch);
  const total = opts.epochs * S;
  const stop = Math.min(total, opts.maxSteps ?? total);
  const trainInfo = {
    epochs: opts.epochs,
    batch: B,
    pUncond,
    lossEvery,
    ...o,
    maxNorm: Number.isFinite(o.maxNorm) ? o.maxNorm : 0,
  };
  const fingerprint = data.fingerprint ?? dataFingerprint(data.x, data.labels);
  const warnings = opts.resume ? checkResume(def, data, fingerprint, opts, stop, S, words) : [];
  return { isClassifier, D, lossEvery, pUncond, o, key, B, S, stop, trainInfo, fingerprint, warnings };
}

/**
 * A resumed checkpoint against the run asked for: the same model (checkCheckpoint), a full training
 * state (weights, AdamW moments, EMA) that is finite, steps left to run, and the same data (row count
 * and fingerprint; other data only with the override, then with a warning). A checkpoint without a
 * fingerprint (older fluctus) passes with a warning.
 */
function checkResume(
  def: ModelDef,
  data: TrainData,
  fp: DataFingerprint,
  opts: TrainOptions,
  stop: number,
  S: number,
  words: CheckWords,
): string[] {
  const r = opts.resume!;
  const what = words.what ?? 'resume checkpoint';
  checkCheckpoint(
    r.info,
    {
      architecture: def.architecture,
      dataShape: def.dataShape,
      numClasses: def.numClasses,
      config: def.config,
      schedule: def.schedule ? { name: def.schedule.name, T: def.schedule.T } : null,
    },
    what,
  );
  if (!r.optimM || !r.optimV || !r.ema)
    throw new Error(`${what} holds weights only (no optim.* or ema.* tensors); it cannot be resumed`);
  const bad = checkpointNonFinite(r);
  if (bad)
    throw new Error(
      `${what}: tensor '${bad.name}' holds ${bad.value} at index ${bad.index}; a run cannot continue from a non-finite state`,
    );
  const start = r.info.step;
  if (start >= stop)
    throw new Error(
      `${what} is at step ${start}, which already reaches the ${stop} steps asked for (${opts.epochs} epochs of ${S} steps${opts.maxSteps ? `, at most ${opts.maxSteps}` : ''}); raise --epochs`,
    );
  const was = r.info.dataFingerprint;
  if (!was)
    return [
      `${what} records no data fingerprint (written by an older fluctus), so nothing checks that '${data.name}' is the data it was trained on ('${r.info.data}')`,
    ];
  if (was.rows === fp.rows && was.hash === fp.hash) return [];
  const differ = `${what} was trained on '${r.info.data}' (${was.rows} rows, ${was.hash}) but the data given are '${data.name}' (${fp.rows} rows, ${fp.hash})`;
  const override = words.override ?? 'allowDifferentData';
  if (!opts.allowDifferentData)
    throw new Error(
      `${differ}: not the same data. Resume on the data it was trained on, or pass ${override} to continue training on these`,
    );
  return [`${override}: ${differ}; training continues on the data given, and the checkpoint records them from now on`];
}
