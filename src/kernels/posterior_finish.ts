// out = cx * x + cacc * acc / s (shaders/posterior_finish.wgsl): the exact denoisers' posterior mean acc / s
// turned into eps_hat (GMM: cx = 0, cacc = sqrt(1 - abar); empirical: (x - sqrt(abar) x0_hat) / sqrt(1 - abar))
// or x0_hat (cx = 0, cacc = 1).
import type { Batch, Binding } from '../runtime/dispatch.js';
import { dispatch, grid2d } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import type { Tensor } from '../runtime/tensor.js';

export const POSTERIOR_FINISH: KernelSpec = {
  name: 'posterior_finish',
  libs: ['lib/index.wgsl'],
  storage: ['read', 'read', 'read', 'read_write'],
};
export const POSTERIOR_FINISH_WG = 64;

export function posteriorFinishPipeline(ctx: Batch['ctx']): Promise<CachedPipeline> {
  return getPipeline(ctx, POSTERIOR_FINISH, { constants: { WG: POSTERIOR_FINISH_WG } });
}

export interface PosteriorFinishArgs {
  /** x and out with the element offsets of row 0 inside their bindings. */
  x: Binding;
  xOffset: number;
  out: Binding;
  outOffset: number;
  acc: Tensor;
  state: Tensor;
  rows: number;
  d: number;
  cx: number;
  cacc: number;
}

export function encodePosteriorFinish(batch: Batch, p: CachedPipeline, a: PosteriorFinishArgs): void {
  for (const [k, v] of [
    ['cx', a.cx],
    ['cacc', a.cacc],
  ] as const) {
    if (!Number.isFinite(v) || Math.abs(v) > 3.4e38)
      throw new Error(`posterior_finish: ${k} = ${v} is not a finite f32`);
  }
  const elems = a.rows * a.d;
  dispatch(batch, p, {
    params: { rows: a.rows, d: a.d, x_off: a.xOffset, out_off: a.outOffset, cx: a.cx, cacc: a.cacc },
    bindings: [a.x, a.acc, a.state, a.out],
    workgroups: grid2d(batch.ctx, elems, POSTERIOR_FINISH_WG),
    flops: 3 * elems,
    bytes: 4 * elems * (a.cx !== 0 ? 3 : 2) + 8 * a.rows,
  });
}
