// A trained eps-predicting model (MLP or U-Net) as a Denoiser: predictEps runs the inference graph
// with the EMA weights when the model has them, else the trained weights.
import type { Context } from '../runtime/context.js';
import { beginBatch, encodeCopy, submit } from '../runtime/dispatch.js';
import { createTensor, upload, type Tensor } from '../runtime/tensor.js';
import { checkDenoiseArgs, NULL_CLASS, type Denoiser } from './denoiser.js';
import { encodeForward } from './graph.js';
import { dimOf, disposeModel, encodeInput, modelGraph, type LearnedModel } from './model.js';

export interface LearnedDenoiser extends Denoiser {
  model: LearnedModel;
}

/** Wraps a denoising model; dispose() frees the model too. */
export function learnedDenoiser(model: LearnedModel): LearnedDenoiser {
  const def = model.def;
  if (!def.schedule) throw new Error(`a ${def.architecture} model is not a denoiser (it has no noise schedule)`);
  const D = dimOf(def.dataShape);
  const shape = def.dataShape;
  const d: LearnedDenoiser = {
    model,
    kind: def.architecture,
    dim: D,
    imageShape: shape.length === 3 ? [shape[0]!, shape[1]!, shape[2]!] : null,
    numClasses: def.numClasses,
    schedule: def.schedule,
    async predictEps(ctx: Context, xt: Tensor, n: number, step: number, classes: Int32Array | null): Promise<Tensor> {
      checkDenoiseArgs(d, n, step, classes);
      if (xt.size < n * D)
        throw new Error(`${d.kind} denoiser: x_t holds ${xt.size} values, needs n * D = ${n} * ${D}`);
      const g = await modelGraph(ctx, model, n, 'infer');
      upload(ctx, g.io.steps.t, new Uint32Array(n).fill(step));
      upload(ctx, g.io.labels.t, classes ?? new Int32Array(n).fill(-1));
      const out = createTensor(ctx, [n, D], { label: `${d.kind}.eps` });
      const b = beginBatch(ctx, `${d.kind}.predictEps`);
      encodeInput(b, g, xt, n, D);
      encodeForward(g.nn.g, b);
      encodeCopy(b, (enc) => enc.copyBufferToBuffer(g.out.t.buffer, 0, out.buffer, 0, 4 * n * D), 4 * n * D);
      submit(b);
      return out;
    },
    // Both halves of a 2n-row batch see the same x_t; every layer works per row (GroupNorm per image), so
    // each half equals a call of n rows bit for bit.
    async predictEpsPair(ctx, xt, n, step, classesA, classesB) {
      checkDenoiseArgs(d, n, step, classesA);
      checkDenoiseArgs(d, n, step, classesB);
      if (xt.size < n * D)
        throw new Error(`${d.kind} denoiser: x_t holds ${xt.size} values, needs n * D = ${n} * ${D}`);
      const g = await modelGraph(ctx, model, 2 * n, 'infer');
      upload(ctx, g.io.steps.t, new Uint32Array(2 * n).fill(step));
      const labels = new Int32Array(2 * n).fill(NULL_CLASS);
      if (classesA) labels.set(classesA, 0);
      if (classesB) labels.set(classesB, n);
      upload(ctx, g.io.labels.t, labels);
      const out = [0, 1].map((h) => createTensor(ctx, [n, D], { label: `${d.kind}.eps.${'ab'[h]}` })) as [
        Tensor,
        Tensor,
      ];
      const bytes = 4 * n * D;
      const b = beginBatch(ctx, `${d.kind}.predictEpsPair`);
      encodeCopy(
        b,
        (enc) => {
          enc.copyBufferToBuffer(xt.buffer, 0, g.io.x.t.buffer, 0, bytes);
          enc.copyBufferToBuffer(xt.buffer, 0, g.io.x.t.buffer, bytes, bytes);
        },
        2 * bytes,
      );
      encodeForward(g.nn.g, b);
      encodeCopy(
        b,
        (enc) => {
          enc.copyBufferToBuffer(g.out.t.buffer, 0, out[0].buffer, 0, bytes);
          enc.copyBufferToBuffer(g.out.t.buffer, bytes, out[1].buffer, 0, bytes);
        },
        2 * bytes,
      );
      submit(b);
      return out;
    },
    dispose() {
      disposeModel(model);
    },
  };
  return d;
}
