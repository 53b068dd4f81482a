// The GEMM autotune (matmul and SYRK): each registered build, and for matmul the swapped plans, timed on a
// problem shaped like the call, once per adapter and shape class (autotune.ts keeps the choice).
import type { Context } from '../runtime/context.js';
import type { KernelSpec } from '../runtime/pipeline.js';
import { beginBatch, submit, sync, type Batch } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, type Tensor } from '../runtime/tensor.js';
import { dimClass, tune, tunedChoice } from './autotune.js';
import { buildRuns, buildsFor, sameBuild, type GemmBuild } from './gemm_builds.js';
import type { GemmPlan, MatmulShape } from './matmul.js';

/** A build and whether the plan is swapped: what the autotune chooses among for matmul. */
export type TunedGemm = GemmBuild & { swap?: boolean };

export const plainBuild = ({ swap: _, ...b }: TunedGemm): GemmBuild => b;

/**
 * Whether the autotune also times swapped plans (GemmPlan.swap) for this shape: C with at most 256
 * columns and at least 4 times as many rows (the U-Net's convolutions: pixels x channels).
 */
export function swapHelps(shape: { m: number; n: number }): boolean {
  return shape.n <= 256 && shape.m >= 4 * shape.n;
}

/**
 * The autotune's timing problem is shaped like the call: m and n as in the call up to TUNE_MAX_MN, the
 * stored operands' leading dimensions those of packed operands of the call's m, n, k (above
 * TUNE_MAX_MN, another value with the same residue mod 1024 floats: the same vec4 path and the same
 * cache-set aliasing, which costs lavapipe 10x when 32 rows lie 4 KiB apart), and k cut so that one run
 * is about TUNE_FLOPS but never below TUNE_MIN_K (the call's k when smaller): at the analyses' sizes the
 * per-k cost of a tile decides, while the fixed per-workgroup cost (the epilogue's per-lane stores)
 * still shows at k ~ 500. Runs of ~50-300 ms on lavapipe; GPUs repeat the problem to fill TUNE_MS.
 */
const TUNE_FLOPS = 2e9;
const TUNE_MAX_MN = 2048;
const TUNE_MIN_K = 512;
const TUNE_MS = 2;

/** Size class of k: problems in one class share a tuned build (k = 1..63, 64..255, >= 256). */
export function kClass(k: number): 's' | 'm' | 'l' {
  return k < 64 ? 's' : k < 256 ? 'm' : 'l';
}

interface TuneTensors {
  a: Tensor;
  b: Tensor;
  c: Tensor;
  m: number;
  n: number;
  k: number;
  /** Leading dimensions of the stored A and B. */
  lda: number;
  ldb: number;
}

/** A dimension of the tuning problem: the call's up to TUNE_MAX_MN, else one with its residue mod 1024. */
const tuneDim = (x: number) => Math.max(1, x > TUNE_MAX_MN ? TUNE_MAX_MN - 1024 + (x % 1024) : x);

/**
 * The fastest build for this adapter and the shape's class (autotune.ts: dimClass of m and n, kClass
 * of k, the transposes, upper), timed by wall clock (submit to completion; round-robin best of several
 * runs) on a problem shaped like the call (see TUNE_FLOPS). Compiling happens before any timing. Each
 * candidate's wait sleeps for most of that candidate's own best time and then polls (the context's wait
 * model, shared by all builds of a kernel, would oversleep a fast build after a slow one). Wall clock
 * rather than timestamp queries: the runtime's dispatch() owns the compute passes, and a run of tens of
 * ms dwarfs the submit overhead on lavapipe.
 */
export async function tunedBuild(
  ctx: Context,
  spec: KernelSpec,
  shape: Required<MatmulShape>,
  cacheFile: string | undefined,
  plan: (b: TunedGemm) => Promise<GemmPlan>,
  encode: (batch: Batch, p: GemmPlan, t: TuneTensors) => void,
  withSwap = false,
): Promise<TunedGemm> {
  const kernel = spec.name;
  const key = `${kernel}|${Number(shape.transA)}${Number(shape.transB)}|${dimClass(shape.m)}${dimClass(shape.n)}${kClass(shape.k)}${shape.upper ? '|upper' : ''}${withSwap ? '|swap' : ''}`;
  const runs = (b: GemmBuild) => buildRuns(b, ctx.features);
  const candidates: TunedGemm[] = [
    ...buildsFor(shape.transA, shape.transB).filter(runs),
    // Swapped plans run the kernel on op(B)^T op(A)^T.
    ...(withSwap ? buildsFor(!shape.transB, !shape.transA).filter(runs) : []).map((b) => ({ ...b, swap: true })),
  ];
  const same = (x: TunedGemm, y: TunedGemm) => Boolean(x.swap) === Boolean(y.swap) && sameBuild(x, y);
  const cache = { file: cacheFile, kernels: [spec] };
  // A choice already made: no timing problem, no compiles.
  const known = tunedChoice(ctx, key, candidates, same, cache);
  if (known !== undefined) return known;
  const m = tuneDim(shape.m);
  const n = tuneDim(shape.n);
  const k = Math.max(1, Math.min(shape.k, Math.max(TUNE_MIN_K, Math.floor(TUNE_FLOPS / (2 * m * n)))));
  // Stored A (k, m) or (m, k), B (k, n) or (n, k), with the leading dimension a packed operand of the
  // call would have; SYRK reads both operands from A.
  const ldk = tuneDim(shape.k) + 1024 * Math.max(0, Math.ceil((k - tuneDim(shape.k)) / 1024));
  const lda = shape.transA ? m : ldk;
  const ldb = shape.transB ? ldk : n;
  const rowsA = shape.transA ? k : m;
  const rowsB = shape.transB ? n : k;
  const fill = (len: number) => Float32Array.from({ length: len }, (_, i) => ((i * 37) % 17) / 17 - 0.5);
  const t: TuneTensors = {
    a: createTensor(ctx, [rowsA * lda], { data: fill(rowsA * lda), label: 'autotune.a' }),
    b: createTensor(ctx, [rowsB * ldb], { data: fill(rowsB * ldb), label: 'autotune.b' }),
    c: createTensor(ctx, [m * n], { label: 'autotune.c' }),
    m,
    n,
    k,
    lda,
    ldb,
  };
  const waitMode = ctx.waitMode;
  try {
    const plans: GemmPlan[] = [];
    for (const b of candidates) plans.push(await plan(b));
    // lavapipe compiles a pipeline at its first dispatch (up to seconds for the large builds): one
    // untimed 1 x 1 x 1 run each first, so that no timing includes a compile.
    const first = beginBatch(ctx, `autotune ${kernel} compile`);
    for (const p of plans) encode(first, p, { ...t, m: 1, n: 1, k: 1 });
    submit(first);
    await sync(ctx);
    // Dispatches per timed submit: set from the first (warm-up) run so that a submit takes about
    // TUNE_MS, since on a fast GPU one run of the problem is shorter than the submit overhead.
    let reps = 0;
    const best = candidates.map(() => Infinity);
    ctx.waitMode = 'poll';
    const time = async (b: TunedGemm) => {
      const i = candidates.indexOf(b);
      const p = plans[i]!;
      const t0 = performance.now();
      const batch = beginBatch(ctx, `autotune ${kernel}`);
      for (let r = 0; r < Math.max(reps, 1); r++) encode(batch, p, t);
      submit(batch);
      if (waitMode === 'idle' && best[i]! < Infinity)
        await new Promise((r) => setTimeout(r, 0.8 * best[i]! * Math.max(reps, 1)));
      await sync(ctx);
      const ms = (performance.now() - t0) / Math.max(reps, 1);
      if (!reps) reps = Math.min(64, Math.max(1, Math.ceil(TUNE_MS / ms)));
      best[i] = Math.min(best[i]!, ms);
      return ms;
    };
    return await tune(ctx, key, candidates, time, same, cache);
  } finally {
    ctx.waitMode = waitMode;
    for (const x of [t.a, t.b, t.c]) disposeTensor(x);
  }
}
