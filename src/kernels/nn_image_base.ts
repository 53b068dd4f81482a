// Shared parts of the image ops (NHWC, (N * H * W, C) row-major f32): kernel specs and builds, the
// pipeline loader, scratch tensors for the two-level reductions, argument checks and the block plan.
import { checkInt } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { getPipeline, type CachedPipeline, type KernelSpec, type PipelineOptions } from '../runtime/pipeline.js';
import { createTensor, disposeTensor, type Tensor } from '../runtime/tensor.js';

/** Workgroup size of every image kernel (one invocation per element or per (image, block, channel)). */
export const NN_IMAGE_WG = 64;

const LIBS = ['lib/index.wgsl'];
const spec = (name: string, storage: KernelSpec['storage'], libs = LIBS): KernelSpec => ({ name, libs, storage });
/** GroupNorm shaders' libs: the cell layout (all four per-cell shaders), group_rstd and silu_grad_v (apply and the backward; SILU builds add lib/activation.wgsl). */
const GN_CELL_LIBS = [...LIBS, 'lib/group_norm_cell.wgsl'];
const GN_LIBS = [...GN_CELL_LIBS, 'lib/group_norm.wgsl'];
const GN_SILU_LIBS = [...GN_LIBS, 'lib/activation.wgsl'];

export const IM2COL3X3 = spec('im2col3x3', ['read', 'read_write']);
export const COL2IM3X3 = spec('col2im3x3', ['read', 'read_write']);
export const CHANNEL_BIAS = spec('channel_bias', ['read', 'read', 'read_write']);
export const CHANNEL_BIAS_IN_PLACE = spec('channel_bias', ['read', 'read_write']);
export const CHANNEL_SUM = spec('channel_sum', ['read', 'read_write', 'read_write']);
export const CHANNEL_SUM_FINISH = spec('channel_sum_finish', ['read', 'read_write']);
export const GROUP_NORM_STATS = spec('group_norm_stats', ['read', 'read_write'], GN_CELL_LIBS);
export const GROUP_NORM_FINISH = spec('group_norm_finish', ['read', 'read_write', 'read_write', 'read_write']);
/** The same shader normalising x + e (OFFSET builds: one more binding, e). */
export const GROUP_NORM_FINISH_OFFSET: KernelSpec = {
  ...GROUP_NORM_FINISH,
  storage: [...GROUP_NORM_FINISH.storage, 'read'],
};
export const GROUP_NORM_APPLY = spec(
  'group_norm_apply',
  ['read', 'read', 'read', 'read', 'read', 'read_write'],
  GN_LIBS,
);
/** The same shader writing silu(y) (SILU builds). */
export const GROUP_NORM_APPLY_SILU: KernelSpec = { ...GROUP_NORM_APPLY, libs: GN_SILU_LIBS };
export const GROUP_NORM_BACKWARD_SUMS = spec(
  'group_norm_backward_sums',
  ['read', 'read', 'read', 'read', 'read_write'],
  GN_LIBS,
);
export const GROUP_NORM_BACKWARD_STATS = spec('group_norm_backward_stats', [
  'read',
  'read',
  'read_write',
  'read_write',
  'read_write',
]);
/** The same shader fed the gradient of silu(GroupNorm) (SILU builds: bindings gamma and beta). */
export const GROUP_NORM_BACKWARD_SUMS_SILU: KernelSpec = {
  ...GROUP_NORM_BACKWARD_SUMS,
  libs: GN_SILU_LIBS,
  storage: [...GROUP_NORM_BACKWARD_SUMS.storage, 'read', 'read'],
};
/** The same shader also writing the offset's gradient (OFFSET builds: bindings rstd and de). */
export const GROUP_NORM_BACKWARD_STATS_OFFSET: KernelSpec = {
  ...GROUP_NORM_BACKWARD_STATS,
  storage: [...GROUP_NORM_BACKWARD_STATS.storage, 'read', 'read_write'],
};
export const GROUP_NORM_BACKWARD_DX = spec(
  'group_norm_backward_dx',
  ['read', 'read', 'read', 'read', 'read', 'read', 'read_write'],
  GN_LIBS,
);
/** The same shader fed the gradient of silu(GroupNorm) (SILU builds: binding beta). */
export const GROUP_NORM_BACKWARD_DX_SILU: KernelSpec = {
  ...GROUP_NORM_BACKWARD_DX,
  libs: GN_SILU_LIBS,
  storage: [...GROUP_NORM_BACKWARD_DX.storage, 'read'],
};
export const AVG_POOL2 = spec('avg_pool2', ['read', 'read_write']);
export const UPSAMPLE2 = spec('upsample2', ['read', 'read_write']);
const UP_LIBS = [...LIBS, 'lib/up_block.wgsl'];
export const CONCAT_CHANNELS = spec('concat_channels', ['read', 'read', 'read_write'], UP_LIBS);
export const SPLIT_CHANNELS = spec('split_channels', ['read', 'read_write', 'read_write'], UP_LIBS);

const plain: PipelineOptions = { constants: { WG: NN_IMAGE_WG } };
/** Builds over f32 channels or, for c % 4 == 0, vec4 quads of channels (VEC4): GroupNorm, pooling, concatenation. */
const vec = (vec4: boolean, variant: Record<string, boolean> = {}): PipelineOptions => ({
  ...plain,
  variant: { ...variant, VEC4: vec4 },
});
const BUILDS = {
  im2col: [IM2COL3X3, plain],
  col2im: [COL2IM3X3, plain],
  channelBias: [CHANNEL_BIAS, { ...plain, variant: { IN_PLACE: false } }],
  channelBiasInPlace: [CHANNEL_BIAS_IN_PLACE, { ...plain, variant: { IN_PLACE: true } }],
  channelSum: [CHANNEL_SUM, plain],
  channelSumFinish: [CHANNEL_SUM_FINISH, plain],
  gnStats: [GROUP_NORM_STATS, vec(false)],
  gnStats4: [GROUP_NORM_STATS, vec(true)],
  gnFinish: [GROUP_NORM_FINISH, { ...plain, variant: { OFFSET: false } }],
  gnFinishOffset: [GROUP_NORM_FINISH_OFFSET, { ...plain, variant: { OFFSET: true } }],
  gnApply: [GROUP_NORM_APPLY, vec(false, { SILU: false })],
  gnApply4: [GROUP_NORM_APPLY, vec(true, { SILU: false })],
  gnApplySilu: [GROUP_NORM_APPLY_SILU, vec(false, { SILU: true })],
  gnApplySilu4: [GROUP_NORM_APPLY_SILU, vec(true, { SILU: true })],
  gnBackwardSums: [GROUP_NORM_BACKWARD_SUMS, vec(false, { SILU: false })],
  gnBackwardSums4: [GROUP_NORM_BACKWARD_SUMS, vec(true, { SILU: false })],
  gnBackwardSumsSilu: [GROUP_NORM_BACKWARD_SUMS_SILU, vec(false, { SILU: true })],
  gnBackwardSumsSilu4: [GROUP_NORM_BACKWARD_SUMS_SILU, vec(true, { SILU: true })],
  gnBackwardStats: [GROUP_NORM_BACKWARD_STATS, { ...plain, variant: { OFFSET: false } }],
  gnBackwardStatsOffset: [GROUP_NORM_BACKWARD_STATS_OFFSET, { ...plain, variant: { OFFSET: true } }],
  gnBackwardDx: [GROUP_NORM_BACKWARD_DX, vec(false, { SILU: false, ACCUM: false })],
  gnBackwardDx4: [GROUP_NORM_BACKWARD_DX, vec(true, { SILU: false, ACCUM: false })],
  gnBackwardDxSilu: [GROUP_NORM_BACKWARD_DX_SILU, vec(false, { SILU: true, ACCUM: false })],
  gnBackwardDxSilu4: [GROUP_NORM_BACKWARD_DX_SILU, vec(true, { SILU: true, ACCUM: false })],
  gnBackwardDxAcc: [GROUP_NORM_BACKWARD_DX, vec(false, { SILU: false, ACCUM: true })],
  gnBackwardDxAcc4: [GROUP_NORM_BACKWARD_DX, vec(true, { SILU: false, ACCUM: true })],
  gnBackwardDxSiluAcc: [GROUP_NORM_BACKWARD_DX_SILU, vec(false, { SILU: true, ACCUM: true })],
  gnBackwardDxSiluAcc4: [GROUP_NORM_BACKWARD_DX_SILU, vec(true, { SILU: true, ACCUM: true })],
  avgPool2: [AVG_POOL2, vec(false)],
  avgPool2x4: [AVG_POOL2, vec(true)],
  upsample2: [UPSAMPLE2, vec(false, { ACCUM: false })],
  upsample2x4: [UPSAMPLE2, vec(true, { ACCUM: false })],
  upsample2Acc: [UPSAMPLE2, vec(false, { ACCUM: true })],
  upsample2Acc4: [UPSAMPLE2, vec(true, { ACCUM: true })],
  concat: [CONCAT_CHANNELS, vec(false, { UP: false })],
  concat4: [CONCAT_CHANNELS, vec(true, { UP: false })],
  concatUp: [CONCAT_CHANNELS, vec(false, { UP: true })],
  concatUp4: [CONCAT_CHANNELS, vec(true, { UP: true })],
  split: [SPLIT_CHANNELS, vec(false, { DOWN: false })],
  split4: [SPLIT_CHANNELS, vec(true, { DOWN: false })],
  splitDown: [SPLIT_CHANNELS, vec(false, { DOWN: true })],
  splitDown4: [SPLIT_CHANNELS, vec(true, { DOWN: true })],
} as const satisfies Record<string, readonly [KernelSpec, PipelineOptions]>;

export type ImagePipeline = keyof typeof BUILDS;

/** Every image kernel with its builds, for src/kernels/registry.ts. */
export const NN_IMAGE_KERNELS: { spec: KernelSpec; builds: PipelineOptions[] }[] = Object.values(BUILDS).map(
  ([s, b]) => ({ spec: s, builds: [b] }),
);

export interface ImageKernels {
  ctx: Context;
  p: Record<ImagePipeline, CachedPipeline>;
  /** Scratch tensors by role (reduction partials), grown on demand. */
  scratch: Map<string, Tensor>;
  /** Outgrown scratch tensors: dispatches already encoded in an open batch may still bind them. */
  retired: Tensor[];
}

/** Loads (compiles once per device) every image kernel. Dispose with disposeImageKernels. */
export async function imageKernels(ctx: Context): Promise<ImageKernels> {
  const names = Object.keys(BUILDS) as ImagePipeline[];
  const loaded = await Promise.all(names.map((n) => getPipeline(ctx, BUILDS[n][0], BUILDS[n][1])));
  const p = Object.fromEntries(names.map((n, i) => [n, loaded[i]!])) as Record<ImagePipeline, CachedPipeline>;
  return { ctx, p, scratch: new Map(), retired: [] };
}

/** Frees the scratch tensors (pipelines stay in the device's cache). Submit pending batches first. */
export function disposeImageKernels(k: ImageKernels): void {
  for (const t of [...k.scratch.values(), ...k.retired]) disposeTensor(t);
  k.scratch.clear();
  k.retired = [];
}

/** A scratch tensor of at least `elems` f32 values for `role`, grown geometrically. */
export function scratch(k: ImageKernels, role: string, elems: number): Tensor {
  const have = k.scratch.get(role);
  if (have && have.size >= elems) return have;
  if (have) k.retired.push(have);
  const size = Math.max(elems, 2 * (have?.size ?? 0), 256);
  const t = createTensor(k.ctx, [size], { label: `nn_image.${role}` });
  k.scratch.set(role, t);
  return t;
}

const U32 = 0xffffffff;

/** Checks a positive size argument (errors name the op and argument). */
export const dim = (op: string, name: string, v: unknown) => checkInt(`${op}: ${name}`, v, 1, 2 ** 31 - 1);

/** A convolution's checked batch, height, width and channels: [n, h, w, cin, cout]. */
export function convDims(
  op: string,
  a: { n: number; h: number; w: number; cin: number; cout: number },
): [number, number, number, number, number] {
  return [dim(op, 'n', a.n), dim(op, 'h', a.h), dim(op, 'w', a.w), dim(op, 'cin', a.cin), dim(op, 'cout', a.cout)];
}

/**
 * Checks that `t` is an f32 tensor holding at least `elems` values and fits one storage binding
 * (kernels bind whole tensors); returns it.
 */
export function need(ctx: Context, op: string, name: string, t: Tensor | undefined, elems: number): Tensor {
  if (!t || typeof t !== 'object' || !('buffer' in t))
    throw new Error(`${op}: ${name} must be a Tensor, got ${String(t)}`);
  if (t.dtype !== 'f32') throw new Error(`${op}: ${name} must have dtype f32, got ${t.dtype}`);
  if (elems > U32) throw new Error(`${op}: ${name} needs ${elems} elements, more than 2^32 - 1`);
  if (t.size < elems) throw new Error(`${op}: ${name} holds ${t.size} elements, needs at least ${elems}`);
  const limit = ctx.limits.maxStorageBufferBindingSize;
  if (t.buffer.size > limit) {
    throw new Error(
      `${op}: ${name} (${t.buffer.size} bytes) exceeds one storage binding of ${limit} bytes; split the batch`,
    );
  }
  return t;
}

/** Throws when two tensors share a buffer where the kernel reads one and writes the other. */
export function distinct(op: string, pairs: [string, Tensor | undefined, string, Tensor | undefined][]): void {
  for (const [na, a, nb, b] of pairs) {
    if (a && b && a.buffer === b.buffer)
      throw new Error(`${op}: ${na} and ${nb} must be different tensors (one is read while the other is written)`);
  }
}

export interface BlockPlan {
  blocks: number;
  blockRows: number;
}

/**
 * Blocks of the first reduction level over `rows` rows of `perRow` values each: about sqrt(rows * perRow)
 * values per block (at least 32), so both levels sum about sqrt of the total in order; blocks = 1 means
 * the first level writes the result directly.
 */
export function blockPlan(rows: number, perRow: number): BlockPlan {
  const per = Math.max(32, Math.ceil(Math.sqrt(rows * perRow)));
  const blockRows = Math.max(1, Math.ceil(per / perRow));
  return { blocks: Math.ceil(rows / blockRows), blockRows };
}
