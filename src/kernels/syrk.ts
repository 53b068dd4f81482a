// Symmetric rank-k products: C = alpha * A^T A + beta * C (the co-moment of A (N, D), C (D, D)) or,
// with `gram`, C = alpha * A A^T + beta * C (C (N, N)). Only tiles touching the upper triangle are
// computed and only j >= i is written; `mirror` copies the upper triangle onto the lower one.
import { checkFinite, checkInt, checkMatrix } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { beginBatch, dispatch, grid2d, submit, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import { createTensor, disposeTensor, readback, rowChunks, upload, type Tensor } from '../runtime/tensor.js';
import { scalarOf } from './gemm_builds.js';
import {
  bindWindow,
  checkBuild,
  gemmOptions,
  gemmParams,
  span,
  tunedBuild,
  type GemmBuild,
  type GemmPlan,
  type PlanOptions,
} from './matmul.js';

export const SYRK: KernelSpec = { name: 'syrk', libs: ['lib/gemm.wgsl'], storage: ['read', 'read_write'] };
export const SYRK_MIRROR: KernelSpec = { name: 'syrk_mirror', libs: ['lib/index.wgsl'], storage: ['read_write'] };
export const SYRK_MIRROR_WG = 64;

export interface SyrkPlan extends GemmPlan {
  gram: boolean;
  mirror: CachedPipeline;
}

export interface SyrkShape {
  /** Rows N of A (the samples). */
  rows: number;
  /** Columns D of A (the features). */
  cols: number;
  gram?: boolean;
}

/** Pipelines for SYRK on A (rows, cols); the tile build is autotuned on first use per shape class. */
export async function syrkPlan(ctx: Context, shape: SyrkShape, opts: PlanOptions = {}): Promise<SyrkPlan> {
  const gram = Boolean(shape.gram);
  const [transA, transB] = [!gram, gram];
  const [m, k] = gram ? [shape.rows, shape.cols] : [shape.cols, shape.rows];
  const build: GemmBuild =
    opts.build ??
    (await tunedBuild(
      ctx,
      SYRK,
      { m, n: m, k, transA, transB, upper: false },
      opts.tuneCache,
      (b) => syrkPlan(ctx, shape, { build: b }),
      (batch, plan, t) =>
        encodeSyrk(batch, plan as SyrkPlan, {
          a: t.a,
          c: t.c,
          rows: gram ? t.m : t.k,
          cols: gram ? t.k : t.m,
          lda: t.lda,
          gram,
        }),
    ));
  const pipeline = await getPipeline(ctx, SYRK, gemmOptions(checkBuild(ctx, build), transA, transB));
  const fallback = build.vec4 ? await getPipeline(ctx, SYRK, gemmOptions(scalarOf(build), transA, transB)) : pipeline;
  const mirror = await mirrorPipeline(ctx);
  return { kernel: 'syrk', build, pipeline, fallback, transA, transB, swap: false, gram, mirror };
}

export interface SyrkArgs {
  /** A (rows, cols) at offsetA with leading dimension lda (default cols). */
  a: Tensor;
  c: Tensor;
  rows: number;
  cols: number;
  gram?: boolean;
  alpha?: number;
  /** beta = 1 accumulates into C (e.g. over row chunks of A); C's lower triangle is left alone. */
  beta?: number;
  offsetA?: number;
  lda?: number;
  offsetC?: number;
  ldc?: number;
  /** Also copy the upper triangle onto the lower one after the product (default false). */
  mirror?: boolean;
}

/** Encodes C = alpha * A^T A + beta * C (or A A^T with gram), upper triangle only, into a batch. */
export function encodeSyrk(batch: Batch, plan: SyrkPlan, x: SyrkArgs): void {
  if (plan.kernel !== 'syrk') throw new Error(`encodeSyrk: the plan is for ${plan.kernel}, not syrk`);
  const gram = Boolean(x.gram);
  if (gram !== plan.gram) throw new Error(`encodeSyrk: gram=${gram} but the plan was built for gram=${plan.gram}`);
  const rows = checkInt('syrk: rows', x.rows, 0, 0xffffffff);
  const cols = checkInt('syrk: cols', x.cols, 0, 0xffffffff);
  const lda = x.lda ?? cols;
  const [m, k] = gram ? [rows, cols] : [cols, rows];
  const g = gemmParams(
    batch.ctx,
    plan,
    {
      a: x.a,
      b: x.a,
      c: x.c,
      m,
      n: m,
      k,
      transA: !gram,
      transB: gram,
      alpha: x.alpha,
      beta: x.beta,
      offsetA: x.offsetA,
      offsetB: x.offsetA,
      lda,
      ldb: lda,
      offsetC: x.offsetC,
      ldc: x.ldc,
    },
    true,
    'syrk',
  );
  if (g.empty) return;
  dispatch(batch, g.pipeline, {
    params: g.params,
    bindings: [g.bindings.a, g.bindings.c],
    workgroups: g.workgroups,
    flops: g.flops,
    bytes: 4 * rows * cols + 4 * m * (m + 1),
  });
  if (x.mirror) encodeMirror(batch, plan.mirror, { c: x.c, n: m, offsetC: x.offsetC, ldc: x.ldc });
}

/** The pipeline that copies an upper triangle onto the lower one (encodeMirror). */
export function mirrorPipeline(ctx: Context): Promise<CachedPipeline> {
  return getPipeline(ctx, SYRK_MIRROR, { constants: { WG: SYRK_MIRROR_WG } });
}

/** Encodes C[j, i] = C[i, j] for j < i on the (n, n) block of C at offsetC (leading dimension ldc). */
export function encodeMirror(
  batch: Batch,
  mirror: CachedPipeline,
  x: { c: Tensor; n: number; offsetC?: number; ldc?: number },
): void {
  const n = checkInt('syrk mirror: n', x.n, 0, 65535);
  if (n === 0) return;
  const ldc = checkInt('syrk mirror: ldc', x.ldc ?? n, n, 0xffffffff);
  const C = bindWindow(
    batch.ctx,
    x.c,
    checkInt('syrk mirror: offsetC', x.offsetC ?? 0, 0, 0xffffffff),
    span(n, n, ldc),
    'syrk mirror: C',
  );
  dispatch(batch, mirror, {
    params: { n, ldc, off_c: C.offset },
    bindings: [C.binding],
    workgroups: grid2d(batch.ctx, n * n, SYRK_MIRROR_WG),
    bytes: 4 * n * (n - 1),
  });
}

export interface SyrkOptions extends PlanOptions {
  gram?: boolean;
  alpha?: number;
  /** With beta != 0, `c` is the initial C ((cols, cols), or (rows, rows) with gram). */
  beta?: number;
  c?: Float32Array;
  /** Mirror onto the lower triangle (default true); false leaves it as given (zeros without `c`). */
  mirror?: boolean;
  /** Largest bytes of one chunk of A's rows (default: the binding limit); A^T A accumulates over chunks. */
  maxChunkBytes?: number;
}

/**
 * alpha * x^T x + beta * C for x (rows, cols) row-major f32 (C (cols, cols)), or with `gram`
 * alpha * x x^T + beta * C (C (rows, rows)). x larger than one binding streams in row chunks (A^T A only).
 */
export async function syrk(
  ctx: Context,
  x: Float32Array,
  shape: readonly [number, number],
  opts: SyrkOptions = {},
): Promise<Float32Array> {
  const [rows, cols] = checkMatrix('syrk: x', x, shape);
  checkFinite('syrk: x', x, cols);
  const gram = Boolean(opts.gram);
  const n = gram ? rows : cols;
  if (opts.c && opts.c.length !== n * n)
    throw new Error(`syrk: c must hold ${n} * ${n} = ${n * n} values, got ${opts.c.length}`);
  const maxBytes = Math.min(opts.maxChunkBytes ?? Infinity, ctx.limits.maxStorageBufferBindingSize);
  const chunks = gram ? [{ start: 0, count: rows }] : rowChunks(rows, 4 * cols, maxBytes);
  if (4 * n * n > ctx.limits.maxStorageBufferBindingSize || (gram && 4 * rows * cols > maxBytes)) {
    throw new Error(
      `syrk: ${gram ? `the Gram matrix of ${rows} rows` : `C of ${cols} columns`} exceeds one binding (${ctx.limits.maxStorageBufferBindingSize} bytes)`,
    );
  }
  const plan = await syrkPlan(ctx, { rows: chunks[0]!.count, cols, gram }, opts);
  const A = createTensor(ctx, [chunks[0]!.count, cols], { label: 'syrk.a' });
  const C = createTensor(ctx, [n, n], { label: 'syrk.c', ...(opts.c ? { data: opts.c } : {}) });
  try {
    const batch = beginBatch(ctx, 'syrk');
    chunks.forEach((ch, i) => {
      // Queue order: each upload lands after the previous chunk's product was submitted.
      upload(ctx, A, x.subarray(ch.start * cols, (ch.start + ch.count) * cols));
      const beta = i > 0 ? 1 : opts.c ? (opts.beta ?? 0) : 0;
      encodeSyrk(batch, plan, {
        a: A,
        c: C,
        rows: ch.count,
        cols,
        gram,
        alpha: opts.alpha,
        beta,
        mirror: i === chunks.length - 1 && opts.mirror !== false,
      });
      submit(batch);
    });
    return await readback(ctx, C);
  } finally {
    for (const t of [A, C]) disposeTensor(t);
  }
}
