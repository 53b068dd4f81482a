// The crn basis of every event on the GPU (DESIGN.md §2 "Exact shortcut for all steps at once"): with one
// noise draw eps per row, C_e(i) = abar A_e + (1 - abar) B_e + sqrt(abar (1 - abar)) S_e for
// A = cov(x0), B = cov(eps), S = X + X^T, X = cov(x0, eps) (population, each event about its own mean).
// One pass over the rows (crn-pass.ts), sorted by segment (crn-segments.ts): the host centres each row on its
// segment's float64 mean and uploads it, the GPU draws the row's eps (normal_rows: the very numbers
// standardNormals gives that row) and accumulates the segment's co-moments with SYRK / GEMM. Each finished
// segment is merged into its class and rest events with the pairwise update (rank_update), so the f32 sums
// never see raw squares of offset data and no D x D matrix crosses to the host. All data and groups are
// merges of classes. The noise event N(0, I) is a Wishart draw (crn-noise.ts).
// Matrices are stored ld x ld (ld = D rounded up to 4, zero padding), ready for combine3 and tridiag.
import type { Context } from '../runtime/context.js';
import { beginBatch, submit } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback, upload, type Tensor } from '../runtime/tensor.js';
import {
  disposeRankUpdatePlan,
  encodeRankUpdate,
  rankUpdatePlan,
  type RankUpdatePlan,
} from '../kernels/rank_update.js';
import { rowStride } from '../kernels/tridiag.js';
import type { Centring } from '../formats/report-types.js';
import type { EventPlan } from './events.js';
import { memoryRows, type RowSource } from '../data/row-source.js';
import { planSegments, type SegmentPlan } from './crn-segments.js';
import { noiseEvent, noiseFlops } from './crn-noise.js';
import { segmentPass, type HostPiece, type SegmentPiece } from './crn-pass.js';

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
