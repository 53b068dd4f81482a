// Schedulers in diffusers' vocabulary: a scheduler holds a schedule and its kind's options;
// setTimesteps(n, { start, spacing }) chooses the grid (grid.ts) and step(ctx, t, ...) encodes one
// update x_t -> x_prev on the GPU (shaders/sampler_step.wgsl), with z from Philox (seed, row, t,
// SAMPLE_STREAM). The coefficients come from grid.ts in float64.
import { checkInt, seedKey } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { beginBatch, submit } from '../runtime/dispatch.js';
import type { Tensor } from '../runtime/tensor.js';
import { encodeSamplerStep, samplerStepPipeline } from '../kernels/sampler_step.js';
import type { Schedule } from '../schedule/schedules.js';
import {
  checkGridAbar,
  ddimCoefficients,
  ddpmCoefficients,
  DDPM_VARIANCES,
  samplerGrid,
  type DdpmVariance,
  type GridOptions,
  type SamplerGrid,
  type StepCoefficients,
} from './grid.js';
import { SAMPLE_STREAM } from '../kernels/philox_streams.js';

/** Philox stream of the samplers' x_T (step tag 0) and z (step tag = the step taken); kernels/philox_streams.ts. */
export { SAMPLE_STREAM };

export type SchedulerKind = 'ddpm' | 'ddim';

export interface StepArgs {
  /** (n, D) x_t, updated in place to x at the next grid step (x_0 after the last). */
  x: Tensor;
  /** eps_hat (n, D); with w != 0 the update uses epsA + w (epsB - epsA) (classifier-free guidance). */
  epsA: Tensor;
  epsB?: Tensor;
  w?: number;
  n: number;
  seed: number;
}

export interface Scheduler {
  readonly kind: SchedulerKind;
  readonly schedule: Schedule;
  /** DDIM's eta (DDPM: 1, the ancestral noise). */
  readonly eta: number;
  /** DDPM's variance choice ('fixed_small' for DDIM, which eta = 1 reproduces). */
  readonly variance: DdpmVariance;
  /** Descending grid steps set by setTimesteps (empty before). */
  timesteps: Int32Array;
  /** The grid with its abar values (null before setTimesteps). */
  grid: SamplerGrid | null;
  /** Sets the grid: n steps from `start` (default T) with `spacing` (default 'linspace'); returns the steps. */
  setTimesteps(n: number, opts?: GridOptions): Int32Array;
  /** Float64 coefficients of the update taken at grid step t: x_prev = a x_t + b eps + sigma z. */
  coefficients(t: number): StepCoefficients;
  /** Encodes and submits the update at grid step t on the GPU (in place on args.x). */
  step(ctx: Context, t: number, args: StepArgs): Promise<void>;
}

export interface DdpmSchedulerOptions {
  /** 'fixed_small' (default, diffusers) or 'fixed_large' (Ho et al. Alg. 2, as samplers/ddpm.ts). */
  variance?: DdpmVariance;
}

export interface DdimSchedulerOptions {
  /** Stochasticity in [0, 1] (default 0: deterministic DDIM; 1: DDPM with the posterior variance). */
  eta?: number;
}

function makeScheduler(kind: SchedulerKind, schedule: Schedule, eta: number, variance: DdpmVariance): Scheduler {
  const indexOf = (s: Scheduler, t: number): number => {
    if (!s.grid) throw new Error(`${kind} scheduler: call setTimesteps before step or coefficients`);
    const k = s.timesteps.indexOf(t);
    if (k < 0)
      throw new Error(
        `${kind} scheduler: step ${String(t)} is not on the grid [${Array.from(s.timesteps).join(', ')}]`,
      );
    return k;
  };
  const sch: Scheduler = {
    kind,
    schedule,
    eta,
    variance,
    timesteps: new Int32Array(0),
    grid: null,
    setTimesteps(n, opts = {}) {
      const grid = samplerGrid(schedule, n, opts);
      checkGridAbar(grid, `${kind} scheduler`);
      sch.grid = grid;
      sch.timesteps = grid.steps;
      return grid.steps;
    },
    coefficients(t) {
      const k = indexOf(sch, t);
      const g = sch.grid!;
      const abar = g.alphasCumprod[k]!;
      const prev = g.prevAlphasCumprod[k]!;
      return kind === 'ddpm'
        ? ddpmCoefficients(abar, prev, variance, k === g.steps.length - 1)
        : ddimCoefficients(abar, prev, eta);
    },
    async step(ctx, t, s) {
      const c = sch.coefficients(t);
      const w = s.w ?? 0;
      if (!Number.isFinite(w)) throw new Error(`${kind} scheduler: guidance weight w must be finite, got ${w}`);
      if (w !== 0 && !s.epsB) throw new Error(`${kind} scheduler: guidance weight w = ${w} needs epsB`);
      const D = s.x.shape[s.x.shape.length - 1]!;
      checkInt(`${kind} scheduler: n`, s.n, 1, Math.floor(s.x.size / D));
      const p = await samplerStepPipeline(ctx);
      const batch = beginBatch(ctx, `${kind} step`);
      encodeSamplerStep(batch, p, {
        epsA: s.epsA,
        epsB: s.epsB ?? s.epsA,
        x: s.x,
        rows: s.n,
        cols: D,
        key: seedKey(s.seed),
        step: t,
        stream: SAMPLE_STREAM,
        a: c.a,
        b: c.b,
        sigma: c.sigma,
        w,
      });
      submit(batch);
    },
  };
  return sch;
}

/** DDPM ancestral sampling (Ho et al. 2020) on any grid (respaced betas keep abar, iDDPM). */
export function ddpmScheduler(schedule: Schedule, opts: DdpmSchedulerOptions = {}): Scheduler {
  const variance = opts.variance ?? 'fixed_small';
  if (!DDPM_VARIANCES.includes(variance)) {
    throw new Error(`ddpm scheduler: unknown variance '${String(variance)}'; valid: ${DDPM_VARIANCES.join(', ')}`);
  }
  return makeScheduler('ddpm', schedule, 1, variance);
}

/** DDIM (Song et al. 2021) with stochasticity eta in [0, 1]. */
export function ddimScheduler(schedule: Schedule, opts: DdimSchedulerOptions = {}): Scheduler {
  const eta = opts.eta ?? 0;
  if (typeof eta !== 'number' || !(eta >= 0 && eta <= 1))
    throw new Error(`ddim scheduler: eta must be in [0, 1], got ${String(eta)}`);
  return makeScheduler('ddim', schedule, eta, 'fixed_small');
}
