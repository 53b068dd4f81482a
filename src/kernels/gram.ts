// The Gram path for classes with fewer samples than dimensions (N_k < D, DESIGN.md §2): the centred
// Gram matrix G = X~ X~^T (N_k, N_k), X~ = X - 1 m^T, has the same non-zero eigenvalues as the
// co-moment X~^T X~ (D, D), and cross-Grams X~_1 X~_2^T (N_1, N_2) give Frobenius products:
// with C_k = X~_k^T X~_k / N_k (population covariance, ddof = 0),
//   <C_1, C_2>_F = tr(X~_1^T X~_1 X~_2^T X~_2) / (N_1 N_2) = ||X~_1 X~_2^T||_F^2 / (N_1 N_2)
// (cyclic trace). On the GPU the rows are shifted by their first row, then by the f32 mean of the
// result (two segmented_moments.wgsl passes, so no offset enters the f32 products), Y = X - 1 s^T,
// and G_Y = Y_1 Y_2^T by SYRK (A A^T) or matmul (A B^T). The exact centring is then done in float64:
// X~_k = J_k Y_k with J = I - 1 1^T / N, so X~_1 X~_2^T = J_1 G_Y J_2, i.e. entry (i, j) minus its row
// mean and column mean plus the grand mean.
import type { Context } from '../runtime/context.js';
import { beginBatch, submit, type Batch } from '../runtime/dispatch.js';
import { checkInt } from '../runtime/check.js';
import { createTensor, disposeTensor, readback, upload, type Tensor } from '../runtime/tensor.js';
import { encodeMatmul, matmulPlan, type PlanOptions } from './matmul.js';
import { encodeSyrk, syrkPlan } from './syrk.js';
import {
  checkMomentInput,
  encodeSegmentedMoments,
  momentBlocks,
  readSums,
  recentre,
  segmentedMomentsPipeline,
  type ShiftedSide,
} from './moments_chunk.js';

export interface GramOptions {
  /** Columns per streamed block (default: as many as fit one storage binding); G sums over blocks. */
  chunkCols?: number;
  plan?: PlanOptions;
}

export interface GramResult {
  count: number;
  /** Column means (D). */
  mean: Float64Array;
  /** X~ X~^T (N, N) row-major: divide by N (or N - 1) for the Gram form of the covariance. */
  gram: Float64Array;
}

/** Centred Gram matrix of x (N, D) row-major f32, the rows of one class. */
export async function gram(
  ctx: Context,
  x: Float32Array,
  shape: readonly number[],
  opts: GramOptions = {},
): Promise<GramResult> {
  const [n, D] = checkMomentInput('gram', x, shape, null, 1);
  checkGramSize(ctx, 'gram', n, n);
  const plan = await syrkPlan(ctx, { rows: n, cols: Math.min(D, 1024), gram: true }, opts.plan);
  const r = await shiftedProduct(ctx, 'gram', [x], n, n, D, opts.chunkCols, (batch, t, cols, first, last) =>
    encodeSyrk(batch, plan, {
      a: t[0]!,
      c: t[t.length - 1]!,
      rows: n,
      cols,
      gram: true,
      beta: first ? 0 : 1,
      mirror: last,
    }),
  );
  return { count: n, mean: r.means[0]!, gram: doubleCentre(r.g, n, n) };
}

/** X~_1 X~_2^T (N_1, N_2) for x1 (N_1, D) and x2 (N_2, D), row-major f32, each centred by its own mean. */
export async function crossGram(
  ctx: Context,
  x1: Float32Array,
  shape1: readonly number[],
  x2: Float32Array,
  shape2: readonly number[],
  opts: GramOptions = {},
): Promise<Float64Array> {
  const [n1, D] = checkMomentInput('crossGram', x1, shape1, null, 1, 'x1');
  const [n2, D2] = checkMomentInput('crossGram', x2, shape2, null, 1, 'x2');
  if (D2 !== D) throw new Error(`crossGram: x1 has ${D} columns and x2 has ${D2}; they must match`);
  checkGramSize(ctx, 'crossGram', n1, n2);
  const plan = await matmulPlan(ctx, { m: n1, n: n2, k: Math.min(D, 1024), transB: true }, opts.plan);
  const r = await shiftedProduct(ctx, 'crossGram', [x1, x2], n1, n2, D, opts.chunkCols, (batch, t, cols, first) =>
    encodeMatmul(batch, plan, {
      a: t[0]!,
      b: t[1]!,
      c: t[2]!,
      m: n1,
      n: n2,
      k: cols,
      transB: true,
      beta: first ? 0 : 1,
    }),
  );
  return doubleCentre(r.g, n1, n2);
}

/** <C_1, C_2>_F for C_k = X~_k^T X~_k / N_k, from the cross-Gram X~_1 X~_2^T (N_1, N_2). */
export function frobeniusFromCrossGram(g: ArrayLike<number>, n1: number, n2: number): number {
  let s = 0;
  for (let i = 0; i < n1 * n2; i++) s += g[i]! * g[i]!;
  return s / (n1 * n2);
}

function checkGramSize(ctx: Context, name: string, n1: number, n2: number): void {
  const limit = ctx.limits.maxStorageBufferBindingSize;
  if (4 * n1 * n2 > limit) {
    throw new Error(
      `${name}: a ${n1} x ${n2} Gram matrix (${4 * n1 * n2} bytes) exceeds one storage binding (${limit} bytes); use moments() (D x D) for classes this large`,
    );
  }
}

/** G (n1, n2) row-major -> J_1 G J_2 in float64 (subtract row and column means, add the grand mean). */
export function doubleCentre(g: ArrayLike<number>, n1: number, n2: number): Float64Array {
  const row = new Float64Array(n1);
  const col = new Float64Array(n2);
  let all = 0;
  for (let i = 0; i < n1; i++) {
    for (let j = 0; j < n2; j++) {
      const v = g[i * n2 + j]!;
      row[i]! += v / n2;
      col[j]! += v / n1;
      all += v / (n1 * n2);
    }
  }
  const out = new Float64Array(n1 * n2);
  for (let i = 0; i < n1; i++) for (let j = 0; j < n2; j++) out[i * n2 + j] = g[i * n2 + j]! - row[i]! - col[j]! + all;
  return out;
}

type EncodeProduct = (batch: Batch, t: Tensor[], cols: number, first: boolean, last: boolean) => void;

/**
 * Streams the columns of each x_k (n_k, D) in blocks: shifts every column by the first row, then
 * by the mean of the result (segmented_moments.wgsl, one class), and accumulates Y_1 Y_2^T into G (n1, n2) with `encode`.
 * Returns G_Y and the column means s + sum(y) / n of each input.
 */
async function shiftedProduct(
  ctx: Context,
  name: string,
  xs: Float32Array[],
  n1: number,
  n2: number,
  D: number,
  chunkCols: number | undefined,
  encode: EncodeProduct,
) {
  const ns = xs.length === 1 ? [n1] : [n1, n2];
  const fit = Math.floor(ctx.limits.maxStorageBufferBindingSize / (4 * Math.max(...ns)));
  const width = Math.min(D, chunkCols === undefined ? fit : checkInt(`${name}: chunkCols`, chunkCols, 1, fit));
  const p = await segmentedMomentsPipeline(ctx);
  const made: Tensor[] = [];
  const make = (shape: number[], label: string, dtype: 'f32' | 'u32' = 'f32') => {
    const t = createTensor(ctx, shape, { label: `${name}.${label}`, dtype });
    made.push(t);
    return t;
  };
  try {
    const sides = xs.map((x, k) => {
      const n = ns[k]!;
      const { blocks, classOf } = momentBlocks(Int32Array.of(0, n), Int32Array.of(0));
      return {
        x,
        n,
        classOf,
        t: make([n, width], `x${k}`),
        shiftT: make([width], `shift${k}`),
        sumsT: make([classOf.length, width], `sums${k}`),
        blocksT: make([classOf.length, 4], `blocks${k}`, 'u32'),
        blocks,
        mean: new Float64Array(D),
      };
    });
    const g = make([n1, n2], 'g');
    const batch = beginBatch(ctx, name);
    for (const s of sides) upload(ctx, s.blocksT, s.blocks);
    for (let d0 = 0; d0 < D; d0 += width) {
      const w = Math.min(width, D - d0);
      const shifted: ShiftedSide[] = sides.map((s) => {
        let packed = s.x;
        if (w < D) {
          packed = new Float32Array(s.n * w);
          for (let i = 0; i < s.n; i++) packed.set(s.x.subarray(i * D + d0, i * D + d0 + w), i * w);
        }
        const shift = packed.slice(0, w);
        // Queue order: these uploads land after the previous block's submit.
        upload(ctx, s.t, packed);
        upload(ctx, s.shiftT, shift);
        const args = {
          x: s.t,
          shift: s.shiftT,
          blocks: s.blocksT,
          sums: s.sumsT,
          cols: w,
          numBlocks: s.classOf.length,
          rows: s.n,
        };
        encodeSegmentedMoments(batch, p, args);
        return { args, classOf: s.classOf, counts: [s.n], shift: Float64Array.from(shift) };
      });
      // The first row was a rough shift: centre on the f32 mean before the products.
      await recentre(ctx, batch, p, shifted);
      encode(batch, [...sides.map((s) => s.t), g], w, d0 === 0, d0 + w >= D);
      submit(batch);
      for (let k = 0; k < sides.length; k++) {
        const u = await readSums(ctx, shifted[k]!);
        for (let d = 0; d < w; d++) sides[k]!.mean[d0 + d] = shifted[k]!.shift[d]! + u[d]! / sides[k]!.n;
      }
    }
    return { g: (await readback(ctx, g)) as Float32Array, means: sides.map((s) => s.mean) };
  } finally {
    for (const m of made) disposeTensor(m);
  }
}
