// Fréchet distance in the feature space of a classifier the engine trained (src/models/classifier.ts):
// the penultimate features f = silu(features(...)) (N, F) of each set, in batches on the GPU, their
// moments streamed into one mergeable float64 state per set, then frechetFromMoments.
import { checkFinite, checkInt, checkMatrix } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { createTensor, disposeTensor, readback } from '../runtime/tensor.js';
import { finalizeMoments, type MomentState } from '../kernels/moments.js';
import { classifierFeatures, featureDim } from '../models/classifier.js';
import { dimOf, type LearnedModel } from '../models/model.js';
import { frechetFromMoments, sampleMomentState, type GaussianMoments, type MomentsOptions } from './frechet.js';

/** Default rows per classifier batch. */
export const FEATURE_BATCH = 512;

export interface FeatureOptions extends MomentsOptions {
  /** Rows per classifier forward pass (default FEATURE_BATCH). */
  batch?: number;
}

function checkSamples(what: string, m: LearnedModel, x: Float32Array, shape: readonly number[]): number {
  if (m.def.architecture !== 'classifier')
    throw new Error(`${what}: a ${m.def.architecture} model is not a classifier`);
  const [n, d] = checkMatrix(what, x, shape);
  const D = dimOf(m.def.dataShape);
  if (d !== D)
    throw new Error(
      `${what}: dimension mismatch: the samples have D = ${d} columns, the classifier takes D = ${D} (data shape [${m.def.dataShape}])`,
    );
  checkFinite(what, x, d);
  return n;
}

/**
 * Calls `each` with the penultimate features (rows, F) of consecutive batches of x (N, D) row-major f32
 * (D the classifier's flattened data shape), first row index r0.
 */
async function forEachFeatureBatch(
  ctx: Context,
  m: LearnedModel,
  x: Float32Array,
  n: number,
  batch: number,
  each: (f: Float32Array, r0: number, rows: number) => Promise<void>,
): Promise<void> {
  const D = dimOf(m.def.dataShape);
  for (let r0 = 0; r0 < n; r0 += batch) {
    const rows = Math.min(batch, n - r0);
    const xt = createTensor(ctx, [rows, D], { data: x.subarray(r0 * D, (r0 + rows) * D), label: 'metrics.features.x' });
    try {
      const ft = await classifierFeatures(ctx, m, xt, rows);
      try {
        await each((await readback(ctx, ft)) as Float32Array, r0, rows);
      } finally {
        disposeTensor(ft);
      }
    } finally {
      disposeTensor(xt);
    }
  }
}

/** Penultimate classifier features (N, F) row-major f32 of samples x (N, D), computed in batches on the GPU. */
export async function classifierFeaturesHost(
  ctx: Context,
  m: LearnedModel,
  x: Float32Array,
  shape: readonly number[],
  opts: { batch?: number } = {},
): Promise<Float32Array> {
  const n = checkSamples('classifierFeaturesHost: x', m, x, shape);
  const batch = checkInt('classifierFeaturesHost: batch', opts.batch ?? FEATURE_BATCH, 1, 1 << 20);
  const F = featureDim(m);
  const out = new Float32Array(n * F);
  await forEachFeatureBatch(ctx, m, x, n, batch, async (f, r0) => out.set(f, r0 * F));
  return out;
}

/** Gaussian moments (ddof = 1) of the classifier features of x (N, D), N >= 2, without keeping the features. */
export async function classifierMoments(
  ctx: Context,
  m: LearnedModel,
  x: Float32Array,
  shape: readonly number[],
  opts: FeatureOptions = {},
  what = 'classifierMoments: x',
): Promise<GaussianMoments> {
  const n = checkSamples(what, m, x, shape);
  if (n < 2) throw new Error(`${what}: a covariance needs at least 2 samples, got ${n}`);
  const batch = checkInt(`${what}: batch`, opts.batch ?? FEATURE_BATCH, 1, 1 << 20);
  const F = featureDim(m);
  let state: MomentState | undefined;
  await forEachFeatureBatch(ctx, m, x, n, batch, async (f, r0, rows) => {
    state = await sampleMomentState(ctx, f, [rows, F], state, opts, `${what} features (rows from ${r0})`);
  });
  const [c] = finalizeMoments(state!, 'covariance');
  return { count: n, dim: F, mean: c!.mean!, cov: c!.cov! };
}

/** FD between the classifier features of real (N1, D) and fake (N2, D) samples. */
export async function classifierFrechetDistance(
  ctx: Context,
  m: LearnedModel,
  real: Float32Array,
  realShape: readonly number[],
  fake: Float32Array,
  fakeShape: readonly number[],
  opts: FeatureOptions = {},
): Promise<number> {
  const a = await classifierMoments(ctx, m, real, realShape, opts, 'classifierFrechetDistance: real');
  const b = await classifierMoments(ctx, m, fake, fakeShape, opts, 'classifierFrechetDistance: fake');
  return frechetFromMoments(a, b);
}
