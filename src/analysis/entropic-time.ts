// Entropic time (Stančević, Handke & Ambrogioni 2025; DESIGN.md §1, "Information view"): sampling steps
// that each carry the same amount of the conditional entropy H(x0 | x_sigma).
// With x_t = sqrt(abar) (x0 + sigma eps), sigma = sqrt((1 - abar) / abar), the I-MMSE relation gives
//   dH/dsigma = mse(sigma) / sigma^3,   mse(sigma) = E||x0_hat - x0||^2   (so dH/dt = sigma_dot mse / sigma^3),
// measured here per dimension (a constant factor that the normalised schedule does not see), with x0_hat
// Tweedie's estimate from the engine's denoiser: x0_hat - x0 = sigma (eps - eps_hat).
// 'entropic': equal increments of H. 'rescaled': equal increments of the sigma-weighted rate
// mse / sigma^2 (dH_r = sigma dH). For isotropic Gaussian data of variance c^2, mse = c^2 sigma^2 /
// (c^2 + sigma^2) per dimension, so H = log(sigma / sqrt(c^2 + sigma^2)) + const (equal steps in
// log sin(arctan(sigma / c))) and H_r = c arctan(sigma / c) + const (equal steps in arctan(sigma / c),
// the oracle of DESIGN.md §6). Both are tested against those closed forms.
// The cumulative integral is the trapezoid rule in u = log sigma (integrands mse / sigma^2 or mse / sigma,
// smooth in u where mse / sigma^3 is steep in sigma), inverted by linear interpolation in u, and the target
// sigmas are mapped to the nearest step of the VP schedule (nearestStep, in log sigma), then made strictly
// descending and unique.
import { checkFinite, checkInt, checkMatrix } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { createTensor, disposeTensor, readback, upload } from '../runtime/tensor.js';
import { standardNormals } from '../kernels/forward_noise.js';
import type { Denoiser } from '../models/denoiser.js';
import { abarToSigma, nearestStep, stepsFromList, type Schedule } from '../schedule/schedules.js';
import { INFORMATION_STREAM, noised } from './class-entropy.js';

export type EntropicKind = 'entropic' | 'rescaled';
export const ENTROPIC_KINDS: readonly EntropicKind[] = ['entropic', 'rescaled'];

/** Up to m distinct steps roughly uniform in log sigma from step `first` to step `last` (default 1 and T), ascending, both ends kept. */
export function logSigmaSteps(schedule: Schedule, m: number, opts: { first?: number; last?: number } = {}): Int32Array {
  const T = schedule.T;
  const lo = checkInt('logSigmaSteps: first', opts.first ?? 1, 1, T);
  const hi = checkInt('logSigmaSteps: last', opts.last ?? T, lo, T);
  checkInt('logSigmaSteps: m', m, 2, T);
  const [u0, u1] = [
    Math.log(abarToSigma(schedule.alphasCumprod[lo - 1]!)),
    Math.log(abarToSigma(schedule.alphasCumprod[hi - 1]!)),
  ];
  const set = new Set<number>([lo, hi]);
  for (let k = 1; k < m - 1; k++) {
    const s = nearestStep(schedule, Math.exp(u0 + ((u1 - u0) * k) / (m - 1))).step;
    set.add(Math.min(hi, Math.max(lo, s)));
  }
  return Int32Array.from([...set].sort((a, b) => a - b));
}

export interface DenoisingError {
  /** (S) ascending steps, their abar and sigma. */
  steps: Int32Array;
  abar: Float64Array;
  sigma: Float64Array;
  /** (S) mse(sigma) = E||x0_hat - x0||^2 / D and its standard error over the rows. */
  mse: Float64Array;
  stdError: Float64Array;
}

/**
 * mse(sigma) per dimension of the denoiser's Tweedie x0_hat at each step for data x0 (n, D) row-major f32,
 * x_t = sqrt(abar) x0 + sqrt(1 - abar) eps with one eps per row shared by the steps (seed, INFORMATION_STREAM).
 * `classes` (n) conditions the denoiser (null: unconditional).
 */
export async function denoisingError(
  ctx: Context,
  d: Denoiser,
  x0: Float32Array,
  shape: readonly [number, number],
  steps: ArrayLike<number>,
  opts: { seed: number; classes?: Int32Array | null },
): Promise<DenoisingError> {
  const [n, D] = checkMatrix('denoisingError: x0', x0, shape);
  if (D !== d.dim) throw new Error(`denoisingError: x0 has ${D} columns but the denoiser's dimension is ${d.dim}`);
  checkFinite('denoisingError: x0', x0, D);
  const sorted = Int32Array.from(stepsFromList(d.schedule, steps).steps).sort();
  for (let k = 1; k < sorted.length; k++)
    if (sorted[k] === sorted[k - 1]) throw new Error(`denoisingError: step ${sorted[k]} appears twice`);
  const S = sorted.length;
  const eps = await standardNormals(ctx, n, D, { seed: opts.seed, stream: INFORMATION_STREAM });
  const abar = Float64Array.from(sorted, (t) => d.schedule.alphasCumprod[t - 1]!);
  const sigma = Float64Array.from(abar, (a) => Math.sqrt((1 - a) / a));
  const mse = new Float64Array(S);
  const stdError = new Float64Array(S);
  const xt = new Float32Array(n * D);
  const xT = createTensor(ctx, [n, D], { label: 'entropic.xt' });
  const rowErr = new Float64Array(n);
  try {
    for (let k = 0; k < S; k++) {
      if (!(abar[k]! < 1))
        throw new Error(`denoisingError: abar = ${abar[k]} at step ${sorted[k]}; eps_hat needs abar < 1`);
      noised(x0, eps, abar[k]!, xt);
      upload(ctx, xT, xt);
      const e = await d.predictEps(ctx, xT, n, sorted[k]!, opts.classes ?? null);
      let hat: Float32Array;
      try {
        hat = (await readback(ctx, e, 0, n * D)) as Float32Array;
      } finally {
        disposeTensor(e);
      }
      const s2 = sigma[k]! ** 2;
      for (let i = 0; i < n; i++) {
        let q = 0;
        for (let j = 0; j < D; j++) q += (eps[i * D + j]! - hat[i * D + j]!) ** 2;
        rowErr[i] = (s2 * q) / D;
      }
      let m = 0;
      for (let i = 0; i < n; i++) m += rowErr[i]!;
      m /= n;
      let v = 0;
      for (let i = 0; i < n; i++) v += (rowErr[i]! - m) ** 2;
      mse[k] = m;
      stdError[k] = n > 1 ? Math.sqrt(v / (n - 1) / n) : 0;
    }
  } finally {
    disposeTensor(xT);
  }
  return { steps: sorted, abar, sigma, mse, stdError };
}

export interface EntropicSchedule {
  kind: EntropicKind;
  /** (m) the measurement grid: ascending sigma, and the normalised cumulative entropy (0 at the smallest sigma, 1 at the largest). */
  gridSigma: Float64Array;
  cumulative: Float64Array;
  /** (m) dH/dsigma = mse / sigma^3 ('entropic') or mse / sigma^2 ('rescaled'), unnormalised. */
  rate: Float64Array;
  /** (n) target sigmas with equal increments, descending (largest first). */
  targetSigmas: Float64Array;
  /** (n) integer steps of the VP schedule, strictly descending, unique: the sampler's timesteps. */
  timesteps: Int32Array;
  /** (n) sigma of each timestep. */
  sigmas: Float64Array;
  /** (n - 1) normalised entropy carried by each interval of the rounded timesteps (1 / (n - 1) before rounding). */
  increments: Float64Array;
  /** diffusers-style: timesteps 0-based (our step - 1, descending) and their sigmas. */
  json: { timesteps: number[]; sigmas: number[] };
}

/**
 * The n-step entropic (or rescaled) schedule from measured errors (denoisingError's sigma and mse, ascending
 * sigma): first step at the grid's largest sigma, last at its smallest. See the file comment.
 */
export function entropicSchedule(
  schedule: Schedule,
  err: Pick<DenoisingError, 'sigma' | 'mse'>,
  n: number,
  opts: { kind?: EntropicKind } = {},
): EntropicSchedule {
  const kind = opts.kind ?? 'entropic';
  if (!ENTROPIC_KINDS.includes(kind))
    throw new Error(`entropicSchedule: unknown kind '${String(kind)}'; valid: ${ENTROPIC_KINDS.join(', ')}`);
  const m = err.sigma.length;
  if (err.mse.length !== m) throw new Error(`entropicSchedule: ${err.mse.length} mse values for ${m} sigmas`);
  if (m < 2) throw new Error(`entropicSchedule: needs at least 2 measured sigmas, got ${m}`);
  for (let k = 0; k < m; k++) {
    const s = err.sigma[k]!;
    if (!(Number.isFinite(s) && s > 0))
      throw new Error(`entropicSchedule: sigma[${k}] must be finite and > 0, got ${s}`);
    if (k > 0 && !(s > err.sigma[k - 1]!))
      throw new Error(`entropicSchedule: sigmas must be strictly ascending, got ${err.sigma[k - 1]} then ${s} at ${k}`);
    if (!(Number.isFinite(err.mse[k]!) && err.mse[k]! >= 0))
      throw new Error(`entropicSchedule: mse[${k}] must be finite and >= 0, got ${err.mse[k]}`);
  }
  const first = nearestStep(schedule, err.sigma[m - 1]!).step;
  checkInt(`entropicSchedule: n (at most the grid's largest step ${first})`, n, 1, first);
  const u = Float64Array.from(err.sigma, Math.log);
  const rate = Float64Array.from(err.mse, (e, k) => e / err.sigma[k]! ** (kind === 'entropic' ? 3 : 2));
  // dH/du = sigma dH/dsigma.
  const f = Float64Array.from(rate, (r, k) => r * err.sigma[k]!);
  const cum = new Float64Array(m);
  for (let k = 1; k < m; k++) cum[k] = cum[k - 1]! + 0.5 * (f[k]! + f[k - 1]!) * (u[k]! - u[k - 1]!);
  const total = cum[m - 1]!;
  if (!(total > 0)) throw new Error('entropicSchedule: the measured errors carry no entropy (every mse is 0)');
  for (let k = 0; k < m; k++) cum[k] = cum[k]! / total;
  const targetSigmas = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    const h = n === 1 ? 1 : 1 - j / (n - 1);
    targetSigmas[j] = Math.exp(inverse(cum, u, h));
  }
  const timesteps = Int32Array.from(targetSigmas, (s) => nearestStep(schedule, s).step);
  // Strictly descending and unique: push collisions down, then keep room for the steps still to come.
  for (let j = 1; j < n; j++) timesteps[j] = Math.min(timesteps[j]!, timesteps[j - 1]! - 1);
  for (let j = n - 1; j >= 0; j--) timesteps[j] = Math.max(timesteps[j]!, n - j, j + 1 < n ? timesteps[j + 1]! + 1 : 1);
  const sigmas = Float64Array.from(timesteps, (t) => abarToSigma(schedule.alphasCumprod[t - 1]!));
  const at = (s: number) => interp(u, cum, Math.log(s));
  const increments = Float64Array.from({ length: Math.max(n - 1, 0) }, (_, j) => at(sigmas[j]!) - at(sigmas[j + 1]!));
  return {
    kind,
    gridSigma: Float64Array.from(err.sigma),
    cumulative: cum,
    rate,
    targetSigmas,
    timesteps,
    sigmas,
    increments,
    json: { timesteps: Array.from(timesteps, (t) => t - 1), sigmas: Array.from(sigmas) },
  };
}

/** u where the ascending piecewise-linear cum(u) reaches h in [0, 1] (flat pieces: their left end). */
function inverse(cum: Float64Array, u: Float64Array, h: number): number {
  const m = cum.length;
  if (h <= 0) return u[0]!;
  if (h >= 1) return u[m - 1]!;
  let k = 1;
  while (k < m - 1 && cum[k]! < h) k++;
  const dc = cum[k]! - cum[k - 1]!;
  return dc > 0 ? u[k - 1]! + ((h - cum[k - 1]!) / dc) * (u[k]! - u[k - 1]!) : u[k - 1]!;
}

/** Linear interpolation of y(x) on ascending x, clamped at the ends. */
function interp(x: Float64Array, y: Float64Array, v: number): number {
  const m = x.length;
  if (v <= x[0]!) return y[0]!;
  if (v >= x[m - 1]!) return y[m - 1]!;
  let k = 1;
  while (x[k]! < v) k++;
  return y[k - 1]! + ((v - x[k - 1]!) / (x[k]! - x[k - 1]!)) * (y[k]! - y[k - 1]!);
}
