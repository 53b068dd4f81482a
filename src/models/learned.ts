// A trained eps-predicting model (MLP or U-Net) as a Denoiser: predictEps runs the inference graph
// with the EMA weights when the model has them, else the trained weights.
import type { Context } from '../runtime/context.js';
import { beginBatch, encodeCopy, submit } from '../runtime/dispatch.js';
import { createTensor, upload, type Tensor } from '../runtime/tensor.js';
import { checkDenoiseArgs, type Denoiser } from './denoiser.js';
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
    dispose() {
      disposeModel(model);
    },
  };
  return d;
}
