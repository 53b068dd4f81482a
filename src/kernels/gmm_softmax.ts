// The Gaussian-mixture denoiser's online softmax over one chunk of components (shaders/gmm_softmax.wgsl):
// projections U_k^T x in (chunk-major: scores[k * d + i, n]), weighted whitened residuals exp(l_k - m) z_k / lam_k
// out, running (max, sum) per query row; one invocation per row.
import type { Batch } from '../runtime/dispatch.js';
import { dispatch, grid2d } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import type { Tensor } from '../runtime/tensor.js';

export const GMM_SOFTMAX: KernelSpec = {
  name: 'gmm_softmax',
  libs: ['lib/index.wgsl'],
  storage: ['read_write', 'read', 'read', 'read_write', 'read_write', 'read_write'],
};
export const GMM_SOFTMAX_WG = 64;

export function gmmSoftmaxPipeline(ctx: Batch['ctx']): Promise<CachedPipeline> {
  return getPipeline(ctx, GMM_SOFTMAX, { constants: { WG: GMM_SOFTMAX_WG } });
}

export interface GmmSoftmaxArgs {
  /** (comps * d, ld): U_k^T x of the chunk's comps components (row k * d + i, column n) in; weighted z / lam out. */
  scores: Tensor;
  ld: number;
  rows: number;
  comps: number;
  /** Global index of the chunk's first component in comp and cconst. */
  compOffset: number;
  /** (K, 2, d) per step: sqrt(abar) U_k^T mu_k and 1 / lam_k. */
  comp: Tensor;
  /** (K) per step: log pi_k - 0.5 log det(S_k) - 0.5 d log(2 pi). */
  cconst: Tensor;
  state: Tensor;
  acc: Tensor;
  d: number;
  first: boolean;
  /** Component log-likelihoods l to logits[(row + n) * ld + compOffset + k], or null. */
  logits: { tensor: Tensor; ld: number; row: number } | null;
  dummy: Tensor;
}

export function encodeGmmSoftmax(batch: Batch, p: CachedPipeline, a: GmmSoftmaxArgs): void {
  const l = a.logits;
  const cols = a.comps * a.d;
  dispatch(batch, p, {
    params: {
      rows: a.rows,
      comps: a.comps,
      d: a.d,
      ld: a.ld,
      comp_off: a.compOffset,
      first: Number(a.first),
      logit_ld: l ? l.ld : 0,
      logit_row: l ? l.row : 0,
    },
    bindings: [a.scores, a.comp, a.cconst, a.state, a.acc, l ? l.tensor : a.dummy],
    workgroups: grid2d(batch.ctx, a.rows, GMM_SOFTMAX_WG),
    // Per projection: 3 for each of the two quadratic forms, 3 for the weighted residual; plus the rescale of acc.
    flops: a.rows * (9 * cols + (a.first ? 0 : a.d)),
    bytes: 4 * a.rows * (4 * cols + (a.first ? 0 : 2 * a.d) + 4) + 8 * cols,
  });
}
