// Plain DDPM ancestral sampling (Ho et al. 2020, Alg. 2) with any Denoiser, on the GPU:
//   x_T ~ N(0, I);  x_{t-1} = 1 / sqrt(alpha_t) (x_t - beta_t / sqrt(1 - abar_t) eps_hat(x_t, t)) + sqrt(beta_t) z,
// z ~ N(0, I) except at the last step. With `steps` < T the chain visits respaced steps ('linspace': T .. 1)
// with the betas that keep abar (iDDPM). It is the samplers' DDPM scheduler with the 'fixed_large'
// variance (src/samplers/), kept as the one-call sampler of `fluctus train`'s sample grid. x_T and every z
// are Philox draws of (seed, row, step, SAMPLE_STREAM), so a seed fixes the samples.
import type { Context } from '../runtime/context.js';
import { checkInt } from '../runtime/check.js';
import { ddpmScheduler, SAMPLE_STREAM } from './scheduler.js';
import { sample } from './sample.js';
import type { Denoiser } from '../models/denoiser.js';

export { SAMPLE_STREAM };

export interface DdpmOptions {
  /** Number of samples. */
  n: number;
  /** (n) class per sample (-1 = unconditional), or null for all unconditional. */
  classes: Int32Array | null;
  seed: number;
  /** Sampling steps (default T: the full chain). */
  steps?: number;
  onStep?: (done: number, total: number) => void;
}

/** n samples (n, D) row-major from the denoiser by ancestral sampling. */
export async function sampleDdpm(ctx: Context, d: Denoiser, opts: DdpmOptions): Promise<Float32Array> {
  checkInt('ddpm: n', opts.n, 1, 1 << 20);
  const steps = checkInt('ddpm: steps', opts.steps ?? d.schedule.T, 1, d.schedule.T);
  const r = await sample(ctx, d, {
    n: opts.n,
    classes: opts.classes,
    seed: opts.seed,
    steps,
    onStep: opts.onStep,
    scheduler: ddpmScheduler(d.schedule, { variance: 'fixed_large' }),
  });
  return r.x;
}
