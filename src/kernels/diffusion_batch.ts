// The noised training batch of eps-prediction in one kernel: per-row steps uniform on 1..T, class
// dropout for classifier-free guidance, eps ~ N(0, I) and x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps.
// Every draw is a Philox counter (row, iteration, stream), so a batch depends only on (seed, iteration).
import type { Context } from '../runtime/context.js';
import { dispatch, grid2d, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import { createTensor, type Tensor } from '../runtime/tensor.js';
import type { Schedule } from '../schedule/schedules.js';
import { RNG_LIBS } from './philox.js';
import { TRAIN_EPS_STREAM, TRAIN_ROW_STREAM } from './philox_streams.js';

export const DIFFUSION_BATCH: KernelSpec = {
  name: 'diffusion_batch',
  libs: RNG_LIBS,
  storage: ['read', 'read', 'read', 'read_write', 'read_write', 'read_write', 'read_write'],
};
export const DIFFUSION_BATCH_WG = 64;

/** Philox streams of training: eps of x_t, and the per-row (step, dropout) words (philox_streams.ts). */
export { TRAIN_EPS_STREAM, TRAIN_ROW_STREAM };

export function diffusionBatchPipeline(ctx: Context): Promise<CachedPipeline> {
  return getPipeline(ctx, DIFFUSION_BATCH, { constants: { WG: DIFFUSION_BATCH_WG } });
}

/** (T, 2) f32 table of (sqrt abar_t, sqrt(1 - abar_t)) for t = 1..T, computed in f64. */
export function noiseCoefTable(ctx: Context, schedule: Schedule): Tensor {
  const c = new Float32Array(2 * schedule.T);
  for (let t = 0; t < schedule.T; t++) {
    const a = schedule.alphasCumprod[t]!;
    c[2 * t] = Math.sqrt(a);
    c[2 * t + 1] = Math.sqrt(1 - a);
  }
  return createTensor(ctx, [schedule.T, 2], { data: c, label: 'diffusion_batch.coef' });
}

export interface DiffusionBatchArgs {
  /** (rows, cols) clean data and (rows) i32 labels (-1 = unconditional). */
  x0: Tensor;
  labelsIn: Tensor;
  /** noiseCoefTable of the schedule, (T, 2). */
  coef: Tensor;
  T: number;
  /** Outputs: x_t and eps (rows, cols), steps (rows) u32 in 1..T, labels (rows) i32 after dropout. */
  xt: Tensor;
  eps: Tensor;
  steps: Tensor;
  labels: Tensor;
  rows: number;
  cols: number;
  key: readonly [number, number];
  /** Training iteration: the counter word that makes every batch's draws new. */
  iter: number;
  /** Probability of replacing a label by the null class -1. */
  pUncond: number;
  /** Row number of the first row in the counters (default 0). */
  rowOffset?: number;
  streamEps?: number;
  streamRows?: number;
}

export function encodeDiffusionBatch(batch: Batch, p: CachedPipeline, a: DiffusionBatchArgs): void {
  const quads = Math.ceil(a.cols / 4);
  const elems = a.rows * a.cols;
  dispatch(batch, p, {
    params: {
      key: a.key,
      rows: a.rows,
      cols: a.cols,
      quads,
      row_offset: a.rowOffset ?? 0,
      iter: a.iter,
      stream_eps: a.streamEps ?? TRAIN_EPS_STREAM,
      stream_rows: a.streamRows ?? TRAIN_ROW_STREAM,
      num_steps: a.T,
      p_uncond: a.pUncond,
    },
    bindings: [a.x0, a.labelsIn, a.coef, a.xt, a.eps, a.steps, a.labels],
    workgroups: grid2d(batch.ctx, a.rows * quads, DIFFUSION_BATCH_WG),
    // 3 flops per x_t value; the normals are integer work and not counted.
    flops: 3 * elems,
    bytes: 4 * (3 * elems + 4 * a.rows),
  });
}
