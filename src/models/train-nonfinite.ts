// A non-finite loss or state in training (train.ts): the replay from the last checked state to the bad
// step, whose forward is run layer by layer to name the first layer (or parameter) that is not finite;
// the errors that say where, and which checkpoint was kept; and the check that no checkpoint with a
// non-finite tensor is ever handed to onCheckpoint.
import type { Context } from '../runtime/context.js';
import { beginBatch, submit, type Batch } from '../runtime/dispatch.js';
import { checkpointNonFinite, type Checkpoint } from './checkpoint.js';
import { checkedForward, type LearnedModel, type ModelGraph } from './model.js';
import type { TrainOptions } from './train.js';

/** The loss became NaN or infinite: where, and which checkpoint was kept. */
export class NonFiniteLossError extends Error {
  constructor(
    message: string,
    readonly step: number,
    readonly where: string,
    readonly kind: 'parameter' | 'layer' | 'loss',
    /** The step of the checkpoint kept: the last good state, or (when that state is not finite) the last one written in this run, -1 when none was. */
    readonly checkpointStep: number,
  ) {
    super(message);
    this.name = 'NonFiniteLossError';
  }
}

/** A snapshot of the training state holds NaN or ±Inf (with a finite loss: the EMA, or the update after the last checked loss); nothing was written for it. */
export class NonFiniteStateError extends Error {
  constructor(
    message: string,
    readonly step: number,
    /** The tensor's name in the checkpoint file ('ema.down.0.conv.weight'). */
    readonly tensor: string,
    /** The last checkpoint handed to onCheckpoint in this run, -1 when none was. */
    readonly checkpointStep: number,
  ) {
    super(message);
    this.name = 'NonFiniteStateError';
  }
}

/** Where a checkpoint file stands after a refused write, for messages. */
const keptPhrase = (lastSaved: number | null) =>
  `nothing was written for it, so the checkpoint file keeps what it held${lastSaved === null ? '' : ` (step ${lastSaved}, written earlier in this run)`}`;

/**
 * Hands `c` to `onCheckpoint` when every tensor is finite; otherwise hands nothing over and throws a
 * NonFiniteStateError naming the step, the tensor, the index and the value.
 */
export function saveFiniteCheckpoint(
  c: Checkpoint,
  reason: 'periodic' | 'final' | 'nonfinite',
  onCheckpoint: TrainOptions['onCheckpoint'],
  lastSaved: number | null,
): void {
  const bad = checkpointNonFinite(c);
  if (bad)
    throw new NonFiniteStateError(
      `training stopped: after step ${c.info.step} the state is not finite: tensor '${bad.name}' holds ${bad.value} at index ${bad.index}; ${keptPhrase(lastSaved)}. Lower --lr or the clip norm.`,
      c.info.step,
      bad.name,
      lastSaved ?? -1,
    );
  onCheckpoint?.(c, reason);
}

/** What replaying steps, checking a forward and saving a checkpoint need from the training loop. */
export interface ReplayTrainer {
  g: ModelGraph;
  /** Host side of step s: the batch rows, uploaded (queue order: before the next submit). */
  prepare(s: number): Promise<void>;
  /** x_t, eps, steps and labels of step s (eps-prediction models only). */
  encodeInputs(b: Batch, s: number): void;
  runStep(s: number): Promise<void>;
  /** Copies the optimiser state to its shadow (the last checked state), or back. */
  copyState(b: Batch, toShadow: boolean): void;
  snapshot(step: number): Promise<Checkpoint>;
  /** The step of the last checkpoint handed to onCheckpoint in this run (null: none yet). */
  lastSaved: number | null;
  /** saveFiniteCheckpoint, recording the step. */
  save(c: Checkpoint, reason: 'periodic' | 'final' | 'nonfinite'): void;
}

/** Replays from the last checked state to the bad step, names what went non-finite, saves that state, throws. */
export async function nonFinite(
  ctx: Context,
  m: LearnedModel,
  t: ReplayTrainer,
  S: number,
  lastGood: number,
  bad: number,
  value: number,
): Promise<never> {
  const restore = () => {
    const b = beginBatch(ctx, 'train restore');
    t.copyState(b, false);
    submit(b);
  };
  restore();
  for (let u = lastGood + 1; u < bad; u++) await t.runStep(u);
  await t.prepare(bad);
  const b = beginBatch(ctx, 'train inputs');
  t.encodeInputs(b, bad);
  submit(b);
  const found = await checkedForward(ctx, m, t.g);
  restore();
  const c = await t.snapshot(lastGood);
  // The state of the last finite loss can itself be non-finite (the update after that loss, or the EMA):
  // then it is not written as 'the last good state'.
  const badState = checkpointNonFinite(c);
  if (!badState) t.save(c, 'nonfinite');
  const kept = badState
    ? `the state of step ${lastGood} is not finite either (tensor '${badState.name}' holds ${badState.value} at index ${badState.index}); ${keptPhrase(t.lastSaved)}`
    : `the last good state (step ${lastGood}) was kept as the checkpoint`;
  const where = !found
    ? 'the loss itself (every layer output was finite)'
    : found.kind === 'layer'
      ? `layer '${found.where}' (${found.value} at row ${found.row}, column ${found.col} of its output)`
      : `parameter '${found.where}' (${found.value} at index ${found.index})`;
  const when = found?.kind === 'parameter' ? ` after the update of step ${bad - 1}` : '';
  throw new NonFiniteLossError(
    `training stopped: the loss is ${value} at step ${bad} (epoch ${Math.floor((bad - 1) / S) + 1}); the first non-finite value is in ${where}${when}; ` +
      `${kept}. Lower --lr or the clip norm.`,
    bad,
    found?.where ?? 'loss',
    found?.kind ?? 'loss',
    badState ? (t.lastSaved ?? -1) : lastGood,
  );
}
