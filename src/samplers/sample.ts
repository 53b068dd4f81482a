// Sampling with any Denoiser and Scheduler (DESIGN.md §3): start at the grid's first step s from N(0, I)
// or from a Gaussian late start, run the scheduler's updates down to x_0 with optional classifier-free
// guidance, and count the denoiser calls. SDEdit (Meng et al. 2022) noises an input to step s and
// denoises from there. Every random number is Philox keyed on (seed, row, step, stream): x_s and the
// late-start normals on SAMPLE_STREAM with step tag 0, each update's z on SAMPLE_STREAM with the step
// taken, SDEdit's forward noise on SDEDIT_STREAM; so a seed fixes the samples bit for bit.
import type { Context } from '../runtime/context.js';
import { checkFinite, checkInt } from '../runtime/check.js';
import { sync } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback, type Tensor } from '../runtime/tensor.js';
import { forwardNoise, standardNormals } from '../kernels/forward_noise.js';
import { checkDenoiseArgs, type Denoiser } from '../models/denoiser.js';
import type { Spacing } from '../schedule/schedules.js';
import type { LateStartFile } from '../formats/late-start.js';
import { checkGuidance, guidanceAt, negativeLabels, type Guidance, type GuidanceStep } from './guidance.js';
import { drawLateStart, lateStartFromFile, type LateStartSpec } from './late-start.js';
import { SAMPLE_STREAM, type Scheduler } from './scheduler.js';
import { SDEDIT_STREAM } from '../kernels/philox_streams.js';

/** Philox stream of SDEdit's forward noise (distinct from the sampler's SAMPLE_STREAM); kernels/philox_streams.ts. */
export { SDEDIT_STREAM };

/** Where the chain starts: N(0, I), a late-start file's statistics at s, or given Gaussians. */
export type StartFrom =
  | 'noise'
  | { kind: 'late-start'; file: LateStartFile; use?: 'class' | 'all' }
  | ({ kind: 'gaussian' } & LateStartSpec);

export interface SampleOptions {
  /** Number of samples. */
  n: number;
  /** (n) class per row (NULL_CLASS = unconditional), or null for all unconditional. */
  classes: Int32Array | null;
  seed: number;
  scheduler: Scheduler;
  /** Grid size: calls scheduler.setTimesteps(steps, { start, spacing }). Omitted: the grid the
   * scheduler already has (its first step must be start.step when given), else every step from s. */
  steps?: number;
  spacing?: Spacing;
  /** First grid step s (default T) and the start distribution (default 'noise'). */
  start?: { step?: number; from?: StartFrom };
  guidance?: Guidance;
  onStep?: (done: number, total: number) => void;
}

export interface SampleResult {
  /** (n, D) row-major samples x_0. */
  x: Float32Array;
  /** predictEps calls made (each over the whole batch). */
  denoiserCalls: number;
  /** The grid visited, descending. */
  timesteps: Int32Array;
}

function checkSchedules(sch: Scheduler, d: Denoiser): void {
  const a = sch.schedule;
  const b = d.schedule;
  if (a.name !== b.name || a.T !== b.T) {
    throw new Error(
      `sampler: the scheduler's schedule ('${a.name}', T = ${a.T}) differs from the denoiser's ('${b.name}', T = ${b.T})`,
    );
  }
  for (let i = 0; i < a.T; i++) {
    if (a.alphasCumprod[i] !== b.alphasCumprod[i]) {
      throw new Error(
        `sampler: the scheduler's abar at step ${i + 1} is ${a.alphasCumprod[i]} but the denoiser's is ${b.alphasCumprod[i]}`,
      );
    }
  }
}

/** Sets or checks the scheduler's grid for this call; returns it. */
function resolveGrid(
  sch: Scheduler,
  d: Denoiser,
  opts: Pick<SampleOptions, 'steps' | 'spacing'>,
  startStep: number | undefined,
): Int32Array {
  checkSchedules(sch, d);
  if (startStep !== undefined) checkInt('start step', startStep, 1, d.schedule.T);
  if (opts.steps !== undefined)
    return sch.setTimesteps(opts.steps, {
      ...(startStep !== undefined ? { start: startStep } : {}),
      ...(opts.spacing ? { spacing: opts.spacing } : {}),
    });
  if (sch.grid && (startStep === undefined || sch.timesteps[0] === startStep)) return sch.timesteps;
  if (sch.grid)
    throw new Error(
      `sampler: start step ${startStep} differs from the scheduler's grid, which starts at ${sch.timesteps[0]}; pass steps to set a new grid`,
    );
  const s = startStep ?? d.schedule.T;
  return sch.setTimesteps(s, { start: s, ...(opts.spacing ? { spacing: opts.spacing } : {}) });
}

interface Chain {
  n: number;
  classes: Int32Array | null;
  seed: number;
  scheduler: Scheduler;
  guidance: Guidance | undefined;
  onStep: SampleOptions['onStep'];
}

/** Checks classes and guidance against the denoiser before any work. */
function checkChain(d: Denoiser, c: Chain, first: number): Int32Array | null {
  checkDenoiseArgs(d, c.n, first, c.classes);
  if (!c.guidance) return null;
  if (c.classes === null)
    throw new Error(`sampler: guidance '${c.guidance.kind}' needs classes (got null: every row unconditional)`);
  checkGuidance(c.guidance, d.schedule.T, c.n);
  const neg = c.guidance.kind === 'negative' ? negativeLabels(c.guidance, c.n) : null;
  if (neg) checkDenoiseArgs(d, c.n, first, neg);
  return neg;
}

/** Runs the grid's updates in place on x (n, D); returns the denoiser calls made. */
async function runChain(
  ctx: Context,
  d: Denoiser,
  x: Tensor,
  c: Chain,
  steps: Int32Array,
  negative: Int32Array | null,
): Promise<number> {
  let calls = 0;
  const labels = (which: GuidanceStep['a']): Int32Array | null =>
    which === 'cond' ? c.classes : which === 'uncond' ? null : negative;
  for (let k = 0; k < steps.length; k++) {
    const t = steps[k]!;
    const plan = guidanceAt(c.guidance, t);
    // Both guidance predictions in one evaluation where the denoiser offers it (the same bits as two).
    const pair =
      plan.b && d.predictEpsPair ? await d.predictEpsPair(ctx, x, c.n, t, labels(plan.a), labels(plan.b)) : null;
    const epsA = pair ? pair[0] : await d.predictEps(ctx, x, c.n, t, labels(plan.a));
    let epsB: Tensor | undefined = pair?.[1];
    try {
      if (plan.b && !epsB) epsB = await d.predictEps(ctx, x, c.n, t, labels(plan.b));
      calls += plan.calls;
      await c.scheduler.step(ctx, t, { x, epsA, ...(epsB ? { epsB } : {}), w: plan.w, n: c.n, seed: c.seed });
    } finally {
      disposeTensor(epsA);
      if (epsB) disposeTensor(epsB);
    }
    // Bound the work in flight (and report progress) without a readback.
    if (k % 25 === 24) await sync(ctx);
    c.onStep?.(k + 1, steps.length);
  }
  return calls;
}

async function finish(
  ctx: Context,
  d: Denoiser,
  x: Tensor,
  c: Chain,
  steps: Int32Array,
  negative: Int32Array | null,
): Promise<SampleResult> {
  try {
    const denoiserCalls = await runChain(ctx, d, x, c, steps, negative);
    return { x: (await readback(ctx, x)) as Float32Array, denoiserCalls, timesteps: Int32Array.from(steps) };
  } finally {
    disposeTensor(x);
  }
}

/** n samples (n, D) from the denoiser: see SampleOptions. */
export async function sample(ctx: Context, d: Denoiser, opts: SampleOptions): Promise<SampleResult> {
  const n = checkInt('sampler: n', opts.n, 1, 1 << 20);
  const D = d.dim;
  const steps = resolveGrid(opts.scheduler, d, opts, opts.start?.step);
  const s = steps[0]!;
  const c: Chain = {
    n,
    classes: opts.classes,
    seed: opts.seed,
    scheduler: opts.scheduler,
    guidance: opts.guidance,
    onStep: opts.onStep,
  };
  const negative = checkChain(d, c, s);
  const from = opts.start?.from ?? 'noise';
  let x0: Float32Array;
  if (from === 'noise') x0 = await standardNormals(ctx, n, D, { seed: opts.seed, stream: SAMPLE_STREAM, step: 0 });
  else if (from.kind === 'late-start') {
    const use = from.use ?? (opts.classes ? 'class' : 'all');
    if (use !== 'class' && use !== 'all')
      throw new Error(`sampler: late-start use must be 'class' or 'all', got '${String(use)}'`);
    x0 = await drawLateStart(ctx, lateStartFromFile(from.file, d, s, use), D, n, opts.seed, opts.classes);
  } else if (from.kind === 'gaussian') x0 = await drawLateStart(ctx, from, D, n, opts.seed, opts.classes);
  else
    throw new Error(
      `sampler: start.from must be 'noise', { kind: 'late-start', file } or { kind: 'gaussian', all, perClass }, got ${JSON.stringify(from)}`,
    );
  const x = createTensor(ctx, [n, D], { data: x0, label: 'sampler.x' });
  return finish(ctx, d, x, c, steps, negative);
}

export interface SdeditOptions extends Omit<SampleOptions, 'start' | 'n'> {
  /** (n, D) row-major inputs to edit. */
  x0: Float32Array;
  /** Strength as a step: x0 is noised to the grid's first step s and denoised from there. */
  start: number;
}

/**
 * SDEdit: x_s = sqrt(abar_s) x0 + sqrt(1 - abar_s) eps (forwardNoise, eps keyed on (seed, row, s,
 * SDEDIT_STREAM)) at the grid's first step s, then the scheduler's chain from s to x_0.
 */
export async function sdedit(ctx: Context, d: Denoiser, opts: SdeditOptions): Promise<SampleResult> {
  const D = d.dim;
  if (!opts.x0 || opts.x0.length === 0 || opts.x0.length % D !== 0) {
    throw new Error(`sdedit: x0 must hold n * D values with D = ${D}, got ${opts.x0?.length}`);
  }
  const n = checkInt('sdedit: n', opts.x0.length / D, 1, 1 << 20);
  checkFinite('sdedit: x0', opts.x0, D);
  const steps = resolveGrid(opts.scheduler, d, opts, opts.start);
  const c: Chain = {
    n,
    classes: opts.classes,
    seed: opts.seed,
    scheduler: opts.scheduler,
    guidance: opts.guidance,
    onStep: opts.onStep,
  };
  const negative = checkChain(d, c, steps[0]!);
  const xs = await forwardNoise(ctx, opts.x0, [n, D], {
    schedule: d.schedule,
    steps: [steps[0]!],
    seed: opts.seed,
    stream: SDEDIT_STREAM,
  });
  const x = createTensor(ctx, [n, D], { data: xs!, label: 'sdedit.x' });
  return finish(ctx, d, x, c, steps, negative);
}
