// Noise schedules of a variance-preserving (DDPM) diffusion, on the CPU in float64.
//
// Convention (DESIGN.md §1): steps count from 1. x_i = sqrt(abar_i) x_0 + sqrt(1 - abar_i) eps with
// abar_i = prod_{j <= i} (1 - beta_j), i = 1..T; step 0 would be the clean data (abar = 1).
// diffusers counts timesteps from 0 with alphas_cumprod[t] = prod_{j <= t} (1 - betas[j]), so its
// timestep t is our step t + 1 and its alphas_cumprod[t] is our abar_{t+1}. Arrays here are 0-based
// like diffusers': betas[i - 1] = beta_i and alphasCumprod[i - 1] = abar_i.
// Every function that returns a step also returns its abar, so callers never re-index by hand.

import { checkInt } from '../runtime/check.js';

export type ScheduleName = 'linear' | 'cosine';
export const SCHEDULE_NAMES: readonly ScheduleName[] = ['linear', 'cosine'];

export type Spacing = 'leading' | 'trailing' | 'linspace';
export const SPACINGS: readonly Spacing[] = ['leading', 'trailing', 'linspace'];

/** Largest T accepted; far beyond any schedule in use, it only guards against nonsense sizes. */
export const MAX_T = 1_000_000;

export interface Schedule {
  name: ScheduleName;
  T: number;
  /** (T,) betas[i - 1] = beta_i. */
  betas: Float64Array;
  /** (T,) alphasCumprod[i - 1] = abar_i. */
  alphasCumprod: Float64Array;
}

export interface ScheduleOptions {
  /** Linear: beta_1 (default 1e-4, DDPM). */
  betaStart?: number;
  /** Linear: beta_T (default 0.02, DDPM). */
  betaEnd?: number;
  /** Cosine: offset s (default 0.008, iDDPM eq. 17). */
  s?: number;
  /** Cosine: upper clip on beta (default 0.999, iDDPM and diffusers `squaredcos_cap_v2`). */
  maxBeta?: number;
}

function checkOpen01(name: string, v: number, closedHigh: boolean): void {
  const ok = Number.isFinite(v) && v > 0 && (closedHigh ? v <= 1 : v < 1);
  if (!ok) throw new Error(`${name} must be in (0, 1${closedHigh ? ']' : ')'}, got ${String(v)}`);
}

function cumprodOneMinus(betas: Float64Array): Float64Array {
  const out = new Float64Array(betas.length);
  let p = 1;
  for (let i = 0; i < betas.length; i++) {
    p *= 1 - betas[i]!;
    out[i] = p;
  }
  return out;
}

/**
 * DDPM linear schedule (Ho et al. 2020): beta_i = betaStart + (betaEnd - betaStart) (i - 1) / (T - 1),
 * i.e. diffusers' "linear" (linspace(beta_start, beta_end, T)), here in float64. Unlike iDDPM's
 * get_named_beta_schedule it does not rescale the endpoints by 1000 / T.
 * Cosine schedule (Nichol & Dhariwal 2021, eq. 17): f(t) = cos^2(((t / T) + s) / (1 + s) * pi / 2),
 * beta_i = min(1 - f(i) / f(i - 1), maxBeta), as diffusers' `squaredcos_cap_v2`; before clipping
 * abar_i = f(i) / f(0). With T = 1000 only beta_T is clipped.
 */
export function makeSchedule(name: ScheduleName, T = 1000, opts: ScheduleOptions = {}): Schedule {
  if (!SCHEDULE_NAMES.includes(name)) {
    throw new Error(`unknown schedule '${String(name)}'; valid schedules: ${SCHEDULE_NAMES.join(', ')}`);
  }
  checkInt('T', T, 1, MAX_T);
  const betas = new Float64Array(T);
  if (name === 'linear') {
    const b0 = opts.betaStart ?? 1e-4;
    const b1 = opts.betaEnd ?? 0.02;
    checkOpen01('betaStart', b0, false);
    checkOpen01('betaEnd', b1, false);
    // numpy's linspace: start + k * step, with the last entry set to stop exactly.
    const step = T > 1 ? (b1 - b0) / (T - 1) : 0;
    for (let k = 0; k < T; k++) betas[k] = b0 + k * step;
    if (T > 1) betas[T - 1] = b1;
  } else {
    const s = opts.s ?? 0.008;
    const maxBeta = opts.maxBeta ?? 0.999;
    if (!Number.isFinite(s) || s < 0) throw new Error(`s must be a finite number >= 0, got ${String(s)}`);
    checkOpen01('maxBeta', maxBeta, false);
    const f = (t: number): number => Math.cos(((t / T + s) / (1 + s)) * (Math.PI / 2)) ** 2;
    for (let i = 1; i <= T; i++) betas[i - 1] = Math.min(1 - f(i) / f(i - 1), maxBeta);
  }
  return { name, T, betas, alphasCumprod: cumprodOneMinus(betas) };
}

/** abar at a step; step is an integer in 1..T. */
export function abarAt(schedule: Schedule, step: number): number {
  checkInt('step', step, 1, schedule.T);
  return schedule.alphasCumprod[step - 1]!;
}

// Converters. A VP state x_i = sqrt(abar) (x_0 + sigma eps) is the variance-exploding (EDM) state of
// noise level sigma = sqrt((1 - abar) / abar) scaled by sqrt(abar). The Ornstein–Uhlenbeck time of
// dx = -x dt + sqrt(2) dW has abar = e^{-2t} (Biroli et al. 2024). Each accepts a number or an array
// (returning a Float64Array) and throws naming the first value out of range.

type Scalar = (v: number) => number;

function vectorise(name: string, ok: (v: number) => boolean, range: string, fn: Scalar) {
  function apply(v: number): number;
  function apply(v: ArrayLike<number>): Float64Array;
  function apply(v: number | ArrayLike<number>): number | Float64Array {
    if (typeof v === 'number') {
      if (!ok(v)) throw new Error(`${name} must be in ${range}, got ${String(v)}`);
      return fn(v);
    }
    const out = new Float64Array(v.length);
    for (let k = 0; k < v.length; k++) {
      const x = v[k]!;
      if (!ok(x)) throw new Error(`${name}[${k}] must be in ${range}, got ${String(x)}`);
      out[k] = fn(x);
    }
    return out;
  }
  return apply;
}

const isAbar = (a: number): boolean => Number.isFinite(a) && a > 0 && a <= 1;
const isNonNegFinite = (v: number): boolean => Number.isFinite(v) && v >= 0;

/** sigma = sqrt((1 - abar) / abar), abar in (0, 1]. */
export const abarToSigma = vectorise('abar', isAbar, '(0, 1]', (a) => Math.sqrt((1 - a) / a));
/** abar = 1 / (1 + sigma^2), sigma in [0, inf). */
export const sigmaToAbar = vectorise('sigma', isNonNegFinite, '[0, inf)', (s) => 1 / (1 + s * s));
/** OU time t = -ln(abar) / 2, abar in (0, 1]. */
export const abarToOuTime = vectorise('abar', isAbar, '(0, 1]', (a) => -Math.log(a) / 2);
/** abar = e^{-2t}, t in [0, inf). */
export const ouTimeToAbar = vectorise('t', isNonNegFinite, '[0, inf)', (t) => Math.exp(-2 * t));

export interface Respaced {
  /** (n,) descending steps in 1..T, the order a sampler visits them (diffusers' `timesteps` + 1). */
  steps: Int32Array;
  /** (n,) abar at steps[k]. */
  alphasCumprod: Float64Array;
  /**
   * (n,) betas[k] = 1 - abar(steps[k]) / abar(steps[k + 1]), with abar = 1 after the last (smallest)
   * step: the chain that takes only these steps has the same abar (iDDPM `space_timesteps`). Aligned
   * with `steps`, so prod_{j >= k} (1 - betas[j]) = alphasCumprod[k].
   */
  betas: Float64Array;
}

/** numpy's round: half to even. */
function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/**
 * n of the T steps, chosen as diffusers' `setTimesteps` (DDPMScheduler / DDIMScheduler
 * `set_timesteps`, steps_offset = 0) chooses timesteps, mapped to our 1-based steps (step = t + 1):
 * - 'leading':  t = k * floor(T / n), k = n-1..0, so steps ... , 1 + floor(T / n), 1 (ends at 1);
 * - 'trailing': t = round(T - k T / n) - 1, k = 0..n-1, so steps T, ... (starts at T); diffusers'
 *   np.arange can emit an (n+1)-th entry -1 through rounding, here always exactly n;
 * - 'linspace': t = round(linspace(0, T - 1, n)) reversed, so steps T, ..., 1.
 * Rounding is numpy's (half to even), so the steps equal diffusers' timesteps + 1 exactly.
 */
export function respace(schedule: Schedule, n: number, spacing: Spacing = 'leading'): Respaced {
  if (!SPACINGS.includes(spacing)) {
    throw new Error(`unknown spacing '${String(spacing)}'; valid spacings: ${SPACINGS.join(', ')}`);
  }
  const T = schedule.T;
  checkInt('n', n, 1, T);
  const steps = new Int32Array(n);
  if (spacing === 'leading') {
    const ratio = Math.floor(T / n);
    for (let k = 0; k < n; k++) steps[k] = (n - 1 - k) * ratio + 1;
  } else if (spacing === 'trailing') {
    const ratio = T / n;
    for (let k = 0; k < n; k++) steps[k] = roundHalfEven(T - k * ratio);
  } else {
    const d = n > 1 ? (T - 1) / (n - 1) : 0;
    for (let k = 0; k < n; k++) {
      const j = n - 1 - k;
      const t = n > 1 && j === n - 1 ? T - 1 : j * d;
      steps[k] = roundHalfEven(t) + 1;
    }
  }
  const alphasCumprod = new Float64Array(n);
  for (let k = 0; k < n; k++) alphasCumprod[k] = schedule.alphasCumprod[steps[k]! - 1]!;
  const betas = new Float64Array(n);
  for (let k = 0; k < n; k++) betas[k] = 1 - alphasCumprod[k]! / (k + 1 < n ? alphasCumprod[k + 1]! : 1);
  return { steps, alphasCumprod, betas };
}

export interface EdmSigmaOptions {
  sigmaMin?: number;
  sigmaMax?: number;
  rho?: number;
  /** Append sigma = 0 (the final jump to x_0), as k-diffusion's get_sigmas_karras does. Default false. */
  appendZero?: boolean;
}

/**
 * Karras et al. 2022 (EDM) eq. 5: sigma_k = (sigmaMax^(1/rho) + k / (n - 1) (sigmaMin^(1/rho) -
 * sigmaMax^(1/rho)))^rho, k = 0..n-1, descending from sigmaMax to sigmaMin (n = 1 gives [sigmaMax]).
 * Returns n values by default; with appendZero the n + 1 values k-diffusion and diffusers'
 * EDM schedulers use, whose last step denoises to sigma = 0.
 */
export function edmSigmas(n: number, opts: EdmSigmaOptions = {}): Float64Array {
  const { sigmaMin = 0.002, sigmaMax = 80, rho = 7, appendZero = false } = opts;
  checkInt('n', n, 1, MAX_T);
  if (!(Number.isFinite(sigmaMin) && sigmaMin > 0))
    throw new Error(`sigmaMin must be finite and > 0, got ${String(sigmaMin)}`);
  if (!(Number.isFinite(sigmaMax) && sigmaMax > sigmaMin)) {
    throw new Error(`sigmaMax must be finite and > sigmaMin (${sigmaMin}), got ${String(sigmaMax)}`);
  }
  if (!(Number.isFinite(rho) && rho > 0)) throw new Error(`rho must be finite and > 0, got ${String(rho)}`);
  const out = new Float64Array(appendZero ? n + 1 : n);
  const a = sigmaMax ** (1 / rho);
  const b = sigmaMin ** (1 / rho);
  for (let k = 0; k < n; k++) out[k] = (a + (n > 1 ? k / (n - 1) : 0) * (b - a)) ** rho;
  return out;
}

export interface StepAbar {
  step: number;
  abar: number;
}

/** The step whose sigma is nearest to `sigma` in log-sigma (ties go to the smaller step); sigma > 0. */
export function nearestStep(schedule: Schedule, sigma: number): StepAbar {
  if (!(Number.isFinite(sigma) && sigma > 0)) throw new Error(`sigma must be finite and > 0, got ${String(sigma)}`);
  const target = Math.log(sigma);
  let best = 1;
  let bestDist = Infinity;
  for (let i = 1; i <= schedule.T; i++) {
    const a = schedule.alphasCumprod[i - 1]!;
    // log sigma = (log(1 - abar) - log(abar)) / 2; log1p keeps precision when abar is near 0.
    const d = Math.abs((Math.log1p(-a) - Math.log(a)) / 2 - target);
    if (d < bestDist) {
      bestDist = d;
      best = i;
    }
  }
  return { step: best, abar: schedule.alphasCumprod[best - 1]! };
}

/** Checks a caller's list of steps (each an integer in 1..T, order kept) and looks up their abar. */
export function stepsFromList(schedule: Schedule, steps: ArrayLike<number>): { steps: Int32Array; abar: Float64Array } {
  const n = steps.length;
  if (n === 0) throw new Error('steps must hold at least one step');
  const out = new Int32Array(n);
  const abar = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const s = steps[k]!;
    if (!Number.isInteger(s) || s < 1 || s > schedule.T) {
      throw new Error(`steps[${k}] must be an integer in [1, ${schedule.T}], got ${String(s)}`);
    }
    out[k] = s;
    abar[k] = schedule.alphasCumprod[s - 1]!;
  }
  return { steps: out, abar };
}
