// GroupNorm over NHWC images (Wu & He 2018): for image n and group g of C / G channels,
// y = (x - mean) * rstd * gamma[c] + beta[c] with mean and rstd = 1 / sqrt(var + eps) over the group's
// hw * C / G values (biased variance, as torch.nn.GroupNorm). mean and rstd (N * G) are saved for backward.
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
  return { n, hw, c, groups, cpg: c / groups, total: n * hw * c };
}

/** y = GroupNorm(x) with per-(image, group) statistics written to mean and rstd (N * G each). */
export function encodeGroupNorm(batch: Batch, k: ImageKernels, a: GroupNormArgs): void {
  const op = 'groupNorm';
  const { n, hw, c, groups, cpg, total } = groupDims(op, a);
  const eps = a.eps ?? 1e-5;
  if (!Number.isFinite(eps) || eps < 0) throw new Error(`${op}: eps must be a finite number >= 0, got ${eps}`);
  const ctx = batch.ctx;
  need(ctx, op, 'x', a.x, total);
  need(ctx, op, 'y', a.y, total);
  need(ctx, op, 'gamma', a.gamma, c);
  need(ctx, op, 'beta', a.beta, c);
  need(ctx, op, 'mean', a.mean, n * groups);
  need(ctx, op, 'rstd', a.rstd, n * groups);
  distinct(op, [
    ['x', a.x, 'y', a.y],
    ['mean', a.mean, 'rstd', a.rstd],
    ['x', a.x, 'mean', a.mean],
    ['x', a.x, 'rstd', a.rstd],
  ]);
  const { blocks, blockRows } = blockPlan(hw, cpg);
  const rows = n * groups;
  const partial = scratch(k, 'partial', blocks > 1 ? 4 * rows * blocks : 4);
  dispatch(batch, k.p.gnStats, {
    params: { hw, c, groups, cpg, blocks, block_rows: blockRows, total: rows * blocks, eps },
    bindings: [a.x, partial, a.mean, a.rstd],
    workgroups: grid(batch, rows * blocks),
    flops: 4 * total,
    bytes: 8 * total + 16 * rows * blocks,
  });
  if (blocks > 1) {
    dispatch(batch, k.p.gnFinish, {
      params: { rows, blocks, eps },
      bindings: [partial, a.mean, a.rstd],
      workgroups: grid(batch, rows),
      flops: 8 * rows * blocks,
      bytes: 16 * rows * blocks + 8 * rows,
    });
  }
  dispatch(batch, a.silu ? k.p.gnApplySilu : k.p.gnApply, {
    params: { hw, c, groups, cpg, pixels: n * hw },
    bindings: [a.x, a.mean, a.rstd, a.gamma, a.beta, a.y],
    workgroups: grid(batch, n * hw),
    flops: 4 * total,
    bytes: 8 * total,
  });
}

export interface GroupNormBackwardArgs {
  x: Tensor;
  dy: Tensor;
  gamma: Tensor;
  /** The statistics encodeGroupNorm saved for this x. */
  mean: Tensor;
  rstd: Tensor;
  /** (n * hw, c) input gradient, overwritten (not dy). */
  dx: Tensor;
  /** (c): dgamma += sum dy * xhat, dbeta += sum dy over all images and pixels. */
  dgamma: Tensor;
  dbeta: Tensor;
  n: number;
  hw: number;
  c: number;
  groups: number;
}

/**
 * GroupNorm backward with xhat = (x - mean) rstd and M = hw * C / G values per group:
 * dx = rstd (gamma dy - mean_g(gamma dy) - xhat mean_g(gamma dy xhat)) (overwrites dx),
 * dgamma += sum dy xhat, dbeta += sum dy. Dispatches: per-(image, channel) sums of dy and dy xhat
 * (two levels), per-channel and per-group sums of those, then dx elementwise.
 */
export function encodeGroupNormBackward(batch: Batch, k: ImageKernels, a: GroupNormBackwardArgs): void {
  const op = 'groupNormBackward';
  const { n, hw, c, groups, cpg, total } = groupDims(op, a);
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
  need(ctx, op, 'mean', a.mean, n * groups);
  need(ctx, op, 'rstd', a.rstd, n * groups);
  distinct(op, [
    ['dx', a.dx, 'dy', a.dy],
    ['dx', a.dx, 'x', a.x],
    ['dgamma', a.dgamma, 'dbeta', a.dbeta],
    ['dx', a.dx, 'gamma', a.gamma],
  ]);
  const { blocks, blockRows } = blockPlan(hw, 1);
  const sums = scratch(k, 'gnSums', 2 * n * c);
  const partial = blocks > 1 ? scratch(k, 'partial', 2 * n * blocks * c) : sums;
  const level1 = n * blocks * c;
  dispatch(batch, k.p.gnBackwardSums, {
    params: { hw, c, groups, cpg, blocks, block_rows: blockRows, total: level1 },
    bindings: [a.x, a.dy, a.mean, a.rstd, partial],
    workgroups: grid(batch, level1),
    flops: 5 * total,
    bytes: 8 * total + 8 * level1,
  });
  if (blocks > 1) {
    dispatch(batch, k.p.channelSumFinish, {
      params: { c, blocks, total: 2 * n * c, accumulate: 0 },
      bindings: [partial, sums],
      workgroups: grid(batch, 2 * n * c),
      flops: 2 * level1,
      bytes: 8 * level1 + 8 * n * c,
    });
  }
  const gs = scratch(k, 'gnGroups', 2 * n * groups);
  dispatch(batch, k.p.gnBackwardStats, {
    params: { n, c, groups, cpg },
    bindings: [sums, a.gamma, a.dgamma, a.dbeta, gs],
    workgroups: grid(batch, c + n * groups),
    flops: 6 * n * c,
    bytes: 12 * n * c + 16 * c + 8 * n * groups,
  });
  dispatch(batch, k.p.gnBackwardDx, {
    params: { hw, c, groups, cpg, pixels: n * hw, inv_m: 1 / (hw * cpg) },
    bindings: [a.x, a.dy, a.gamma, a.mean, a.rstd, gs, a.dx],
    workgroups: grid(batch, n * hw),
    flops: 8 * total,
    bytes: 12 * total,
  });
}
