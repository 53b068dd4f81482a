// A small classifier trained by the same engine, from the same layers, on clean data:
//   vectors (N, D): h = input(x); per block h = h + lin2(silu(lin1(silu(h)))); f = silu(features(silu(h)))
//   images [H, W, C]: h = conv_in(x); ResBlock C0; pool; ResBlock C0 -> C1; pool; ResBlock C1 (as unet.ts,
//                     without conditioning); f = silu(features(flatten(h)))
//   logits = head(f), trained with softmax cross-entropy.
// f (N, F) are the penultimate features the Fréchet distance uses; the logits score class predictions.
import type { Context } from '../runtime/context.js';
import { checkInt } from '../runtime/check.js';
import { beginBatch, encodeCopy, submit } from '../runtime/dispatch.js';
import { createTensor, readback, type Tensor } from '../runtime/tensor.js';
import { add, linear, reshape, silu } from './layers.js';
import { avgPool2, conv3x3 } from './layers-image.js';
import { encodeForward } from './graph.js';
import { dimOf, encodeInput, modelGraph, withDefaults, type LearnedModel, type ModelDef } from './model.js';
import { linearSpecs } from './mlp.js';
import type { ParamSpec } from './params.js';
import { checkImageShape, convSpecs, normSpecs, resBlock } from './unet.js';

export interface ClassifierConfig {
  /** 'mlp' for vectors, 'conv' for images (default: 'conv' when the data are images). */
  kind: 'mlp' | 'conv';
  /** MLP width and residual blocks. */
  hidden: number;
  blocks: number;
  /** Conv channels at full and half resolution, GroupNorm groups. */
  c0: number;
  c1: number;
  groups: number;
  /** Width F of the penultimate features. */
  features: number;
}

export const CLASSIFIER_DEFAULTS: Omit<ClassifierConfig, 'kind'> = {
  hidden: 256,
  blocks: 2,
  c0: 16,
  c1: 32,
  groups: 8,
  features: 128,
};

function resSpecsPlain(p: string, cin: number, cout: number): ParamSpec[] {
  const s = [
    ...normSpecs(`${p}.norm1`, cin),
    ...convSpecs(`${p}.conv1`, cout, cin),
    ...normSpecs(`${p}.norm2`, cout),
    ...convSpecs(`${p}.conv2`, cout, cout),
  ];
  if (cin !== cout) s.push(...linearSpecs(`${p}.skip`, cout, cin));
  return s;
}

/** Model definition of the classifier for data of `dataShape` ([D] or [H, W, C]) with numClasses >= 2 classes. */
export function classifierDef(
  dataShape: readonly number[],
  numClasses: number,
  config: Partial<ClassifierConfig> = {},
): ModelDef {
  checkInt('classifier: numClasses', numClasses, 2, 1 << 20);
  const kind = config.kind ?? (dataShape.length === 3 ? 'conv' : 'mlp');
  if (kind !== 'mlp' && kind !== 'conv')
    throw new Error(`classifier: kind must be 'mlp' or 'conv', got '${String(kind)}'`);
  const c = { ...withDefaults(CLASSIFIER_DEFAULTS, config), kind };
  for (const k of ['hidden', 'c0', 'c1', 'groups', 'features'] as const) checkInt(`classifier: ${k}`, c[k], 1, 4096);
  checkInt('classifier: blocks', c.blocks, 0, 64);
  const D = dimOf(dataShape);
  const F = c.features;
  const specs: ParamSpec[] = [];
  let config2: Record<string, number | string>;
  if (kind === 'mlp') {
    const H = c.hidden;
    specs.push(...linearSpecs('input', H, D));
    for (let i = 0; i < c.blocks; i++)
      specs.push(...linearSpecs(`blocks.${i}.lin1`, H, H), ...linearSpecs(`blocks.${i}.lin2`, H, H));
    specs.push(...linearSpecs('features', F, H));
    config2 = { kind, hidden: H, blocks: c.blocks, features: F };
  } else {
    const [H, W, C] = checkImageShape('classifier', dataShape, c.groups, [c.c0, c.c1]);
    specs.push(
      ...convSpecs('conv_in', c.c0, C),
      ...resSpecsPlain('res.0', c.c0, c.c0),
      ...resSpecsPlain('res.1', c.c0, c.c1),
      ...resSpecsPlain('res.2', c.c1, c.c1),
    );
    specs.push(...linearSpecs('features', F, (H / 4) * (W / 4) * c.c1));
    config2 = { kind, c0: c.c0, c1: c.c1, groups: c.groups, features: F };
  }
  specs.push(...linearSpecs('head', numClasses, F));
  return {
    architecture: 'classifier',
    config: config2,
    dataShape: [...dataShape],
    numClasses,
    schedule: null,
    paramSpecs: specs,
    outCols: numClasses,
    async build(nn, io) {
      const N = io.x.rows;
      let flat;
      if (kind === 'mlp') {
        let h = await linear(nn, 'input', io.x, c.hidden);
        for (let i = 0; i < c.blocks; i++) {
          const p = `blocks.${i}`;
          const u = await linear(nn, `${p}.lin1`, silu(nn, `${p}.act0`, h), c.hidden, 'silu');
          h = add(nn, `${p}.out`, h, await linear(nn, `${p}.lin2`, u, c.hidden));
        }
        flat = silu(nn, 'features.act_in', h);
      } else {
        const [H, W, C] = dataShape as [number, number, number];
        const i0 = { n: N, h: H, w: W };
        const i1 = { n: N, h: H / 2, w: W / 2 };
        const i2 = { n: N, h: H / 4, w: W / 4 };
        const x = reshape(nn, 'input.image', io.x, N * H * W, C);
        let h = await resBlock(nn, 'res.0', await conv3x3(nn, 'conv_in', x, i0, c.c0), i0, c.c0, c.groups, null);
        h = await resBlock(nn, 'res.1', await avgPool2(nn, 'res.0.pool', h, i0), i1, c.c1, c.groups, null);
        h = await resBlock(nn, 'res.2', await avgPool2(nn, 'res.1.pool', h, i1), i2, c.c1, c.groups, null);
        flat = reshape(nn, 'flatten', h, N, (H / 4) * (W / 4) * c.c1);
      }
      const features = await linear(nn, 'features', flat, F, 'silu');
      return { out: await linear(nn, 'head', features, numClasses), features };
    },
  };
}

/** Width F of a classifier's features. */
export function featureDim(m: LearnedModel): number {
  if (m.def.architecture !== 'classifier')
    throw new Error(`featureDim: a ${m.def.architecture} model is not a classifier`);
  return Number(m.def.config.features);
}

async function runClassifier(
  ctx: Context,
  m: LearnedModel,
  x: Tensor,
  n: number,
  what: 'features' | 'logits',
): Promise<Tensor> {
  if (m.def.architecture !== 'classifier')
    throw new Error(`classifier ${what}: a ${m.def.architecture} model is not a classifier`);
  checkInt(`classifier ${what}: n`, n, 1, 2 ** 31 - 1);
  const D = dimOf(m.def.dataShape);
  if (x.size < n * D) throw new Error(`classifier ${what}: x holds ${x.size} values, needs n * D = ${n} * ${D}`);
  const g = await modelGraph(ctx, m, n, 'infer');
  const src = what === 'features' ? g.features! : g.out;
  const out = createTensor(ctx, [n, src.cols], { label: `classifier.${what}` });
  const b = beginBatch(ctx, `classifier ${what}`);
  encodeInput(b, g, x, n, D);
  encodeForward(g.nn.g, b);
  encodeCopy(b, (enc) => enc.copyBufferToBuffer(src.t.buffer, 0, out.buffer, 0, 4 * n * src.cols), 4 * n * src.cols);
  submit(b);
  return out;
}

/** Penultimate features (n, F) of x (n, D) on the GPU; the caller disposes the result. */
export function classifierFeatures(ctx: Context, m: LearnedModel, x: Tensor, n: number): Promise<Tensor> {
  return runClassifier(ctx, m, x, n, 'features');
}

/** Logits (n, numClasses) of x (n, D) on the GPU; the caller disposes the result. */
export function classifierLogits(ctx: Context, m: LearnedModel, x: Tensor, n: number): Promise<Tensor> {
  return runClassifier(ctx, m, x, n, 'logits');
}

/** Host convenience: predicted class (argmax of the logits) for rows x (n, D), in batches of `batch`. */
export async function classifyHost(
  ctx: Context,
  m: LearnedModel,
  x: Float32Array,
  n: number,
  batch = 256,
): Promise<Int32Array> {
  const D = dimOf(m.def.dataShape);
  if (x.length !== n * D) throw new Error(`classify: x has ${x.length} values, expected n * D = ${n} * ${D}`);
  const K = m.def.numClasses;
  const out = new Int32Array(n);
  for (let r0 = 0; r0 < n; r0 += batch) {
    const rows = Math.min(batch, n - r0);
    const xt = createTensor(ctx, [rows, D], { data: x.subarray(r0 * D, (r0 + rows) * D), label: 'classify.x' });
    const lt = await classifierLogits(ctx, m, xt, rows);
    const logits = (await readback(ctx, lt)) as Float32Array;
    xt.buffer.destroy();
    lt.buffer.destroy();
    for (let r = 0; r < rows; r++) {
      let best = 0;
      for (let k = 1; k < K; k++) if (logits[r * K + k]! > logits[r * K + best]!) best = k;
      out[r0 + r] = best;
    }
  }
  return out;
}
