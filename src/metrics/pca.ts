// PCA feature space for the Fréchet distance: the top-p principal directions of the reference (real)
// data, from its GPU sample covariance eigendecomposed in float64 on the host (src/linalg/eigh-cpu.ts), and the
// projection y = V_p (x - mean_real) of any set on the GPU (one matmul per row chunk). FD in that space
// compares the two sets along the directions where the real data varies most.
import { checkFinite, checkInt, checkMatrix } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { beginBatch, submit } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback, upload } from '../runtime/tensor.js';
import { symmetricEigen } from '../linalg/eigh-cpu.js';
import { encodeMatmul, matmulPlan } from '../kernels/matmul.js';
import { checkPair, frechetFromMoments, sampleMoments, type GaussianMoments, type MomentsOptions } from './frechet.js';

/** Default number of principal directions. */
export const PCA_COMPONENTS = 32;

export interface PcaFit {
  dim: number;
  /** Number of directions p. */
  components: number;
  /** Mean of the reference data (D). */
  mean: Float64Array;
  /** (p, D) row-major orthonormal directions, by decreasing variance. */
  directions: Float64Array;
  /** (p) variance of the reference data along each direction. */
  variances: Float64Array;
  /** Total variance tr(S) of the reference data, for the explained fraction. */
  totalVariance: number;
}

export interface PcaOptions extends MomentsOptions {
  /** Directions p in [1, D] (default min(D, PCA_COMPONENTS)). */
  components?: number;
}

/** The top-p principal directions of real (N, D) row-major f32, N >= 2. */
export async function fitPca(
  ctx: Context,
  real: Float32Array,
  shape: readonly number[],
  opts: PcaOptions = {},
): Promise<PcaFit> {
  const [, d] = checkMatrix('fitPca: real', real, shape);
  const p = checkInt('fitPca: components', opts.components ?? Math.min(d, PCA_COMPONENTS), 1, d);
  const m = await sampleMoments(ctx, real, shape, opts, 'fitPca: real');
  const { values, vectors } = symmetricEigen(m.cov, d, { vectors: true });
  let total = 0;
  for (let i = 0; i < d; i++) total += m.cov[i * d + i]!;
  return {
    dim: d,
    components: p,
    mean: m.mean,
    directions: vectors!.slice(0, p * d),
    variances: Float64Array.from(values.subarray(0, p), (v) => Math.max(v, 0)),
    totalVariance: total,
  };
}

/** Rows per projection chunk: x chunk (rows, D) and output (rows, p) each within one storage binding. */
const PROJECT_ROWS = 8192;

/** y = V_p (x - mean) for x (N, D) row-major f32: returns (N, p) row-major f32, computed on the GPU. */
export async function projectPca(
  ctx: Context,
  fit: PcaFit,
  x: Float32Array,
  shape: readonly number[],
  what = 'projectPca: x',
): Promise<Float32Array> {
  const [n, d] = checkMatrix(what, x, shape);
  if (d !== fit.dim)
    throw new Error(`${what}: dimension mismatch: x has D = ${d} columns, the PCA was fitted on D = ${fit.dim}`);
  checkFinite(what, x, d);
  const p = fit.components;
  const limit = ctx.limits.maxStorageBufferBindingSize;
  const rows = Math.max(1, Math.min(n, PROJECT_ROWS, Math.floor(limit / (4 * Math.max(d, p)))));
  const plan = await matmulPlan(ctx, { m: rows, n: p, k: d, transB: true });
  const out = new Float32Array(n * p);
  const xt = createTensor(ctx, [rows, d], { label: 'pca.x' });
  const vt = createTensor(ctx, [p, d], { data: Float32Array.from(fit.directions), label: 'pca.directions' });
  const yt = createTensor(ctx, [rows, p], { label: 'pca.y' });
  const chunk = new Float32Array(rows * d);
  try {
    const batch = beginBatch(ctx, 'pca project');
    for (let r0 = 0; r0 < n; r0 += rows) {
      const nr = Math.min(rows, n - r0);
      // Centred on the host (float64 mean, one f32 rounding) so the f32 products see no offset.
      for (let i = 0; i < nr * d; i++) chunk[i] = x[r0 * d + i]! - fit.mean[i % d]!;
      upload(ctx, xt, chunk.subarray(0, nr * d));
      encodeMatmul(batch, plan, { a: xt, b: vt, c: yt, m: nr, n: p, k: d, transB: true });
      submit(batch);
      out.set(await readback(ctx, yt, 0, nr * p), r0 * p);
    }
  } finally {
    for (const t of [xt, vt, yt]) disposeTensor(t);
  }
  return out;
}

/** Gaussian moments of a set in a fitted PCA space (projected on the GPU, then GPU moments). */
export async function pcaMoments(
  ctx: Context,
  fit: PcaFit,
  x: Float32Array,
  shape: readonly number[],
  opts: MomentsOptions = {},
  what = 'pcaMoments: x',
): Promise<GaussianMoments> {
  const y = await projectPca(ctx, fit, x, shape, what);
  return sampleMoments(ctx, y, [shape[0]!, fit.components], opts, what);
}

export interface PcaFrechetOptions extends PcaOptions {
  /** A fit to reuse (e.g. of the same real data across many fake sets); else fitted on `real`. */
  fit?: PcaFit;
}

/** FD in the PCA space of real (N1, D): both real and fake (N2, D) projected on its top-p directions. */
export async function pcaFrechetDistance(
  ctx: Context,
  real: Float32Array,
  realShape: readonly number[],
  fake: Float32Array,
  fakeShape: readonly number[],
  opts: PcaFrechetOptions = {},
): Promise<number> {
  checkPair('pcaFrechetDistance', real, realShape, fake, fakeShape);
  const fit = opts.fit ?? (await fitPca(ctx, real, realShape, opts));
  if (opts.fit && opts.components !== undefined && opts.components !== fit.components) {
    throw new Error(`pcaFrechetDistance: components = ${opts.components} but the given fit has ${fit.components}`);
  }
  const a = await pcaMoments(ctx, fit, real, realShape, opts, 'pcaFrechetDistance: real');
  const b = await pcaMoments(ctx, fit, fake, fakeShape, opts, 'pcaFrechetDistance: fake');
  return frechetFromMoments(a, b);
}
