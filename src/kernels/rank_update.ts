// out = beta out + alpha x + w u v^T on row-major blocks (row strides multiples of 4): the pairwise merge
// of co-moment matrices (Chan et al.: M += M_s + n_s d d^T) and, in the symmetric build, S = alpha (X + X^T).
import { checkInt } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { dispatch, grid2d, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import { createTensor, disposeTensor, type Tensor } from '../runtime/tensor.js';

export const RANK_UPDATE: KernelSpec = {
  name: 'rank_update',
  libs: ['lib/index.wgsl'],
  storage: ['read', 'read', 'read', 'read_write'],
};
export const RANK_UPDATE_WG = 64;
export const rankUpdateBuild = (symmetric: boolean) => ({
  constants: { WG: RANK_UPDATE_WG },
  variant: { SYMMETRIC: symmetric },
});

export interface RankUpdatePlan {
  plain: CachedPipeline;
  symmetric: CachedPipeline;
  /** Bound in place of an absent x, u or v (a writable binding must not alias a read one). */
  dummy: Tensor;
}

export async function rankUpdatePlan(ctx: Context): Promise<RankUpdatePlan> {
  return {
    plain: await getPipeline(ctx, RANK_UPDATE, rankUpdateBuild(false)),
    symmetric: await getPipeline(ctx, RANK_UPDATE, rankUpdateBuild(true)),
    dummy: createTensor(ctx, [4], { label: 'rank_update.dummy' }),
  };
}

export function disposeRankUpdatePlan(p: RankUpdatePlan): void {
  disposeTensor(p.dummy);
}

export interface RankUpdateArgs {
  out: Tensor;
  outOffset?: number;
  /** Rows and columns of the block; ldo the output's row stride (multiple of 4, >= cols). */
  rows: number;
  cols: number;
  ldo: number;
  beta?: number;
  /** alpha x (or alpha (x + x^T) with symmetric; x square then): x at xOffset with row stride ldx. */
  x?: { t: Tensor; offset?: number; ld: number; alpha?: number; symmetric?: boolean };
  /** w u v^T: u (rows) at uOffset, v (cols, vec4-aligned offset) at vOffset. */
  outer?: { u: Tensor; uOffset?: number; v: Tensor; vOffset?: number; w: number };
}

const aligned = (name: string, v: number) => {
  if (v % 4) throw new Error(`rank_update: ${name} ${v} is not a multiple of 4`);
  return v / 4;
};

export function encodeRankUpdate(batch: Batch, plan: RankUpdatePlan, a: RankUpdateArgs): void {
  const rows = checkInt('rank_update: rows', a.rows, 0, 0xffffffff);
  const cols = checkInt('rank_update: cols', a.cols, 0, a.ldo);
  if (rows === 0 || cols === 0) return;
  const quads = Math.ceil(cols / 4);
  const x = a.x;
  const outer = a.outer ?? { u: plan.dummy, v: plan.dummy, w: 0 };
  const symmetric = Boolean(x?.symmetric);
  if (symmetric && rows !== cols) throw new Error(`rank_update: x + x^T needs a square block, got ${rows} x ${cols}`);
  dispatch(batch, symmetric ? plan.symmetric : plan.plain, {
    params: {
      rows,
      quads,
      ldo: a.ldo,
      ldx: x?.ld ?? a.ldo,
      o_off: aligned('outOffset', a.outOffset ?? 0),
      x_off: symmetric ? (x?.offset ?? 0) : aligned('x offset', x?.offset ?? 0),
      u_off: outer.uOffset ?? 0,
      v_off: aligned('vOffset', outer.vOffset ?? 0),
      use_x: x ? 1 : 0,
      alpha: x?.alpha ?? 1,
      beta: a.beta ?? 0,
      w: outer.w,
    },
    bindings: [x?.t ?? plan.dummy, outer.u, outer.v, a.out],
    workgroups: grid2d(batch.ctx, rows * quads, RANK_UPDATE_WG),
    flops: 6 * rows * cols,
    bytes: 4 * rows * cols * ((x ? (symmetric ? 2 : 1) : 0) + (a.beta ? 2 : 1)),
  });
}
