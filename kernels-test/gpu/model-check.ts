// Shared checks of whole learned models: the GPU forward against a float64 reference, and the GPU
// gradients of the loss against float64 central finite differences of the reference loss.
import { expect } from 'vitest';
import type { Context } from '../../src/runtime/context.js';
import { beginBatch, submit } from '../../src/runtime/dispatch.js';
import { createTensor, disposeTensor, readback, upload } from '../../src/runtime/tensor.js';
import { nnDenseKernels } from '../../src/kernels/nn_dense.js';
import { encodeForward } from '../../src/models/graph.js';
import { modelGraph, type LearnedModel } from '../../src/models/model.js';
import { encodeLossAndGrads } from '../../src/models/optim.js';
import { loadParams, readParams, type ParamSpec } from '../../src/models/params.js';
import type { HostTensors } from '../../src/models/checkpoint.js';
import { gaussian, rng } from '../random.js';
import type { F64Params } from '../ref/mlp.js';

/** Random parameters of order 1 / sqrt(fan in) (no zero layers, so every gradient is non-trivial). */
export function randomParams(specs: ParamSpec[], seed: number): { f32: HostTensors; f64: F64Params } {
  const g = gaussian(seed);
  const f32: HostTensors = new Map();
  const f64: F64Params = new Map();
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const fan = s.shape.length > 1 ? s.shape.slice(1).reduce((a, b) => a * b, 1) : 4;
    // Norm scales (initialised to 1) stay near 1.
    const centre = s.init.kind === 'const' && s.init.value === 1 ? 1 : 0;
    const data = Float32Array.from({ length: n }, () => centre + g() / Math.sqrt(fan));
    f32.set(s.name, { shape: s.shape, data });
    f64.set(s.name, Float64Array.from(data));
  }
  return { f32, f64 };
}

export interface Inputs {
  x: Float32Array;
  steps: Uint32Array;
  labels: Int32Array;
  rows: number;
}

/** The inference graph's output (rows, outCols) for these inputs. */
export async function gpuForward(ctx: Context, m: LearnedModel, inp: Inputs): Promise<Float32Array> {
  const g = await modelGraph(ctx, m, inp.rows, 'infer');
  upload(ctx, g.io.x.t, inp.x);
  upload(ctx, g.io.steps.t, inp.steps);
  upload(ctx, g.io.labels.t, inp.labels);
  const b = beginBatch(ctx, 'test forward');
  encodeForward(g.nn.g, b);
  submit(b);
  return (await readback(ctx, g.out.t)) as Float32Array;
}

/** Loss and every parameter gradient from the training graph (target: eps (rows, outCols), or null for a classifier). */
export async function gpuGrads(
  ctx: Context,
  m: LearnedModel,
  inp: Inputs,
  target: Float32Array | null,
): Promise<{ loss: number; grads: HostTensors }> {
  const k = await nnDenseKernels(ctx);
  const g = await modelGraph(ctx, m, inp.rows, 'train');
  upload(ctx, g.io.x.t, inp.x);
  upload(ctx, g.io.steps.t, inp.steps);
  upload(ctx, g.io.labels.t, inp.labels);
  const t = target ? createTensor(ctx, [target.length], { data: target, label: 'test.target' }) : null;
  const loss = createTensor(ctx, [1], { label: 'test.loss' });
  try {
    // Twice: gradients must not carry over between steps (zeroed, not accumulated across calls).
    for (let r = 0; r < 2; r++) {
      const b = beginBatch(ctx, 'test grads');
      encodeLossAndGrads(b, k, m, g, t, loss, 0);
      submit(b);
    }
    return { loss: (await readback(ctx, loss))[0]!, grads: await readParams(ctx, m.params, 'grad') };
  } finally {
    if (t) disposeTensor(t);
    disposeTensor(loss);
  }
}

/**
 * For a few entries of every parameter, compares the GPU gradient with the central difference
 * (L(p + h) - L(p - h)) / 2h of the float64 reference loss. Tolerance: the GPU gradient is f32 with
 * reductions over the batch and layers (~1e-6 relative each), the difference's truncation error is
 * O(h^2 L''') ~ 1e-8 at h = 1e-4; we allow 2e-3 relative plus 2e-4 of the tensor's largest |gradient|.
 */
export function checkGradsFd(
  grads: HostTensors,
  p64: F64Params,
  loss: (p: F64Params) => number,
  perTensor: number,
  seed: number,
): void {
  const h = 1e-4;
  const u = rng(seed);
  const pick = (n: number) => Math.floor(u() * n);
  for (const [name, g] of grads) {
    const p = p64.get(name)!;
    let gmax = 0;
    for (const v of g.data) gmax = Math.max(gmax, Math.abs(v));
    expect(gmax, `${name}: gradient is all zero`).toBeGreaterThan(0);
    const idx = new Set<number>([0, g.data.length - 1]);
    while (idx.size < Math.min(perTensor, g.data.length)) idx.add(pick(g.data.length));
    for (const i of idx) {
      const old = p[i]!;
      p[i] = old + h;
      const lp = loss(p64);
      p[i] = old - h;
      const lm = loss(p64);
      p[i] = old;
      const fd = (lp - lm) / (2 * h);
      const err = Math.abs(g.data[i]! - fd);
      const allowed = 2e-3 * Math.abs(fd) + 2e-4 * gmax;
      if (!(err <= allowed))
        throw new Error(
          `${name}[${i}]: GPU gradient ${g.data[i]} vs finite difference ${fd} (|err| ${err.toExponential(2)} > ${allowed.toExponential(2)}, seed ${seed})`,
        );
    }
  }
}

export function setParams(ctx: Context, m: LearnedModel, host: HostTensors): void {
  loadParams(ctx, m.params, host);
}
