// One DDPM ancestral step on the GPU (Ho et al. 2020, Alg. 2), in place on x_t, with z drawn from
// Philox counters (d / 4, row, step, stream) so a sample depends only on (seed, row, step).
import type { Context } from '../runtime/context.js';
import { dispatch, grid2d, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import type { Tensor } from '../runtime/tensor.js';
import { RNG_LIBS } from './philox.js';

export const DDPM_STEP: KernelSpec = { name: 'ddpm_step', libs: RNG_LIBS, storage: ['read', 'read_write'] };
export const DDPM_STEP_WG = 64;

export function ddpmStepPipeline(ctx: Context): Promise<CachedPipeline> {
  return getPipeline(ctx, DDPM_STEP, { constants: { WG: DDPM_STEP_WG } });
}

export interface DdpmStepArgs {
  /** (rows, cols) eps_hat and x (updated in place to x_{t-1}). */
  epsHat: Tensor;
  x: Tensor;
  rows: number;
  cols: number;
  key: readonly [number, number];
  /** Counter word of z (the step being taken) and its stream. */
  step: number;
  stream: number;
  /** x <- c1 (x - c2 eps_hat) + sigma z. */
  c1: number;
  c2: number;
  sigma: number;
}

export function encodeDdpmStep(batch: Batch, p: CachedPipeline, a: DdpmStepArgs): void {
  const quads = Math.ceil(a.cols / 4);
  const elems = a.rows * a.cols;
  dispatch(batch, p, {
    params: { key: a.key, rows: a.rows, cols: a.cols, quads, step: a.step, stream: a.stream, c1: a.c1, c2: a.c2, sigma: a.sigma },
    bindings: [a.epsHat, a.x],
    workgroups: grid2d(batch.ctx, a.rows * quads, DDPM_STEP_WG),
    flops: 5 * elems,
    bytes: 12 * elems,
  });
}
