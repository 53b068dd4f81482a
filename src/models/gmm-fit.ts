// One Gaussian per class fitted to labelled data (the exact-GMM stand-in for a class-conditional model of a
// dataset): weight pi_c = N_c / N, mean and population covariance (divided by N_c, the maximum-likelihood
// estimate) from the streaming per-class moments on the GPU (src/kernels/moments.ts, float64 results),
// plus a ridge on the diagonal so every covariance is positive definite (constant pixels, N_c <= D).
import type { Context } from '../runtime/context.js';
import { moments, type Labels } from '../kernels/moments.js';
import type { PlanOptions } from '../kernels/matmul.js';
import type { GmmParams } from './gmm-model.js';

/** Default relative ridge: Sigma_c + RIDGE * (trace(Sigma_all) / D) I, Sigma_all the covariance of all data. */
export const DEFAULT_RIDGE = 1e-4;

export interface FitGmmOptions {
  /** Number of classes C (default: largest label + 1); every class needs at least one row. */
  classes?: number;
  /**
   * Ridge added to each covariance's diagonal, relative to the mean per-dimension variance of all the data
   * (trace(Sigma_all) / D): absolute ridge = ridge * trace(Sigma_all) / D; default DEFAULT_RIDGE (1e-4).
   * If all data are constant, the absolute ridge is `ridge` itself.
   */
  ridge?: number;
  /** GEMM build choice for the moment kernels. */
  plan?: PlanOptions;
}

/**
 * One Gaussian per class from x (N, D) row-major f32 with labels (N) in 0..C-1: K = C components,
 * component c is class c. Returns float64 parameters for gmmDenoiser / prepareGmm.
 */
export async function fitGmmPerClass(
  ctx: Context,
  x: Float32Array,
  labels: Labels,
  shape: readonly [number, number],
  opts: FitGmmOptions = {},
): Promise<GmmParams & { ridge: number; counts: number[] }> {
  const ridge = opts.ridge ?? DEFAULT_RIDGE;
  if (!(Number.isFinite(ridge) && ridge >= 0))
    throw new Error(`fitGmmPerClass: ridge must be finite and >= 0, got ${ridge}`);
  if (!(labels instanceof Int32Array || labels instanceof Uint32Array))
    throw new Error('fitGmmPerClass: labels must be an Int32Array or Uint32Array');
  let C = opts.classes;
  if (C === undefined) {
    C = 0;
    for (let i = 0; i < labels.length; i++) C = Math.max(C, labels[i]! + 1);
  }
  const [N, D] = shape;
  const per = await moments(ctx, x, labels, shape, {
    classes: C,
    covariance: 'population',
    allowSmall: true,
    plan: opts.plan,
  });
  const all = (
    await moments(ctx, x, null, shape, { classes: 1, covariance: 'population', allowSmall: true, plan: opts.plan })
  )[0]!;
  let trace = 0;
  if (all.cov) for (let i = 0; i < D; i++) trace += all.cov[i * D + i]!;
  const abs = trace > 0 ? (ridge * trace) / D : ridge;
  const means = new Float64Array(C * D);
  const covs = new Float64Array(C * D * D);
  const weights = new Float64Array(C);
  per.forEach((m, c) => {
    if (m.count === 0 || !m.mean)
      throw new Error(`fitGmmPerClass: class ${c} has no rows (labels must use every class 0..${C! - 1})`);
    weights[c] = m.count / N;
    means.set(m.mean, c * D);
    // A single row has zero covariance: the ridge alone remains.
    if (m.cov) covs.set(m.cov, c * D * D);
    for (let i = 0; i < D; i++) covs[(c * D + i) * D + i]! += abs;
  });
  return {
    K: C,
    D,
    means,
    covs,
    weights,
    classOf: Int32Array.from({ length: C }, (_, c) => c),
    ridge: abs,
    counts: per.map((m) => m.count),
  };
}
