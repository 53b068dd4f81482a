// Collapse onto training points (Biroli, Bonnaire, de Bortoli & Mézard 2024; DESIGN.md §1, "Speciation and
// collapse"): the step where the exact-score sampler starts to reproduce training points.
// Measurement: run the reverse chain (the engine's scheduler, on the GPU) from n seeds with the exact-score
// (empirical) denoiser; at every grid step take Tweedie's x0_hat = (x_t - sqrt(1 - abar) eps_hat) /
// sqrt(abar) and its nearest training point (squared Euclidean distance, on the host in float64).
// Rule: a trajectory settles at the earliest grid step from which its nearest-neighbour index no longer
// changes until the end of the chain; the collapse step is the largest grid step by which at least
// `fraction` of the trajectories have settled. Default fraction 0.5 (the median trajectory): the closed
// form describes the typical trajectory, and in float64 simulations (DDPM, T = 1000, d = 4..32, n = 16..256)
// the median settling time lies within about 10% of t_C in OU time while the 90% point comes markedly later
// in the reverse chain (t about half of t_C); settledFraction gives the whole curve for any other choice.
// Closed form for n training points drawn from N(0, sigma^2 I_d), with OU time abar = e^{-2t}:
//   t_C = 1/2 log(1 + sigma^2 / (n^{2/d} - 1))
// (collapse when the noised distribution's volume per training point equals the noise ball's:
// n^{2/d} = (sigma^2 e^{-2t} + 1 - e^{-2t}) / (1 - e^{-2t})), exact as d -> infinity with log(n) / d fixed.
import { checkFinite, checkInt, checkMatrix } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { createTensor, disposeTensor, readback } from '../runtime/tensor.js';
import { standardNormals } from '../kernels/forward_noise.js';
import type { Denoiser } from '../models/denoiser.js';
import { abarToOuTime, ouTimeToAbar, type Schedule } from '../schedule/schedules.js';
import type { Scheduler } from '../samplers/scheduler.js';
import { SAMPLE_STREAM } from '../samplers/scheduler.js';

/** Closed-form collapse time t_C (OU time) and its abar for n points from N(0, sigma2 I_d) (see the file comment). */
export function collapseTimeGaussian(n: number, d: number, sigma2: number): { t: number; abar: number } {
  checkInt('collapseTimeGaussian: n', n, 2, 2 ** 53);
  checkInt('collapseTimeGaussian: d', d, 1, 2 ** 30);
  if (!(Number.isFinite(sigma2) && sigma2 > 0))
    throw new Error(`collapseTimeGaussian: sigma2 must be finite and > 0, got ${sigma2}`);
  const t = 0.5 * Math.log1p(sigma2 / Math.expm1((2 * Math.log(n)) / d));
  return { t, abar: ouTimeToAbar(t) };
}

/** The step whose abar is nearest to `abar` (ties: the smaller step). */
export function stepOfAbar(schedule: Schedule, abar: number): number {
  let best = 1;
  for (let i = 2; i <= schedule.T; i++)
    if (Math.abs(schedule.alphasCumprod[i - 1]! - abar) < Math.abs(schedule.alphasCumprod[best - 1]! - abar)) best = i;
  return best;
}

export interface CollapseOptions {
  /** Trajectories. */
  n: number;
  seed: number;
  /** Scheduler with its grid set, or `steps` (and `start`) to set it. */
  scheduler: Scheduler;
  steps?: number;
  start?: number;
  /** Fraction of settled trajectories that defines the collapse step, in (0, 1] (default 0.5). */
  fraction?: number;
  /** (n) class per chain for a conditional run (null: unconditional, the default). */
  classes?: Int32Array | null;
}

export interface CollapseResult {
  /** (S) the grid's steps, descending, and their abar. */
  steps: Int32Array;
  abar: Float64Array;
  /** (n, S) index (caller's row order of y) of x0_hat's nearest training point at each grid step. */
  nearest: Int32Array;
  /** (n) grid step at which each trajectory settled (its nearest index is final from there on). */
  settleStep: Int32Array;
  /** (S) fraction of trajectories settled at or before each grid step (non-decreasing along the chain). */
  settledFraction: Float64Array;
  fraction: number;
  /** The largest grid step with settledFraction >= fraction, its abar and OU time -log(abar) / 2. */
  collapseStep: number;
  collapseAbar: number;
  collapseOuTime: number;
  /** (n) distance of each final sample x_0 to its nearest training point. */
  finalDistance: Float64Array;
  /** Number of distinct training points the final samples are nearest to. */
  distinctFinal: number;
}

/**
 * Runs the chain of an exact-score denoiser (normally the empirical denoiser of y) and measures where its
 * samples collapse onto the training rows y (M, D) row-major f32 (see the file comment for the rule).
 */
export async function collapseStep(
  ctx: Context,
  d: Denoiser,
  y: Float32Array,
  shape: readonly [number, number],
  opts: CollapseOptions,
): Promise<CollapseResult> {
  const [M, D] = checkMatrix('collapseStep: y', y, shape);
  if (D !== d.dim) throw new Error(`collapseStep: y has ${D} columns but the denoiser's dimension is ${d.dim}`);
  checkFinite('collapseStep: y', y, D);
  const n = checkInt('collapseStep: n', opts.n, 1, 1 << 20);
  const fraction = opts.fraction ?? 0.5;
  if (!(fraction > 0 && fraction <= 1)) throw new Error(`collapseStep: fraction must be in (0, 1], got ${fraction}`);
  const sch = opts.scheduler;
  if (opts.steps !== undefined) sch.setTimesteps(opts.steps, opts.start !== undefined ? { start: opts.start } : {});
  if (!sch.grid) throw new Error('collapseStep: the scheduler has no grid; call setTimesteps or pass steps');
  const grid = Int32Array.from(sch.timesteps);
  const S = grid.length;
  const yy = new Float64Array(M);
  for (let j = 0; j < M; j++) for (let k = 0; k < D; k++) yy[j]! += y[j * D + k]! ** 2;
  const nearest = new Int32Array(n * S);
  const x0hat = new Float64Array(D);
  const x = createTensor(ctx, [n, D], {
    data: await standardNormals(ctx, n, D, { seed: opts.seed, stream: SAMPLE_STREAM, step: 0 }),
    label: 'collapse.x',
  });
  let final: Float32Array;
  try {
    for (let k = 0; k < S; k++) {
      const t = grid[k]!;
      const abar = d.schedule.alphasCumprod[t - 1]!;
      const [ra, rs] = [Math.sqrt(abar), Math.sqrt(1 - abar)];
      const eps = await d.predictEps(ctx, x, n, t, opts.classes ?? null);
      try {
        const xs = (await readback(ctx, x, 0, n * D)) as Float32Array;
        const e = (await readback(ctx, eps, 0, n * D)) as Float32Array;
        for (let i = 0; i < n; i++) {
          for (let c = 0; c < D; c++) x0hat[c] = (xs[i * D + c]! - rs * e[i * D + c]!) / ra;
          nearest[i * S + k] = nearestRow(y, yy, M, D, x0hat).index;
        }
        await sch.step(ctx, t, { x, epsA: eps, n, seed: opts.seed });
      } finally {
        disposeTensor(eps);
      }
    }
    final = (await readback(ctx, x, 0, n * D)) as Float32Array;
  } finally {
    disposeTensor(x);
  }
  const settleStep = new Int32Array(n);
  const settledAt = new Float64Array(S);
  for (let i = 0; i < n; i++) {
    const last = nearest[i * S + S - 1]!;
    let k = S - 1;
    while (k > 0 && nearest[i * S + k - 1] === last) k--;
    settleStep[i] = grid[k]!;
    settledAt[k]!++;
  }
  const settledFraction = new Float64Array(S);
  let acc = 0;
  for (let k = 0; k < S; k++) {
    acc += settledAt[k]!;
    settledFraction[k] = acc / n;
  }
  let kc = S - 1;
  for (let k = 0; k < S; k++) {
    if (settledFraction[k]! >= fraction) {
      kc = k;
      break;
    }
  }
  const finalDistance = new Float64Array(n);
  const seen = new Set<number>();
  for (let i = 0; i < n; i++) {
    const r = nearestRow(y, yy, M, D, final.subarray(i * D, (i + 1) * D));
    finalDistance[i] = Math.sqrt(Math.max(r.dist2, 0));
    seen.add(r.index);
  }
  const collapseAbar = d.schedule.alphasCumprod[grid[kc]! - 1]!;
  return {
    steps: grid,
    abar: Float64Array.from(grid, (t) => d.schedule.alphasCumprod[t - 1]!),
    nearest,
    settleStep,
    settledFraction,
    fraction,
    collapseStep: grid[kc]!,
    collapseAbar,
    collapseOuTime: abarToOuTime(collapseAbar),
    finalDistance,
    distinctFinal: seen.size,
  };
}

/** Nearest row of y (M, D) to v by ||v - y_j||^2 = ||v||^2 - 2 v.y_j + ||y_j||^2 (float64); first index on ties. */
function nearestRow(
  y: Float32Array,
  yy: Float64Array,
  M: number,
  D: number,
  v: ArrayLike<number>,
): { index: number; dist2: number } {
  let vv = 0;
  for (let c = 0; c < D; c++) vv += v[c]! ** 2;
  let best = 0;
  let bestD = Infinity;
  for (let j = 0; j < M; j++) {
    let dot = 0;
    for (let c = 0; c < D; c++) dot += v[c]! * y[j * D + c]!;
    const dj = yy[j]! - 2 * dot;
    if (dj < bestD) {
      bestD = dj;
      best = j;
    }
  }
  return { index: best, dist2: bestD + vv };
}
