// Jacobian-vector products of a denoiser's x0_hat along fixed directions by central differences, batched:
// mode_perturb.wgsl builds the 2 B V rows x_i +- h v_j, the caller's denoiser maps them to eps_hat, and
// mode_jvp.wgsl turns each pair into J v_j (and v_j . J v_j, |J v_j|^2) with Tweedie's formula.
import type { Context } from '../runtime/context.js';
import { dispatch, grid2d, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import type { Tensor } from '../runtime/tensor.js';

export const MODE_PERTURB: KernelSpec = {
  name: 'mode_perturb',
  libs: ['lib/index.wgsl'],
  storage: ['read', 'read', 'read_write'],
};
export const MODE_JVP: KernelSpec = {
  name: 'mode_jvp',
  libs: ['lib/index.wgsl'],
  storage: ['read', 'read', 'read', 'read_write', 'read_write'],
};
export const MODE_WG = 64;

export interface ModeJvpKernels {
  perturb: CachedPipeline;
  jvp: CachedPipeline;
}

export async function modeJvpKernels(ctx: Context): Promise<ModeJvpKernels> {
  return {
    perturb: await getPipeline(ctx, MODE_PERTURB, { constants: { WG: MODE_WG } }),
    jvp: await getPipeline(ctx, MODE_JVP, { constants: { WG: MODE_WG } }),
  };
}

/** xp (2 B V, D) = x_i +- h v_j for points x (B, D) and directions v (V, D). */
export function encodeModePerturb(
  batch: Batch,
  k: ModeJvpKernels,
  a: { x: Tensor; v: Tensor; xp: Tensor; points: number; modes: number; d: number; h: number },
): void {
  const elems = 2 * a.points * a.modes * a.d;
  if (a.xp.size < elems) throw new Error(`mode_perturb: xp has ${a.xp.size} values, needs ${elems}`);
  dispatch(batch, k.perturb, {
    params: { points: a.points, modes: a.modes, d: a.d, h: a.h },
    bindings: [a.x, a.v, a.xp],
    workgroups: grid2d(batch.ctx, elems, MODE_WG),
    flops: 2 * elems,
    bytes: 12 * elems,
  });
}

/**
 * jv (B V, D) and stats (B V, 2) = (v_j . J v_j, |J v_j|^2) from the perturbed rows xp and their eps_hat
 * (2 B V, D), with s = sqrt(1 - abar) and inv = 1 / (2 h sqrt(abar)).
 */
export function encodeModeJvp(
  batch: Batch,
  k: ModeJvpKernels,
  a: {
    xp: Tensor;
    eps: Tensor;
    v: Tensor;
    jv: Tensor;
    stats: Tensor;
    points: number;
    modes: number;
    d: number;
    s: number;
    inv: number;
  },
): void {
  const pairs = a.points * a.modes;
  if (a.jv.size < pairs * a.d || a.stats.size < 2 * pairs)
    throw new Error(`mode_jvp: jv or stats too small for ${pairs} pairs of D = ${a.d}`);
  dispatch(batch, k.jvp, {
    params: { pairs, modes: a.modes, d: a.d, s: a.s, inv: a.inv },
    bindings: [a.xp, a.eps, a.v, a.jv, a.stats],
    workgroups: grid2d(batch.ctx, pairs, MODE_WG),
    // Per element: 2 subtractions, 1 fma, 1 multiply, 2 fmas of the sums.
    flops: 9 * pairs * a.d,
    bytes: 4 * pairs * a.d * 6 + 8 * pairs,
  });
}
