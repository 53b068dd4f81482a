// The empirical denoiser's online softmax over one chunk of training rows (shaders/empirical_softmax.wgsl):
// dot products x . y_j in (chunk-major: scores[j, n]), unnormalised weights exp(l_j - m) out, running (max,
// sum) per query row; one invocation per row.
import type { Batch, Binding } from '../runtime/dispatch.js';
import { dispatch, grid2d } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import type { Tensor } from '../runtime/tensor.js';

export const EMPIRICAL_SOFTMAX: KernelSpec = {
  name: 'empirical_softmax',
  libs: ['lib/index.wgsl'],
  storage: ['read_write', 'read', 'read_write', 'read_write', 'read_write'],
};
export const EMPIRICAL_SOFTMAX_WG = 64;

export function empiricalSoftmaxPipeline(ctx: Batch['ctx']): Promise<CachedPipeline> {
  return getPipeline(ctx, EMPIRICAL_SOFTMAX, { constants: { WG: EMPIRICAL_SOFTMAX_WG } });
}

export interface EmpiricalSoftmaxArgs {
  /** (cols, ld): x . y_j for the chunk's cols training rows (row j, column n) in; weights out. */
  scores: Tensor;
  ld: number;
  rows: number;
  cols: number;
  /** ||y_j||^2 of every training row, and the chunk's first row in it. */
  yy: Binding;
  yOffset: number;
  /** (rows) vec2 (running max, running sum). */
  state: Tensor;
  /** (rows, d) running weighted sum, rescaled here. */
  acc: Tensor;
  d: number;
  /** First chunk: the state is reset and acc is not read (the GEMM after it overwrites acc). */
  first: boolean;
  /** sqrt(abar) / (1 - abar) and abar / (2 (1 - abar)). */
  coefDot: number;
  coefSq: number;
  /** Per-chunk (max, sum) to stats[(row + n) * ld + col] (vec2 units), or null. */
  stats: { tensor: Tensor; ld: number; col: number; row: number } | null;
  /** Any small tensor bound in place of stats when stats is null. */
  dummy: Tensor;
}

export function encodeEmpiricalSoftmax(batch: Batch, p: CachedPipeline, a: EmpiricalSoftmaxArgs): void {
  const s = a.stats;
  dispatch(batch, p, {
    params: {
      rows: a.rows,
      cols: a.cols,
      ld: a.ld,
      y_off: a.yOffset,
      d: a.d,
      first: Number(a.first),
      stats_ld: s ? s.ld : 0,
      stats_col: s ? s.col : 0,
      stats_row: s ? s.row : 0,
      coef_dot: a.coefDot,
      coef_sq: a.coefSq,
    },
    bindings: [a.scores, a.yy, a.state, a.acc, s ? s.tensor : a.dummy],
    workgroups: grid2d(batch.ctx, a.rows, EMPIRICAL_SOFTMAX_WG),
    // Per score: 2 for the logit twice, 1 max, 1 subtract, exp (counted 1), 1 add; plus the rescale of acc.
    flops: a.rows * (7 * a.cols + (a.first ? 0 : a.d)),
    bytes: 4 * a.rows * (3 * a.cols + (a.first ? 0 : 2 * a.d) + 4) + 8 * a.cols,
  });
}
