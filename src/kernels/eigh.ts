// Symmetric eigensolvers (DESIGN.md §2: spectra of per-class covariances C_k(i), d(i) over ranked
// eigenvalues, lambda_max for the merger threshold and speciation time).
//   lambdaMax: power iteration, matvecs on the GPU (symm_block.wgsl), residual-based stop.
//   eighTop:   top-k by block subspace iteration with Rayleigh-Ritz (eigh_top.ts).
//   eigh:      the full spectrum in float64 on the CPU (Householder + implicit QL, src/linalg/eigh-cpu.ts).
// Why the CPU for the full spectrum: Lanczos on f32 GPU matvecs cannot resolve eigenvalues below
// ~1e-6 ||C|| (each matvec carries ~sqrt(d) 2^-24 ||C|| of error) and needs full reorthogonalisation
// (O(d^3) on the CPU anyway), whereas tridiagonalisation + QL in float64 is backward stable
// (every eigenvalue within ~d 2^-52 ||C||), has no convergence failure on clusters, and takes ~0.35 s
// for d = 784 in Node (values only; ~2 s with vectors): src/bench/eigh.ts (fluctus bench eigh).
import type { Context } from '../runtime/context.js';
import { beginBatch, encodeCopy, submit } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback, upload } from '../runtime/tensor.js';
import { checkFinite, checkInt } from '../runtime/check.js';
import { symmetricEigen } from '../linalg/eigh-cpu.js';
import { explainNonFinite, matrixOnGpu, readMatrix, seededGaussian, type SymmetricInput } from './eigh_source.js';
import { encodeSymmBlock, symmBlockPipeline } from './symm_block.js';

export { eighTop, type EighTopOptions, type EighTopResult } from './eigh_top.js';
export type { SymmetricInput } from './eigh_source.js';

export interface LambdaMaxOptions {
  /** Stop when ||C v - lambda v|| <= tol * |lambda| (default 1e-5; f32 matvecs floor near 1e-6). */
  tol?: number;
  /** Most matvecs (default 2000). */
  maxIter?: number;
  /** Matvecs per residual check, chained on the GPU without a readback (default 8). */
  stepsPerCheck?: number;
  /** Seed of the random start vector (default 0), or an explicit start vector. */
  seed?: number;
  start?: ArrayLike<number>;
  /** Element offset of C in a tensor (a stack of matrices). */
  offset?: number;
}

export interface LambdaMaxResult {
  /** Dominant eigenvalue (largest |lambda|; lambda_max for positive semi-definite C). */
  value: number;
  /** Unit eigenvector (d). */
  vector: Float64Array;
  /** Matvecs done. */
  iterations: number;
  /** ||C v - value v||_2 with C v from the GPU (f32) and the rest in float64. */
  residual: number;
  converged: boolean;
}

/** Power iteration for the dominant eigenpair of symmetric C (d, d) row-major f32. */
export async function lambdaMax(
  ctx: Context,
  c: SymmetricInput,
  d: number,
  opts: LambdaMaxOptions = {},
): Promise<LambdaMaxResult> {
  const fn = 'lambdaMax';
  const tol = opts.tol ?? 1e-5;
  if (!(tol > 0 && tol < 1)) throw new Error(`${fn}: tol must be in (0, 1), got ${tol}`);
  const maxIter = checkInt(`${fn}: maxIter`, opts.maxIter ?? 2000, 1, 1e9);
  const perCheck = checkInt(`${fn}: stepsPerCheck`, opts.stepsPerCheck ?? 8, 1, 1000);
  const m = matrixOnGpu(ctx, fn, c, d, opts.offset);
  let x: Float64Array;
  if (opts.start) {
    if (opts.start.length !== d) throw new Error(`${fn}: start must hold d = ${d} values, got ${opts.start.length}`);
    checkFinite(`${fn}: start`, opts.start, d);
    x = Float64Array.from(opts.start);
  } else {
    x = Float64Array.from({ length: d }, seededGaussian(opts.seed ?? 0));
  }
  const unit = (v: Float64Array) => {
    let n = 0;
    for (const e of v) n += e * e;
    n = Math.sqrt(n);
    if (!(n > 0)) throw new Error(`${fn}: start vector must be non-zero and finite`);
    return v.map((e) => e / n);
  };
  x = unit(x);
  const p = await symmBlockPipeline(ctx);
  const bufs = [0, 1].map((i) => createTensor(ctx, [d, 4], { label: `${fn}.x${i}` }));
  const probe = createTensor(ctx, [2, d, 4], { label: `${fn}.probe` });
  const host = new Float32Array(4 * d);
  let iterations = 0;
  let scale = 1;
  let result: LambdaMaxResult | null = null;
  try {
    while (!result) {
      const steps = iterations === 0 ? 1 : Math.min(perCheck, maxIter - iterations);
      for (let i = 0; i < d; i++) host[4 * i] = x[i]!;
      upload(ctx, bufs[0]!, host);
      const batch = beginBatch(ctx, fn);
      for (let s = 0; s < steps; s++) {
        encodeSymmBlock(batch, p, {
          c: m.tensor,
          cOffset: m.offset,
          v: bufs[s % 2]!,
          w: bufs[(s + 1) % 2]!,
          d,
          q4: 1,
          scale,
        });
      }
      const prev = bufs[(steps - 1) % 2]!;
      const last = bufs[steps % 2]!;
      encodeCopy(
        batch,
        (enc) => {
          enc.copyBufferToBuffer(prev.buffer, 0, probe.buffer, 0, 16 * d);
          enc.copyBufferToBuffer(last.buffer, 0, probe.buffer, 16 * d, 16 * d);
        },
        32 * d,
      );
      submit(batch);
      const out = await readback(ctx, probe);
      iterations += steps;
      // p = x_{s-1}, q = scale C p: Rayleigh quotient and residual of v = p / ||p||.
      let pp = 0;
      let pq = 0;
      for (let i = 0; i < d; i++) {
        pp += out[4 * i]! * out[4 * i]!;
        pq += out[4 * i]! * out[4 * (d + i)]!;
      }
      const value = pq / pp / scale;
      const pn = Math.sqrt(pp);
      const vector = Float64Array.from({ length: d }, (_, i) => out[4 * i]! / pn);
      let rr = 0;
      let qq = 0;
      for (let i = 0; i < d; i++) {
        const q = out[4 * (d + i)]!;
        rr += (q / scale / pn - value * vector[i]!) ** 2;
        qq += q * q;
      }
      const residual = Math.sqrt(rr);
      if (!Number.isFinite(value) || !Number.isFinite(residual)) await explainNonFinite(ctx, fn, m, d);
      const converged = residual <= tol * Math.abs(value);
      if (converged || iterations >= maxIter || qq === 0) {
        result = { value, vector, iterations, residual, converged: converged || qq === 0 };
        break;
      }
      x = Float64Array.from({ length: d }, (_, i) => out[4 * (d + i)]!);
      x = unit(x);
      scale = 1 / Math.abs(value);
    }
  } finally {
    for (const t of [...bufs, probe]) disposeTensor(t);
    m.release();
  }
  return result;
}

export interface EighOptions {
  /** Return only the k largest eigenvalues (default: all d). */
  k?: number;
  /** Also return eigenvectors (rows); default false. */
  vectors?: boolean;
  /** Element offset of C in a tensor. */
  offset?: number;
}

export interface EighResult {
  /** Eigenvalues, descending (k of them). */
  values: Float64Array;
  /** (k, d) unit eigenvectors as rows, row i for values[i]. */
  vectors?: Float64Array;
}

/**
 * Full spectrum of symmetric C (d, d) row-major: read to the CPU (if on the GPU), symmetrised,
 * Householder tridiagonalisation + implicit QL in float64. Non-finite entries: an Error naming the
 * first bad row and column.
 */
export async function eigh(ctx: Context, c: SymmetricInput, d: number, opts: EighOptions = {}): Promise<EighResult> {
  const k = checkInt('eigh: k', opts.k ?? d, 1, d);
  const a = await readMatrix(ctx, 'eigh', c, d, opts.offset ?? 0);
  const r = symmetricEigen(a, d, { vectors: opts.vectors });
  return { values: r.values.slice(0, k), ...(r.vectors ? { vectors: r.vectors.slice(0, k * d) } : {}) };
}
