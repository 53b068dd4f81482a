// One optimisation step on the GPU, without readback: the loss and its gradient, the backward pass,
// the global gradient norm (sum of squares, then the clip scale and a sticky non-finite counter computed
// on the GPU), AdamW reading that scale, and the EMA of the weights.
// The optimiser works on flat buffers holding every parameter (weights with decay first, then biases,
// norms and embeddings): the gradients are copied in, AdamW / EMA / the norm are a handful of dispatches
// instead of several per tensor, and the updated weights and EMA are copied back to the per-layer
// tensors the forward reads. The flat value, m, v and EMA buffers are the optimiser's state.
import type { Context } from '../runtime/context.js';
import { encodeCopy, type Batch } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback, upload, type Tensor } from '../runtime/tensor.js';
import {
  CLIP_STATE_SIZE,
  encodeAdamW,
  encodeClipScale,
  encodeCrossEntropy,
  encodeEma,
  encodeFill,
  encodeMseLoss,
  encodeSumSquares,
  type NnDenseKernels,
} from '../kernels/nn_dense.js';
import type { HostTensors } from './checkpoint.js';
import { encodeBackward, encodeForward, encodeZeroGrads } from './graph.js';
import type { LearnedModel, ModelGraph } from './model.js';
import type { Param, ParamSet } from './params.js';

export interface AdamWOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global gradient-norm clip (Infinity: none). */
  maxNorm: number;
  /** EMA decay of the weights (0: the EMA copy follows the weights). */
  emaDecay: number;
}

export const ADAMW_DEFAULTS: AdamWOptions = {
  lr: 1e-3,
  beta1: 0.9,
  beta2: 0.999,
  eps: 1e-8,
  weightDecay: 0,
  maxNorm: 1,
  emaDecay: 0.999,
};

export const FLAT_SLOTS = ['value', 'grad', 'm', 'v', 'ema'] as const;
export type FlatSlot = (typeof FLAT_SLOTS)[number];

export interface OptimState {
  params: Param[];
  /** Element offset of each parameter (params order) in the flat buffers. */
  offsets: number[];
  count: number;
  /** Elements [0, decayCount) take weight decay. */
  decayCount: number;
  flat: Record<FlatSlot, Tensor>;
  sumSquares: Tensor;
  /** [scale, norm, non-finite count] (CLIP_*_INDEX). */
  clip: Tensor;
}

export function createOptimState(ctx: Context, set: ParamSet): OptimState {
  const params = [...set.list.filter((p) => p.decay), ...set.list.filter((p) => !p.decay)];
  const offsets: number[] = [];
  let count = 0;
  let decayCount = 0;
  for (const p of params) {
    offsets.push(count);
    count += p.size;
    if (p.decay) decayCount = count;
  }
  const flat = Object.fromEntries(
    FLAT_SLOTS.map((s) => [s, createTensor(ctx, [Math.max(1, count)], { label: `optim.flat.${s}` })]),
  ) as Record<FlatSlot, Tensor>;
  return {
    params,
    offsets,
    count,
    decayCount,
    flat,
    sumSquares: createTensor(ctx, [1], { label: 'optim.sumsq' }),
    clip: createTensor(ctx, [CLIP_STATE_SIZE], { label: 'optim.clip' }),
  };
}

export function disposeOptimState(s: OptimState): void {
  for (const t of [...Object.values(s.flat), s.sumSquares, s.clip]) disposeTensor(t);
}

/** Copies per-parameter tensors into the flat buffer (toFlat) or back. */
function encodeGather(b: Batch, s: OptimState, slot: 'value' | 'grad' | 'ema', toFlat: boolean): void {
  encodeCopy(
    b,
    (enc) => {
      s.params.forEach((p, i) => {
        const t = p[slot];
        if (!t) throw new Error(`optimiser: parameter '${p.name}' has no ${slot} buffer`);
        const off = 4 * s.offsets[i]!;
        if (toFlat) enc.copyBufferToBuffer(t.buffer, 0, s.flat[slot].buffer, off, 4 * p.size);
        else enc.copyBufferToBuffer(s.flat[slot].buffer, off, t.buffer, 0, 4 * p.size);
      });
    },
    4 * s.count,
  );
}

/** Takes the weights and EMA of the per-layer tensors as the optimiser's state (at start or after loading). */
export function encodeStateFromParams(b: Batch, s: OptimState): void {
  encodeGather(b, s, 'value', true);
  encodeGather(b, s, 'ema', true);
}

/** Writes the optimiser's weights and EMA back to the per-layer tensors (after restoring the flat state). */
export function encodeStateToParams(b: Batch, s: OptimState): void {
  encodeGather(b, s, 'value', false);
  encodeGather(b, s, 'ema', false);
}

/** Uploads AdamW moments ('m' or 'v') by parameter name into the flat buffers. */
export function loadMoments(ctx: Context, s: OptimState, host: HostTensors, slot: 'm' | 'v', what: string): void {
  s.params.forEach((p, i) => {
    const h = host.get(p.name);
    if (!h) throw new Error(`${what}: missing tensor '${p.name}'`);
    if (h.data.length !== p.size)
      throw new Error(`${what}: tensor '${p.name}' has ${h.data.length} values, the model needs ${p.size}`);
    upload(ctx, s.flat[slot], h.data, s.offsets[i]!);
  });
}

/** Reads AdamW moments ('m' or 'v') back by parameter name. */
export async function readMoments(ctx: Context, s: OptimState, slot: 'm' | 'v'): Promise<HostTensors> {
  const all = (await readback(ctx, s.flat[slot])) as Float32Array;
  const out: HostTensors = new Map();
  // Declaration order, like readParams.
  const byName = new Map(s.params.map((p, i) => [p.name, i]));
  for (const p of [...s.params].sort((a, b) => byName.get(a.name)! - byName.get(b.name)!)) {
    const off = s.offsets[byName.get(p.name)!]!;
    out.set(p.name, { shape: [...p.shape], data: all.slice(off, off + p.size) });
  }
  return out;
}

/**
 * Forward, loss at loss[lossIndex] and backward into freshly zeroed parameter gradients. The loss is
 * the MSE against `target` (rows, outCols) for a denoiser, or the cross-entropy against the graph's
 * input labels for a classifier.
 */
export function encodeLossAndGrads(
  b: Batch,
  k: NnDenseKernels,
  m: LearnedModel,
  g: ModelGraph,
  target: Tensor | null,
  loss: Tensor,
  lossIndex: number,
): void {
  const rows = g.nn.g.rows;
  encodeZeroGrads(b, m.params.list);
  encodeForward(g.nn.g, b);
  if (m.def.architecture === 'classifier') {
    encodeCrossEntropy(b, k, {
      logits: g.out.t,
      labels: g.io.labels.t,
      dlogits: g.dOut!,
      loss,
      lossIndex,
      rows,
      classes: m.def.outCols,
    });
  } else {
    if (!target) throw new Error('encodeLossAndGrads: a denoiser needs the eps target');
    encodeMseLoss(b, k, { pred: g.out.t, target, dpred: g.dOut!, loss, lossIndex, rows, cols: m.def.outCols });
  }
  encodeBackward(g.nn.g, b);
}

/** Clip scale from the global norm, AdamW (1-based `step`) and the EMA update, then the weights back to the layers. */
export function encodeOptimizer(b: Batch, k: NnDenseKernels, s: OptimState, o: AdamWOptions, step: number): void {
  const f = s.flat;
  encodeGather(b, s, 'grad', true);
  encodeSumSquares(b, k, { x: f.grad, n: s.count, out: s.sumSquares, outIndex: 0 });
  encodeClipScale(b, k, { sumSquares: s.sumSquares, count: 1, maxNorm: o.maxNorm, out: s.clip });
  const parts: [number, number, number][] = [
    [0, s.decayCount, o.weightDecay],
    [s.decayCount, s.count - s.decayCount, 0],
  ];
  for (const [offset, n, weightDecay] of parts) {
    if (n === 0) continue;
    encodeAdamW(b, k, {
      param: f.value,
      grad: f.grad,
      m: f.m,
      v: f.v,
      n,
      offset,
      lr: o.lr,
      beta1: o.beta1,
      beta2: o.beta2,
      eps: o.eps,
      weightDecay,
      step,
      clipScale: s.clip,
    });
  }
  encodeEma(b, k, { ema: f.ema, param: f.value, n: s.count, decay: o.emaDecay });
  encodeStateToParams(b, s);
}

/** Zeroes the sticky non-finite counter (and the rest of the clip state). */
export function encodeResetClip(b: Batch, k: NnDenseKernels, s: OptimState): void {
  encodeFill(b, k, { x: s.clip, n: CLIP_STATE_SIZE, value: 0 });
}
