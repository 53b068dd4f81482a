// Trained models from checkpoints, for inference: the model definition rebuilt from the metadata
// (architecture, hyperparameters, data shape, classes, schedule), the weights and the EMA weights.
// An `expect` record makes a mismatch (another architecture, data shape, classes or schedule) an Error
// that lists every difference.
import type { Context } from '../runtime/context.js';
import {
  checkCheckpoint,
  readCheckpoint,
  type Checkpoint,
  type CheckpointInfo,
  type ExpectedModel,
} from './checkpoint.js';
import { classifierDef, type ClassifierConfig } from './classifier.js';
import { learnedDenoiser, type LearnedDenoiser } from './learned.js';
import { mlpDef } from './mlp.js';
import { ARCHITECTURES, createModel, disposeModel, type LearnedModel, type ModelDef } from './model.js';
import { loadParams } from './params.js';
import { makeSchedule } from '../schedule/schedules.js';
import { unetDef } from './unet.js';

const num = (cfg: CheckpointInfo['config'], k: string) => (typeof cfg[k] === 'number' ? (cfg[k] as number) : undefined);

/** The model definition a checkpoint was trained with. */
export function modelDefFromInfo(info: CheckpointInfo, what = 'checkpoint'): ModelDef {
  const c = info.config;
  const schedule = () => {
    if (!info.schedule) throw new Error(`${what}: a ${info.architecture} checkpoint must name its noise schedule`);
    return makeSchedule(info.schedule.name, info.schedule.T);
  };
  switch (info.architecture) {
    case 'mlp':
      if (info.dataShape.length !== 1)
        throw new Error(`${what}: an mlp checkpoint has data shape [D], got [${info.dataShape}]`);
      return mlpDef(info.dataShape[0]!, info.numClasses, schedule(), {
        hidden: num(c, 'hidden'),
        blocks: num(c, 'blocks'),
        timeDim: num(c, 'timeDim'),
      });
    case 'unet-small':
      return unetDef(info.dataShape, info.numClasses, schedule(), {
        c0: num(c, 'c0'),
        c1: num(c, 'c1'),
        embDim: num(c, 'embDim'),
        groups: num(c, 'groups'),
      });
    case 'classifier':
      return classifierDef(info.dataShape, info.numClasses, {
        kind: c.kind as ClassifierConfig['kind'],
        hidden: num(c, 'hidden'),
        blocks: num(c, 'blocks'),
        c0: num(c, 'c0'),
        c1: num(c, 'c1'),
        groups: num(c, 'groups'),
        features: num(c, 'features'),
      });
    default:
      throw new Error(`${what}: unknown architecture '${info.architecture}'; valid: ${ARCHITECTURES.join(', ')}`);
  }
}

/** An inference model (weights and, when saved, the EMA weights the forward then uses) from a checkpoint. */
export function modelFromCheckpoint(
  ctx: Context,
  c: Checkpoint,
  expect?: ExpectedModel,
  what = 'checkpoint',
): LearnedModel {
  if (expect) checkCheckpoint(c.info, expect, what);
  const def = modelDefFromInfo(c.info, what);
  const m = createModel(ctx, def, { train: false, ema: c.ema !== null });
  try {
    loadParams(ctx, m.params, c.params, 'value', what);
    if (c.ema) loadParams(ctx, m.params, c.ema, 'ema', `${what} (ema)`);
  } catch (e) {
    disposeModel(m);
    throw e;
  }
  return m;
}

/**
 * A trained MLP or U-Net from a checkpoint file as a Denoiser (EMA weights). `expect` may depend on the
 * checkpoint's metadata (e.g. a flat [D] or an image [H, W, C] shape for the same data), read once.
 */
export function loadDenoiser(
  ctx: Context,
  path: string,
  expect?: ExpectedModel | ((info: CheckpointInfo) => ExpectedModel),
): LearnedDenoiser {
  const what = `checkpoint ${path}`;
  const c = readCheckpoint(path);
  if (c.info.architecture === 'classifier') throw new Error(`${what} holds a classifier, not a denoiser`);
  return learnedDenoiser(modelFromCheckpoint(ctx, c, typeof expect === 'function' ? expect(c.info) : expect, what));
}

/** A trained classifier from a checkpoint file (features and logits: classifier.ts). */
export function loadClassifier(ctx: Context, path: string, expect?: ExpectedModel): LearnedModel {
  const what = `checkpoint ${path}`;
  const c = readCheckpoint(path);
  if (c.info.architecture !== 'classifier')
    throw new Error(`${what} holds a ${c.info.architecture} denoiser, not a classifier`);
  return modelFromCheckpoint(ctx, c, expect, what);
}
