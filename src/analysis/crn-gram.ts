// The Gram form of the crn basis for events with fewer rows than dimensions (DESIGN.md §2: "When N_k < D,
// work with the N_k x N_k Gram matrix"). With Y(i) = sqrt(abar) X~ + sqrt(1 - abar) E~ the event's rows
// noised at step i (own mean removed, n of them), C(i) = Y^T Y / n has the non-zero eigenvalues of
// Y Y^T / n = abar Ga + (1 - abar) Gb + sqrt(abar (1 - abar)) Gs with Ga = X~ X~^T / n, Gb = E~ E~^T / n,
// Gs = (X~ E~^T + E~ X~^T) / n (n x n); the other D - n eigenvalues are 0. The same eps rows as the
// D x D basis (normal_rows by original row index), so both forms describe the same C(i). Global centring
// adds abar (m_e - m)(m_e - m)^T to C(i): one more row sqrt(n) (m_e - m) in X~ (and 0 in E~).
// Spectra and Ritz tracking of such events run on these n x n matrices; M(i) keeps the D x D basis.
import { seedKey } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { beginBatch, submit } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback, upload, type Tensor } from '../runtime/tensor.js';
import { encodeMatmul, matmulPlan } from '../kernels/matmul.js';
import { encodeNormalRows, normalRowsPipeline } from '../kernels/normal_rows.js';
import { STREAM_EPS, STREAM_NOISE_EVENT } from '../kernels/philox_streams.js';
import { disposeRankUpdatePlan, encodeRankUpdate, rankUpdatePlan } from '../kernels/rank_update.js';
import { encodeSyrk, syrkPlan } from '../kernels/syrk.js';
import { rowStride } from '../kernels/tridiag.js';
import type { CrnBasis, CrnInput } from './crn-basis.js';
import { restTakes } from './crn-segments.js';

export interface GramEvent {
  /** Order of the Gram matrices (rows of the event, plus one under global centring). */
  size: number;
  ld: number;
  mats: [Tensor, Tensor, Tensor];
}

export function disposeGramEvents(g: Map<number, GramEvent>): void {
  for (const e of g.values()) for (const m of e.mats) disposeTensor(m);
}

/** Original row indices of a data event (classes, all, groups: in data order; rests: restTakes). */
export function eventRows(inp: CrnInput, e: number): Int32Array {
  const { labels, plan, counts } = inp;
  const ev = plan.events[e]!;
  if (ev.kind === 'rest') {
    const k = plan.restEvent.indexOf(e);
    const take = restTakes(counts)[k]!;
    const seen = counts.map(() => 0);
    const out: number[] = [];
    labels.forEach((l, r) => {
      if (l !== k && seen[l]! < take[l]!) {
        seen[l]!++;
        out.push(r);
      }
    });
    return Int32Array.from(out);
  }
  const out: number[] = [];
  labels.forEach((l, r) => {
    if (ev.classes.includes(l)) out.push(r);
  });
  return Int32Array.from(out);
}

/** Gram bases of the given events (those with fewer rows than dimensions). */
export async function crnGramBases(
  ctx: Context,
  inp: CrnInput,
  basis: CrnBasis,
  events: number[],
): Promise<Map<number, GramEvent>> {
  const D = basis.dim;
  const ld = basis.ld;
  const out = new Map<number, GramEvent>();
  const rank = await rankUpdatePlan(ctx);
  const normals = await normalRowsPipeline(ctx);
  const key = seedKey(inp.seed);
  const global = basis.events[inp.plan.all]!.mean;
  try {
    for (const e of events) {
      const ev = inp.plan.events[e]!;
      const noise = ev.kind === 'noise';
      const rows = noise ? Int32Array.from({ length: inp.noiseCount }, (_, i) => i) : eventRows(inp, e);
      const n = rows.length;
      const extra = !noise && inp.centring === 'global' ? 1 : 0;
      const size = n + extra;
      const lg = rowStride(size);
      const mean = basis.events[e]!.mean;
      const made: Tensor[] = [];
      const tensor = (shape: number[], label: string, dtype: 'f32' | 'u32' = 'f32') => {
        const t = createTensor(ctx, shape, { label: `crn.gram.${label}`, dtype });
        made.push(t);
        return t;
      };
      try {
        const X = tensor([size, ld], 'X');
        const E = tensor([size, ld], 'E');
        const rowsT = tensor([n], 'rows', 'u32');
        const ones = tensor([n], 'ones');
        const ebar = tensor([ld], 'ebar');
        upload(ctx, rowsT, Uint32Array.from(rows));
        upload(ctx, ones, new Float32Array(n).fill(1));
        const batch = beginBatch(ctx, 'crn.gram');
        /** Normal rows of this event's row indices into `out` (the draws crn-basis makes for them). */
        const normalsInto = (out: Tensor, stream: number, tag?: number) =>
          encodeNormalRows(batch, normals, { rows: rowsT, count: n, cols: D, ldo: ld, out, key, stream, tag });
        if (noise) {
          // The drawn noise event: its rows z (tag 5) and their eps (tag 6), as crn-basis draws them.
          normalsInto(X, STREAM_NOISE_EVENT, 5);
          normalsInto(E, STREAM_NOISE_EVENT, 6);
        } else {
          const host = new Float32Array(size * ld);
          rows.forEach((r, q) => {
            for (let c = 0; c < D; c++) host[q * ld + c] = inp.x[r * D + c]! - mean[c]!;
          });
          if (extra) for (let c = 0; c < D; c++) host[n * ld + c] = Math.sqrt(n) * (mean[c]! - global[c]!);
          upload(ctx, X, host);
          normalsInto(E, STREAM_EPS);
        }
        // Centre E's n rows on their mean (and z's too: the drawn noise event is not centred on the host).
        const sums = await matmulPlan(ctx, { m: 1, n: D, k: n, transA: true });
        const centre = (t: Tensor) => {
          encodeMatmul(batch, sums, {
            a: ones,
            b: t,
            c: ebar,
            m: 1,
            n: D,
            k: n,
            transA: true,
            lda: 1,
            ldb: ld,
            alpha: 1 / n,
          });
          encodeRankUpdate(batch, rank, {
            out: t,
            rows: n,
            cols: D,
            ldo: ld,
            beta: 1,
            outer: { u: ones, v: ebar, w: -1 },
          });
        };
        centre(E);
        if (noise) centre(X);
        const syrk = await syrkPlan(ctx, { rows: size, cols: D, gram: true });
        const gemm = await matmulPlan(ctx, { m: size, n: size, k: D, transB: true });
        const mats = [0, 1, 2].map((m) => createTensor(ctx, [lg, lg], { label: `crn.gram${e}.${m}` })) as [
          Tensor,
          Tensor,
          Tensor,
        ];
        const Gx = tensor([lg, lg], 'Gx');
        const common = { rows: size, cols: D, lda: ld, ldc: lg, gram: true, alpha: 1 / n, mirror: true };
        encodeSyrk(batch, syrk, { ...common, a: X, c: mats[0] });
        encodeSyrk(batch, syrk, { ...common, a: E, c: mats[1] });
        encodeMatmul(batch, gemm, {
          a: X,
          b: E,
          c: Gx,
          m: size,
          n: size,
          k: D,
          transB: true,
          lda: ld,
          ldb: ld,
          ldc: lg,
          alpha: 1 / n,
        });
        encodeRankUpdate(batch, rank, {
          out: mats[2],
          rows: size,
          cols: size,
          ldo: lg,
          x: { t: Gx, ld: lg, symmetric: true },
        });
        submit(batch);
        await readback(ctx, ebar, 0, 4);
        out.set(e, { size, ld: lg, mats });
      } finally {
        for (const t of made) disposeTensor(t);
      }
    }
  } finally {
    disposeRankUpdatePlan(rank);
  }
  return out;
}
