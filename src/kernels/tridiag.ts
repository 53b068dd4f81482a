// Eigenvalues of many symmetric matrices at once (DESIGN.md §2 "Eigen": full spectra of the per-event
// C(i)) by a two-stage reduction (Bischof, Lang & Sun 2000; as MAGMA's two-stage eigensolvers):
// stage 1 on the GPU reduces each matrix to a band of half-bandwidth B, stage 2 on the host reduces the
// band to tridiagonal form in float64 (Givens bulge chasing, src/linalg/band.ts) and solves that by
// implicit QL. Stage 1 per panel of B columns: one band_panel dispatch for the whole batch (one
// workgroup per matrix: QR of the block below the band, compact WY Q = I - V T V^T, U = V T), the GEMM
// Z^T = U^T A22, one band_w dispatch (W = Z - V M / 2, M = U^T Z), the trailing update
// A22 -= V W^T + W V^T as one upper-triangle GEMM with k = 2 B on the panel buffer [V W V]
// (op(A) = [V W], op(B) = [W V]^T) whose epilogue also writes the lower triangle. Flops: (4/3) n^3 per
// matrix in GEMMs (as LAPACK sytrd, but no matrix-vector products: every loaded value is reused), plus
// O(n^2 B) in the panels and 6 n^2 B float64 flops on the host. Each GEMM is one batched dispatch for all
// the matrices (matmul's batch), so a panel costs 4 dispatches whatever the batch. It replaced a one-stage blocked
// Householder tridiagonalisation whose matrix-vector products (n^3 / 3 floats loaded, each used once)
// dominated on CPU drivers: on lavapipe (2 cores) per matrix 140 -> 104 ms at n = 784, 556 -> 327 ms at
// 1300 on an idle machine; 27.5 -> 5.9 s at 3072 and 83.5 -> 12.9 s at 4096 in a loaded run (same-run
// comparisons, scripts/dev/tridiag-two-stage.ts at 9d7fe0f). At 784 the host's band -> tridiagonal
// (38 ms) is now the largest part.
// Accuracy: both stages are backward stable (f32 then float64), so each eigenvalue is within
// ~ c sqrt(n) 2^-24 ||A||_2 of the exact one (tested at 1e-5 ||A||_2 up to n = 1031).
import { checkFinite, checkInt } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { beginBatch, dispatch, submit, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import { createTensor, disposeTensor, readback, type Tensor } from '../runtime/tensor.js';
import { traceHost } from '../runtime/trace.js';
import { bandEigenvaluesBatch } from '../linalg/band-pool.js';
import { encodeMatmul, matmulPlan, type GemmPlan, type PlanOptions } from './matmul.js';

export const BAND_PANEL: KernelSpec = {
  name: 'band_panel',
  storage: ['read', 'read_write', 'read_write', 'read_write'],
};
export const BAND_W: KernelSpec = { name: 'band_w', storage: ['read_write', 'read'] };
/**
 * Invocations per matrix in band_panel and band_w: one workgroup per matrix, so the batch spreads the
 * cores; on lavapipe 8 (one SIMD row) beat 16, 32 and 64 at n = 784 (fewer lanes idle at barriers).
 */
export const TRIDIAG_WG = 8;
/**
 * Half-bandwidth of stage 1 = panel width (a multiple of 4 for vec4 operands, at most 64: BMAX in
 * band_panel.wgsl). The GEMMs have k = B and 2 B; stage 2 costs 6 n^2 B host flops. On lavapipe 32 beat
 * 16 at n = 1300 (330 against 400 ms per matrix, same run) and 3072 (4.7 against 4.9 s), and tied at 784
 * (107 against 102 ms): 16 halves the host's share but runs the GEMMs at k = 16 and 32.
 */
export const TRIDIAG_BAND = 32;

/** Pipeline options of the two stage-1 kernels. */
export const bandBuild = { constants: { WG: TRIDIAG_WG, B: TRIDIAG_BAND } };

export interface TridiagPlan {
  n: number;
  panel: CachedPipeline;
  w: CachedPipeline;
  /** Z^T (b, m) = U^T A22: A^T B layout with A = U (m, b) row-major. */
  gemmZ: GemmPlan;
  /** A22 -= [V W] [W V]^T (upper triangle, mirrored). */
  gemm: GemmPlan;
}

export async function tridiagPlan(ctx: Context, n: number, opts: PlanOptions = {}): Promise<TridiagPlan> {
  checkInt('tridiag: n', n, 1, TRIDIAG_MAX_N);
  const b = TRIDIAG_BAND;
  const panel = await getPipeline(ctx, BAND_PANEL, bandBuild);
  const w = await getPipeline(ctx, BAND_W, bandBuild);
  const m = Math.max(n - b, 1);
  const gemmZ = await matmulPlan(ctx, { m: b, n: m, k: m, transA: true }, opts);
  const gemm = await matmulPlan(ctx, { m, n: m, k: 2 * b, transA: true, upper: true }, opts);
  return { n, panel, w, gemmZ, gemm };
}

/** Row length of the matrices and the panel buffer: n rounded up to a multiple of 4 (vec4 loads). */
export const rowStride = (n: number) => Math.ceil(n / 4) * 4;
/** Largest order: one matrix must fit a storage binding (5792 at 128 MiB); the u32 indices allow far more. */
export const TRIDIAG_MAX_N = 65535;

/** GPU buffers for up to `capacity` matrices of order n: the matrices (overwritten), panels, U, bands. */
export interface TridiagWork {
  n: number;
  capacity: number;
  a: Tensor;
  panel: Tensor;
  u: Tensor;
  band: Tensor;
}

/** Matrices of order n that fit one storage binding (at most `want`). */
export function tridiagCapacity(ctx: Context, n: number, want: number): number {
  const per = 4 * Math.max(rowStride(n) ** 2, 3 * TRIDIAG_BAND * rowStride(n));
  const fit = Math.floor(ctx.limits.maxStorageBufferBindingSize / per);
  if (fit < 1)
    throw new Error(
      `tridiag: one ${n} x ${n} matrix (${4 * n * n} bytes) exceeds a storage binding (${ctx.limits.maxStorageBufferBindingSize} bytes)`,
    );
  return Math.max(1, Math.min(want, fit));
}

export function tridiagWork(ctx: Context, n: number, capacity: number): TridiagWork {
  checkInt('tridiag: capacity', capacity, 1, tridiagCapacity(ctx, n, capacity));
  const ld = rowStride(n);
  const b = TRIDIAG_BAND;
  return {
    n,
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
 * Encodes stage 1 for the first `count` matrices of work.a (each (n, n), full symmetric storage;
 * destroyed): the band form's A[j + r, j], r <= B = TRIDIAG_BAND, lands in work.band at j * (B + 1) + r
 * per matrix ((n, B + 1) each; entries with j + r >= n are not written).
 */
export function encodeTridiag(batch: Batch, plan: TridiagPlan, work: TridiagWork, count: number): void {
  const n = plan.n;
  const b = TRIDIAG_BAND;
  if (work.n !== n) throw new Error(`tridiag: the plan is for n = ${n}, the work buffers for n = ${work.n}`);
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
      // QR (2 m b^2), the Gram V^T V and U = V T; ~1.3 b^2 vec4 loads per 4 rows.
      flops: count * 4 * m * b * b,
      bytes: count * 5 * m * b * b,
    });
    if (m === 0) continue;
    encodeMatmul(batch, plan.gemmZ, {
      a: work.u,
      b: work.a,
      c: work.panel,
      m: b,
      n: m,
      k: m,
      transA: true,
      offsetA: k1 * b,
      lda: b,
      offsetB: k1 * ld + k1,
      ldb: ld,
      offsetC: b * ld + k1,
      ldc: ld,
      batch: count,
      strideA: uStride,
      strideB: aStride,
      strideC: pStride,
    });
    dispatch(batch, plan.w, {
      params: { n, k0, ld, p_stride: pStride / 4, u_stride: uStride / 4 },
      bindings: [work.panel, work.u],
      workgroups: [count],
      // M = U^T Z (upper half), then W = Z - V M / 2.
      flops: count * 3 * m * b * b,
      bytes: count * 2 * m * b * (b + 8),
    });
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
      offsetA: k1,
      lda: ld,
      offsetB: b * ld + k1,
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

/** Eigenvalues (descending, float64) of the band forms in work.band: stage 2 on the host. */
export async function tridiagEigenvalues(ctx: Context, work: TridiagWork, count: number): Promise<Float64Array[]> {
  return await hostStage(ctx, await readBands(ctx, work, count), work.n, count);
}

/** The first `count` band forms of work.band, read back (after the pending work). */
export const readBands = async (ctx: Context, work: TridiagWork, count: number) =>
  (await readback(ctx, work.band, 0, count * work.n * (TRIDIAG_BAND + 1))) as Float32Array;

/**
 * Stage 2 of `count` band forms read back from a TridiagWork of order n: on the host threads
 * (band-pool.ts), except with a CPU-emulated adapter, whose "GPU" already runs on every core: there the
 * main thread does it between its waits (lavapipe, 2 cores, scripts/dev/tridiag-two-stage.ts --sizes
 * 784:32: 70-76 ms per matrix staged on the main thread, 89-90 ms with one worker, interleaved runs).
 */
export async function hostStage(ctx: Context, band: Float32Array, n: number, count: number): Promise<Float64Array[]> {
  const t0 = performance.now();
  const values = await bandEigenvaluesBatch(band, n, TRIDIAG_BAND, count, ctx.adapterInfo.isFallback ? 0 : undefined);
  traceHost(ctx, 'host eigenvalues (band -> tridiagonal -> QL)', t0, performance.now(), { matrices: count, n });
  return values;
}

/**
 * Chunk size for `count` matrices of one order: at least four chunks when each still holds MIN_CHUNK
 * matrices, so that stagedEigenvalues overlaps the GPU and the host for most of the work; at most what
 * work buffers of `capacity` hold.
 */
export function stagedChunk(count: number, capacity: number): number {
  return Math.max(1, Math.min(capacity, count, Math.max(MIN_CHUNK, Math.ceil(count / 4))));
}
/** Matrices per chunk below which a chunk no longer fills the GPU (band_panel: one workgroup per matrix). */
const MIN_CHUNK = 8;

/**
 * Eigenvalues (descending, float64) of `count` matrices of order work.n in chunks of `chunk` (at most
 * work.capacity): fill(batch, start, size) encodes matrices start .. start + size into work.a[0 .. size).
 * Stage 1 of chunk k + 1 runs on the GPU while the host does stage 2 of chunk k (its bands already read
 * back, so one set of work buffers serves every chunk). On lavapipe the two share the CPU's 2 cores: 32
 * matrices of order 784 took 165 ms each in one chunk and 137 ms in chunks of 8, same run, on a loaded
 * machine (scripts/dev/tridiag-two-stage.ts). On a GPU the host's stage 2 is the larger part, and hides
 * all of stage 1 but the first chunk's.
 */
export async function stagedEigenvalues(
  ctx: Context,
  plan: TridiagPlan,
  work: TridiagWork,
  count: number,
  chunk: number,
  fill: (batch: Batch, start: number, size: number) => void,
): Promise<Float64Array[]> {
  checkInt('tridiag: chunk', chunk, 1, work.capacity);
  // Each chunk's stage 2 starts as soon as its bands are back and runs on the host threads while the
  // GPU takes the next chunks; the results are gathered in order at the end.
  const hosts: Promise<Float64Array[]>[] = [];
  let ready: { band: Float32Array; size: number } | null = null;
  try {
    for (let start = 0; start < count; start += chunk) {
      const size = Math.min(chunk, count - start);
      const batch = beginBatch(ctx, 'tridiag');
      fill(batch, start, size);
      encodeTridiag(batch, plan, work, size);
      submit(batch);
      if (ready) hosts.push(hostStage(ctx, ready.band, work.n, ready.size));
      ready = { band: await readBands(ctx, work, size), size };
    }
    if (ready) hosts.push(hostStage(ctx, ready.band, work.n, ready.size));
  } finally {
    // Settle every started stage 2 (none left running unobserved when the GPU side fails).
    await Promise.allSettled(hosts);
  }
  return (await Promise.all(hosts)).flat();
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
  matrices.forEach((m, b) => {
    if (m.length !== n * n)
      throw new Error(`eigvalshBatch: matrix ${b} holds ${m.length} values, not n * n = ${n * n}`);
    checkFinite(`eigvalshBatch: matrix ${b}`, m, n);
  });
  const chunk = stagedChunk(matrices.length, tridiagCapacity(ctx, n, Math.max(1, matrices.length)));
  const work = tridiagWork(ctx, n, chunk);
  const ld = rowStride(n);
  try {
    return await stagedEigenvalues(ctx, plan, work, matrices.length, chunk, (_batch, start, size) => {
      const host = new Float32Array(size * ld * ld);
      for (let b = 0; b < size; b++) {
        const m = matrices[start + b]!;
        for (let i = 0; i < n; i++)
          for (let j = 0; j < n; j++) host[b * ld * ld + i * ld + j] = 0.5 * (m[i * n + j]! + m[j * n + i]!);
      }
      ctx.device.queue.writeBuffer(work.a.buffer, 0, host.buffer, host.byteOffset, host.byteLength);
    });
  } finally {
    disposeTridiagWork(work);
  }
}
