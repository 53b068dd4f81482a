// The diffusion classifier (Li et al. 2023; DESIGN.md §1 item 3): for a test point x, noises eps_j and
// steps t, err_k(t) = mean_j ||eps_j - eps_hat(sqrt(abar_t) x + sqrt(1 - abar_t) eps_j, t, k)||² with the
// SAME noises for every class k; score_k = sum_t w_k(t) e_k(t), prediction argmin_k. Weightings:
// uniform; inverse SNR w = (1 - abar) / abar; truncated inverse SNR, w = (1 - abar) / abar only for
// t in [tStart, end_k], each class's weights normalised to sum 1. The variants (VARIANTS) choose the window
// ends and the errors scored: the paper restricts each class to its own window (end_k = the class's merger
// step), but the error level itself changes with t, so with absolute errors e = err a class whose window
// covers low-error steps wins more often whatever the input (class bias). Scoring the error relative to the
// mean over classes at the same (t, eps) pair, e_k(t) = err_k(t) / mean_k' err_k'(t), or giving every class
// one shared window, removes that bias. Also the closed form of E_eps err_k(t) for one Gaussian per class.
import type { Context } from '../runtime/context.js';
import { spread } from './types.js';
import { createTensor, disposeTensor, readback } from '../runtime/tensor.js';
import { standardNormals } from '../kernels/forward_noise.js';
import { symmetricEigen } from '../linalg/eigh-cpu.js';
import type { Denoiser } from '../models/denoiser.js';
import type { GmmParams } from '../models/gmm-model.js';
import { ZERO_SHOT_STREAM, MAX_NOISES, zeroShotStream } from '../kernels/philox_streams.js';

/** Philox streams of the classifier's noises: stream zeroShotStream(j) for noise j, step tag = t (kernels/philox_streams.ts). */
export { ZERO_SHOT_STREAM, MAX_NOISES };

export const WEIGHTINGS = ['uniform', 'inverse-snr', 'truncated-inverse-snr'] as const;
export type Weighting = (typeof WEIGHTINGS)[number];

/** How a variant scores: the weighting, whose window ends it uses, and whether errors are relative. */
export interface ScoringVariant {
  name: string;
  weighting: Weighting;
  /** own: each class's merger step; shared: one end for every class (the median of the classes' ends). */
  window: 'own' | 'shared' | null;
  relative: boolean;
  description: string;
}

export const VARIANTS: readonly ScoringVariant[] = [
  { name: 'uniform', weighting: 'uniform', window: null, relative: false, description: 'every step, weight 1' },
  {
    name: 'inverse-snr',
    weighting: 'inverse-snr',
    window: null,
    relative: false,
    description: 'every step, weight (1 - abar) / abar',
  },
  {
    name: 'shared-window',
    weighting: 'truncated-inverse-snr',
    window: 'shared',
    relative: false,
    description: 'inverse SNR on one window [tStart, median class merger step] for every class',
  },
  {
    name: 'per-class-window',
    weighting: 'truncated-inverse-snr',
    window: 'own',
    relative: true,
    description:
      "inverse SNR on each class's window [tStart, its merger step], errors relative to the mean over classes at the same (t, eps)",
  },
  {
    name: 'per-class-window-absolute',
    weighting: 'truncated-inverse-snr',
    window: 'own',
    relative: false,
    description: "as per-class-window with absolute errors (each class on its own steps' error level: class-biased)",
  },
];

/** The window end every class shares: the median of the classes' merger steps (no merger counts as T). */
export function sharedWindowEnd(mergerSteps: readonly (number | null)[], T: number): number {
  return Math.round(spread(mergerSteps.map((m) => m ?? T)).median);
}

/** The weights (K, S) and error mode of a variant. */
export function variantScoring(
  v: ScoringVariant,
  steps: readonly number[],
  abar: ArrayLike<number>,
  mergerSteps: readonly (number | null)[],
  tStart = 20,
): { weights: Float64Array; relative: boolean } {
  const T = abar.length - 1;
  const ends = v.window === 'shared' ? mergerSteps.map(() => sharedWindowEnd(mergerSteps, T)) : mergerSteps;
  return { weights: classifierWeights(v.weighting, steps, abar, ends, tStart), relative: v.relative };
}

/**
 * Weights (K, S) over the evaluated steps for each class. abar[t] is abar at integer step t (index 0 = step
 * 0); mergerSteps[k] is class k's merger step (null: no merger, the window runs to the last step).
 */
export function classifierWeights(
  kind: Weighting,
  steps: readonly number[],
  abar: ArrayLike<number>,
  mergerSteps: readonly (number | null)[],
  tStart = 20,
): Float64Array {
  const K = mergerSteps.length;
  const S = steps.length;
  const w = new Float64Array(K * S);
  for (let k = 0; k < K; k++) {
    const hi = mergerSteps[k] ?? Infinity;
    let sum = 0;
    for (let s = 0; s < S; s++) {
      const t = steps[s]!;
      const a = abar[t]!;
      const v =
        kind === 'uniform' ? 1 : kind === 'inverse-snr' ? (1 - a) / a : t >= tStart && t <= hi ? (1 - a) / a : 0;
      w[k * S + s] = v;
      sum += v;
    }
    if (sum === 0) {
      // A class whose window holds no evaluated step: fall back to the step nearest its window.
      let best = 0;
      for (let s = 1; s < S; s++)
        if (
          Math.abs(steps[s]! - Math.min(hi, Math.max(tStart, steps[s]!))) <
          Math.abs(steps[best]! - Math.min(hi, Math.max(tStart, steps[best]!)))
        )
          best = s;
      w[k * S + best] = 1;
      sum = 1;
    }
    for (let s = 0; s < S; s++) w[k * S + s]! /= sum;
  }
  return w;
}

/**
 * Predictions (n) = argmin_k sum_s w[k, s] e[i, k, s] for errors (n, K, S); relative: e = err divided by the
 * mean over classes of err[i, :, s] (a step where every class errs alike then scores 1 for each).
 */
export function classify(
  err: Float64Array,
  n: number,
  K: number,
  S: number,
  w: Float64Array,
  relative = false,
): Int32Array {
  const pred = new Int32Array(n);
  const scale = new Float64Array(S).fill(1);
  for (let i = 0; i < n; i++) {
    if (relative) {
      for (let j = 0; j < S; j++) {
        let m = 0;
        for (let k = 0; k < K; k++) m += err[(i * K + k) * S + j]!;
        scale[j] = m > 0 ? K / m : 1;
      }
    }
    let best = Infinity;
    for (let k = 0; k < K; k++) {
      let s = 0;
      for (let j = 0; j < S; j++) s += w[k * S + j]! * err[(i * K + k) * S + j]! * scale[j]!;
      if (s < best) {
        best = s;
        pred[i] = k;
      }
    }
  }
  return pred;
}

export interface ClassifierErrorsOptions {
  steps: readonly number[];
  noises: number;
  seed: number;
  /** Rows per denoiser call (default 256). */
  batch?: number;
  onProgress?: (done: number, total: number) => void;
}

/** err (n, K, S): mean over noises of ||eps - eps_hat_k||² (sum over D) for test rows x (n, D). */
export async function classifierErrors(
  ctx: Context,
  d: Denoiser,
  x: Float32Array,
  n: number,
  o: ClassifierErrorsOptions,
): Promise<{ err: Float64Array; calls: number }> {
  const K = d.numClasses;
  if (K < 2)
    throw new Error(`zero-shot classification needs a class-conditional denoiser; '${d.kind}' has ${K} classes`);
  if (o.noises < 1 || o.noises > MAX_NOISES || !Number.isInteger(o.noises))
    throw new Error(`noises must be an integer in [1, ${MAX_NOISES}], got ${o.noises}`);
  const D = d.dim;
  const S = o.steps.length;
  const B = o.batch ?? 256;
  const err = new Float64Array(n * K * S);
  const abar = d.schedule.alphasCumprod;
  let calls = 0;
  const total = S * o.noises * Math.ceil(n / B) * K;
  for (let s = 0; s < S; s++) {
    const t = o.steps[s]!;
    const a = Math.sqrt(abar[t - 1]!);
    const b = Math.sqrt(1 - abar[t - 1]!);
    for (let j = 0; j < o.noises; j++) {
      // The same eps for every class: drawn once per (row, t, j).
      const eps = await standardNormals(ctx, n, D, { seed: o.seed, stream: zeroShotStream(j), step: t });
      for (let r0 = 0; r0 < n; r0 += B) {
        const m = Math.min(B, n - r0);
        const xt = new Float32Array(m * D);
        for (let i = 0; i < m * D; i++) xt[i] = a * x[r0 * D + i]! + b * eps[r0 * D + i]!;
        const xT = createTensor(ctx, [m, D], { data: xt, label: 'zero-shot.xt' });
        try {
          for (let k = 0; k < K; k++) {
            const e = await d.predictEps(ctx, xT, m, t, new Int32Array(m).fill(k));
            const eh = (await readback(ctx, e)) as Float32Array;
            disposeTensor(e);
            calls++;
            for (let i = 0; i < m; i++) {
              let acc = 0;
              for (let c = 0; c < D; c++) {
                const diff = eps[(r0 + i) * D + c]! - eh[i * D + c]!;
                acc += diff * diff;
              }
              err[((r0 + i) * K + k) * S + s]! += acc / o.noises;
            }
            o.onProgress?.(calls, total);
          }
        } finally {
          disposeTensor(xT);
        }
      }
    }
  }
  return { err, calls };
}

/**
 * Closed form E_eps ||eps - eps_hat_k||² for one Gaussian per class k (components = classes): with
 * S_k = abar Sigma_k + (1 - abar) I and eps_hat_k(x_t) = sqrt(1 - abar) S_k^{-1} (x_t - sqrt(abar) mu_k),
 * eps - eps_hat_k = (I - (1 - abar) S_k^{-1}) eps - sqrt(abar (1 - abar)) S_k^{-1} (x0 - mu_k), so
 * E = tr((I - (1 - abar) S_k^{-1})²) + abar (1 - abar) ||S_k^{-1} (x0 - mu_k)||². Returns (n, K, S).
 */
export function expectedClassifierErrors(
  p: GmmParams,
  x: ArrayLike<number>,
  n: number,
  steps: readonly number[],
  abarOfStep: (t: number) => number,
): Float64Array {
  const { K, D } = p;
  const S = steps.length;
  const out = new Float64Array(n * K * S);
  const z = new Float64Array(D);
  for (let k = 0; k < K; k++) {
    const cov = Array.from({ length: D * D }, (_, i) => p.covs[k * D * D + i]!);
    const { values, vectors } = symmetricEigen(cov, D, { vectors: true });
    const U = vectors!; // (D, D): row j is eigenvector j
    for (let s = 0; s < S; s++) {
      const ab = abarOfStep(steps[s]!);
      let tr = 0;
      const lam = new Float64Array(D);
      for (let j = 0; j < D; j++) {
        lam[j] = ab * values[j]! + (1 - ab);
        tr += (1 - (1 - ab) / lam[j]!) ** 2;
      }
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < D; j++) {
          let acc = 0;
          for (let c = 0; c < D; c++) acc += U[j * D + c]! * (x[i * D + c]! - p.means[k * D + c]!);
          z[j] = acc / lam[j]!;
        }
        let q = 0;
        for (let j = 0; j < D; j++) q += z[j]! * z[j]!;
        out[(i * K + k) * S + s] = tr + ab * (1 - ab) * q;
      }
    }
  }
  return out;
}
