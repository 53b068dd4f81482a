// Eigenvalues of many symmetric matrices at once (DESIGN.md §2 "Eigen": full spectra of the per-event
// C(i)) by a two-stage reduction (Bischof, Lang & Sun 2000; as MAGMA's two-stage eigensolvers):
// stage 1 on the GPU reduces each matrix to a band of half-bandwidth B, stage 2 on the host reduces the
// band to tridiagonal form in float64 (Givens bulge chasing, src/linalg/band.ts) and solves that by
// implicit QL. Stage 1 per panel of B columns: one band_panel dispatch for the whole batch (one
// workgroup per matrix: QR of the block below the band, compact WY Q = I - V T V^T, U = V T), per matrix
// the GEMM Z^T = U^T A22, one band_w dispatch (W = Z - V M / 2, M = U^T Z), per matrix the trailing
// update A22 -= V W^T + W V^T as one upper-triangle GEMM with k = 2 B on the panel buffer [V W V]
// (op(A) = [V W], op(B) = [W V]^T) whose epilogue also writes the lower triangle. Flops: (4/3) n^3 per
// matrix in GEMMs (as LAPACK sytrd, but no matrix-vector products: every loaded value is reused), plus
// O(n^2 B) in the panels and 6 n^2 B float64 flops on the host.
// Accuracy: both stages are backward stable (f32 then float64), so each eigenvalue is within
// ~ c sqrt(n) 2^-24 ||A||_2 of the exact one (tested at 1e-5 ||A||_2 up to n = 1031).
import { checkFinite, checkInt } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { beginBatch, dispatch, submit, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import { createTensor, disposeTensor, readback, type Tensor } from '../runtime/tensor.js';
import { bandToTridiagonal } from '../linalg/band.js';
import { tridiagonalQl } from '../linalg/eigh-cpu.js';
import { encodeMatmul, matmulPlan, type GemmPlan, type PlanOptions } from './matmul.js';

export const BAND_PANEL: KernelSpec = {
  name: 'band_panel',
  storage: ['read', 'read_write', 'read_write', 'read_write'],
};
export const BAND_W: KernelSpec = { name: 'band_w', storage: ['read_write', 'read'] };
/** Invocations per matrix in band_panel and band_w (one workgroup per matrix: the batch spreads the cores). */
export const TRIDIAG_WG = 8;
/**
 * Half-bandwidth of stage 1 = panel width: the GEMMs have k = B and 2 B; stage 2 costs 6 n^2 B host flops.
 * A multiple of 4 (vec4 operands), at most 64 (BMAX in band_panel.wgsl).
 */
export const TRIDIAG_BAND = 32;

/** Pipeline options of the two stage-1 kernels for half-bandwidth b. */
export const bandBuild = (b: number, wg = TRIDIAG_WG) => ({ constants: { WG: wg, B: b } });

export interface TridiagPlan {
  n: number;
  /** Half-bandwidth of stage 1. */
  b: number;
  panel: CachedPipeline;
  w: CachedPipeline;
  /** Z^T (b, m) = U^T A22: A^T B layout with A = U (m, b) row-major. */
  gemmZ: GemmPlan;
  /** A22 -= [V W] [W V]^T (upper triangle, mirrored). */
  gemm: GemmPlan;
}

export async function tridiagPlan(
  ctx: Context,
  n: number,
  opts: PlanOptions & { band?: number; wg?: number } = {},
): Promise<TridiagPlan> {
  checkInt('tridiag: n', n, 1, TRIDIAG_MAX_N);
  const b = opts.band ?? TRIDIAG_BAND;
  if (b % 4 !== 0 || b < 4 || b > 64) throw new Error(`tridiag: band ${b} must be a multiple of 4 in [4, 64]`);
  const panel = await getPipeline(ctx, BAND_PANEL, bandBuild(b, opts.wg));
  const w = await getPipeline(ctx, BAND_W, bandBuild(b, opts.wg));
  const m = Math.max(n - b, 1);
  const gemmZ = await matmulPlan(ctx, { m: b, n: m, k: m, transA: true }, opts);
  const gemm = await matmulPlan(ctx, { m, n: m, k: 2 * b, transA: true, upper: true }, opts);
  return { n, b, panel, w, gemmZ, gemm };
}

/** Row length of the matrices and the panel buffer: n rounded up to a multiple of 4 (vec4 loads). */
export const rowStride = (n: number) => Math.ceil(n / 4) * 4;
/** Largest order: one matrix must fit a storage binding (5792 at 128 MiB); the u32 indices allow far more. */
export const TRIDIAG_MAX_N = 65535;

/** GPU buffers for up to `capacity` matrices of order n: the matrices (overwritten), panels, U, bands. */
export interface TridiagWork {
  n: number;
  b: number;
  capacity: number;
  a: Tensor;
  panel: Tensor;
  u: Tensor;
  band: Tensor;
}

/** Matrices of order n that fit one storage binding (at most `want`). */
export function tridiagCapacity(ctx: Context, n: number, want: number, b = TRIDIAG_BAND): number {
  const per = 4 * Math.max(rowStride(n) ** 2, 3 * b * rowStride(n));
  const fit = Math.floor(ctx.limits.maxStorageBufferBindingSize / per);
  if (fit < 1)
    throw new Error(
      `tridiag: one ${n} x ${n} matrix (${4 * n * n} bytes) exceeds a storage binding (${ctx.limits.maxStorageBufferBindingSize} bytes)`,
    );
  return Math.max(1, Math.min(want, fit));
}

export function tridiagWork(ctx: Context, n: number, capacity: number, b = TRIDIAG_BAND): TridiagWork {
  checkInt('tridiag: capacity', capacity, 1, tridiagCapacity(ctx, n, capacity, b));
  const ld = rowStride(n);
  return {
    n,
    b,
    capacity,
    a: createTensor(ctx, [capacity, ld, ld], { label: 'tridiag.a' }),
    panel: createTensor(ctx, [capacity, 3 * b, ld], { label: 'tridiag.panel' }),
    u: createTensor(ctx, [capacity, ld, b], { label: 'tridiag.u' }),
    band: createTensor(ctx, [capacity, n, b + 1], { label: 'tridiag.band' }),
  };
}

export function disposeTridiagWork(w: TridiagWork): void {
  for (const t of [w.a, w.panel, w.u, w.band]) disposeTensor(t);
}

/**
 * Encodes the reduction of the first `count` matrices of work.a (each (n, n), full symmetric storage;
 * destroyed) to band form: A[j + r, j] for r <= b lands in work.band at j * (b + 1) + r per matrix
 * (entries with j + r >= n are not written).
 */
export function encodeTridiag(batch: Batch, plan: TridiagPlan, work: TridiagWork, count: number): void {
  const { n, b } = plan;
  if (work.n !== n) throw new Error(`tridiag: the plan is for n = ${n}, the work buffers for n = ${work.n}`);
  if (work.b !== b) throw new Error(`tridiag: the plan is for band ${b}, the work buffers for band ${work.b}`);
  checkInt('tridiag: count', count, 0, work.capacity);
  if (count === 0) return;
  const ld = rowStride(n);
  const aStride = ld * ld;
  const pStride = 3 * b * ld;
  const uStride = ld * b;
  for (let k0 = 0; k0 < n; k0 += b) {
    const k1 = k0 + b;
    const m = Math.max(n - k1, 0);
    dispatch(batch, plan.panel, {
      params: {
        n,
        k0,
        ld,
        a_stride: aStride / 4,
        p_stride: pStride / 4,
        u_stride: uStride / 4,
        band_stride: n * (b + 1),
      },
      bindings: [work.a, work.panel, work.u, work.band],
      workgroups: [count],
      // QR: per column a norm, b dots and b axpys over the m rows; then U = V T.
      flops: count * (4 * m * b * b + m * b * b),
      bytes: count * 4 * (3 * m * b * b + 3 * m * b),
    });
    if (m === 0) continue;
    for (let i = 0; i < count; i++) {
      const a0 = i * aStride;
      const p0 = i * pStride;
      encodeMatmul(batch, plan.gemmZ, {
        a: work.u,
        b: work.a,
        c: work.panel,
        m: b,
        n: m,
        k: m,
        transA: true,
        offsetA: i * uStride + k1 * b,
        lda: b,
        offsetB: a0 + k1 * ld + k1,
        ldb: ld,
        offsetC: p0 + b * ld + k1,
        ldc: ld,
      });
    }
    dispatch(batch, plan.w, {
      params: { n, k0, ld, p_stride: pStride / 4, u_stride: uStride / 4 },
      bindings: [work.panel, work.u],
      workgroups: [count],
      // M = U^T Z, then W = Z - V M / 2.
      flops: count * 4 * m * b * b,
      bytes: count * 4 * (2 * m * b * (b / 4) + m * b * (b / 4) + 2 * m * b),
    });
    for (let i = 0; i < count; i++) {
      const a0 = i * aStride;
      const p0 = i * pStride;
      encodeMatmul(batch, plan.gemm, {
        a: work.panel,
        b: work.panel,
        c: work.a,
        m,
        n: m,
        k: 2 * b,
        transA: true,
        alpha: -1,
        beta: 1,
        upper: true,
        mirror: true,
        offsetA: p0 + k1,
        lda: ld,
        offsetB: p0 + b * ld + k1,
        ldb: ld,
        offsetC: a0 + k1 * ld + k1,
        ldc: ld,
      });
    }
  }
}

/** Split of the host time of tridiagEigenvalues (milliseconds), for benchmarks. */
export const tridiagHostMs = { band: 0, ql: 0 };

/** Eigenvalues (descending, float64) of the band forms in work.band (stage 2 on the host). */
export async function tridiagEigenvalues(ctx: Context, work: TridiagWork, count: number): Promise<Float64Array[]> {
  const { n, b } = work;
  const per = n * (b + 1);
  const band = await readback(ctx, work.band, 0, count * per);
  const out: Float64Array[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = performance.now();
    const { d, e } = bandToTridiagonal(band.subarray(i * per, (i + 1) * per), n, b);
    const t1 = performance.now();
    tridiagonalQl(d, e, n);
    tridiagHostMs.band += t1 - t0;
    tridiagHostMs.ql += performance.now() - t1;
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
  opts: PlanOptions & { band?: number; wg?: number } = {},
): Promise<Float64Array[]> {
  const plan = await tridiagPlan(ctx, n, opts);
  const capacity = tridiagCapacity(ctx, n, Math.max(1, matrices.length), plan.b);
  const work = tridiagWork(ctx, n, capacity, plan.b);
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
