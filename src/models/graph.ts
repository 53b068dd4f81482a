// A static layer graph for one batch size: activations allocated once, a forward list of ops, and a
// backward plan made once in reverse order. The plan decides for every gradient write whether the
// kernel may overwrite the buffer (its first writer) or must accumulate, and routes overwrite-only
// kernels through a scratch buffer plus an add when an activation feeds several ops (skip connections),
// so every activation gradient ends as the sum over its consumers without a per-step clear.
import type { Context } from '../runtime/context.js';
import { encodeCopy, type Batch } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, type Tensor } from '../runtime/tensor.js';
import type { Param } from './params.js';

/** An activation: (rows, cols) row-major f32; images are (N*H*W, C). */
export interface Act {
  name: string;
  t: Tensor;
  rows: number;
  cols: number;
  /** Whether a gradient flows to it (produced from parameters or from an input that needs one). */
  needsGrad: boolean;
  consumers: number;
  grad: Tensor | null;
  /** Backward planning: some op already wrote its gradient. */
  gradWritten: boolean;
}

/** Where a backward kernel writes an input's gradient. */
export interface GradTarget {
  t: Tensor;
  /** True when the kernel must add to t (beta = 1); false when it may overwrite it. */
  accumulate: boolean;
}

export type Encode = (b: Batch) => void;

export interface Op {
  /** Layer name for reports ('blocks.0.lin1'); several ops may share one. */
  name: string;
  out: Act | null;
  fwd: Encode;
  /** Called once, in reverse order, to plan the backward encodes; returns them (possibly none). */
  bwd?: (g: Planner) => Encode[];
}

export interface Planner {
  /** The gradient of an op's output, or null when nothing flowed into it (the op can be skipped). */
  gradOut(y: Act): Tensor | null;
  /**
   * Where to write x's gradient. mode 'either': the kernel can overwrite or accumulate (matmul beta);
   * 'overwrite': it can only overwrite; 'accumulate': it can only add. Returns null if x needs no
   * gradient. `after` encodes must run right after the kernel (the add of a scratch buffer).
   */
  target(x: Act, mode: 'either' | 'overwrite' | 'accumulate'): { target: GradTarget; after: Encode[] } | null;
  /**
   * Makes `t` (an op's output gradient, read by nothing after this op) x's gradient buffer, when x has
   * none yet, so a gradient that passes unchanged (add, reshape) costs no copy. Returns whether it did.
   */
  alias(x: Act, t: Tensor): boolean;
}

/** Adds src into dst elementwise (dst += src), n values; supplied by the dense ops. */
export type AddInto = (b: Batch, dst: Tensor, src: Tensor, n: number) => void;

export interface Graph {
  ctx: Context;
  rows: number;
  training: boolean;
  ops: Op[];
  acts: Act[];
  owned: Tensor[];
  /** Gradients to clear at the start of every backward (first written by an accumulating kernel). */
  zero: Tensor[];
  backward: Encode[];
  planned: boolean;
  scratch: Map<number, Tensor>;
  addInto: AddInto;
  /** Extra clean-ups run by disposeGraph (kernel scratch the graph's layers created). */
  disposers: (() => void)[];
}

export function newGraph(ctx: Context, rows: number, training: boolean, addInto: AddInto): Graph {
  return {
    ctx,
    rows,
    training,
    ops: [],
    acts: [],
    owned: [],
    zero: [],
    backward: [],
    planned: false,
    scratch: new Map(),
    addInto,
    disposers: [],
  };
}

/** A tensor the graph owns (disposed with it). */
export function own<T extends Tensor>(g: Graph, t: T): T {
  g.owned.push(t);
  return t;
}

export function newAct(
  g: Graph,
  name: string,
  rows: number,
  cols: number,
  needsGrad: boolean,
  dtype: 'f32' | 'u32' | 'i32' = 'f32',
): Act {
  const a: Act = {
    name,
    t: own(g, createTensor(g.ctx, [rows, cols], { dtype, label: name })),
    rows,
    cols,
    needsGrad: needsGrad && g.training,
    consumers: 0,
    grad: null,
    gradWritten: false,
  };
  g.acts.push(a);
  return a;
}

/** Registers an op; its inputs' consumer counts grow (for the backward plan). */
export function addOp(g: Graph, op: Op, inputs: Act[]): void {
  for (const x of inputs) x.consumers++;
  g.ops.push(op);
}

function gradTensor(g: Graph, x: Act): Tensor {
  x.grad ??= own(g, createTensor(g.ctx, [x.rows, x.cols], { label: `${x.name}.grad` }));
  return x.grad;
}

function scratch(g: Graph, size: number): Tensor {
  let s = g.scratch.get(size);
  if (!s) {
    s = own(g, createTensor(g.ctx, [size], { label: `graph.scratch${size}` }));
    g.scratch.set(size, s);
  }
  return s;
}

/**
 * Plans the backward pass from `loss` (an act whose gradient the caller writes before running
 * `g.backward`, e.g. the loss kernel's d pred). Call once after the forward ops are added.
 */
export function planBackward(g: Graph, seed: Act): Tensor {
  if (!g.training) throw new Error('planBackward: the graph was built for inference');
  const seedGrad = gradTensor(g, seed);
  seed.gradWritten = true;
  const planner: Planner = {
    gradOut: (y) => (y.gradWritten ? y.grad : null),
    target: (x, mode) => {
      if (!x.needsGrad) return null;
      const t = gradTensor(g, x);
      if (!x.gradWritten) {
        x.gradWritten = true;
        if (mode === 'accumulate') g.zero.push(t);
        return { target: { t, accumulate: mode === 'accumulate' }, after: [] };
      }
      if (mode !== 'overwrite') return { target: { t, accumulate: true }, after: [] };
      const s = scratch(g, t.size);
      return { target: { t: s, accumulate: false }, after: [(b) => g.addInto(b, t, s, t.size)] };
    },
    alias: (x, t) => {
      if (!x.needsGrad || x.gradWritten || x.grad || t.size !== x.rows * x.cols) return false;
      x.grad = t;
      x.gradWritten = true;
      return true;
    },
  };
  const out: Encode[] = [];
  for (let i = g.ops.length - 1; i >= 0; i--) {
    const op = g.ops[i]!;
    if (!op.bwd) continue;
    if (op.out && !op.out.gradWritten) continue;
    out.push(...op.bwd(planner));
  }
  g.backward = out;
  g.planned = true;
  return seedGrad;
}

export function encodeForward(g: Graph, b: Batch): void {
  for (const op of g.ops) op.fwd(b);
}

/** Clears the gradients that are accumulated into, then encodes the planned backward. */
export function encodeBackward(g: Graph, b: Batch): void {
  if (!g.planned) throw new Error('encodeBackward: call planBackward first');
  if (g.zero.length)
    encodeCopy(b, (enc) => {
      for (const t of g.zero) enc.clearBuffer(t.buffer);
    });
  for (const e of g.backward) e(b);
}

/** Clears every parameter gradient (AdamW reads them after one step's backward). */
export function encodeZeroGrads(b: Batch, params: readonly Param[]): void {
  encodeCopy(b, (enc) => {
    for (const p of params) if (p.grad) enc.clearBuffer(p.grad.buffer);
  });
}

export function disposeGraph(g: Graph): void {
  for (const t of g.owned) disposeTensor(t);
  for (const f of g.disposers) f();
  g.owned = [];
  g.disposers = [];
}
