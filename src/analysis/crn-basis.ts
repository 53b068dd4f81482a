// The crn basis of every event on the GPU (DESIGN.md §2 "Exact shortcut for all steps at once"): with one
// noise draw eps per row, C_e(i) = abar A_e + (1 - abar) B_e + sqrt(abar (1 - abar)) S_e for
// A = cov(x0), B = cov(eps), S = X + X^T, X = cov(x0, eps) (population, each event about its own mean).
// One pass over the rows, sorted by segment (crn-segments.ts): the host centres each row on its
// segment's float64 mean and uploads it, the GPU draws the row's eps (normal_rows: the very numbers
// standardNormals gives that row) and accumulates the segment's co-moments with SYRK / GEMM. Each finished
// segment is merged into its class and rest events with the pairwise update (rank_update), so the f32 sums
// never see raw squares of offset data and no D x D matrix crosses to the host. All data and groups are
// merges of classes. The noise event N(0, I) is a Wishart draw (crn-noise.ts).
// Matrices are stored ld x ld (ld = D rounded up to 4, zero padding), ready for combine3 and tridiag.
import type { Context } from '../runtime/context.js';
import { beginBatch, submit } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback, upload, type Tensor } from '../runtime/tensor.js';
import { seedKey } from '../runtime/check.js';
import { encodeMatmul, matmulPlan } from '../kernels/matmul.js';
import { encodeNormalRows, normalRowsPipeline } from '../kernels/normal_rows.js';
import { STREAM_EPS } from '../kernels/philox_streams.js';
import {
  disposeRankUpdatePlan,
  encodeRankUpdate,
  rankUpdatePlan,
  type RankUpdatePlan,
} from '../kernels/rank_update.js';
import { encodeMirror, encodeSyrk, mirrorPipeline, syrkPlan } from '../kernels/syrk.js';
import { rowStride } from '../kernels/tridiag.js';
import type { Centring } from '../formats/report-types.js';
import type { EventPlan } from './events.js';
import { memoryRows, type RowSource } from '../data/row-source.js';
import { planSegments, type SegmentPlan } from './crn-segments.js';
import { noiseEvent, noiseFlops } from './crn-noise.js';

export { bartlettChiSquares } from './crn-noise.js';

/** One event's crn basis: A, B, S (ld x ld f32 on the GPU, population), its size and x0 mean. */
export interface CrnEvent {
  count: number;
  mean: Float64Array;
  mats: [Tensor, Tensor, Tensor];
}

export interface CrnBasis {
  dim: number;
  ld: number;
  events: CrnEvent[];
  /** Rows per class and the segment plan the pass used (for reports and tests). */
  segments: SegmentPlan;
  /** Floating-point work done on the GPU (GEMM / SYRK flops as executed). */
  flops: number;
}

export interface CrnInput {
  x: Float32Array;
  labels: Int32Array;
  dim: number;
  counts: number[];
  plan: EventPlan;
  seed: number;
  noiseCount: number;
  centring: Centring;
  /** Rows per uploaded chunk (default: what fits one storage binding). */
  chunkRows?: number;
  onProgress?: (done: number, total: number) => void;
  /** Each segment's float64 mean over the range, when the caller has them (else a first pass computes them). */
  means?: readonly Float64Array[];
}

export function disposeCrnBasis(b: CrnBasis): void {
  for (const e of b.events) for (const m of e.mats) disposeTensor(m);
}

interface Scratch {
  A: Tensor;
  B: Tensor;
  X: Tensor;
  esum: Tensor;
}

/** Event accumulators: A and X about the event mean, B raw (E^T E); finalised in place at the end. */
interface Acc {
  A: Tensor;
  B: Tensor;
  X: Tensor;
  /** Sum of eps over the event's rows so far (float64). */
  esum: Float64Array;
  count: number;
  mean: Float64Array;
}

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

interface Merger {
  accs: Map<number, Acc>;
  rank: RankUpdatePlan;
  vecs: Tensor;
  seg: SegmentPlan;
  D: number;
  ld: number;
}

/** Event accumulators for class and rest events, their means from the pieces' counts and means. */
async function eventMerger(
  ctx: Context,
  plan: EventPlan,
  seg: SegmentPlan,
  pieces: { segment: number; count: number; mean: Float64Array }[],
  D: number,
): Promise<Merger> {
  const ld = rowStride(D);
  const accs = new Map<number, Acc>();
  for (const e of plan.events.filter((ev) => ev.kind === 'class' || ev.kind === 'rest')) {
    const parts = pieces.filter((p) => seg.segments[p.segment]!.events.includes(e.id));
    const count = parts.reduce((n, p) => n + p.count, 0);
    const mean = new Float64Array(D);
    for (const p of parts) p.mean.forEach((v, c) => (mean[c]! += (p.count * v) / count));
    accs.set(e.id, {
      A: createTensor(ctx, [ld, ld], { label: `crn.A${e.id}` }),
      B: createTensor(ctx, [ld, ld], { label: `crn.B${e.id}` }),
      X: createTensor(ctx, [ld, ld], { label: `crn.X${e.id}` }),
      esum: new Float64Array(D),
      count,
      mean,
    });
  }
  return { accs, rank: await rankUpdatePlan(ctx), vecs: createTensor(ctx, [4, ld], { label: 'crn.vecs' }), seg, D, ld };
}

function mergePiece(ctx: Context, m: Merger, p: SegmentPiece): void {
  for (const e of m.seg.segments[p.segment]!.events) {
    mergeSegment(
      ctx,
      m.rank,
      m.vecs,
      m.accs.get(e)!,
      { A: p.A, B: p.B, X: p.X, esum: m.vecs },
      p.mean,
      p.count,
      p.esum,
      m.D,
      m.ld,
    );
  }
}

async function finishMerger(ctx: Context, m: Merger, inp: CrnInput, flops: number): Promise<CrnBasis> {
  try {
    return {
      dim: m.D,
      ld: m.ld,
      events: await finishEvents(ctx, m.rank, m.vecs, m.accs, inp.plan, inp, m.D, m.ld),
      segments: m.seg,
      flops: flops + (inp.noiseCount > 0 ? noiseFlops(inp.noiseCount, m.D) : 0),
    };
  } finally {
    disposeTensor(m.vecs);
    disposeRankUpdatePlan(m.rank);
  }
}

/** The crn basis of every event in one pass over the data (in memory, or any RowSource). */
export async function crnBasis(ctx: Context, inp: CrnInput & { source?: RowSource }): Promise<CrnBasis> {
  const { labels, dim: D, plan, counts } = inp;
  const source = inp.source ?? memoryRows(inp.x, D);
  const seg = planSegments(labels, counts, plan);
  // Event means need every segment's mean first: one float64 pass (cheap next to the GPU pass).
  const ld = rowStride(D);
  const means = seg.segments.map(() => new Float64Array(D));
  const buf = new Float32Array(4096 * ld);
  for (let p0 = 0; p0 < seg.order.length; p0 += 4096) {
    const p1 = Math.min(seg.order.length, p0 + 4096);
    source.read(seg.order.subarray(p0, p1), buf, ld);
    for (let p = p0; p < p1; p++) {
      const m = means[seg.segmentAt[p]!]!;
      for (let c = 0; c < D; c++) m[c]! += buf[(p - p0) * ld + c]!;
    }
  }
  const pieces = seg.segments.map((s, q) => {
    const n = s.end - s.start;
    return { segment: q, count: n, mean: means[q]!.map((v) => v / n) };
  });
  const merger = await eventMerger(ctx, plan, seg, pieces, D);
  try {
    const { flops } = await segmentPass(
      ctx,
      {
        source,
        labels,
        counts,
        plan,
        seed: inp.seed,
        chunkRows: inp.chunkRows,
        onProgress: inp.onProgress,
        means: pieces.map((p) => p.mean),
      },
      async (p) => mergePiece(ctx, merger, p),
    );
    return await finishMerger(ctx, merger, inp, flops);
  } catch (e) {
    for (const a of merger.accs.values()) for (const t of [a.A, a.B, a.X]) disposeTensor(t);
    throw e;
  }
}

/** The crn basis from saved pieces (shards): the same merges as one pass, over the pieces of every shard. */
export async function crnBasisFromPieces(ctx: Context, inp: CrnInput, pieces: HostPiece[]): Promise<CrnBasis> {
  const { labels, dim: D, plan, counts } = inp;
  const seg = planSegments(labels, counts, plan);
  const ld = rowStride(D);
  const merger = await eventMerger(ctx, plan, seg, pieces, D);
  const sc = [0, 1, 2].map((m) => createTensor(ctx, [ld, ld], { label: `crn.piece${m}` }));
  try {
    const full = new Float32Array(ld * ld);
    for (const p of pieces) {
      const t = [p.A, p.B, p.X].map((packed, m) => {
        for (let i = 0; i < D; i++) full.set(packed.subarray(i * D, (i + 1) * D), i * ld);
        upload(ctx, sc[m]!, full);
        return sc[m]!;
      });
      mergePiece(ctx, merger, {
        segment: p.segment,
        count: p.count,
        mean: p.mean,
        esum: p.esum,
        A: t[0]!,
        B: t[1]!,
        X: t[2]!,
      });
    }
    return await finishMerger(ctx, merger, inp, 0);
  } finally {
    for (const t of sc) disposeTensor(t);
  }
}

/** acc += segment: A += A_s + n_s d d^T, X += X_s + n_s d ebar_s^T (d = segment mean - event mean), B += B_s. */
function mergeSegment(
  ctx: Context,
  rank: RankUpdatePlan,
  vecs: Tensor,
  acc: Acc,
  sc: Scratch,
  mean: Float64Array,
  n: number,
  esum: Float64Array,
  D: number,
  ld: number,
): void {
  const d = new Float32Array(2 * ld);
  for (let c = 0; c < D; c++) {
    d[c] = mean[c]! - acc.mean[c]!;
    d[ld + c] = esum[c]! / n;
    acc.esum[c]! += esum[c]!;
  }
  upload(ctx, vecs, d);
  const batch = beginBatch(ctx, 'crn.merge');
  const common = { out: acc.A, rows: D, cols: D, ldo: ld, beta: 1 };
  encodeRankUpdate(batch, rank, { ...common, x: { t: sc.A, ld }, outer: { u: vecs, v: vecs, w: n } });
  encodeRankUpdate(batch, rank, {
    ...common,
    out: acc.X,
    x: { t: sc.X, ld },
    outer: { u: vecs, v: vecs, vOffset: ld, w: n },
  });
  encodeRankUpdate(batch, rank, { ...common, out: acc.B, x: { t: sc.B, ld } });
  submit(batch);
}

async function finishEvents(
  ctx: Context,
  rank: RankUpdatePlan,
  vecs: Tensor,
  accs: Map<number, Acc>,
  plan: EventPlan,
  inp: CrnInput,
  D: number,
  ld: number,
): Promise<CrnEvent[]> {
  // All data and groups: pairwise merges of the class accumulators.
  const zeros = createTensor(ctx, [ld, ld], { label: 'crn.zero' });
  try {
    for (const e of plan.events) {
      if (e.kind !== 'all' && e.kind !== 'group') continue;
      const parts = e.classes.map((k) => accs.get(plan.classEvent[k]!)!);
      const count = parts.reduce((s, p) => s + p.count, 0);
      const mean = new Float64Array(D);
      for (const p of parts) p.mean.forEach((v, c) => (mean[c]! += (p.count * v) / count));
      const acc: Acc = {
        A: createTensor(ctx, [ld, ld], { label: `crn.A${e.id}` }),
        B: createTensor(ctx, [ld, ld], { label: `crn.B${e.id}` }),
        X: createTensor(ctx, [ld, ld], { label: `crn.X${e.id}` }),
        esum: new Float64Array(D),
        count,
        mean,
      };
      for (const p of parts) {
        mergeSegment(ctx, rank, vecs, acc, { A: p.A, B: p.B, X: p.X, esum: zeros }, p.mean, p.count, p.esum, D, ld);
      }
      accs.set(e.id, acc);
    }
  } finally {
    disposeTensor(zeros);
  }
  const global = accs.get(plan.all)!.mean;
  const out: CrnEvent[] = [];
  for (const e of plan.events) {
    if (e.kind === 'noise') {
      out.push(await noiseEvent(ctx, rank, inp, D, ld));
      continue;
    }
    const acc = accs.get(e.id)!;
    const n = acc.count;
    // A /= n (+ (mean - global)(mean - global)^T under global centring); B = B_raw / n - ebar ebar^T;
    // S = (X + X^T) / n.
    const v = new Float32Array(2 * ld);
    for (let c = 0; c < D; c++) {
      v[c] = inp.centring === 'global' ? acc.mean[c]! - global[c]! : 0;
      v[ld + c] = acc.esum[c]! / n;
    }
    upload(ctx, vecs, v);
    const S = createTensor(ctx, [ld, ld], { label: `crn.S${e.id}` });
    const batch = beginBatch(ctx, 'crn.finish');
    const common = { rows: D, cols: D, ldo: ld };
    encodeRankUpdate(batch, rank, { ...common, out: acc.A, beta: 1 / n, outer: { u: vecs, v: vecs, w: 1 } });
    encodeRankUpdate(batch, rank, {
      ...common,
      out: acc.B,
      beta: 1 / n,
      outer: { u: vecs, uOffset: ld, v: vecs, vOffset: ld, w: -1 },
    });
    encodeRankUpdate(batch, rank, { ...common, out: S, x: { t: acc.X, ld, alpha: 1 / n, symmetric: true } });
    submit(batch);
    await readback(ctx, vecs, 0, 4);
    disposeTensor(acc.X);
    out.push({ count: n, mean: acc.mean, mats: [acc.A, acc.B, S] });
  }
  return out;
}

/** The segment pieces of one row range read back to the host: what a moments shard saves. */
export async function shardPieces(ctx: Context, inp: PassInput): Promise<{ pieces: HostPiece[]; flops: number }> {
  const pieces: HostPiece[] = [];
  const { flops } = await segmentPass(ctx, inp, async (p) => {
    pieces.push(await pieceToHost(ctx, p, inp.source.dim));
  });
  return { pieces, flops };
}
