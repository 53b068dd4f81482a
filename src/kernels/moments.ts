// Streaming per-class moments (DESIGN.md §2): counts, means and co-moments of x (N, D) by integer
// labels, or the cross co-moment of two arrays x, y of the same N (the all-steps shortcut needs
// cov(x0), cov(eps) and cross-cov(x0, eps)). Rows stream through in chunks that fit one storage
// binding. Per chunk: the rows are sorted by class on the CPU (stable counting sort), each class is
// shifted on the GPU by its running mean from earlier chunks (segmented_moments.wgsl, which also sums
// the shifted rows); a class new in the chunk is shifted by its first row and then by the f32 mean of
// the result. Its shifted co-moment is one SYRK (or one A^T B matmul for cross-moments) on its
// contiguous block. The chunk's per-class (n, mean, M) are recovered exactly from the shifted sums and
// merged in float64 with the pairwise update (moments_merge.ts), so f32 never sums raw squares of
// offset data, and shards computed anywhere merge exactly.
import type { Context } from '../runtime/context.js';
import { beginBatch, submit, type Batch } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback, upload, type Tensor } from '../runtime/tensor.js';
import { encodeMatmul, matmulPlan, type PlanOptions } from './matmul.js';
import { encodeSyrk, syrkPlan } from './syrk.js';
import {
  checkMomentInput,
  chunkRowsFor,
  chunkShift,
  encodeSegmentedMoments,
  gatherRows,
  maxBlocks,
  momentBlocks,
  presentClasses,
  readSums,
  recentre,
  segmentedMomentsPipeline,
  sortChunk,
  type Labels,
  type ShiftedSide,
} from './moments_chunk.js';
import {
  emptyCrossMoments,
  finalizeCrossMoments,
  finalizeMoments,
  mergeCrossMoments,
  shiftedClass,
  type ClassCrossMoments,
  type ClassMoments,
  type CovarianceMode,
  type CrossMomentState,
  type MomentState,
} from './moments_merge.js';

export {
  mergeMoments,
  mergeCrossMoments,
  finalizeMoments,
  finalizeCrossMoments,
  emptyMoments,
  emptyCrossMoments,
  type MomentState,
  type CrossMomentState,
  type ClassMoments,
  type ClassCrossMoments,
  type CovarianceMode,
} from './moments_merge.js';
export type { Labels } from './moments_chunk.js';

export interface MomentStateOptions {
  /** Number of classes K; labels lie in [0, K). */
  classes: number;
  /** Rows per streamed chunk (default: as many as fit in one storage binding). */
  chunkRows?: number;
  /** A state from earlier data (other chunks or shards) to merge this data into; not modified. */
  state?: MomentState;
  /** GEMM build choice (forced build, autotune cache file). */
  plan?: PlanOptions;
}

export interface MomentsOptions extends MomentStateOptions {
  /** 'comoment': sum (x - m)(x - m)^T; 'covariance': divided by n - 1; 'population': divided by n. */
  covariance: CovarianceMode;
  /** Give `undefined` for classes with fewer than 2 samples instead of throwing. */
  allowSmall?: boolean;
}

/**
 * Per-class count, mean (D) and co-moment (D, D) of x (N, D) row-major f32 with labels (N) in
 * [0, classes) (null: one class), as a mergeable float64 state.
 */
export async function momentState(
  ctx: Context,
  x: Float32Array,
  labels: Labels | null,
  shape: readonly number[],
  opts: MomentStateOptions,
): Promise<MomentState> {
  const K = opts.classes;
  const [rows, cols] = checkMomentInput('moments', x, shape, labels, K);
  const start = opts.state ? toCross(checkState('moments', opts.state, K, cols)) : emptyCrossMoments(K, cols);
  checkSquare(ctx, 'moments', cols);
  const plan = await syrkPlan(ctx, { rows: Math.min(rows, 1024), cols }, opts.plan);
  const s = await stream(
    ctx,
    'moments',
    { x, y: null, labels, classes: K, rows, cols, chunkRows: opts.chunkRows },
    start,
    (batch, t, off, n, offC) =>
      encodeSyrk(batch, plan, { a: t.x, c: t.c, rows: n, cols, offsetA: off, offsetC: offC, mirror: true }),
  );
  return { classes: K, dim: cols, count: s.count, mean: s.meanX, m2: s.cxy };
}

/** Per-class moments of x (N, D) by labels: see momentState; finalised per `covariance`. */
export async function moments(
  ctx: Context,
  x: Float32Array,
  labels: Labels | null,
  shape: readonly number[],
  opts: MomentsOptions,
): Promise<ClassMoments[]> {
  return finalizeMoments(await momentState(ctx, x, labels, shape, opts), opts.covariance, {
    allowSmall: opts.allowSmall,
  });
}

export interface CrossMomentStateOptions extends Omit<MomentStateOptions, 'state' | 'classes'> {
  /** Number of classes (default 1); with more, `labels` is required. */
  classes?: number;
  labels?: Labels | null;
  state?: CrossMomentState;
}

export interface CrossMomentsOptions extends CrossMomentStateOptions {
  covariance: CovarianceMode;
  allowSmall?: boolean;
}

/**
 * Per-class means of x and y (both (N, D) row-major f32, rows paired) and the cross co-moment
 * sum (x - mx)(y - my)^T (D, D), entry [i, j] pairing x_i with y_j, as a mergeable float64 state.
 */
export async function crossMomentState(
  ctx: Context,
  x: Float32Array,
  y: Float32Array,
  shape: readonly number[],
  opts: CrossMomentStateOptions = {},
): Promise<CrossMomentState> {
  const K = opts.classes ?? 1;
  const labels = opts.labels ?? null;
  const [rows, cols] = checkMomentInput('crossMoments', x, shape, labels, K);
  checkMomentInput('crossMoments', y, shape, null, 1, 'y');
  const start = opts.state ? checkState('crossMoments', opts.state, K, cols) : emptyCrossMoments(K, cols);
  checkSquare(ctx, 'crossMoments', cols);
  const plan = await matmulPlan(ctx, { m: cols, n: cols, k: Math.min(rows, 1024), transA: true }, opts.plan);
  return stream(
    ctx,
    'crossMoments',
    { x, y, labels, classes: K, rows, cols, chunkRows: opts.chunkRows },
    start,
    (batch, t, off, n, offC) =>
      encodeMatmul(batch, plan, {
        a: t.x,
        b: t.y!,
        c: t.c,
        m: cols,
        n: cols,
        k: n,
        transA: true,
        offsetA: off,
        offsetB: off,
        offsetC: offC,
      }),
  );
}

/** Per-class cross-moments of x and y: see crossMomentState; finalised per `covariance`. */
export async function crossMoments(
  ctx: Context,
  x: Float32Array,
  y: Float32Array,
  shape: readonly number[],
  opts: CrossMomentsOptions,
): Promise<ClassCrossMoments[]> {
  return finalizeCrossMoments(await crossMomentState(ctx, x, y, shape, opts), opts.covariance, {
    allowSmall: opts.allowSmall,
  });
}

/** The (D, D) result of one class must fit one storage binding (D <= 5792 at 128 MiB). */
function checkSquare(ctx: Context, name: string, cols: number): void {
  const limit = ctx.limits.maxStorageBufferBindingSize;
  if (4 * cols * cols > limit) {
    throw new Error(
      `${name}: a ${cols} x ${cols} co-moment (${4 * cols * cols} bytes) exceeds one storage binding (${limit} bytes); use gram() for classes with fewer samples than dimensions`,
    );
  }
}

function checkState<S extends { classes: number; dim: number }>(name: string, s: S, classes: number, cols: number): S {
  if (s.classes !== classes || s.dim !== cols) {
    throw new Error(
      `${name}: state has ${s.classes} classes x D ${s.dim}, but the data has ${classes} classes x D ${cols}`,
    );
  }
  return s;
}

const toCross = (s: MomentState): CrossMomentState => ({
  classes: s.classes,
  dim: s.dim,
  count: s.count,
  meanX: s.mean,
  meanY: s.mean,
  cxy: s.m2,
});

interface StreamInput {
  x: Float32Array;
  y: Float32Array | null;
  labels: Labels | null;
  classes: number;
  rows: number;
  cols: number;
  chunkRows?: number;
}

interface ChunkTensors {
  x: Tensor;
  y: Tensor | null;
  c: Tensor;
}

/** Encodes the shifted (cross) co-moment of `n` class-sorted rows starting at element offsetA into C at element offsetC. */
type EncodeSecond = (batch: Batch, t: ChunkTensors, offsetA: number, n: number, offsetC: number) => void;

async function stream(
  ctx: Context,
  name: string,
  inp: StreamInput,
  start: CrossMomentState,
  second: EncodeSecond,
): Promise<CrossMomentState> {
  const { x, y, labels, classes: K, rows, cols } = inp;
  const limit = ctx.limits.maxStorageBufferBindingSize;
  const dd = cols * cols;
  const chunk = chunkRowsFor(ctx, name, rows, cols, inp.chunkRows);
  const group = Math.max(1, Math.min(K, chunk, Math.floor(limit / (4 * dd))));
  const nb = maxBlocks(chunk, K);
  const p = await segmentedMomentsPipeline(ctx);
  const made: Tensor[] = [];
  const make = (shape: number[], label: string, dtype: 'f32' | 'u32' = 'f32') => {
    const t = createTensor(ctx, shape, { label: `${name}.${label}`, dtype });
    made.push(t);
    return t;
  };
  let state = start;
  try {
    const t: ChunkTensors = {
      x: make([chunk, cols], 'x'),
      y: y ? make([chunk, cols], 'y') : null,
      c: make([group, cols, cols], 'c'),
    };
    const blocksT = make([nb, 4], 'blocks', 'u32');
    const sides = [
      { data: x, t: t.x, mean: 'meanX' as const },
      ...(y ? [{ data: y, t: t.y!, mean: 'meanY' as const }] : []),
    ].map((s) => ({
      ...s,
      shiftT: make([Math.min(K, chunk), cols], `shift.${s.mean}`),
      sumsT: make([nb, cols], `sums.${s.mean}`),
    }));
    const batch = beginBatch(ctx, name);
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      const sorted = sortChunk(labels, K, r0, Math.min(chunk, rows - r0));
      const { starts } = sorted;
      const present = presentClasses(starts);
      const { blocks, classOf } = momentBlocks(starts, present);
      upload(ctx, blocksT, blocks);
      const counts = Int32Array.from(present, (k) => starts[k + 1]! - starts[k]!);
      // Queue order: these uploads land after the previous chunk's submits and before this chunk's.
      const shifted: ShiftedSide[] = sides.map((s) => {
        const rowsSorted = gatherRows(s.data, cols, sorted);
        const shift = chunkShift(rowsSorted, cols, starts, present, state.count, state[s.mean]);
        upload(ctx, s.t, rowsSorted);
        upload(ctx, s.shiftT, shift);
        const args = {
          x: s.t,
          shift: s.shiftT,
          blocks: blocksT,
          sums: s.sumsT,
          cols,
          numBlocks: classOf.length,
          rows: sorted.count,
        };
        encodeSegmentedMoments(batch, p, args);
        return { args, classOf, counts, shift: Float64Array.from(shift) };
      });
      // A class first seen in this chunk was shifted by its first row only: centre it once more.
      if (present.some((k) => state.count[k] === 0)) await recentre(ctx, batch, p, shifted);
      const part = emptyCrossMoments(K, cols);
      let sums: Float64Array[] = [];
      for (let g0 = 0; g0 < present.length; g0 += group) {
        const g1 = Math.min(present.length, g0 + group);
        for (let q = g0; q < g1; q++) {
          const k = present[q]!;
          second(batch, t, starts[k]! * cols, starts[k + 1]! - starts[k]!, (q - g0) * dd);
        }
        submit(batch);
        if (g0 === 0) {
          sums = [];
          for (const s of shifted) sums.push(await readSums(ctx, s));
        }
        const c = await readback(ctx, t.c, 0, (g1 - g0) * dd);
        for (let q = g0; q < g1; q++) {
          const k = present[q]!;
          const n = starts[k + 1]! - starts[k]!;
          // Present class q's row of a (P, cols) array; y is x itself for plain moments.
          const row = (a: Float64Array) => a.subarray(q * cols, (q + 1) * cols);
          const [ix, iy] = [0, shifted.length - 1];
          const r = shiftedClass(
            n,
            row(shifted[ix]!.shift),
            row(sums[ix]!),
            row(shifted[iy]!.shift),
            row(sums[iy]!),
            c.subarray((q - g0) * dd, (q - g0 + 1) * dd),
          );
          part.count[k] = n;
          part.meanX[k] = r.mx;
          part.meanY[k] = r.my;
          part.cxy[k] = r.m;
        }
      }
      state = mergeCrossMoments(state, part);
    }
  } finally {
    for (const m of made) disposeTensor(m);
  }
  return state;
}
