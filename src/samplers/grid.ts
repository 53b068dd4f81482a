// Sampling grids and per-step update coefficients, on the host in float64 (no GPU).
//
// Grid: the steps a sampler visits, descending, ending the chain at x_0. Started at step s (default T)
// with n steps and spacing 'linspace' (default) the grid is the linspace(0, s, n): schedules.ts
// respace() applied to the schedule cut at s, i.e. step = round(j (s - 1) / (n - 1)) + 1, j = n-1 .. 0,
// with numpy's linspace arithmetic and round half to even (so for s = T the steps are diffusers'
// timesteps + 1; e.g. s = 1000, n = 3 gives 1000, 501, 1 since 499.5 rounds to 500); the first step is
// exactly s and the last exactly 1. n = 1 gives [s] (one jump from s to x_0).
// 'trailing' and 'leading' are diffusers' spacings on 1..s ('trailing' starts at s; 'leading' ends at 1
// and starts at (n - 1) floor(s / n) + 1, where diffusers too takes the start state).
//
// Every update is linear in (x_t, eps_hat) plus fresh noise: x_prev = a x_t + b eps_hat + sigma z, with
// abar = abar(step k) and abar_prev = abar of the next grid step (1 after the last step, diffusers'
// set_alpha_to_one), alpha = abar / abar_prev, beta = 1 - alpha (the respaced beta, iDDPM):
// - DDPM (Ho et al. 2020 eq. 11): a = 1 / sqrt(alpha), b = -beta / (sqrt(alpha) sqrt(1 - abar)); sigma^2 =
//   beta (1 - abar_prev) / (1 - abar) ('fixed_small', diffusers' default; the posterior variance, eq. 7)
//   or beta ('fixed_large', Ho's Alg. 2, 0 at the last step as in samplers/ddpm.ts). No x0 clipping.
// - DDIM (Song et al. 2021 eq. 12, 16): sigma = eta sqrt((1 - abar_prev) / (1 - abar)) sqrt(1 - alpha),
//   x_prev = sqrt(abar_prev) x0_hat + sqrt(1 - abar_prev - sigma^2) eps_hat + sigma z with x0_hat = (x_t -
//   sqrt(1 - abar) eps_hat) / sqrt(abar): a = sqrt(abar_prev / abar), b = sqrt(1 - abar_prev - sigma^2) -
//   sqrt(abar_prev (1 - abar) / abar). eta = 1 gives DDPM 'fixed_small' exactly; eta = 0 is deterministic.
import { checkInt } from '../runtime/check.js';
import { respace, SPACINGS, type Schedule, type Spacing } from '../schedule/schedules.js';

export interface SamplerGrid {
  /** (n) descending steps in 1..s. */
  steps: Int32Array;
  /** (n) abar at steps[k]. */
  alphasCumprod: Float64Array;
  /** (n) abar at steps[k + 1]; 1 for the last entry (the chain ends at x_0). */
  prevAlphasCumprod: Float64Array;
}

export interface GridOptions {
  /** First (largest) step s of the grid, in 1..T (default T). */
  start?: number;
  /** Default 'linspace'. */
  spacing?: Spacing;
  /**
   * An explicit grid (diffusers' set_timesteps(timesteps=...), in our 1-based steps): n integers in 1..s,
   * strictly descending, e.g. entropicSchedule's timesteps. Replaces spacing; n must equal its length.
   */
  timesteps?: ArrayLike<number>;
}

/** The n descending steps from `start` (see the file comment for the rounding). */
export function samplerGrid(schedule: Schedule, n: number, opts: GridOptions = {}): SamplerGrid {
  const T = schedule.T;
  const s = checkInt('start step', opts.start ?? T, 1, T);
  const spacing = opts.spacing ?? 'linspace';
  if (!SPACINGS.includes(spacing))
    throw new Error(`unknown spacing '${String(spacing)}'; valid spacings: ${SPACINGS.join(', ')}`);
  checkInt(`number of steps (at most the start step ${s})`, n, 1, s);
  let steps: Int32Array;
  if (opts.timesteps !== undefined) steps = explicitSteps(opts.timesteps, n, s, opts.start !== undefined);
  else if (n === 1 && spacing === 'linspace') steps = Int32Array.of(s);
  else
    steps = respace(
      { ...schedule, T: s, alphasCumprod: schedule.alphasCumprod.subarray(0, s), betas: schedule.betas.subarray(0, s) },
      n,
      spacing,
    ).steps;
  const alphasCumprod = Float64Array.from(steps, (t) => schedule.alphasCumprod[t - 1]!);
  const prevAlphasCumprod = Float64Array.from(steps, (_, k) => (k + 1 < n ? alphasCumprod[k + 1]! : 1));
  return { steps, alphasCumprod, prevAlphasCumprod };
}

/** Checks an explicit grid: n = its length, integers in 1..s strictly descending (starting at s when s was given). */
function explicitSteps(list: ArrayLike<number>, n: number, s: number, startGiven: boolean): Int32Array {
  if (list.length !== n) throw new Error(`timesteps holds ${list.length} steps but the number of steps is ${n}`);
  const steps = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const t = list[k]!;
    if (!Number.isInteger(t) || t < 1 || t > s)
      throw new Error(`timesteps[${k}] must be an integer in [1, ${s}], got ${String(t)}`);
    if (k > 0 && !(t < steps[k - 1]!))
      throw new Error(`timesteps must be strictly descending, got ${steps[k - 1]} then ${t} at ${k}`);
    steps[k] = t;
  }
  if (startGiven && steps[0] !== s) throw new Error(`timesteps start at ${steps[0]} but the start step is ${s}`);
  return steps;
}

/** x_prev = a x_t + b eps_hat + sigma z. */
export interface StepCoefficients {
  a: number;
  b: number;
  sigma: number;
}

export type DdpmVariance = 'fixed_small' | 'fixed_large';
export const DDPM_VARIANCES: readonly DdpmVariance[] = ['fixed_small', 'fixed_large'];

/** DDPM ancestral update from abar to abar_prev (> abar); `last` marks the final step to x_0. */
export function ddpmCoefficients(
  abar: number,
  abarPrev: number,
  variance: DdpmVariance,
  last: boolean,
): StepCoefficients {
  const alpha = abar / abarPrev;
  const beta = 1 - alpha;
  const a = 1 / Math.sqrt(alpha);
  const b = -beta / (Math.sqrt(alpha) * Math.sqrt(1 - abar));
  const v = variance === 'fixed_small' ? (beta * (1 - abarPrev)) / (1 - abar) : last ? 0 : beta;
  return { a, b, sigma: Math.sqrt(Math.max(v, 0)) };
}

/** DDIM update from abar to abar_prev with stochasticity eta in [0, 1]. */
export function ddimCoefficients(abar: number, abarPrev: number, eta: number): StepCoefficients {
  const sigma = eta * Math.sqrt(((1 - abarPrev) / (1 - abar)) * (1 - abar / abarPrev));
  const a = Math.sqrt(abarPrev / abar);
  const b = Math.sqrt(Math.max(1 - abarPrev - sigma * sigma, 0)) - Math.sqrt((abarPrev * (1 - abar)) / abar);
  return { a, b, sigma };
}

/** Checks that grid steps are usable by an eps-predicting update: abar < 1 and increasing along the chain. */
export function checkGridAbar(grid: SamplerGrid, what: string): void {
  for (let k = 0; k < grid.steps.length; k++) {
    const a = grid.alphasCumprod[k]!;
    const p = grid.prevAlphasCumprod[k]!;
    if (!(a > 0 && a < 1)) throw new Error(`${what}: abar = ${a} at step ${grid.steps[k]} must be in (0, 1)`);
    if (!(p > a))
      throw new Error(
        `${what}: abar must increase along the chain, got ${a} at step ${grid.steps[k]} and ${p} after it`,
      );
  }
}
