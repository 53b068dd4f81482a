// Reverse trajectories for the explorer with the exact empirical denoiser of the chosen data
// (src/models/empirical-denoiser.ts) and the samplers of src/samplers (DDPM or DDIM schedulers,
// Gaussian late start), from two starts:
//   plain:      x_T ~ N(0, I) on the grid linspace(0, T, n);
//   late start: x_s ~ N(mu_s, V diag(lambda) V^T + sigma²_rest (I - V V^T)) (Raya & Ambrogioni 2023;
//               statistics by src/analysis/late-start.ts on the exact model, i.e. the noised empirical
//               data's own mean and covariance) on linspace(0, s, n s / T): the same step density.
// The samplers' sample() returns only x_0, so the chains run here step by step through the same
// scheduler.step and read every state back for the page's animation. The late-start draw reuses the
// plain start's normals (drawLateStart), so both rows start from the same random numbers.
import type { Context } from '../../runtime/context.js';
import { createTensor, disposeTensor, readback } from '../../runtime/tensor.js';
import { standardNormals } from '../../kernels/forward_noise.js';
import { planEvents } from '../../analysis/events.js';
import { fluctuationModel } from '../../analysis/fluctuations.js';
import { lateStartStatistics } from '../../analysis/late-start.js';
import type { LateStartGaussian } from '../../formats/late-start.js';
import type { Dataset } from '../../data/dataset.js';
import { empiricalDenoiser } from '../../models/empirical-denoiser.js';
import type { Schedule } from '../../schedule/schedules.js';
import type { Denoiser } from '../../models/denoiser.js';
import { ddimScheduler, ddpmScheduler, drawLateStart, SAMPLE_STREAM, type Scheduler } from '../../samplers/index.js';
import { TRAJECTORY_SAMPLERS, type TrajectorySampler } from './options.js';

export interface Chain {
  label: string;
  /** Steps of the recorded states, descending, ending at 0 (the sample). */
  steps: number[];
  /** (n, D) row-major state at each recorded step. */
  states: Float32Array[];
}

export interface Trajectories {
  n: number;
  dim: number;
  plain: Chain;
  late: Chain;
  lateStep: number;
}

export interface TrajectoryRun {
  n: number;
  sampler: TrajectorySampler;
  samplerSteps: number;
  lateStep: number;
  rank: number;
  seed: number;
  onStep?: (done: number, total: number) => void;
}

/** The late-start Gaussian of all the data at step s, from the exact fluctuation model. */
export async function lateStartGaussian(
  ctx: Context,
  data: Dataset,
  schedule: Schedule,
  step: number,
  rank: number,
  seed: number,
): Promise<LateStartGaussian> {
  const [N, D] = data.shape;
  const counts = new Array<number>(data.classes).fill(0);
  for (const l of data.labels) counts[l]!++;
  const plan = planEvents(data.classNames, counts, 0, []);
  const model = await fluctuationModel(ctx, {
    x: data.x,
    labels: data.labels,
    n: N,
    dim: D,
    classes: data.classes,
    plan,
    schedule,
    method: 'exact',
    centring: 'own',
    seed,
    noiseCount: 0,
  });
  const file = await lateStartStatistics(model, plan, schedule, [step], rank, {
    name: data.name,
    dim: D,
    imageShape: data.imageShape,
    classNames: data.classNames,
  });
  return file.steps[0]!.all;
}

/** Runs the scheduler's grid (set) from x at its first step down to x_0, recording every state. */
async function runChain(
  ctx: Context,
  den: Denoiser,
  sch: Scheduler,
  x0: Float32Array,
  n: number,
  seed: number,
  label: string,
  tick: () => void,
): Promise<Chain> {
  const D = den.dim;
  const steps = Array.from(sch.timesteps);
  const x = createTensor(ctx, [n, D], { data: x0, label: `explorer.${label}` });
  const chain: Chain = { label, steps: [steps[0]!], states: [x0] };
  try {
    for (let k = 0; k < steps.length; k++) {
      const eps = await den.predictEps(ctx, x, n, steps[k]!, null);
      try {
        await sch.step(ctx, steps[k]!, { x, epsA: eps, n, seed });
      } finally {
        disposeTensor(eps);
      }
      chain.steps.push(k + 1 < steps.length ? steps[k + 1]! : 0);
      chain.states.push((await readback(ctx, x)) as Float32Array);
      tick();
    }
    return chain;
  } finally {
    disposeTensor(x);
  }
}

function scheduler(kind: TrajectorySampler, schedule: Schedule): Scheduler {
  if (kind === 'ddpm') return ddpmScheduler(schedule);
  if (kind === 'ddim') return ddimScheduler(schedule, { eta: 0 });
  throw new Error(`sampler '${String(kind)}' is not one of ${TRAJECTORY_SAMPLERS.join(', ')}`);
}

/** Plain and late-start chains on the data's empirical denoiser (unconditional). */
export async function reverseTrajectories(
  ctx: Context,
  data: Dataset,
  schedule: Schedule,
  run: TrajectoryRun,
): Promise<Trajectories> {
  const [, D] = data.shape;
  const n = run.n;
  const T = schedule.T;
  const s = Math.max(1, Math.min(T, run.lateStep));
  const plainSch = scheduler(run.sampler, schedule);
  plainSch.setTimesteps(Math.min(run.samplerSteps, T));
  const lateSch = scheduler(run.sampler, schedule);
  lateSch.setTimesteps(Math.max(1, Math.min(s, Math.round((run.samplerSteps * s) / T))), { start: s });
  const total = plainSch.timesteps.length + lateSch.timesteps.length;
  let done = 0;
  const tick = () => run.onStep?.(++done, total);
  const img = data.imageShape;
  const den = empiricalDenoiser(ctx, data.x, data.shape, schedule, { imageShape: img ? [img[0], img[1], 1] : null });
  try {
    const xT = await standardNormals(ctx, n, D, { seed: run.seed, stream: SAMPLE_STREAM, step: 0 });
    const g = await lateStartGaussian(ctx, data, schedule, s, Math.min(run.rank, D), run.seed);
    const xs = await drawLateStart(ctx, { all: g }, D, n, run.seed, null);
    const plain = await runChain(
      ctx,
      den,
      plainSch,
      xT,
      n,
      run.seed,
      `plain start at T = ${T} (${plainSch.timesteps.length} ${run.sampler} steps)`,
      tick,
    );
    const late = await runChain(
      ctx,
      den,
      lateSch,
      xs,
      n,
      run.seed,
      `Gaussian late start at s = ${s} (${lateSch.timesteps.length} ${run.sampler} steps)`,
      tick,
    );
    return { n, dim: D, plain, late, lateStep: s };
  } finally {
    den.dispose();
  }
}
