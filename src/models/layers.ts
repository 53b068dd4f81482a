// Dense layers as graph ops (graph.ts) over the dense kernels (src/kernels/nn_dense.ts) and matmul:
// Linear (+ SiLU), SiLU, add, sinusoidal time features and the class embedding. Each op encodes its
// forward and plans its backward; parameter gradients accumulate into Param.grad.
import type { Context } from '../runtime/context.js';
import { matmulPlan, encodeMatmul, type GemmPlan } from '../kernels/matmul.js';
import {
  encodeAdd,
  encodeBiasAct,
  encodeBiasActBackward,
  encodeEmbeddingBackward,
  encodeEmbeddingGather,
  encodeSilu,
  encodeSiluBackward,
  encodeTimeEmbedding,
  type NnDenseKernels,
} from '../kernels/nn_dense.js';
import type { Tensor } from '../runtime/tensor.js';
import { encodeCopy, type Batch } from '../runtime/dispatch.js';
import { addOp, newAct, newGraph, type Act, type Encode, type Graph, type Planner } from './graph.js';
import type { Param, ParamSet } from './params.js';

/** What layer builders need: the graph being built, the kernels, the parameters and which weights to read. */
export interface Nn {
  ctx: Context;
  g: Graph;
  k: NnDenseKernels;
  params: ParamSet;
  /** 'ema': read the EMA weights (inference of a trained model); 'value': the trained weights. */
  weights: 'value' | 'ema';
}

export function newNn(
  ctx: Context,
  k: NnDenseKernels,
  params: ParamSet,
  rows: number,
  training: boolean,
  weights: 'value' | 'ema',
): Nn {
  const g = newGraph(ctx, rows, training, (b, dst, src, n) => encodeAdd(b, k, { a: dst, b: src, y: dst, n }));
  return { ctx, g, k, params, weights };
}

export function param(nn: Nn, name: string): Param {
  const p = nn.params.byName.get(name);
  if (!p) throw new Error(`model: no parameter '${name}'`);
  return p;
}

/** The tensor a forward reads for a parameter. */
export function weight(nn: Nn, p: Param): Tensor {
  return nn.weights === 'ema' && p.ema ? p.ema : p.value;
}

function gradOf(p: Param): Tensor {
  if (!p.grad) throw new Error(`parameter '${p.name}' has no gradient buffer (model not built for training)`);
  return p.grad;
}

export async function plans(
  ctx: Context,
  m: number,
  n: number,
  k: number,
): Promise<{ fwd: GemmPlan; dw: GemmPlan; dx: GemmPlan }> {
  // One after another: autotuning times GPU runs, which concurrent tuning would disturb.
  const fwd = await matmulPlan(ctx, { m, n, k, transB: true });
  const dw = await matmulPlan(ctx, { m: n, n: k, k: m, transA: true });
  const dx = await matmulPlan(ctx, { m, n: k, k: n });
  return { fwd, dw, dx };
}

/**
 * y = act(x W^T + b): x (rows, in), W (out, in), b (out). `name` is the layer ('blocks.0.lin1'), its
 * parameters `${name}.weight` and `${name}.bias`. With `bias: false` (act 'none'), y = x W^T: the bias
 * is added by the consumer (a residual block's skip projection, whose bias conv3x3 adds with the residual).
 */
export async function linear(
  nn: Nn,
  name: string,
  x: Act,
  out: number,
  act: 'none' | 'silu' = 'none',
  opts: { bias?: boolean } = {},
): Promise<Act> {
  const withBias = opts.bias ?? true;
  if (!withBias && act !== 'none') throw new Error(`${name}: an activation needs the bias`);
  const W = param(nn, `${name}.weight`);
  const B = withBias ? param(nn, `${name}.bias`) : null;
  const rows = x.rows;
  const inp = x.cols;
  if (W.shape[0] !== out || W.shape[1] !== inp)
    throw new Error(`${name}: weight is [${W.shape}] but the layer maps ${inp} to ${out}`);
  const pl = await plans(nn.ctx, rows, out, inp);
  const y = newAct(nn.g, name, rows, out, true);
  const z = B ? newAct(nn.g, `${name}.z`, rows, out, true) : y;
  const { k } = nn;
  addOp(
    nn.g,
    {
      name,
      out: y,
      fwd: (b) => {
        encodeMatmul(b, pl.fwd, { a: x.t, b: weight(nn, W), c: z.t, m: rows, n: out, k: inp, transB: true });
        if (B) encodeBiasAct(b, k, { x: z.t, b: weight(nn, B), y: y.t, rows, cols: out, act });
      },
      bwd: (P) => {
        const dy = P.gradOut(y)!;
        const tx = P.target(x, 'either');
        const enc: Encode[] = [
          (b) =>
            encodeMatmul(b, pl.dw, { a: dy, b: x.t, c: gradOf(W), m: out, n: inp, k: rows, transA: true, beta: 1 }),
        ];
        // dz = dy * act'(z + b) written over dy; db += column sums.
        if (B)
          enc.unshift((b) =>
            encodeBiasActBackward(b, k, { x: z.t, b: B.value, dy, dx: dy, db: gradOf(B), rows, cols: out, act }),
          );
        if (tx)
          enc.push(
            (b) =>
              encodeMatmul(b, pl.dx, {
                a: dy,
                b: W.value,
                c: tx.target.t,
                m: rows,
                n: inp,
                k: out,
                beta: tx.target.accumulate ? 1 : 0,
              }),
            ...tx.after,
          );
        return enc;
      },
    },
    [x],
  );
  return y;
}

/** y = silu(x) elementwise. */
export function silu(nn: Nn, name: string, x: Act): Act {
  const y = newAct(nn.g, name, x.rows, x.cols, x.needsGrad);
  const n = x.rows * x.cols;
  const { k } = nn;
  addOp(
    nn.g,
    {
      name,
      out: y,
      fwd: (b) => encodeSilu(b, k, { x: x.t, y: y.t, n }),
      bwd: (P) => {
        const tx = P.target(x, 'overwrite');
        if (!tx) return [];
        const dy = P.gradOut(y)!;
        return [(b) => encodeSiluBackward(b, k, { x: x.t, dy, dx: tx.target.t, n }), ...tx.after];
      },
    },
    [x],
  );
  return y;
}

/**
 * dst[0 .. n) = src[0 .. n): a gradient handed on unchanged, as a buffer copy (a memcpy on CPU drivers,
 * where the elementwise kernel ran at about 2 GB/s).
 */
function copyInto(batch: Batch, src: Tensor, dst: Tensor, n: number): void {
  if (src.buffer === dst.buffer) return;
  encodeCopy(batch, (enc) => enc.copyBufferToBuffer(src.buffer, 0, dst.buffer, 0, 4 * n), 4 * n);
}

/**
 * x's gradient is dy unchanged (x fed a sum): dy copied into x's gradient, or added to it when another
 * consumer wrote it first. Callers that own dy may first try P.alias(x, dy), which needs neither.
 */
export function passGradient(nn: Nn, P: Planner, x: Act, dy: Tensor): Encode[] {
  const tx = P.target(x, 'either');
  if (!tx) return [];
  const [t, n, k] = [tx.target.t, x.rows * x.cols, nn.k];
  return [tx.target.accumulate ? (b) => encodeAdd(b, k, { a: t, b: dy, y: t, n }) : (b) => copyInto(b, dy, t, n)];
}

/** y = a + b elementwise (same shape). */
export function add(nn: Nn, name: string, a: Act, c: Act): Act {
  if (a.rows !== c.rows || a.cols !== c.cols)
    throw new Error(`${name}: adding (${a.rows}, ${a.cols}) and (${c.rows}, ${c.cols})`);
  const y = newAct(nn.g, name, a.rows, a.cols, a.needsGrad || c.needsGrad);
  const n = a.rows * a.cols;
  const { k } = nn;
  addOp(
    nn.g,
    {
      name,
      out: y,
      fwd: (b) => encodeAdd(b, k, { a: a.t, b: c.t, y: y.t, n }),
      bwd: (P) => {
        const dy = P.gradOut(y)!;
        const enc: Encode[] = [];
        // The gradient passes unchanged: one input may take dy's buffer itself (not both: they would share it).
        const aliased = a !== c && P.alias(a, dy);
        if (!aliased) enc.push(...passGradient(nn, P, a, dy));
        enc.push(...passGradient(nn, P, c, dy));
        return enc;
      },
    },
    [a, c],
  );
  return y;
}

/** Sinusoidal features (rows, dim) of the u32 steps act (rows, 1); no gradient. */
export function timeFeatures(nn: Nn, name: string, steps: Act, dim: number, T: number): Act {
  const y = newAct(nn.g, name, steps.rows, dim, false);
  addOp(
    nn.g,
    { name, out: y, fwd: (b) => encodeTimeEmbedding(b, nn.k, { steps: steps.t, y: y.t, rows: steps.rows, dim, T }) },
    [steps],
  );
  return y;
}

/** Rows of the class-embedding table `${name}.weight` (numClasses + 1, E) for the i32 labels act (-1 = null row). */
export function embedding(nn: Nn, name: string, labels: Act, numClasses: number): Act {
  const W = param(nn, `${name}.weight`);
  const E = W.shape[1]!;
  if (W.shape[0] !== numClasses + 1)
    throw new Error(`${name}: table has ${W.shape[0]} rows, expected numClasses + 1 = ${numClasses + 1}`);
  const rows = labels.rows;
  const y = newAct(nn.g, name, rows, E, true);
  const { k } = nn;
  addOp(
    nn.g,
    {
      name,
      out: y,
      fwd: (b) => encodeEmbeddingGather(b, k, { table: weight(nn, W), labels: labels.t, y: y.t, rows, E, numClasses }),
      bwd: (P) => {
        const dy = P.gradOut(y)!;
        return [(b) => encodeEmbeddingBackward(b, k, { labels: labels.t, dy, dtable: gradOf(W), rows, E, numClasses })];
      },
    },
    [labels],
  );
  return y;
}

/**
 * The same values seen as (rows, cols) (row-major order kept: NHWC (n*h*w, c) <-> (n, h*w*c)). Shares
 * the tensor; no forward work; the backward copies (or adds) the view's gradient into x's.
 */
export function reshape(nn: Nn, name: string, x: Act, rows: number, cols: number): Act {
  if (rows * cols !== x.rows * x.cols)
    throw new Error(`${name}: cannot view (${x.rows}, ${x.cols}) as (${rows}, ${cols})`);
  const y: Act = { name, t: x.t, rows, cols, needsGrad: x.needsGrad, consumers: 0, grad: null, gradWritten: false };
  nn.g.acts.push(y);
  const n = rows * cols;
  const { k } = nn;
  addOp(
    nn.g,
    {
      name,
      out: y,
      fwd: () => undefined,
      bwd: (P) => {
        const dy = P.gradOut(y)!;
        if (P.alias(x, dy)) return [];
        const tx = P.target(x, 'either');
        if (!tx) return [];
        const t = tx.target.t;
        return [tx.target.accumulate ? (b) => encodeAdd(b, k, { a: t, b: dy, y: t, n }) : (b) => copyInto(b, dy, t, n)];
      },
    },
    [x],
  );
  return y;
}
