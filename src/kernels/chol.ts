// Definiteness tests of many symmetric matrices at once by blocked Cholesky (LAPACK potrf, right-looking,
// upper triangle): shift I + A is positive definite iff every pivot is positive, so with A = -C one
// factorisation certifies lambda_max(C) < shift at n^3 / 3 flops, a quarter of stage 1 of a full spectrum
// (tridiag.ts) and none of its host work. The merger search (merger-search.ts) asks this where one side's
// top eigenvalue alone would place d above eps. Per panel of B columns: one chol_panel dispatch for the
// whole batch (one workgroup per matrix: the diagonal block's factor and U12 = U11^-T A12) and the update
// A22 -= U12^T U12 as one upper-triangle GEMM with k = B over the panel buffer, batched over the matrices.
// Accuracy: f32 Cholesky succeeds on every matrix whose smallest eigenvalue exceeds about n 2^-24 ||M||_2
// and fails on none whose smallest eigenvalue is below minus that (Higham, Accuracy and Stability, §10.1);
// callers keep a margin of that size.
import { checkFinite, checkInt } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { beginBatch, dispatch, submit, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import { createTensor, disposeTensor, readback, upload, type Tensor } from '../runtime/tensor.js';
import { encodeMatmul, matmulPlan, type GemmPlan, type PlanOptions } from './matmul.js';
import { rowStride } from './tridiag.js';

export const CHOL_PANEL: KernelSpec = {
  name: 'chol_panel',
  storage: ['read_write', 'read_write', 'read', 'read_write'],
};
/** Invocations per matrix (one workgroup each; one SIMD row of lavapipe, as band_panel). */
export const CHOL_WG = 8;
/** Panel width: chol_panel.wgsl's const B. */
export const CHOL_B = 64;
export const cholBuild = { constants: { WG: CHOL_WG } };

export interface CholPlan {
  n: number;
  panel: CachedPipeline;
  /** A22 -= U12^T U12 (upper triangle). */
  gemm: GemmPlan;
}

export async function cholPlan(ctx: Context, n: number, opts: PlanOptions = {}): Promise<CholPlan> {
  checkInt('chol: n', n, 1, CHOL_MAX_N);
  const m = Math.max(n - CHOL_B, 1);
  return {
    n,
    panel: await getPipeline(ctx, CHOL_PANEL, cholBuild),
    gemm: await matmulPlan(ctx, { m, n: m, k: CHOL_B, transA: true, upper: true }, opts),
  };
}

/** Largest order: one matrix must fit a storage binding; the u32 indices allow far more. */
export const CHOL_MAX_N = 65535;

/** GPU buffers for up to `capacity` matrices of order n: the matrices (overwritten), panels, shifts, flags. */
export interface CholWork {
  n: number;
  capacity: number;
  /** (capacity, ld, ld), ld = rowStride(n), zero padding. */
  a: Tensor;
  panel: Tensor;
  shift: Tensor;
  flags: Tensor<'u32'>;
}

/** Matrices of order n that fit one storage binding (at most `want`). */
export function cholCapacity(ctx: Context, n: number, want: number): number {
  const fit = Math.floor(ctx.limits.maxStorageBufferBindingSize / (4 * rowStride(n) ** 2));
  if (fit < 1)
    throw new Error(
      `chol: one ${n} x ${n} matrix (${4 * n * n} bytes) exceeds a storage binding (${ctx.limits.maxStorageBufferBindingSize} bytes)`,
    );
  return Math.max(1, Math.min(want, fit));
}

export function cholWork(ctx: Context, n: number, capacity: number): CholWork {
  checkInt('chol: capacity', capacity, 1, cholCapacity(ctx, n, capacity));
  const ld = rowStride(n);
  return {
    n,
    capacity,
    a: createTensor(ctx, [capacity, ld, ld], { label: 'chol.a' }),
    panel: createTensor(ctx, [capacity, CHOL_B, ld], { label: 'chol.panel' }),
    shift: createTensor(ctx, [capacity], { label: 'chol.shift' }),
    flags: createTensor(ctx, [capacity], { dtype: 'u32', label: 'chol.flags' }),
  };
}

export function disposeCholWork(w: CholWork): void {
  for (const t of [w.a, w.panel, w.shift, w.flags]) disposeTensor(t);
}

/**
 * Encodes the factorisation of shift_b I + A_b for the first `count` matrices of work.a (full or upper
 * storage, overwritten by U in the upper triangle) with shifts work.shift: work.flags[b] becomes 0 when
 * every pivot was positive, else the 1-based column of the first one that was not.
 */
export function encodeChol(batch: Batch, plan: CholPlan, work: CholWork, count: number): void {
  const n = plan.n;
  if (work.n !== n) throw new Error(`chol: the plan is for n = ${n}, the work buffers for n = ${work.n}`);
  checkInt('chol: count', count, 0, work.capacity);
  if (count === 0) return;
  const ld = rowStride(n);
  const b = CHOL_B;
  const aStride = ld * ld;
  const pStride = b * ld;
  for (let k0 = 0; k0 < n; k0 += b) {
    const w = Math.min(b, n - k0);
    const k1 = k0 + w;
    const m = n - k1;
    dispatch(batch, plan.panel, {
      params: { n, k0, ld, a_stride: aStride / 4, p_stride: pStride / 4 },
      bindings: [work.a, work.panel, work.shift, work.flags],
      workgroups: [count],
      // The block's factor (w^3 / 3) and the solve for m columns (m w^2); the block and A12 read and written.
      flops: count * (w ** 3 / 3 + m * w * w),
      bytes: count * 4 * (2 * w * w + 3 * m * w),
    });
    if (m === 0) continue;
    encodeMatmul(batch, plan.gemm, {
      a: work.panel,
      b: work.panel,
      c: work.a,
      m,
      n: m,
      k: b,
      transA: true,
      alpha: -1,
      beta: 1,
      upper: true,
      offsetA: k1,
      lda: ld,
      offsetB: k1,
      ldb: ld,
      offsetC: k1 * ld + k1,
      ldc: ld,
      batch: count,
      strideA: pStride,
      strideB: pStride,
      strideC: aStride,
    });
  }
}

/** The first `count` flags (0: positive definite), read back after the pending work. */
export const readCholFlags = async (ctx: Context, work: CholWork, count: number) =>
  Array.from((await readback(ctx, work.flags, 0, count)) as Uint32Array);

/**
 * For symmetric matrices given as host arrays (each (n, n) row-major, symmetrised as (A + A^T) / 2 on
 * upload), whether shift_b I + A_b is positive definite: per matrix 0 if so, else the 1-based column of the
 * first pivot that was not positive. Batched on the GPU.
 */
export async function definiteBatch(
  ctx: Context,
  matrices: readonly ArrayLike<number>[],
  n: number,
  shifts: readonly number[],
  opts: PlanOptions = {},
): Promise<number[]> {
  if (shifts.length !== matrices.length)
    throw new Error(`definiteBatch: ${shifts.length} shifts for ${matrices.length} matrices`);
  matrices.forEach((m, b) => {
    if (m.length !== n * n)
      throw new Error(`definiteBatch: matrix ${b} holds ${m.length} values, not n * n = ${n * n}`);
    checkFinite(`definiteBatch: matrix ${b}`, m, n);
  });
  shifts.forEach((s, b) => {
    if (!Number.isFinite(s)) throw new Error(`definiteBatch: shift ${b} is ${s}, not a finite number`);
  });
  const plan = await cholPlan(ctx, n, opts);
  const ld = rowStride(n);
  const cap = cholCapacity(ctx, n, Math.max(1, matrices.length));
  const work = cholWork(ctx, n, cap);
  const out: number[] = [];
  try {
    for (let start = 0; start < matrices.length; start += cap) {
      const size = Math.min(cap, matrices.length - start);
      const host = new Float32Array(size * ld * ld);
      for (let b = 0; b < size; b++) {
        const m = matrices[start + b]!;
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) host[b * ld * ld + i * ld + j] = 0.5 * (m[i * n + j]! + m[j * n + i]!);
      }
      upload(ctx, work.a, host);
      upload(ctx, work.shift, shifts.slice(start, start + size));
      const batch = beginBatch(ctx, 'chol');
      encodeChol(batch, plan, work, size);
      submit(batch);
      out.push(...(await readCholFlags(ctx, work, size)));
    }
  } finally {
    disposeCholWork(work);
  }
  return out;
}

export interface DefiniteStreamOptions<K> {
  /** A key's name: equal names are the same test (matrix and shift). */
  name: (key: K) => string;
  /** The order n of a key's matrix. */
  order: (key: K) => number;
  /** Encodes the key's matrix A (order n; shift I + A is tested) into work.a at element `offset`. */
  fill: (batch: Batch, key: K, work: CholWork, offset: number) => void;
  shift: (key: K) => number;
}

export interface DefiniteStream<K> {
  /** Per key, whether shift I + A is positive definite; tested with whatever else is asked meanwhile. */
  request(keys: readonly K[]): Promise<boolean[]>;
  /** Tests run so far, and how many of them found a definite matrix. */
  count(): { tests: number; definite: number };
}

/** Most matrices per submission of a definiteness stream (as tridiag_stream's chunks). */
export const DEFINITE_CHUNK = 24;

/**
 * Definiteness tests on request: callers ask whenever they need one (each merger-search pair as soon as its
 * last answer came back) and one pump submits whatever is queued, a chunk of one order at a time. Each
 * verdict is the same whatever chunk it lands in (one workgroup per matrix, batched GEMMs with per-matrix
 * strides); a name asked for twice is tested once.
 */
export function definiteStream<K>(ctx: Context, opts: DefiniteStreamOptions<K>): DefiniteStream<K> {
  const done = new Map<string, boolean>();
  const asked = new Map<string, Promise<boolean>>();
  const queue: { key: K; name: string; n: number; resolve: (v: boolean) => void; reject: (e: unknown) => void }[] = [];
  const plans = new Map<number, CholPlan>();
  let pumping = false;
  let definite = 0;

  async function pump(): Promise<void> {
    const works = new Map<number, CholWork>();
    try {
      while (queue.length) {
        const n = queue[0]!.n;
        if (!plans.has(n)) plans.set(n, await cholPlan(ctx, n));
        if (!works.has(n)) works.set(n, cholWork(ctx, n, cholCapacity(ctx, n, DEFINITE_CHUNK)));
        const work = works.get(n)!;
        const items: typeof queue = [];
        for (let q = 0; q < queue.length && items.length < work.capacity; )
          if (queue[q]!.n === n) items.push(queue.splice(q, 1)[0]!);
          else q++;
        try {
          const len = work.a.size / work.capacity;
          const batch = beginBatch(ctx, 'chol');
          items.forEach((it, b) => opts.fill(batch, it.key, work, b * len));
          upload(
            ctx,
            work.shift,
            items.map((it) => opts.shift(it.key)),
          );
          encodeChol(batch, plans.get(n)!, work, items.length);
          submit(batch);
          const flags = await readCholFlags(ctx, work, items.length);
          items.forEach((it, b) => {
            const ok = flags[b] === 0;
            if (ok) definite++;
            done.set(it.name, ok);
            asked.delete(it.name);
            it.resolve(ok);
          });
        } catch (e) {
          for (const it of [...items, ...queue.splice(0)]) {
            asked.delete(it.name);
            it.reject(e);
          }
          throw e;
        }
      }
    } finally {
      for (const w of works.values()) disposeCholWork(w);
    }
  }

  const kick = (): void => {
    if (pumping || !queue.length) return;
    pumping = true;
    void Promise.resolve()
      .then(pump)
      .catch(() => undefined)
      .finally(() => {
        pumping = false;
        kick();
      });
  };

  return {
    request(keys) {
      const out = keys.map((key) => {
        const name = opts.name(key);
        const v = done.get(name);
        if (v !== undefined) return Promise.resolve(v);
        let p = asked.get(name);
        if (!p) {
          p = new Promise<boolean>((resolve, reject) => queue.push({ key, name, n: opts.order(key), resolve, reject }));
          asked.set(name, p);
        }
        return p;
      });
      kick();
      return Promise.all(out);
    },
    count: () => ({ tests: done.size, definite }),
  };
}
