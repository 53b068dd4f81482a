// Plain DDPM ancestral sampling (Ho et al. 2020, Alg. 2) with any Denoiser, on the GPU:
//   x_T ~ N(0, I);  x_{t-1} = 1 / sqrt(alpha_t) (x_t - beta_t / sqrt(1 - abar_t) eps_hat(x_t, t)) + sqrt(beta_t) z,
// z ~ N(0, I) except at the last step. With `steps` < T the chain visits respaced steps (schedules.ts
// respace, 'linspace': T .. 1) with the betas that keep abar (iDDPM). x_T and every z are Philox draws
// of (seed, row, step, stream), so a seed fixes the samples.
import type { Context } from '../runtime/context.js';
import { checkInt, seedKey } from '../runtime/check.js';
import { beginBatch, submit, sync } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback } from '../runtime/tensor.js';
import { standardNormals } from '../kernels/forward_noise.js';
import { ddpmStepPipeline, encodeDdpmStep } from '../kernels/ddpm_step.js';
import type { Denoiser } from './denoiser.js';
import { respace } from './schedules.js';

/** Philox stream of the sampler's x_T (step tag 0) and z (step tag = the step taken). */
export const SAMPLE_STREAM = 48;

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
  const n = checkInt('ddpm: n', opts.n, 1, 1 << 20);
  const T = d.schedule.T;
  const count = checkInt('ddpm: steps', opts.steps ?? T, 1, T);
  const key = seedKey(opts.seed);
  const D = d.dim;
  const plan = respace(d.schedule, count, 'linspace');
  const x = createTensor(ctx, [n, D], {
    data: await standardNormals(ctx, n, D, { seed: opts.seed, stream: SAMPLE_STREAM, step: 0 }),
    label: 'ddpm.x',
  });
  const pipe = await ddpmStepPipeline(ctx);
  try {
    for (let k = 0; k < count; k++) {
      const step = plan.steps[k]!;
      const beta = plan.betas[k]!;
      const abar = plan.alphasCumprod[k]!;
      const eps = await d.predictEps(ctx, x, n, step, opts.classes);
      const b = beginBatch(ctx, 'ddpm step');
      encodeDdpmStep(b, pipe, {
        epsHat: eps, x, rows: n, cols: D, key, step, stream: SAMPLE_STREAM,
        c1: 1 / Math.sqrt(1 - beta), c2: beta / Math.sqrt(1 - abar), sigma: k === count - 1 ? 0 : Math.sqrt(beta),
      });
      submit(b);
      disposeTensor(eps);
      // Bound the work in flight (and report progress) without a readback.
      if (k % 25 === 24) await sync(ctx);
      opts.onStep?.(k + 1, count);
    }
    return (await readback(ctx, x)) as Float32Array;
  } finally {
    disposeTensor(x);
  }
}
