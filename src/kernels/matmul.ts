// General matrix product C = alpha * op(A) op(B) + beta * C in f32 (row-major, transposes as flags,
// element offsets and leading dimensions so callers can multiply sub-blocks of bigger buffers).
// The kernel build (register block and workgroup shape), and whether a C with few columns is computed as
// its transpose, are chosen per adapter by gemm_tune.ts.
import { checkInt, checkMatrix } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { beginBatch, ceilDiv, dispatch, grid2d, submit, type Batch, type Binding } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec, type PipelineOptions } from '../runtime/pipeline.js';
import { createTensor, disposeTensor, readback, type Tensor } from '../runtime/tensor.js';
import { plainBuild, swapHelps, tunedBuild, type TunedGemm } from './gemm_tune.js';
import { buildRuns, GEMM_BUILDS, sameBuild, scalarOf, type GemmBuild } from './gemm_builds.js';

export { buildRuns, buildsFor, GEMM_BUILDS, type GemmBuild } from './gemm_builds.js';
export { kClass, swapHelps, tunedBuild, type TunedGemm } from './gemm_tune.js';

export const MATMUL: KernelSpec = { name: 'matmul', libs: ['lib/gemm.wgsl'], storage: ['read', 'read', 'read_write'] };

/** Pipeline options of one build for given transposes (override constants; block size as #if flags). */
export function gemmOptions(build: GemmBuild, transA: boolean, transB: boolean, transC = false): PipelineOptions {
  if (build.vec4 && !(transA && !transB))
    throw new Error(`gemm build ${JSON.stringify(build)}: vec4 builds need transA=true, transB=false`);
  if (
    build.subgroup &&
    !((build.tm === 32 || build.tm === 64) && build.tn === 8 && build.wg === 8 && build.wx === 8 && !build.tiled)
  ) {
    throw new Error(`gemm build ${JSON.stringify(build)}: subgroup builds are tm 32 or 64, tn 8, wg = wx = 8`);
  }
  if (build.tm >= 32 && !build.subgroup)
    throw new Error(`gemm build ${JSON.stringify(build)}: tm ${build.tm} needs subgroup`);
  return {
    constants: {
      WG: build.wg,
      WX: build.wx,
      TRANS_A: Number(transA),
      TRANS_B: Number(transB),
      ...(transC ? { TRANS_C: 1 } : {}),
    },
    variant: {
      TM64: build.tm === 64,
      TM32: build.tm === 32,
      TM16: build.tm === 16,
      TM8: build.tm === 8,
      TN8: build.tn === 8,
      TN16: build.tn === 16,
      VEC4: build.vec4,
      TILED: build.tiled,
      SUBGROUP_ROWS: build.subgroup,
    },
  };
}

/** Output rows and columns one workgroup of this build computes. */
export function tileShape(build: GemmBuild): [number, number] {
  return [(build.wg / build.wx) * build.tm, build.wx * build.tn];
}

/** A compiled build for one kernel and pair of transposes (from matmulPlan / syrkPlan). */
export interface GemmPlan {
  kernel: 'matmul' | 'syrk';
  build: GemmBuild;
  pipeline: CachedPipeline;
  /** The scalar build of the same tile, for operands whose offsets or strides are not multiples of 4. */
  fallback: CachedPipeline;
  transA: boolean;
  transB: boolean;
  /**
   * The kernel computes C^T = op(B)^T op(A)^T and stores it transposed (TRANS_C): a C with few columns
   * becomes a product with few rows, whose tiles the register-blocked builds fill (matmul only).
   */
  swap: boolean;
}

export interface PlanOptions {
  /** Force one build (tests, benchmarks); otherwise the autotuned build for this adapter and shape class. */
  build?: GemmBuild;
  /** With `build`: force the swapped form (GemmPlan.swap); default false. */
  swap?: boolean;
  /** JSON file caching autotune results across runs (default: FLUCTUS_TUNE_CACHE, else memory only). */
  tuneCache?: string;
}

export interface MatmulShape {
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  /** The calls will compute the upper triangle (`upper`): the autotune times that (its own shape class). */
  upper?: boolean;
}

/** Pipeline for C (m, n) = op(A) (m, k) op(B) (k, n); autotuned on first use per shape class. */
export async function matmulPlan(ctx: Context, shape: MatmulShape, opts: PlanOptions = {}): Promise<GemmPlan> {
  const transA = Boolean(shape.transA);
  const transB = Boolean(shape.transB);
  const tuned: TunedGemm = opts.build
    ? { ...opts.build, swap: Boolean(opts.swap) }
    : await tunedBuild(
        ctx,
        MATMUL,
        { ...shape, transA, transB, upper: Boolean(shape.upper) },
        opts.tuneCache,
        (b) => matmulPlan(ctx, shape, { build: plainBuild(b), swap: b.swap }),
        (batch, plan, t) =>
          encodeMatmul(batch, plan, {
            a: t.a,
            b: t.b,
            c: t.c,
            m: t.m,
            n: t.n,
            k: t.k,
            transA,
            transB,
            lda: t.lda,
            ldb: t.ldb,
            ...(shape.upper && t.m === t.n ? { upper: true, mirror: true, beta: 1 } : {}),
          }),
        swapHelps(shape) && !shape.upper,
      );
  const build = plainBuild(tuned);
  const swap = Boolean(tuned.swap);
  if (swap && shape.upper) throw new Error('matmul: a swapped plan cannot compute an upper triangle');
  // The kernel's own transposes: op(B)^T op(A)^T when swapped.
  const [ka, kb] = swap ? [!transB, !transA] : [transA, transB];
  const pipeline = await getPipeline(ctx, MATMUL, gemmOptions(checkBuild(ctx, build), ka, kb, swap));
  const fallback = build.vec4 ? await getPipeline(ctx, MATMUL, gemmOptions(scalarOf(build), ka, kb, swap)) : pipeline;
  return { kernel: 'matmul', build, pipeline, fallback, transA, transB, swap };
}

export function checkBuild(ctx: Context, b: GemmBuild): GemmBuild {
  if (!GEMM_BUILDS.some((g) => sameBuild(g, b))) {
    throw new Error(
      `gemm build ${JSON.stringify(b)} is not one of the registered builds ${JSON.stringify(GEMM_BUILDS)}`,
    );
  }
  if (!buildRuns(b, ctx.features)) {
    throw new Error(
      `gemm build ${JSON.stringify(b)} needs the subgroups feature with subgroups of at least 8 invocations (this device: subgroups ${ctx.features.subgroups}, smallest size ${ctx.features.subgroupMinSize})`,
    );
  }
  return b;
}

export interface MatmulArgs {
  a: Tensor;
  b: Tensor;
  c: Tensor;
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
  /** Element offsets of op(A)'s, op(B)'s and C's first element in their tensors (default 0). */
  offsetA?: number;
  offsetB?: number;
  offsetC?: number;
  /** Leading dimensions (row strides in elements) of the stored A, B, C (default: packed). */
  lda?: number;
  ldb?: number;
  ldc?: number;
  /** Only C[i, j] with j >= i is computed and written (tiles wholly below the diagonal are skipped). */
  upper?: boolean;
  /** With `upper`: C[j, i] is written too, for products known to be symmetric (C symmetric before). */
  mirror?: boolean;
  /**
   * Batched products in one dispatch: `batch` problems (default 1) of the same shape, problem p's
   * operands at offsetA + p * strideA, offsetB + p * strideB, offsetC + p * strideC (elements).
   */
  batch?: number;
  strideA?: number;
  strideB?: number;
  strideC?: number;
}

/**
 * A storage binding covering elements [offset, offset + extent) of `t` plus the element offset the
 * shader must use inside it: the whole buffer when it fits one binding, else a 256-byte aligned window.
 */
export function bindWindow(
  ctx: Context,
  t: Tensor,
  offset: number,
  extent: number,
  what: string,
): { binding: Binding; offset: number } {
  if (offset + extent > t.size) {
    throw new Error(`${what}: elements [${offset}, ${offset + extent}) exceed the tensor's ${t.size} elements`);
  }
  const limit = ctx.limits.maxStorageBufferBindingSize;
  if (t.buffer.size <= limit) return { binding: t, offset };
  const base = Math.floor((offset * 4) / 256) * 256;
  const size = Math.ceil((offset * 4 - base + extent * 4) / 16) * 16;
  if (size > limit)
    throw new Error(`${what}: ${extent} elements (${size} bytes) exceed the binding limit of ${limit} bytes`);
  return {
    binding: { buffer: t.buffer, offset: base, size: Math.min(size, t.buffer.size - base) },
    offset: offset - base / 4,
  };
}

/** Elements spanned by a stored (rows, cols) matrix with leading dimension ld. */
export const span = (rows: number, cols: number, ld: number) => (rows - 1) * ld + cols;

/** Checks and fills in the defaults of a product's arguments; returns what the kernels need. */
export function gemmParams(ctx: Context, plan: GemmPlan, x: MatmulArgs, upper: boolean, what: string, mirror = false) {
  const u32 = 0xffffffff;
  const m = checkInt(`${what}: m`, x.m, 0, u32);
  const n = checkInt(`${what}: n`, x.n, 0, u32);
  const k = checkInt(`${what}: k`, x.k, 0, u32);
  const transA = Boolean(x.transA);
  const transB = Boolean(x.transB);
  if (transA !== plan.transA || transB !== plan.transB) {
    throw new Error(
      `${what}: transA=${transA}, transB=${transB} but the plan was built for transA=${plan.transA}, transB=${plan.transB}`,
    );
  }
  if (plan.swap && upper) throw new Error(`${what}: a swapped plan cannot compute an upper triangle`);
  const [ar, ac] = transA ? [k, m] : [m, k];
  const [br, bc] = transB ? [n, k] : [k, n];
  const lda = checkInt(`${what}: lda`, x.lda ?? ac, Math.max(ac, 1), u32);
  const ldb = checkInt(`${what}: ldb`, x.ldb ?? bc, Math.max(bc, 1), u32);
  const ldc = checkInt(`${what}: ldc`, x.ldc ?? n, Math.max(n, 1), u32);
  const alpha = x.alpha ?? 1;
  const beta = x.beta ?? 0;
  if (!Number.isFinite(alpha)) throw new Error(`${what}: alpha must be finite, got ${alpha}`);
  if (!Number.isFinite(beta)) throw new Error(`${what}: beta must be finite, got ${beta}`);
  const count = checkInt(`${what}: batch`, x.batch ?? 1, 0, u32);
  const strideA = checkInt(`${what}: strideA`, x.strideA ?? 0, 0, u32);
  const strideB = checkInt(`${what}: strideB`, x.strideB ?? 0, 0, u32);
  const strideC = checkInt(`${what}: strideC`, x.strideC ?? 0, 0, u32);
  const empty = m === 0 || n === 0 || count === 0;
  // Problems' C must not overlap: each workgroup would race with another problem's.
  if (count > 1 && strideC < span(m, n, ldc))
    throw new Error(`${what}: strideC ${strideC} is less than one C's ${span(m, n, ldc)} elements`);
  /** Elements spanned by `count` operands of `one` elements each, `stride` apart. */
  const batched = (one: number, stride: number) => (one === 0 ? 0 : (count - 1) * stride + one);
  const A = bindWindow(
    ctx,
    x.a,
    checkInt(`${what}: offsetA`, x.offsetA ?? 0, 0, u32),
    empty || k === 0 ? 0 : batched(span(ar, ac, lda), strideA),
    `${what}: A`,
  );
  const B = bindWindow(
    ctx,
    x.b,
    checkInt(`${what}: offsetB`, x.offsetB ?? 0, 0, u32),
    empty || k === 0 ? 0 : batched(span(br, bc, ldb), strideB),
    `${what}: B`,
  );
  const C = bindWindow(
    ctx,
    x.c,
    checkInt(`${what}: offsetC`, x.offsetC ?? 0, 0, u32),
    empty ? 0 : batched(span(m, n, ldc), strideC),
    `${what}: C`,
  );
  // A swapped plan's kernel computes C^T (n, m) = op(B)^T op(A)^T and stores it transposed into C: it
  // sees B as its first operand and A as its second.
  const [km, kn] = plan.swap ? [n, m] : [m, n];
  const [ka, kb] = plan.swap ? [B, A] : [A, B];
  const [kla, klb] = plan.swap ? [ldb, lda] : [lda, ldb];
  const [ksa, ksb] = plan.swap ? [strideB, strideA] : [strideA, strideB];
  const [bm, bn] = tileShape(plan.build);
  const tilesN = ceilDiv(kn, bn);
  const tiles = ceilDiv(km, bm) * tilesN;
  const aligned = [A.offset, B.offset, lda, ldb, strideA, strideB].every((v) => v % 4 === 0);
  return {
    empty,
    pipeline: plan.build.vec4 && aligned ? plan.pipeline : plan.fallback,
    bindings: { a: ka.binding, b: kb.binding, c: C.binding },
    // Work actually done: the upper triangle's k-sums for SYRK, all of them otherwise.
    flops: count * (upper ? n * (n + 1) * k : 2 * m * n * k),
    bytes: count * 4 * (m * k + k * n + (beta !== 0 ? 2 : 1) * m * n),
    workgroups: grid2d(ctx, tiles * count, 1),
    params: {
      m: km,
      n: kn,
      k,
      lda: kla,
      ldb: klb,
      ldc,
      off_a: ka.offset,
      off_b: kb.offset,
      off_c: C.offset,
      tiles_n: tilesN,
      tiles,
      upper: upper ? (mirror ? 2 : 1) : 0,
      alpha,
      beta,
      batch: count,
      stride_a: ksa,
      stride_b: ksb,
      stride_c: strideC,
    },
  };
}

/** Encodes C = alpha * op(A) op(B) + beta * C (C is (m, n); op(A) (m, k); op(B) (k, n)) into a batch. */
export function encodeMatmul(batch: Batch, plan: GemmPlan, args: MatmulArgs): void {
  if (plan.kernel !== 'matmul') throw new Error(`encodeMatmul: the plan is for ${plan.kernel}, not matmul`);
  if (args.mirror && !args.upper)
    throw new Error('matmul: mirror needs upper (the lower triangle is written from the upper one)');
  if (args.mirror && args.m !== args.n) throw new Error(`matmul: mirror needs a square C, got ${args.m} x ${args.n}`);
  const g = gemmParams(batch.ctx, plan, args, Boolean(args.upper), 'matmul', Boolean(args.mirror));
  if (g.empty) return;
  dispatch(batch, g.pipeline, {
    params: g.params,
    bindings: [g.bindings.a, g.bindings.b, g.bindings.c],
    workgroups: g.workgroups,
    flops: g.flops,
    bytes: g.bytes,
  });
}

export interface MatmulOptions extends PlanOptions {
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  /** With beta != 0, `c` (m, n) is the initial C. */
  beta?: number;
  c?: Float32Array;
}

/**
 * alpha * op(A) op(B) + beta * C for host arrays: A stored (rows, cols) per `aShape`, B per `bShape`
 * (both row-major f32; op transposes when transA / transB). Returns C, (m, n) row-major.
 */
export async function matmul(
  ctx: Context,
  a: Float32Array,
  aShape: readonly [number, number],
  b: Float32Array,
  bShape: readonly [number, number],
  opts: MatmulOptions = {},
): Promise<Float32Array> {
  const [ar, ac] = checkMatrix('matmul: a', a, aShape);
  const [br, bc] = checkMatrix('matmul: b', b, bShape);
  const [m, k] = opts.transA ? [ac, ar] : [ar, ac];
  const [k2, n] = opts.transB ? [bc, br] : [br, bc];
  if (k !== k2) throw new Error(`matmul: inner dimensions differ: op(A) is (${m}, ${k}) and op(B) is (${k2}, ${n})`);
  if (opts.c && opts.c.length !== m * n)
    throw new Error(`matmul: c must hold m * n = ${m * n} values, got ${opts.c.length}`);
  const plan = await matmulPlan(ctx, { m, n, k, transA: opts.transA, transB: opts.transB }, opts);
  const A = createTensor(ctx, [ar, ac], { data: a, label: 'matmul.a' });
  const B = createTensor(ctx, [br, bc], { data: b, label: 'matmul.b' });
  const C = createTensor(ctx, [m, n], { label: 'matmul.c', ...(opts.c ? { data: opts.c } : {}) });
  try {
    const batch = beginBatch(ctx, 'matmul');
    encodeMatmul(batch, plan, {
      a: A,
      b: B,
      c: C,
      m,
      n,
      k,
      transA: opts.transA,
      transB: opts.transB,
      alpha: opts.alpha,
      beta: opts.c ? opts.beta : 0,
    });
    submit(batch);
    return await readback(ctx, C);
  } finally {
    for (const t of [A, B, C]) disposeTensor(t);
  }
}
