// One sampler update on the GPU (DDPM ancestral or DDIM with eta, optionally with classifier-free
// guidance), in place on x: x <- a x + b (eps_a + w (eps_b - eps_a)) + sigma z, with z drawn from Philox
// counters (d / 4, row, step, stream) so a sample depends only on (seed, row, step). The schedulers
// (src/samplers/scheduler.ts) compute (a, b, sigma) per step on the host in float64.
import type { Context } from '../runtime/context.js';
import { dispatch, grid2d, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import type { Tensor } from '../runtime/tensor.js';
import { RNG_LIBS } from './philox.js';

export const SAMPLER_STEP: KernelSpec = {
  name: 'sampler_step',
  libs: RNG_LIBS,
  storage: ['read', 'read', 'read_write'],
};
export const SAMPLER_STEP_WG = 64;

export function samplerStepPipeline(ctx: Context): Promise<CachedPipeline> {
  return getPipeline(ctx, SAMPLER_STEP, { constants: { WG: SAMPLER_STEP_WG } });
}

export interface SamplerStepArgs {
  /** (rows, cols) eps_a; eps_b (rows, cols) is read only when w != 0 (pass eps_a again otherwise). */
  epsA: Tensor;
  epsB: Tensor;
  /** (rows, cols), updated in place to the next state. */
  x: Tensor;
  rows: number;
  cols: number;
  key: readonly [number, number];
  /** Counter word of z (the step being taken) and its stream. */
  step: number;
  stream: number;
  a: number;
  b: number;
  sigma: number;
  /** Guidance weight in e = eps_a + w (eps_b - eps_a); 0 uses eps_a alone. */
  w: number;
}

export function encodeSamplerStep(batch: Batch, p: CachedPipeline, s: SamplerStepArgs): void {
  const quads = Math.ceil(s.cols / 4);
  const elems = s.rows * s.cols;
  const guided = s.w !== 0;
  dispatch(batch, p, {
    params: {
      key: s.key,
      rows: s.rows,
      cols: s.cols,
      quads,
      step: s.step,
      stream: s.stream,
      a: s.a,
      b: s.b,
      sigma: s.sigma,
      w: s.w,
    },
    bindings: [s.epsA, s.epsB, s.x],
    workgroups: grid2d(batch.ctx, s.rows * quads, SAMPLER_STEP_WG),
    // a x + b e + sigma z: 5 flops, 3 more for the guidance mix; bytes: eps read(s), x read and written.
    flops: (guided ? 8 : 5) * elems,
    bytes: (guided ? 16 : 12) * elems,
  });
}
