// Eigenvalues of many symmetric matrices at once (DESIGN.md §2 "Eigen": full spectra of the per-event
// C(i)): blocked Householder tridiagonalisation on the GPU, then the tridiagonal problem in float64 on
// the host (implicit QL, O(n^2) per matrix). Per panel of NB columns: one tridiag_panel dispatch for the
// whole batch (one workgroup per matrix: the reflectors, the symmetric matvecs and the panel's W), then
// per matrix the trailing update A22 -= V W^T + W V^T as one upper-triangle GEMM with k = 2 NB on the
// panel buffer [V W V] (op(A) = [V W], op(B) = [W V]^T: A^T B layout, the vec4 builds' one) whose
// epilogue also writes the lower triangle. Flops: (4/3) n^3 per matrix (half matvecs, half GEMM), as LAPACK sytrd.
// Accuracy: the f32 reduction is backward stable, so each eigenvalue is within ~ c sqrt(n) 2^-24 ||A||_2
// of the exact one (tested against float64 Jacobi at 1e-5 ||A||_2 up to n = 1031).
import { checkFinite, checkInt } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { beginBatch, dispatch, submit, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import { createTensor, disposeTensor, readback, type Tensor } from '../runtime/tensor.js';
import { tridiagonalQl } from '../linalg/eigh-cpu.js';
import { encodeMatmul, matmulPlan, type GemmPlan, type PlanOptions } from './matmul.js';

export const TRIDIAG_PANEL: KernelSpec = { name: 'tridiag_panel', storage: ['read', 'read_write', 'read_write'] };
/** Invocations per matrix in the panel kernel (lavapipe runs one workgroup per core: the batch spreads the cores). */
export const TRIDIAG_WG = 16;
/** Panel width: the trailing update is a GEMM with k = 2 NB; a multiple of 4 keeps its operands vec4-aligned. */
export const TRIDIAG_NB = 32;

export interface TridiagPlan {
  n: number;
  panel: CachedPipeline;
  gemm: GemmPlan;
}

export async function tridiagPlan(ctx: Context, n: number, opts: PlanOptions = {}): Promise<TridiagPlan> {
  checkInt('tridiag: n', n, 1, TRIDIAG_MAX_N);
  const panel = await getPipeline(ctx, TRIDIAG_PANEL, tridiagPanelBuild);
  const gemm = await matmulPlan(ctx, { m: n, n, k: 2 * TRIDIAG_NB, transA: true, upper: true }, opts);
  return { n, panel, gemm };
}

/** Row length of the matrices and the panel buffer: n rounded up to a multiple of 4 (vec4 loads). */
export const rowStride = (n: number) => Math.ceil(n / 4) * 4;
/** Largest order: one matrix must fit a storage binding (5792 at 128 MiB); the u32 indices allow far more. */
export const TRIDIAG_MAX_N = 65535;

/** Pipeline options of the panel kernel. */
export const tridiagPanelBuild = { constants: { WG: TRIDIAG_WG, NB: TRIDIAG_NB } };

/** GPU buffers for up to `capacity` matrices of order n: the matrices (overwritten), panels, d and e. */
export interface TridiagWork {
  n: number;
  capacity: number;
  a: Tensor;
  panel: Tensor;
  de: Tensor;
}

/** Matrices of order n that fit one storage binding (at most `want`). */
export function tridiagCapacity(ctx: Context, n: number, want: number): number {
  const per = 4 * Math.max(rowStride(n) ** 2, 3 * TRIDIAG_NB * rowStride(n));
  const fit = Math.floor(ctx.limits.maxStorageBufferBindingSize / per);
  if (fit < 1)
    throw new Error(
      `tridiag: one ${n} x ${n} matrix (${4 * n * n} bytes) exceeds a storage binding (${ctx.limits.maxStorageBufferBindingSize} bytes)`,
    );
  return Math.max(1, Math.min(want, fit));
}

export function tridiagWork(ctx: Context, n: number, capacity: number): TridiagWork {
  checkInt('tridiag: capacity', capacity, 1, tridiagCapacity(ctx, n, capacity));
  return {
    n,
    capacity,
    a: createTensor(ctx, [capacity, rowStride(n), rowStride(n)], { label: 'tridiag.a' }),
    panel: createTensor(ctx, [capacity, 3 * TRIDIAG_NB, rowStride(n)], { label: 'tridiag.panel' }),
    de: createTensor(ctx, [capacity, 2, n], { label: 'tridiag.de' }),
  };
}

export function disposeTridiagWork(w: TridiagWork): void {
  for (const t of [w.a, w.panel, w.de]) disposeTensor(t);
}

/**
 * Encodes the reduction of the first `count` matrices of work.a (each (n, n), full symmetric storage;
 * destroyed) to tridiagonal form: d (the diagonal) and e (e[i] couples i and i + 1, e[n - 1] = 0) land
 * in work.de as [d, e] per matrix.
 */
export function encodeTridiag(batch: Batch, plan: TridiagPlan, work: TridiagWork, count: number): void {
  const n = plan.n;
  if (work.n !== n) throw new Error(`tridiag: the plan is for n = ${n}, the work buffers for n = ${work.n}`);
  checkInt('tridiag: count', count, 0, work.capacity);
  if (count === 0) return;
  const ld = rowStride(n);
  const aStride = ld * ld;
  const pStride = 3 * TRIDIAG_NB * ld;
  for (let k0 = 0; k0 < n; k0 += TRIDIAG_NB) {
    const nb = Math.min(TRIDIAG_NB, n - k0);
    const rest = n - k0 - 1;
    dispatch(batch, plan.panel, {
      params: {
        n,
        k0,
        nb,
        lda: ld,
        ldp: ld,
        a_off: 0,
        a_stride: aStride / 4,
        p_off: 0,
        p_stride: pStride / 4,
        de_off: 0,
      },
      bindings: [work.a, work.panel, work.de],
      workgroups: [count],
      // Per column: the matvec over the trailing block plus the panel corrections.
      flops: count * nb * (2 * rest * rest + 8 * rest * TRIDIAG_NB),
      bytes: count * nb * 4 * (rest * rest + 6 * rest * TRIDIAG_NB),
    });
    const k1 = k0 + nb;
    const m = n - k1;
    if (m <= 0) continue;
    for (let b = 0; b < count; b++) {
      const a0 = b * aStride;
      const p0 = b * pStride;
      encodeMatmul(batch, plan.gemm, {
        a: work.panel,
        b: work.panel,
        c: work.a,
        m,
        n: m,
        k: 2 * TRIDIAG_NB,
        transA: true,
        alpha: -1,
        beta: 1,
        upper: true,
        mirror: true,
        offsetA: p0 + k1,
        lda: ld,
        offsetB: p0 + TRIDIAG_NB * ld + k1,
        ldb: ld,
        offsetC: a0 + k1 * ld + k1,
        ldc: ld,
      });
    }
  }
}

/** Eigenvalues (descending, float64) of tridiagonal forms read back from work.de. */
export async function tridiagEigenvalues(ctx: Context, work: TridiagWork, count: number): Promise<Float64Array[]> {
  const n = work.n;
  const de = await readback(ctx, work.de, 0, count * 2 * n);
  const out: Float64Array[] = [];
  for (let b = 0; b < count; b++) {
    const d = Float64Array.from(de.subarray(b * 2 * n, b * 2 * n + n));
    const e = Float64Array.from(de.subarray(b * 2 * n + n, (b + 1) * 2 * n));
    e[n - 1] = 0;
    tridiagonalQl(d, e, n);
    out.push(d.sort().reverse());
  }
  return out;
}

/**
 * Eigenvalues (descending, float64) of symmetric matrices given as host arrays (each (n, n) row-major;
 * symmetrised as (A + A^T) / 2 on upload), batched on the GPU.
 */
export async function eigvalshBatch(
  ctx: Context,
  matrices: readonly ArrayLike<number>[],
  n: number,
  opts: PlanOptions = {},
): Promise<Float64Array[]> {
  const plan = await tridiagPlan(ctx, n, opts);
  const capacity = tridiagCapacity(ctx, n, Math.max(1, matrices.length));
  const work = tridiagWork(ctx, n, capacity);
  const out: Float64Array[] = [];
  try {
    for (let s = 0; s < matrices.length; s += capacity) {
      const part = matrices.slice(s, s + capacity);
      const ld = rowStride(n);
      const host = new Float32Array(part.length * ld * ld);
      part.forEach((m, b) => {
        if (m.length !== n * n)
          throw new Error(`eigvalshBatch: matrix ${s + b} holds ${m.length} values, not n * n = ${n * n}`);
        checkFinite(`eigvalshBatch: matrix ${s + b}`, m, n);
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) host[b * ld * ld + i * ld + j] = 0.5 * (m[i * n + j]! + m[j * n + i]!);
      });
      ctx.device.queue.writeBuffer(work.a.buffer, 0, host.buffer, host.byteOffset, host.byteLength);
      const batch = beginBatch(ctx, 'tridiag');
      encodeTridiag(batch, plan, work, part.length);
      submit(batch);
      out.push(...(await tridiagEigenvalues(ctx, work, part.length)));
    }
  } finally {
    disposeTridiagWork(work);
  }
  return out;
}
