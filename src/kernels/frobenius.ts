// Frobenius inner products <A_i, B_j>_F = sum_rc A_i[r, c] B_j[r, c] for many matrix pairs at once
// (DESIGN.md §2: cross-fluctuation M(i) needs <C_1, C_2>_F and the norms ||C_k||_F^2 = <C_k, C_k>_F).
// Two dispatches for all pairs: frobenius (one workgroup per pair and block of WG * ITEMS elements)
// and frobenius_reduce (one workgroup per pair). Sums are compensated, so results carry a low word.
import { checkInt } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { beginBatch, dispatch, grid2d, submit, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import { createTensor, disposeTensor, readback, type Tensor } from '../runtime/tensor.js';

const LIBS = ['lib/twosum.wgsl'];
export const FROBENIUS: KernelSpec = { name: 'frobenius', libs: LIBS, storage: ['read', 'read', 'read', 'read_write'] };
export const FROBENIUS_REDUCE: KernelSpec = { name: 'frobenius_reduce', libs: LIBS, storage: ['read', 'read_write'] };
export const FROBENIUS_WG = 128;
export const FROBENIUS_ITEMS = 32;
export const FROBENIUS_REDUCE_WG = 64;
/** Elements one workgroup of the first pass sums. */
export const FROBENIUS_BLOCK = FROBENIUS_WG * FROBENIUS_ITEMS;

export const frobeniusBuild = { constants: { WG: FROBENIUS_WG, ITEMS: FROBENIUS_ITEMS } };
export const frobeniusReduceBuild = { constants: { WG: FROBENIUS_REDUCE_WG } };

export interface FrobeniusOptions {
  /** Second stack (countB, rows, cols) for the right-hand matrices; default: the same stack. */
  other?: Tensor;
  /** Matrices in `other` (default: its size / (rows * cols)). */
  otherCount?: number;
}

export interface FrobeniusPlan {
  ctx: Context;
  a: Tensor;
  b: Tensor;
  len: number;
  numPairs: number;
  blocks: number;
  pairs: Tensor<'u32'>;
  partial: Tensor;
  pipes: [CachedPipeline, CachedPipeline];
}

function checkStack(ctx: Context, name: string, t: Tensor, count: number, len: number): void {
  if (t.dtype !== 'f32') throw new Error(`frobenius: ${name} must be an f32 tensor, got ${t.dtype}`);
  if (t.size < count * len) {
    throw new Error(`frobenius: ${name} holds ${t.size} elements, fewer than ${count} matrices of ${len} elements`);
  }
  const bytes = t.buffer.size;
  if (bytes > ctx.limits.maxStorageBufferBindingSize) {
    throw new Error(
      `frobenius: ${name} (${bytes} bytes) exceeds one storage binding of ${ctx.limits.maxStorageBufferBindingSize} bytes; split the stack`,
    );
  }
}

/**
 * Uploads the pair list and allocates the partial sums once, for repeated encodes.
 * stack: (count, rows, cols) row-major f32 (any same-shape matrices); pairs: [i, j] with i indexing
 * `stack` and j indexing `opts.other` (default `stack`).
 */
export async function prepareFrobenius(
  ctx: Context,
  stack: Tensor,
  count: number,
  rows: number,
  cols: number,
  pairs: readonly (readonly [number, number])[],
  opts: FrobeniusOptions = {},
): Promise<FrobeniusPlan> {
  checkInt('frobenius: count', count, 1, 2 ** 31);
  checkInt('frobenius: rows', rows, 1, 2 ** 31);
  checkInt('frobenius: cols', cols, 1, 2 ** 31);
  const len = rows * cols;
  checkStack(ctx, 'stack', stack, count, len);
  const b = opts.other ?? stack;
  const countB = opts.other
    ? checkInt('frobenius: otherCount', opts.otherCount ?? Math.floor(b.size / len), 1, 2 ** 31)
    : count;
  if (opts.other) checkStack(ctx, 'other', b, countB, len);
  if (!Array.isArray(pairs) || pairs.length === 0)
    throw new Error('frobenius: pairs must be a non-empty list of [i, j]');
  const words = new Uint32Array(2 * pairs.length);
  pairs.forEach((pr, p) => {
    words[2 * p] = checkInt(`frobenius: pairs[${p}][0]`, pr?.[0], 0, count - 1);
    words[2 * p + 1] = checkInt(`frobenius: pairs[${p}][1]`, pr?.[1], 0, countB - 1);
  });
  const blocks = Math.ceil(len / FROBENIUS_BLOCK);
  const pipes: [CachedPipeline, CachedPipeline] = [
    await getPipeline(ctx, FROBENIUS, frobeniusBuild),
    await getPipeline(ctx, FROBENIUS_REDUCE, frobeniusReduceBuild),
  ];
  const pairsT = createTensor(ctx, [pairs.length, 2], { dtype: 'u32', data: words, label: 'frobenius.pairs' });
  const partial = createTensor(ctx, [pairs.length * blocks, 2], { label: 'frobenius.partial' });
  return { ctx, a: stack, b, len, numPairs: pairs.length, blocks, pairs: pairsT, partial, pipes };
}

/**
 * Encodes both passes; `out` (P, 2) f32 receives (hi, lo) per pair: hi is the f32-rounded inner
 * product and hi + lo (in float64) the compensated one.
 */
export function encodeFrobenius(batch: Batch, plan: FrobeniusPlan, out: Tensor): void {
  if (out.size < 2 * plan.numPairs)
    throw new Error(`frobenius: out holds ${out.size} elements, needs ${2 * plan.numPairs}`);
  const { len, numPairs: P, blocks } = plan;
  dispatch(batch, plan.pipes[0], {
    params: { pairs: P, blocks, len, one: 1 },
    bindings: [plan.a, plan.b, plan.pairs, plan.partial],
    workgroups: grid2d(batch.ctx, P * blocks, 1),
    flops: 2 * P * len,
    bytes: 8 * P * len + 8 * P * blocks,
  });
  dispatch(batch, plan.pipes[1], {
    params: { pairs: P, blocks, one: 1 },
    bindings: [plan.partial, out],
    workgroups: grid2d(batch.ctx, P, 1),
    flops: 2 * P * blocks,
    bytes: 8 * P * (blocks + 1),
  });
}

export function disposeFrobenius(plan: FrobeniusPlan): void {
  disposeTensor(plan.pairs);
  disposeTensor(plan.partial);
}

/**
 * <A_i, B_j>_F for every pair, in float64 (compensated f32 sums: error about 2^-24 sum |a b|).
 * Norms ||A_i||_F^2 are the pairs [i, i].
 */
export async function frobeniusPairs(
  ctx: Context,
  stack: Tensor,
  count: number,
  rows: number,
  cols: number,
  pairs: readonly (readonly [number, number])[],
  opts: FrobeniusOptions = {},
): Promise<Float64Array> {
  const plan = await prepareFrobenius(ctx, stack, count, rows, cols, pairs, opts);
  const out = createTensor(ctx, [plan.numPairs, 2], { label: 'frobenius.out' });
  try {
    const batch = beginBatch(ctx, 'frobenius');
    encodeFrobenius(batch, plan, out);
    submit(batch);
    const hl = await readback(ctx, out);
    return Float64Array.from({ length: plan.numPairs }, (_, p) => hl[2 * p]! + hl[2 * p + 1]!);
  } finally {
    disposeTensor(out);
    disposeFrobenius(plan);
  }
}

export const FROBENIUS_CROSS: KernelSpec = {
  name: 'frobenius_cross',
  libs: LIBS,
  storage: ['read', 'read', 'read', 'read', 'read', 'read', 'read_write'],
};
export const FROBENIUS_CROSS_WG = 64;
export const FROBENIUS_CROSS_ITEMS = 64;
export const frobeniusCrossBuild = { constants: { WG: FROBENIUS_CROSS_WG, ITEMS: FROBENIUS_CROSS_ITEMS } };

/** The pipelines and partial sums of frobenius_cross for matrices of `len` elements, for repeated encodes. */
export interface FrobeniusCrossPlan {
  len: number;
  blocks: number;
  partial: Tensor;
  pipes: [CachedPipeline, CachedPipeline];
}

export async function prepareFrobeniusCross(ctx: Context, len: number): Promise<FrobeniusCrossPlan> {
  checkInt('frobenius: len', len, 1, 2 ** 31);
  const blocks = Math.ceil(len / (FROBENIUS_CROSS_WG * FROBENIUS_CROSS_ITEMS));
  return {
    len,
    blocks,
    partial: createTensor(ctx, [9 * blocks, 2], { label: 'frobenius_cross.partial' }),
    pipes: [
      await getPipeline(ctx, FROBENIUS_CROSS, frobeniusCrossBuild),
      await getPipeline(ctx, FROBENIUS_REDUCE, frobeniusReduceBuild),
    ],
  };
}

/**
 * Encodes the 9 products <P_i, Q_j>_F of two triples of matrices (plan.len elements each, f32) into
 * `out` (9, 2): (hi, lo) per pair at p = 3 i + j, as encodeFrobenius. Encodes that share a plan run in
 * order (each reuses its partial sums).
 */
export function encodeFrobeniusCross(
  batch: Batch,
  plan: FrobeniusCrossPlan,
  P: readonly [Tensor, Tensor, Tensor],
  Q: readonly [Tensor, Tensor, Tensor],
  out: Tensor,
): void {
  const { len, blocks } = plan;
  [...P, ...Q].forEach((t, i) => {
    if (t.dtype !== 'f32' || t.size < len)
      throw new Error(
        `frobenius: matrix ${i < 3 ? `P[${i}]` : `Q[${i - 3}]`} holds ${t.size} ${t.dtype} elements, not ${len} f32`,
      );
  });
  if (out.size < 18) throw new Error(`frobenius: out holds ${out.size} elements, needs 18`);
  dispatch(batch, plan.pipes[0], {
    params: { blocks, len, one: 1 },
    bindings: [...P, ...Q, plan.partial],
    workgroups: grid2d(batch.ctx, blocks, 1),
    flops: 18 * len,
    bytes: 24 * len + 72 * blocks,
  });
  dispatch(batch, plan.pipes[1], {
    params: { pairs: 9, blocks, one: 1 },
    bindings: [plan.partial, out],
    workgroups: grid2d(batch.ctx, 9, 1),
    flops: 18 * blocks,
    bytes: 72 * (blocks + 1),
  });
}
