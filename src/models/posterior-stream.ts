// Streaming posterior means, shared by the exact denoisers (DESIGN.md §3). Both compute, per row x of x_t,
// a softmax over "units" u (training rows of the empirical denoiser, components of a Gaussian mixture)
// whose logits come from a block of scores S^T = V X^T (V: the units' rows, rowsPerUnit each), and the
// posterior mean acc / s with acc = sum_u exp(l_u - m) (transformed S block) V. Units stream in chunks:
// per chunk one GEMM for S^T (src/kernels/matmul.ts, V X^T), the source's kernel that turns S^T into
// weights W^T with an online log-sum-exp (running max m and sum s per row; acc rescaled by
// exp(m_old - m_new)), and one GEMM acc += (W^T)^T V_chunk (beta = 1 after the first chunk).
// posterior_finish.wgsl then writes cx x + cacc acc / s. The score block is stored chunk-major, (len, ld)
// with ld = rows rounded up to 4: the second GEMM is then A^T B with aligned operands, the layout whose
// vec4 builds are fastest on CPU drivers (gemm_builds.ts), and the weight kernels read adjacent rows' scores
// from adjacent addresses. Units are stored sorted by class, so a row with class label c streams only its
// class's range; rows are grouped by label, and a group that is not contiguous in x_t is gathered into
// scratch by buffer copies (and its output scattered back).
import { checkInt } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { beginBatch, encodeCopy, submit, type Batch, type Binding } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, type Tensor } from '../runtime/tensor.js';
import { bindWindow, encodeMatmul, matmulPlan, type GemmPlan, type PlanOptions } from '../kernels/matmul.js';
import { encodePosteriorFinish, posteriorFinishPipeline } from '../kernels/posterior_finish.js';
import { NULL_CLASS } from './denoiser.js';

/** Largest scratch block of scores (bytes), besides the binding limit: keeps x_t batches' memory bounded. */
export const SCORE_SCRATCH_BYTES = 64 * 2 ** 20;

/** A tensor holding units [firstUnit, firstUnit + units) of V, rowsPerUnit rows of dim f32 each. */
export interface Slab {
  v: Tensor;
  firstUnit: number;
  units: number;
}

/** Units [unit, unit + units) of one slab; index counts the chunks of one range from 0. */
export interface Chunk {
  slab: Slab;
  unit: number;
  units: number;
  index: number;
}

/** Where a source may write per-row side outputs (stats, logits): rows of the caller's x_t. */
export interface SideOutput {
  tensor: Tensor;
  ld: number;
}

export interface WeightArgs {
  scores: Tensor;
  ld: number;
  rows: number;
  chunk: Chunk;
  first: boolean;
  state: Tensor;
  acc: Tensor;
  /** The side output with the pass's first row in x_t, or null (none asked, or the pass was gathered). */
  side: { tensor: Tensor; ld: number; row: number } | null;
  dummy: Tensor;
}

export interface StreamSource {
  /** Name for labels and errors, e.g. 'empirical denoiser'. */
  name: string;
  dim: number;
  rowsPerUnit: number;
  slabs: Slab[];
  /** Units [start, end) that rows with this label see (NULL_CLASS: all); throws for an empty class. */
  range(label: number): [number, number];
  /** Unit indices where chunks must break (e.g. class starts), ascending. */
  breaks: readonly number[];
  /** Most units in one chunk. */
  chunkUnits: number;
  gemm: PlanOptions;
}

/** Scratch tensors reused across calls (queue order keeps calls apart), grown on demand. */
export type Scratch = Map<string, Tensor>;

export function scratchTensor(ctx: Context, s: Scratch, role: string, elems: number): Tensor {
  const t = s.get(role);
  if (t && t.size >= elems) return t;
  // A buffer still used by submitted work is freed only after that work completes (WebGPU destroy()).
  if (t) disposeTensor(t);
  const fresh = createTensor(ctx, [Math.max(elems, 4)], { label: `posterior.${role}` });
  s.set(role, fresh);
  return fresh;
}

export function disposeScratch(s: Scratch): void {
  for (const t of s.values()) disposeTensor(t);
  s.clear();
}

/** Splits units [start, end) at slab ends, at the source's breaks and every chunkUnits units. */
export function chunksOf(src: StreamSource, start: number, end: number): Chunk[] {
  const out: Chunk[] = [];
  let u = start;
  while (u < end) {
    const slab = src.slabs.find((s) => u >= s.firstUnit && u < s.firstUnit + s.units);
    if (!slab) throw new Error(`${src.name}: unit ${u} lies in no slab`);
    let stop = Math.min(end, slab.firstUnit + slab.units, u + src.chunkUnits);
    const b = src.breaks.find((x) => x > u);
    if (b !== undefined && b < stop) stop = b;
    out.push({ slab, unit: u, units: stop - u, index: out.length });
    u = stop;
  }
  return out;
}

/** Uploads units of `data` (units * rowsPerUnit rows of dim) into slabs that each fit one storage binding. */
export function makeSlabs(
  ctx: Context,
  name: string,
  data: Float32Array,
  units: number,
  rowsPerUnit: number,
  dim: number,
): Slab[] {
  const unitBytes = 4 * rowsPerUnit * dim;
  const limit = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);
  const per = Math.floor(limit / unitBytes);
  if (per < 1)
    throw new Error(
      `${name}: one unit of ${rowsPerUnit} x ${dim} f32 (${unitBytes} bytes) exceeds the storage binding limit of ${limit} bytes`,
    );
  const slabs: Slab[] = [];
  const unitElems = rowsPerUnit * dim;
  for (let u = 0; u < units; u += per) {
    const count = Math.min(per, units - u);
    const v = createTensor(ctx, [count * rowsPerUnit, dim], {
      data: data.subarray(u * unitElems, (u + count) * unitElems),
      label: `${name}.v[${u}]`,
    });
    slabs.push({ v, firstUnit: u, units: count });
  }
  return slabs;
}

export interface StreamCall {
  /** x_t (N, D) f32; rows 0..n-1 are used. */
  xt: Tensor;
  n: number;
  classes: Int32Array | null;
  /** out = cx x + cacc acc / s. */
  cx: number;
  cacc: number;
  /** Encodes the source's weight kernel for one chunk (its pipeline fetched beforehand). */
  weights: (batch: Batch, a: WeightArgs) => void;
  /** Runs after every await, right before encoding: per-call uploads go here, so concurrent calls keep queue order. */
  prepare?: () => void;
  side?: SideOutput;
}

interface Pass {
  rows: number[];
  chunks: Chunk[];
  ld: number;
}

/** Groups rows by label (negative = NULL_CLASS) in row order, then splits each group into passes. */
function planPasses(ctx: Context, src: StreamSource, n: number, classes: Int32Array | null): Pass[] {
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const c = classes === null || classes[i]! < 0 ? NULL_CLASS : classes[i]!;
    let g = groups.get(c);
    if (!g) groups.set(c, (g = []));
    g.push(i);
  }
  const binding = ctx.limits.maxStorageBufferBindingSize;
  const budget = Math.min(binding, SCORE_SCRATCH_BYTES);
  const passes: Pass[] = [];
  for (const [label, rows] of groups) {
    const [u0, u1] = src.range(label);
    const chunks = chunksOf(src, u0, u1);
    const len = Math.max(...chunks.map((c) => c.units * src.rowsPerUnit));
    // Scores (len, ld) with ld = rows rounded up to 4; acc (rows, D).
    const fit = Math.floor(budget / (4 * len)) & ~3;
    if (fit < 4)
      throw new Error(`${src.name}: a chunk of ${len} score rows exceeds the scratch budget of ${budget} bytes`);
    const per = Math.max(1, Math.min(fit, Math.floor(binding / (4 * src.dim))));
    for (let p = 0; p < rows.length; p += per) {
      const part = rows.slice(p, p + per);
      passes.push({ rows: part, chunks, ld: Math.ceil(part.length / 4) * 4 });
    }
  }
  return passes;
}

/** Consecutive runs [first row, count] of ascending row numbers. */
function runsOf(rows: number[]): [number, number][] {
  const runs: [number, number][] = [];
  for (const r of rows) {
    const last = runs[runs.length - 1];
    if (last && last[0] + last[1] === r) last[1]++;
    else runs.push([r, 1]);
  }
  return runs;
}

/**
 * Encodes and submits the whole stream for rows 0..n-1 of x_t; returns out (n, D) f32, owned by the caller.
 * All plans and pipelines are fetched before encoding, so concurrent calls never interleave their batches.
 */
export async function runStream(ctx: Context, src: StreamSource, scratch: Scratch, call: StreamCall): Promise<Tensor> {
  const D = src.dim;
  const passes = planPasses(ctx, src, call.n, call.classes);
  const plans = new Map<string, GemmPlan>();
  const key = (m: number, n: number, k: number, transA: boolean, transB: boolean) =>
    `${m}|${n}|${k}|${transA}|${transB}`;
  const plan = async (m: number, n: number, k: number, transA: boolean, transB: boolean) => {
    const at = key(m, n, k, transA, transB);
    // A forced vec4 build serves only the A^T B product; the other product is autotuned.
    const { build, ...rest } = src.gemm;
    const opts = build && build.vec4 && !(transA && !transB) ? rest : src.gemm;
    if (!plans.has(at)) plans.set(at, await matmulPlan(ctx, { m, n, k, transA, transB }, opts));
    return plans.get(at)!;
  };
  for (const p of passes) {
    for (const c of p.chunks) {
      const len = c.units * src.rowsPerUnit;
      await plan(len, p.rows.length, D, false, true);
      await plan(p.rows.length, D, len, true, false);
    }
  }
  const finish = await posteriorFinishPipeline(ctx);
  const maxRows = Math.max(...passes.map((p) => p.rows.length));
  const scores = scratchTensor(
    ctx,
    scratch,
    'scores',
    Math.max(...passes.map((p) => Math.max(...p.chunks.map((c) => c.units)) * src.rowsPerUnit * p.ld)),
  );
  const acc = scratchTensor(ctx, scratch, 'acc', maxRows * D);
  const state = scratchTensor(ctx, scratch, 'state', 2 * maxRows);
  const dummy = scratchTensor(ctx, scratch, 'dummy', 4);
  const gathered = passes.some((p) => runsOf(p.rows).length > 1);
  const xg = gathered ? scratchTensor(ctx, scratch, 'xg', maxRows * D) : null;
  const og = gathered ? scratchTensor(ctx, scratch, 'og', maxRows * D) : null;
  const out = createTensor(ctx, [call.n, D], { label: `${src.name}.out` });
  call.prepare?.();
  const batch = beginBatch(ctx, src.name);
  const copyRows = (from: Tensor, to: Tensor, runs: [number, number][], gather: boolean) => {
    let pos = 0;
    encodeCopy(
      batch,
      (enc) => {
        for (const [r, cnt] of runs) {
          const [src0, dst0] = gather ? [r, pos] : [pos, r];
          enc.copyBufferToBuffer(from.buffer, 4 * src0 * D, to.buffer, 4 * dst0 * D, 4 * cnt * D);
          pos += cnt;
        }
      },
      8 * D * runs.reduce((s, [, c]) => s + c, 0),
    );
  };
  try {
    for (const p of passes) {
      const rows = p.rows.length;
      const runs = runsOf(p.rows);
      const contiguous = runs.length === 1;
      const r0 = p.rows[0]!;
      if (!contiguous) copyRows(call.xt, xg!, runs, true);
      const a = contiguous ? call.xt : xg!;
      const xOffset = contiguous ? r0 * D : 0;
      const side = call.side && contiguous ? { tensor: call.side.tensor, ld: call.side.ld, row: r0 } : null;
      for (const c of p.chunks) {
        const len = c.units * src.rowsPerUnit;
        const vOffset = (c.unit - c.slab.firstUnit) * src.rowsPerUnit * D;
        const first = c.index === 0;
        encodeMatmul(batch, plans.get(key(len, rows, D, false, true))!, {
          a: c.slab.v,
          b: a,
          c: scores,
          m: len,
          n: rows,
          k: D,
          transB: true,
          offsetA: vOffset,
          offsetB: xOffset,
          ldc: p.ld,
        });
        call.weights(batch, { scores, ld: p.ld, rows, chunk: c, first, state, acc, side, dummy });
        encodeMatmul(batch, plans.get(key(rows, D, len, true, false))!, {
          a: scores,
          b: c.slab.v,
          c: acc,
          m: rows,
          n: D,
          k: len,
          transA: true,
          lda: p.ld,
          offsetB: vOffset,
          beta: first ? 0 : 1,
        });
      }
      const x: { binding: Binding; offset: number } = contiguous
        ? bindWindow(ctx, call.xt, r0 * D, rows * D, `${src.name}: x_t`)
        : { binding: xg!, offset: 0 };
      const o: { binding: Binding; offset: number } = contiguous
        ? bindWindow(ctx, out, r0 * D, rows * D, `${src.name}: out`)
        : { binding: og!, offset: 0 };
      encodePosteriorFinish(batch, finish, {
        x: x.binding,
        xOffset: x.offset,
        out: o.binding,
        outOffset: o.offset,
        acc,
        state,
        rows,
        d: D,
        cx: call.cx,
        cacc: call.cacc,
      });
      if (!contiguous) copyRows(og!, out, runs, false);
    }
    submit(batch);
  } catch (e) {
    disposeTensor(out);
    throw e;
  }
  return out;
}

/** Checks a call's x_t against a denoiser: an f32 tensor on its context with at least n rows of D. */
export function checkXt(kind: string, ctxOk: boolean, disposed: boolean, xt: Tensor, n: number, D: number): void {
  if (disposed) throw new Error(`${kind} denoiser: it was disposed`);
  if (!ctxOk) throw new Error(`${kind} denoiser: called with another context than the one it was created on`);
  checkInt(`${kind} denoiser: n`, n, 1, 2 ** 31 - 1);
  if (xt.dtype !== 'f32') throw new Error(`${kind} denoiser: x_t must be an f32 tensor, got ${xt.dtype}`);
  const cols = xt.shape[xt.shape.length - 1];
  if (xt.shape.length !== 2 || cols !== D || xt.shape[0]! < n) {
    throw new Error(`${kind} denoiser: x_t has shape [${xt.shape}], expected (N, D) with N >= n = ${n} and D = ${D}`);
  }
}
