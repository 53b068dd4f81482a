// A learned model: its definition (architecture, hyperparameters, data shape, parameter list and a
// graph builder), its parameters on the GPU, and layer graphs cached per (rows, train | inference).
// The inputs of every graph are x (rows, D) f32, steps (rows) u32 and labels (rows) i32 (-1 = null class).
import type { Context } from '../runtime/context.js';
import { beginBatch, encodeCopy, submit } from '../runtime/dispatch.js';
import { nnDenseKernels } from '../kernels/nn_dense.js';
import { readback, type Tensor } from '../runtime/tensor.js';
import { disposeGraph, newAct, planBackward, type Act } from './graph.js';
import { newNn, type Nn } from './layers.js';
import { createParams, disposeParams, readParams, type ParamBuffers, type ParamSet, type ParamSpec } from './params.js';
import type { Schedule } from '../schedule/schedules.js';
import { firstNonFinite } from './checkpoint.js';

export type Architecture = 'mlp' | 'unet-small' | 'classifier';
export const ARCHITECTURES: readonly Architecture[] = ['mlp', 'unet-small', 'classifier'];

export interface ModelInputs {
  x: Act;
  steps: Act;
  labels: Act;
}

export interface ModelDef {
  architecture: Architecture;
  /** Hyperparameters as stored in checkpoints. */
  config: Record<string, number | string>;
  /** [D] or [H, W, C]. */
  dataShape: number[];
  numClasses: number;
  /** The schedule a denoiser is trained for (null for a classifier). */
  schedule: Schedule | null;
  paramSpecs: ParamSpec[];
  /** Columns of the output: D for a denoiser (eps), numClasses for a classifier (logits). */
  outCols: number;
  build(nn: Nn, io: ModelInputs): Promise<{ out: Act; features?: Act }>;
}

export interface ModelGraph {
  nn: Nn;
  io: ModelInputs;
  out: Act;
  features: Act | null;
  /** Gradient of the output the loss writes (training graphs). */
  dOut: Tensor | null;
}

export interface LearnedModel {
  def: ModelDef;
  params: ParamSet;
  graphs: Map<string, ModelGraph>;
}

/** defaults overridden by the entries of `given` that are not undefined. */
export function withDefaults<T extends object>(defaults: T, given: Partial<T>): T {
  const out = { ...defaults };
  for (const [k, v] of Object.entries(given)) if (v !== undefined) (out as Record<string, unknown>)[k] = v;
  return out;
}

export const dimOf = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

export function createModel(ctx: Context, def: ModelDef, bufs: ParamBuffers): LearnedModel {
  return { def, params: createParams(ctx, def.paramSpecs, bufs), graphs: new Map() };
}

/** The layer graph for `rows` rows: 'train' (value weights, gradients) or 'infer' (EMA weights when present). */
export async function modelGraph(
  ctx: Context,
  m: LearnedModel,
  rows: number,
  mode: 'train' | 'infer',
): Promise<ModelGraph> {
  const key = `${rows}|${mode}`;
  const hit = m.graphs.get(key);
  if (hit) return hit;
  const k = await nnDenseKernels(ctx);
  const training = mode === 'train';
  const nn = newNn(ctx, k, m.params, rows, training, training ? 'value' : 'ema');
  const D = dimOf(m.def.dataShape);
  const io: ModelInputs = {
    x: newAct(nn.g, 'input.x', rows, D, false),
    steps: newAct(nn.g, 'input.steps', rows, 1, false, 'u32'),
    labels: newAct(nn.g, 'input.labels', rows, 1, false, 'i32'),
  };
  const built = await m.def.build(nn, io);
  const dOut = training ? planBackward(nn.g, built.out) : null;
  const mg: ModelGraph = { nn, io, out: built.out, features: built.features ?? null, dOut };
  // Inference graphs of one-off batch sizes are not worth keeping: hold at most a few.
  if (!training && [...m.graphs.keys()].filter((s) => s.endsWith('infer')).length >= 3) {
    for (const [s, g] of m.graphs) {
      if (s.endsWith('infer')) {
        disposeGraph(g.nn.g);
        m.graphs.delete(s);
        break;
      }
    }
  }
  m.graphs.set(key, mg);
  return mg;
}

export function disposeModel(m: LearnedModel): void {
  for (const g of m.graphs.values()) disposeGraph(g.nn.g);
  m.graphs.clear();
  disposeParams(m.params);
}

/** Copies x (rows, D) into the graph's input (queue order; no dispatch). */
export function encodeInput(
  b: ReturnType<typeof beginBatch>,
  g: ModelGraph,
  x: Tensor,
  rows: number,
  cols: number,
): void {
  encodeCopy(b, (enc) => enc.copyBufferToBuffer(x.buffer, 0, g.io.x.t.buffer, 0, 4 * rows * cols), 4 * rows * cols);
}

export interface NonFinite {
  /** Parameter or layer name. */
  where: string;
  kind: 'parameter' | 'layer';
  /** Flat index in the parameter or output, and for a layer output its (row, column). */
  index: number;
  row: number;
  col: number;
  value: number;
}

/**
 * Runs the graph's forward op by op, reading back each output, and returns the first parameter or
 * layer output holding a non-finite value (null when all are finite). Inputs must be set already.
 */
export async function checkedForward(ctx: Context, m: LearnedModel, g: ModelGraph): Promise<NonFinite | null> {
  const bad = firstNonFinite(
    await readParams(ctx, m.params, g.nn.weights === 'ema' && m.params.list[0]?.ema ? 'ema' : 'value'),
  );
  if (bad) return { where: bad.name, kind: 'parameter', index: bad.index, row: 0, col: bad.index, value: bad.value };
  for (const op of g.nn.g.ops) {
    const b = beginBatch(ctx, `checked ${op.name}`);
    op.fwd(b);
    submit(b);
    if (!op.out || op.out.t.dtype !== 'f32') continue;
    const y = await readback(ctx, op.out.t as Tensor<'f32'>);
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(y[i]!))
        return {
          where: op.name,
          kind: 'layer',
          index: i,
          row: Math.floor(i / op.out.cols),
          col: i % op.out.cols,
          value: y[i]!,
        };
    }
  }
  return null;
}
