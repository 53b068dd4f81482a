// GroupNorm over NHWC images (Wu & He 2018): for image n and group g of C / G channels,
// y = (x - mean) * rstd * gamma[c] + beta[c] with mean and rstd = 1 / sqrt(var + eps) over the group's
// hw * C / G values (biased variance, as torch.nn.GroupNorm); optionally of x + e for per-image channel
// offsets e (N, C) (the U-Net's conditioning, fused here instead of a pass of its own). mean and rstd (N * G)
// and shift (N, C) (the mean less the offset) are saved for backward.
import { dispatch, grid2d, type Batch } from '../runtime/dispatch.js';
import type { Tensor } from '../runtime/tensor.js';
import { blockPlan, dim, distinct, need, NN_IMAGE_WG, scratch, type ImageKernels } from './nn_image_base.js';

const grid = (batch: Batch, count: number) => grid2d(batch.ctx, count, NN_IMAGE_WG);

export interface GroupNormArgs {
  /** (n * hw, c) input. */
  x: Tensor;
  /** (n * hw, c) output (not x). */
  y: Tensor;
  /** (c) affine scale and shift. */
  gamma: Tensor;
  beta: Tensor;
  /** (n * groups) saved statistics (written). */
  mean: Tensor;
  rstd: Tensor;
  /** (n, c) written: the value each channel subtracts before scaling (the mean, less the offset), for backward. */
  shift: Tensor;
  /** (n, c) per-image channel offsets e: y = GroupNorm(x + e) (time / class conditioning), x not modified. */
  offset?: Tensor;
  n: number;
  hw: number;
  c: number;
  groups: number;
  /** Added to the variance (torch's default 1e-5). */
  eps?: number;
  /** y = silu(GroupNorm(x)) in the same pass (inference: the pre-activation is not kept). */
  silu?: boolean;
}

function groupDims(op: string, a: { n: number; hw: number; c: number; groups: number }) {
  const [n, hw, c, groups] = [dim(op, 'n', a.n), dim(op, 'hw', a.hw), dim(op, 'c', a.c), dim(op, 'groups', a.groups)];
  if (c % groups !== 0) throw new Error(`${op}: groups = ${groups} must divide c = ${c}`);
  // Channels move four at a time (VEC4 builds) when c allows; the group of each is looked up per channel.
  const vec4 = c % 4 === 0;
  const { blocks, blockRows } = blockPlan(hw, 1);
  const cw = vec4 ? c / 4 : c;
  return { n, hw, c, groups, cpg: c / groups, total: n * hw * c, vec4, cw, blocks, blockRows };
}

/**
 * y = GroupNorm(x (+ offset)) with per-(image, group) statistics written to mean and rstd (N * G each) and
 * per-(image, channel) shift. Dispatches: per-(image, block, channel) mean and M2, their merge per group,
 * then y elementwise (one invocation per (image, block, channel or quad)).
 */
export function encodeGroupNorm(batch: Batch, k: ImageKernels, a: GroupNormArgs): void {
  const op = 'groupNorm';
  const { n, hw, c, groups, cpg, total, vec4, cw, blocks, blockRows } = groupDims(op, a);
  const eps = a.eps ?? 1e-5;
  if (!Number.isFinite(eps) || eps < 0) throw new Error(`${op}: eps must be a finite number >= 0, got ${eps}`);
  const ctx = batch.ctx;
  need(ctx, op, 'x', a.x, total);
  need(ctx, op, 'y', a.y, total);
  need(ctx, op, 'gamma', a.gamma, c);
  need(ctx, op, 'beta', a.beta, c);
  need(ctx, op, 'mean', a.mean, n * groups);
  need(ctx, op, 'rstd', a.rstd, n * groups);
  need(ctx, op, 'shift', a.shift, n * c);
  if (a.offset) need(ctx, op, 'offset', a.offset, n * c);
  distinct(op, [
    ['x', a.x, 'y', a.y],
    ['mean', a.mean, 'rstd', a.rstd],
    ['mean', a.mean, 'shift', a.shift],
    ['rstd', a.rstd, 'shift', a.shift],
    ['x', a.x, 'mean', a.mean],
    ['x', a.x, 'rstd', a.rstd],
    ['x', a.x, 'shift', a.shift],
    ['offset', a.offset, 'shift', a.shift],
  ]);
  const cells = n * blocks * cw;
  const partial = scratch(k, 'partial', 2 * n * blocks * c);
  dispatch(batch, vec4 ? k.p.gnStats4 : k.p.gnStats, {
    params: { hw, cw, blocks, block_rows: blockRows, total: cells },
    bindings: [a.x, partial],
    workgroups: grid(batch, cells),
    flops: 4 * total,
    bytes: 8 * total + 8 * n * blocks * c,
  });
  dispatch(batch, a.offset ? k.p.gnFinishOffset : k.p.gnFinish, {
    params: { n, hw, c, groups, cpg, blocks, block_rows: blockRows, eps },
    bindings: [partial, a.mean, a.rstd, a.shift, ...(a.offset ? [a.offset] : [])],
    workgroups: grid(batch, n * groups),
    flops: 8 * n * blocks * c,
    bytes: 8 * n * blocks * c + 8 * n * c,
  });
  const apply = a.silu ? (vec4 ? k.p.gnApplySilu4 : k.p.gnApplySilu) : vec4 ? k.p.gnApply4 : k.p.gnApply;
  dispatch(batch, apply, {
    params: { hw, cw, groups, cpg, blocks, block_rows: blockRows, total: cells },
    bindings: [a.x, a.shift, a.rstd, a.gamma, a.beta, a.y],
    workgroups: grid(batch, cells),
    flops: 3 * total,
    bytes: 8 * total,
  });
}

export interface GroupNormBackwardArgs {
  x: Tensor;
  dy: Tensor;
  gamma: Tensor;
  /** The statistics encodeGroupNorm saved for this x (and offset). */
  shift: Tensor;
  rstd: Tensor;
  /** (n * hw, c) input gradient, overwritten (not dy). */
  dx: Tensor;
  /** dx += the gradient instead of dx = (the same rounding as adding it in a pass of its own). */
  accumulate?: boolean;
  /** (c): dgamma += sum dy * xhat, dbeta += sum dy over all images and pixels. */
  dgamma: Tensor;
  dbeta: Tensor;
  /** (n, c): the forward's offset gradient, de[n, c] += sum over pixels of dx[n, p, c]. */
  de?: Tensor;
  /** The forward wrote silu(y) (silu: true): dy is the gradient of silu(y), and y is recomputed from x. */
  silu?: boolean;
  /** (c) the forward's beta, needed with silu. */
  beta?: Tensor;
  n: number;
  hw: number;
  c: number;
  groups: number;
}

/**
 * GroupNorm backward with xhat = (x - shift) rstd and M = hw * C / G values per group:
 * dx = rstd (gamma dy - mean_g(gamma dy) - xhat mean_g(gamma dy xhat)) (overwrites dx, or adds to it),
 * dgamma += sum dy xhat, dbeta += sum dy, de += sum_p dx. Dispatches: per-(image, channel) sums of dy,
 * dy xhat and xhat (two levels), per-channel and per-group sums of those (and de), then dx elementwise.
 * With silu, dy = da silu'(y) inside those passes (y recomputed from x, never stored).
 */
export function encodeGroupNormBackward(batch: Batch, k: ImageKernels, a: GroupNormBackwardArgs): void {
  const op = 'groupNormBackward';
  const { n, hw, c, groups, cpg, total, vec4, cw, blocks, blockRows } = groupDims(op, a);
  const ctx = batch.ctx;
  for (const [name, t] of [
    ['x', a.x],
    ['dy', a.dy],
    ['dx', a.dx],
  ] as const)
    need(ctx, op, name, t, total);
  for (const [name, t] of [
    ['gamma', a.gamma],
    ['dgamma', a.dgamma],
    ['dbeta', a.dbeta],
  ] as const)
    need(ctx, op, name, t, c);
  need(ctx, op, 'shift', a.shift, n * c);
  need(ctx, op, 'rstd', a.rstd, n * groups);
  if (a.de) need(ctx, op, 'de', a.de, n * c);
  if (a.silu) need(ctx, op, 'beta', a.beta, c);
  distinct(op, [
    ['dx', a.dx, 'dy', a.dy],
    ['dx', a.dx, 'x', a.x],
    ['dgamma', a.dgamma, 'dbeta', a.dbeta],
    ['dx', a.dx, 'gamma', a.gamma],
    ['de', a.de, 'dx', a.dx],
  ]);
  const sums = scratch(k, 'gnSums', 3 * n * c);
  const partial = blocks > 1 ? scratch(k, 'partial', 3 * n * blocks * c) : sums;
  const cells = n * blocks * cw;
  const silu = a.silu ? [a.gamma, a.beta!] : [];
  const sums4 = a.silu ? k.p.gnBackwardSumsSilu4 : k.p.gnBackwardSums4;
  dispatch(batch, vec4 ? sums4 : a.silu ? k.p.gnBackwardSumsSilu : k.p.gnBackwardSums, {
    params: { hw, cw, groups, cpg, blocks, block_rows: blockRows, total: cells },
    bindings: [a.x, a.dy, a.shift, a.rstd, partial, ...silu],
    workgroups: grid(batch, cells),
    flops: (a.silu ? 14 : 6) * total,
    bytes: 8 * total + 12 * n * blocks * c,
  });
  if (blocks > 1) {
    dispatch(batch, k.p.channelSumFinish, {
      params: { c, blocks, total: 3 * n * c, accumulate: 0 },
      bindings: [partial, sums],
      workgroups: grid(batch, 3 * n * c),
      flops: 3 * n * blocks * c,
      bytes: 12 * n * blocks * c + 12 * n * c,
    });
  }
  const gs = scratch(k, 'gnGroups', 2 * n * groups);
  const inv_m = 1 / (hw * cpg);
  dispatch(batch, a.de ? k.p.gnBackwardStatsOffset : k.p.gnBackwardStats, {
    params: { n, hw, c, groups, cpg, inv_m },
    bindings: [sums, a.gamma, a.dgamma, a.dbeta, gs, ...(a.de ? [a.rstd, a.de] : [])],
    workgroups: grid(batch, c + n * groups + (a.de ? n * c : 0)),
    flops: 6 * n * c + (a.de ? 2 * n * c * cpg : 0),
    bytes: 12 * n * c + 16 * c + 8 * n * groups + (a.de ? 20 * n * c : 0),
  });
  // The builds are named gnBackwardDx[Silu][Acc][4].
  const dxBuild = `gnBackwardDx${a.silu ? 'Silu' : ''}${a.accumulate ? 'Acc' : ''}${vec4 ? '4' : ''}` as const;
  dispatch(batch, k.p[dxBuild], {
    params: { hw, cw, groups, cpg, blocks, block_rows: blockRows, total: cells, inv_m },
    bindings: [a.x, a.dy, a.gamma, a.shift, a.rstd, gs, a.dx, ...(a.silu ? [a.beta!] : [])],
    workgroups: grid(batch, cells),
    flops: (a.silu ? 14 : 6) * total + (a.accumulate ? total : 0),
    bytes: (a.accumulate ? 16 : 12) * total,
  });
}
