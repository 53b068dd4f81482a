// Shared parts of the `guidance`, `rare-class` and `style-transfer` experiments: merger-derived guidance
// windows, the grid of candidate windows, the leaky conditional mixture (a class-conditional model that
// partly ignores its label, as learned models do; guidance has something to correct only then), class
// subsets, and sampling class by class so each class can have its own guidance window.
import type { Context } from '../runtime/context.js';
import type { Denoiser } from '../models/denoiser.js';
import type { GmmParams } from '../models/gmm-model.js';
import type { MergerReport } from '../formats/report-types.js';
import { gmmFrechetToTruth } from '../metrics/gmm-exact.js';
import { ddimScheduler, sample, type Guidance } from '../samplers/index.js';
import { childSeed } from './seeds.js';

/** An inclusive window [lo, hi] of schedule steps. */
export type Window = [number, number];

/**
 * The class-decision window of class k from the merger analysis: [lo, hi] with hi = the class's merger
 * step with the rest of the data (above it class k is indistinguishable from the rest: no class
 * information to guide on) and lo = its earliest merger with another class (below it class k is
 * distinct from every other class: its identity is decided). A missing merger (null) counts as T;
 * lo is clamped to [1, hi].
 */
export function mergerWindow(
  a: Pick<MergerReport, 'classRestMerger' | 'classMergerMatrix'>,
  k: number,
  T: number,
): Window {
  const hi = Math.min(T, Math.max(1, a.classRestMerger[k] ?? T));
  let lo = T;
  a.classMergerMatrix[k]!.forEach((m, j) => {
    if (j !== k) lo = Math.min(lo, m ?? T);
  });
  return [Math.max(1, Math.min(lo, hi)), hi];
}

/** Every window [e_i + 1, e_j] (i < j) over the edges 0, step, 2 step, ..., T (the grid search's candidates). */
export function gridWindows(T: number, step: number): Window[] {
  if (!(Number.isInteger(step) && step >= 1 && step <= T))
    throw new Error(`grid step must be an integer in [1, ${T}], got ${step}`);
  const edges: number[] = [];
  for (let e = 0; e < T; e += step) edges.push(e);
  edges.push(T);
  const out: Window[] = [];
  for (let i = 0; i < edges.length; i++)
    for (let j = i + 1; j < edges.length; j++) out.push([edges[i]! + 1, edges[j]!]);
  return out;
}

/** Index of the smallest finite objective (ties: the first); -1 when none is finite. */
export function argminFinite(values: readonly number[]): number {
  let best = -1;
  values.forEach((v, i) => {
    if (Number.isFinite(v) && (best < 0 || v < values[best]!)) best = i;
  });
  return best;
}

/** Component-wise median of windows, rounded (one window standing for several classes). */
export function medianWindow(ws: readonly Window[]): Window {
  const med = (v: number[]) => {
    const s = [...v].sort((a, b) => a - b);
    const n = s.length;
    return Math.round(n % 2 ? s[(n - 1) / 2]! : (s[n / 2 - 1]! + s[n / 2]!) / 2);
  };
  return [med(ws.map((w) => w[0])), med(ws.map((w) => w[1]))];
}

/**
 * A class-conditional mixture that leaks: p(x | c) = (1 - leak) N_c + leak sum_j pi_j N_j, built from one
 * Gaussian per class (K components, component k is class k, weights pi). Component (c, j) = N_j with
 * weight pi_c ((1 - leak) [c = j] + leak pi_j), class c; so the unconditional mixture stays sum_j pi_j N_j
 * (the truth) and leak = 0 is the exact conditional model. Components of zero weight are left out.
 */
export function leakyConditional(p: GmmParams, leak: number): GmmParams {
  if (!(Number.isFinite(leak) && leak >= 0 && leak < 1)) throw new Error(`leak must be in [0, 1), got ${leak}`);
  const { K, D } = p;
  const wsum = Array.from(p.weights).reduce((a, b) => a + b, 0);
  const pi = Array.from(p.weights, (w) => w / wsum);
  const means: number[] = [];
  const covs: number[] = [];
  const weights: number[] = [];
  const classOf: number[] = [];
  for (let c = 0; c < K; c++) {
    for (let j = 0; j < K; j++) {
      const w = pi[c]! * ((c === j ? 1 - leak : 0) + leak * pi[j]!);
      if (!(w > 0)) continue;
      for (let d = 0; d < D; d++) means.push(p.means[j * D + d]!);
      for (let e = 0; e < D * D; e++) covs.push(p.covs[j * D * D + e]!);
      weights.push(w);
      classOf.push(c);
    }
  }
  return {
    K: weights.length,
    D,
    means: Float64Array.from(means),
    covs: Float64Array.from(covs),
    weights: Float64Array.from(weights),
    classOf: Int32Array.from(classOf),
  };
}

/** The one-Gaussian mixture of component k (weight 1): class k's truth. */
export function componentOf(p: GmmParams, k: number): GmmParams {
  const D = p.D;
  return {
    K: 1,
    D,
    means: Float64Array.from({ length: D }, (_, d) => p.means[k * D + d]!),
    covs: Float64Array.from({ length: D * D }, (_, e) => p.covs[k * D * D + e]!),
    weights: [1],
  };
}

/** The components listed in `keep` with their weights (classOf: their rank in keep, or null for an unconditional mixture). */
export function restrictMixture(p: GmmParams, keep: readonly number[], conditional: boolean): GmmParams {
  const D = p.D;
  const means = new Float64Array(keep.length * D);
  const covs = new Float64Array(keep.length * D * D);
  keep.forEach((k, i) => {
    for (let d = 0; d < D; d++) means[i * D + d] = p.means[k * D + d]!;
    for (let e = 0; e < D * D; e++) covs[i * D * D + e] = p.covs[k * D * D + e]!;
  });
  return {
    K: keep.length,
    D,
    means,
    covs,
    weights: Float64Array.from(keep, (k) => p.weights[k]!),
    classOf: conditional ? Int32Array.from(keep, (_, i) => i) : null,
  };
}

export { takePerClass } from '../data/dataset.js';

export interface ClassBatches {
  /** (sum n, D) samples, class by class. */
  x: Float32Array;
  classes: Int32Array;
  /** Denoiser calls summed over the per-class batches. */
  calls: number;
}

/**
 * perClass[k] samples of each listed class k with that class's guidance (undefined: none), one batch per
 * class, DDIM (eta 0) with `steps` steps from T; class k's batch uses childSeed(seed, 'class', k) = seed + 7919 k.
 */
export async function sampleByClass(
  ctx: Context,
  d: Denoiser,
  o: {
    classes: readonly number[];
    perClass: number;
    steps: number;
    seed: number;
    guidance: (k: number) => Guidance | undefined;
  },
): Promise<ClassBatches> {
  const D = d.dim;
  const n = o.perClass;
  const x = new Float32Array(o.classes.length * n * D);
  const classes = new Int32Array(o.classes.length * n);
  let calls = 0;
  for (let i = 0; i < o.classes.length; i++) {
    const k = o.classes[i]!;
    const g = o.guidance(k);
    const r = await sample(ctx, d, {
      n,
      classes: new Int32Array(n).fill(k),
      seed: childSeed(o.seed, 'class', k),
      scheduler: ddimScheduler(d.schedule),
      steps: o.steps,
      ...(g ? { guidance: g } : {}),
    });
    x.set(r.x, i * n * D);
    classes.fill(k, i * n, (i + 1) * n);
    calls += r.denoiserCalls;
  }
  return { x, classes, calls };
}

/** Mean over the listed classes of the exact FD between class k's samples (rows in order, n each) and class k's true Gaussian. */
export async function classConditionalFd(
  ctx: Context,
  truth: GmmParams,
  x: Float32Array,
  classes: readonly number[],
  n: number,
): Promise<number> {
  const D = truth.D;
  let s = 0;
  for (let i = 0; i < classes.length; i++) {
    s += await gmmFrechetToTruth(ctx, x.subarray(i * n * D, (i + 1) * n * D), [n, D], componentOf(truth, classes[i]!));
  }
  return s / classes.length;
}

/** Guidance applying weight w only inside a window (conditional outside), or everywhere with 'constant'. */
export function windowGuidance(w: number, win: Window | 'everywhere' | null): Guidance | undefined {
  if (win === null) return undefined;
  if (win === 'everywhere') return { kind: 'constant', w };
  return { kind: 'interval', w, lo: win[0], hi: win[1] };
}
