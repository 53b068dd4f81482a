// The crn moment pass over a row range (DESIGN.md §2 "Exact shortcut for all steps at once"): each
// segment's rows (crn-segments.ts), centred on the host on their float64 mean, with their eps drawn on the
// GPU (normal_rows: the very numbers standardNormals gives that row), accumulated by SYRK / GEMM into the
// segment's co-moments A = sum (x - mean)(x - mean)^T, B = sum eps eps^T, X = sum (x - mean) eps^T.
// crn-basis.ts merges the pieces into events; `fluctus moments` saves them as a shard (shardPieces).
import type { Context } from '../runtime/context.js';
import { beginBatch, submit } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback, upload, type Tensor } from '../runtime/tensor.js';
import { seedKey } from '../runtime/check.js';
import { encodeMatmul, matmulPlan } from '../kernels/matmul.js';
import { encodeNormalRows, normalRowsPipeline } from '../kernels/normal_rows.js';
import { STREAM_EPS } from '../kernels/philox_streams.js';
import { encodeMirror, encodeSyrk, mirrorPipeline, syrkPlan } from '../kernels/syrk.js';
import { rowStride } from '../kernels/tridiag.js';
import type { EventPlan } from './events.js';
import type { RowSource } from '../data/row-source.js';
import { planSegments, type SegmentPlan } from './crn-segments.js';

/** One segment's rows within a row range: count, float64 mean of x0, eps sum, and co-moments on the GPU. */
export interface SegmentPiece {
  segment: number;
  count: number;
  mean: Float64Array;
  esum: Float64Array;
  /** sum (x - mean)(x - mean)^T, sum eps eps^T, sum (x - mean) eps^T (ld x ld, full). */
  A: Tensor;
  B: Tensor;
  X: Tensor;
}

export interface PassInput {
  source: RowSource;
  labels: Int32Array;
  counts: number[];
  plan: EventPlan;
  seed: number;
  /** Original rows [lo, hi) (default: all). */
  range?: [number, number];
  chunkRows?: number;
  onProgress?: (done: number, total: number) => void;
  /** Each segment's float64 mean over the range, when the caller has them (else a first pass computes them). */
  means?: readonly Float64Array[];
}

/**
 * The moment pass over a row range: each segment's rows of the range, centred on their float64 mean,
 * with their eps drawn on the GPU, accumulated by SYRK / GEMM; `onPiece` receives every finished segment
 * piece (its tensors are scratch, valid until onPiece returns). Returns the GPU flops done.
 */
export async function segmentPass(
  ctx: Context,
  inp: PassInput,
  onPiece: (p: SegmentPiece) => Promise<void>,
): Promise<{ flops: number; segments: SegmentPlan }> {
  const { source, labels, counts, plan } = inp;
  const D = source.dim;
  const ld = rowStride(D);
  const seg = planSegments(labels, counts, plan);
  const [lo, hi] = inp.range ?? [0, labels.length];
  // The pass order restricted to the range (segments stay contiguous, rows ascending within each).
  const pos = Int32Array.from(seg.order.keys()).filter((p) => seg.order[p]! >= lo && seg.order[p]! < hi);
  const order = Int32Array.from(pos, (p) => seg.order[p]!);
  const segAt = Int32Array.from(pos, (p) => seg.segmentAt[p]!);
  const total = order.length;
  const key = seedKey(inp.seed);
  const limit = ctx.limits.maxStorageBufferBindingSize;
  const chunk = Math.max(1, Math.min(Math.max(total, 1), inp.chunkRows ?? Math.floor(limit / (4 * ld))));
  const host = new Float32Array(chunk * ld);
  // Pass 1: float64 means of each segment's rows in the range (unless given).
  const segMean = new Map<number, Float64Array>();
  const segCount = new Map<number, number>();
  if (inp.means) for (const q of segAt) segCount.set(q, (segCount.get(q) ?? 0) + 1);
  if (inp.means) for (const q of segCount.keys()) segMean.set(q, inp.means[q]!);
  for (let p0 = 0; p0 < (inp.means ? 0 : total); p0 += chunk) {
    const p1 = Math.min(total, p0 + chunk);
    host.fill(0);
    source.read(order.subarray(p0, p1), host, ld);
    for (let p = p0; p < p1; p++) {
      const q = segAt[p]!;
      if (!segMean.has(q)) segMean.set(q, new Float64Array(D));
      segCount.set(q, (segCount.get(q) ?? 0) + 1);
      const m = segMean.get(q)!;
      const o = (p - p0) * ld;
      for (let c = 0; c < D; c++) m[c]! += host[o + c]!;
    }
  }
  if (!inp.means) for (const [q, m] of segMean) m.forEach((v, c) => (m[c] = v / segCount.get(q)!));
  const made: Tensor[] = [];
  const tensor = (shape: number[], label: string, dtype: 'f32' | 'u32' = 'f32') => {
    const t = createTensor(ctx, shape, { label: `crn.${label}`, dtype });
    made.push(t);
    return t;
  };
  let flops = 0;
  try {
    const mirror = await mirrorPipeline(ctx);
    const normals = await normalRowsPipeline(ctx);
    const syrk = await syrkPlan(ctx, { rows: Math.min(chunk, 6000), cols: D });
    const gemm = await matmulPlan(ctx, { m: D, n: D, k: Math.min(chunk, 6000), transA: true });
    const sums = await matmulPlan(ctx, { m: 1, n: D, k: Math.min(chunk, 6000), transA: true });
    const xcT = tensor([chunk, ld], 'xc');
    const eT = tensor([chunk, ld], 'eps');
    const rowsT = tensor([chunk], 'rows', 'u32');
    const ones = tensor([chunk], 'ones');
    upload(ctx, ones, new Float32Array(chunk).fill(1));
    const sc = {
      A: tensor([ld, ld], 'sA'),
      B: tensor([ld, ld], 'sB'),
      X: tensor([ld, ld], 'sX'),
      esum: tensor([ld], 'sE'),
    };
    const segEnd = new Map<number, number>();
    segAt.forEach((q, p) => segEnd.set(q, p + 1));
    const batch = beginBatch(ctx, 'crn');
    let started = -1;
    for (let p0 = 0; p0 < total; p0 += chunk) {
      const p1 = Math.min(total, p0 + chunk);
      host.fill(0);
      source.read(order.subarray(p0, p1), host, ld);
      for (let p = p0; p < p1; p++) {
        const m = segMean.get(segAt[p]!)!;
        const o = (p - p0) * ld;
        for (let c = 0; c < D; c++) host[o + c] = host[o + c]! - m[c]!;
      }
      upload(ctx, xcT, host.subarray(0, (p1 - p0) * ld));
      upload(ctx, rowsT, Uint32Array.from(order.subarray(p0, p1)));
      encodeNormalRows(batch, normals, {
        rows: rowsT,
        count: p1 - p0,
        cols: D,
        ldo: ld,
        out: eT,
        key,
        stream: STREAM_EPS,
      });
      // Each segment's rows within this chunk.
      for (let a = p0; a < p1; ) {
        const q = segAt[a]!;
        let b = a;
        while (b < p1 && segAt[b] === q) b++;
        const k = b - a;
        const beta = started !== q ? 0 : 1;
        started = q;
        const off = (a - p0) * ld;
        encodeSyrk(batch, syrk, { a: xcT, c: sc.A, rows: k, cols: D, lda: ld, ldc: ld, offsetA: off, beta });
        encodeSyrk(batch, syrk, { a: eT, c: sc.B, rows: k, cols: D, lda: ld, ldc: ld, offsetA: off, beta });
        encodeMatmul(batch, gemm, {
          a: xcT,
          b: eT,
          c: sc.X,
          m: D,
          n: D,
          k,
          transA: true,
          lda: ld,
          ldb: ld,
          ldc: ld,
          offsetA: off,
          offsetB: off,
          beta,
        });
        encodeMatmul(batch, sums, {
          a: ones,
          b: eT,
          c: sc.esum,
          m: 1,
          n: D,
          k,
          transA: true,
          lda: 1,
          ldb: ld,
          offsetB: off,
          beta,
        });
        flops += 2 * k * D * (D + 1) + 2 * k * D * D + 2 * k * D;
        if (b === segEnd.get(q)) {
          // The segment's rows in this range are done: mirror the SYRK triangles, read the eps sum, hand it on.
          encodeMirror(batch, mirror, { c: sc.A, n: D, ldc: ld });
          encodeMirror(batch, mirror, { c: sc.B, n: D, ldc: ld });
          submit(batch);
          const esum = Float64Array.from((await readback(ctx, sc.esum, 0, D)) as Float32Array);
          await onPiece({
            segment: q,
            count: segCount.get(q)!,
            mean: segMean.get(q)!,
            esum,
            A: sc.A,
            B: sc.B,
            X: sc.X,
          });
        }
        a = b;
      }
      submit(batch);
      inp.onProgress?.(p1, total);
    }
  } finally {
    for (const t of made) disposeTensor(t);
  }
  return { flops, segments: seg };
}

/** The segment pieces of every shard, read back to the host (what `fluctus moments` saves). */
export interface HostPiece {
  segment: number;
  count: number;
  mean: Float64Array;
  esum: Float64Array;
  /** (D, D) packed f32: A, B, X as in SegmentPiece. */
  A: Float32Array;
  B: Float32Array;
  X: Float32Array;
}

/** Reads a piece's co-moments back to the host, packed (D, D). */
export async function pieceToHost(ctx: Context, p: SegmentPiece, D: number): Promise<HostPiece> {
  const ld = rowStride(D);
  const pack = async (t: Tensor) => {
    const full = (await readback(ctx, t, 0, ld * ld)) as Float32Array;
    const out = new Float32Array(D * D);
    for (let i = 0; i < D; i++) out.set(full.subarray(i * ld, i * ld + D), i * D);
    return out;
  };
  return {
    segment: p.segment,
    count: p.count,
    mean: p.mean,
    esum: p.esum,
    A: await pack(p.A),
    B: await pack(p.B),
    X: await pack(p.X),
  };
}

/** The segment pieces of one row range read back to the host: what a moments shard saves. */
export async function shardPieces(ctx: Context, inp: PassInput): Promise<{ pieces: HostPiece[]; flops: number }> {
  const pieces: HostPiece[] = [];
  const { flops } = await segmentPass(ctx, inp, async (p) => {
    pieces.push(await pieceToHost(ctx, p, inp.source.dim));
  });
  return { pieces, flops };
}
