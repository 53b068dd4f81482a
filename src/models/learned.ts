// A trained eps-predicting model (MLP or U-Net) as a Denoiser: predictEps runs the inference graph
// with the EMA weights when the model has them, else the trained weights.
import type { Context } from '../runtime/context.js';
import { beginBatch, encodeCopy, submit } from '../runtime/dispatch.js';
import { createTensor, upload, type Tensor } from '../runtime/tensor.js';
import { checkDenoiseArgs, NULL_CLASS, type Denoiser } from './denoiser.js';
import { encodeForward } from './graph.js';
import { dimOf, disposeModel, modelGraph, type LearnedModel } from './model.js';

export interface LearnedDenoiser extends Denoiser {
  model: LearnedModel;
}

/** Wraps a denoising model; dispose() frees the model too. */
export function learnedDenoiser(model: LearnedModel): LearnedDenoiser {
  const def = model.def;
  if (!def.schedule) throw new Error(`a ${def.architecture} model is not a denoiser (it has no noise schedule)`);
  const D = dimOf(def.dataShape);
  const shape = def.dataShape;
  /**
   * eps for x_t (n, D) once per label set, in one evaluation of the inference graph over copies.length * n
   * rows (each block of n rows sees x_t). Every layer works per row (GroupNorm per image), so each block
   * equals an evaluation of n rows bit for bit.
   */
  const evaluate = async (
    ctx: Context,
    xt: Tensor,
    n: number,
    step: number,
    copies: (Int32Array | null)[],
  ): Promise<Tensor[]> => {
    for (const classes of copies) checkDenoiseArgs(d, n, step, classes);
    if (xt.size < n * D) throw new Error(`${d.kind} denoiser: x_t holds ${xt.size} values, needs n * D = ${n} * ${D}`);
    const rows = copies.length * n;
    const g = await modelGraph(ctx, model, rows, 'infer');
    upload(ctx, g.io.steps.t, new Uint32Array(rows).fill(step));
    const labels = new Int32Array(rows).fill(NULL_CLASS);
    copies.forEach((classes, h) => classes && labels.set(classes, h * n));
    upload(ctx, g.io.labels.t, labels);
    const out = copies.map((_, h) =>
      createTensor(ctx, [n, D], { label: `${d.kind}.eps${copies.length > 1 ? h : ''}` }),
    );
    const bytes = 4 * n * D;
    const b = beginBatch(ctx, `${d.kind}.predictEps`);
    encodeCopy(
      b,
      (enc) => out.forEach((_, h) => enc.copyBufferToBuffer(xt.buffer, 0, g.io.x.t.buffer, h * bytes, bytes)),
      rows * 4 * D,
    );
    encodeForward(g.nn.g, b);
    encodeCopy(
      b,
      (enc) => out.forEach((o, h) => enc.copyBufferToBuffer(g.out.t.buffer, h * bytes, o.buffer, 0, bytes)),
      rows * 4 * D,
    );
    submit(b);
    return out;
  };
  const d: LearnedDenoiser = {
    model,
    kind: def.architecture,
    dim: D,
    imageShape: shape.length === 3 ? [shape[0]!, shape[1]!, shape[2]!] : null,
    numClasses: def.numClasses,
    schedule: def.schedule,
    async predictEps(ctx: Context, xt: Tensor, n: number, step: number, classes: Int32Array | null): Promise<Tensor> {
      return (await evaluate(ctx, xt, n, step, [classes]))[0]!;
    },
    async predictEpsPair(ctx, xt, n, step, classesA, classesB) {
      const [a, b] = await evaluate(ctx, xt, n, step, [classesA, classesB]);
      return [a!, b!];
    },
    dispose() {
      disposeModel(model);
    },
  };
  return d;
}
