// Kernel specs, builds and the shared state of the dense neural-network ops (nn_dense.ts): one pipeline
// per build, a scratch tensor for the partial sums of the two-level reductions, and argument checks.
import { checkInt } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { getPipeline, type CachedPipeline, type KernelSpec, type PipelineOptions } from '../runtime/pipeline.js';
import { createTensor, type DType, type Tensor } from '../runtime/tensor.js';

const IDX = ['lib/index.wgsl', 'lib/strided.wgsl'];
const ACT_LIBS = [...IDX, 'lib/activation.wgsl'];
const R = 'read' as const;
const W = 'read_write' as const;

export const BIAS_ACT: KernelSpec = { name: 'bias_act', libs: ACT_LIBS, storage: [R, R, W] };
export const BIAS_ACT_BACKWARD: KernelSpec = { name: 'bias_act_backward', libs: ACT_LIBS, storage: [R, R, R, W, W, W] };
/** dx written over dy (the same buffer): a writable binding may not alias another one. */
export const BIAS_ACT_BACKWARD_IN_PLACE: KernelSpec = {
  name: 'bias_act_backward',
  libs: ACT_LIBS,
  storage: [R, R, W, W, W],
};
export const COLUMN_REDUCE: KernelSpec = { name: 'column_reduce', libs: IDX, storage: [R, W] };
export const ADD: KernelSpec = { name: 'add', libs: IDX, storage: [R, R, W] };
export const ADD_IN_PLACE: KernelSpec = { name: 'add', libs: IDX, storage: [W, R] };
export const TIME_EMBEDDING: KernelSpec = { name: 'time_embedding', libs: IDX, storage: [R, W] };
export const EMBEDDING_GATHER: KernelSpec = { name: 'embedding_gather', libs: IDX, storage: [R, R, W] };
export const EMBEDDING_BACKWARD: KernelSpec = { name: 'embedding_backward', libs: IDX, storage: [R, R, W] };
export const MSE_LOSS: KernelSpec = { name: 'mse_loss', libs: IDX, storage: [R, R, W, W] };
export const CROSS_ENTROPY: KernelSpec = { name: 'cross_entropy', libs: IDX, storage: [R, R, W, W] };
export const SUM_SQUARES: KernelSpec = { name: 'sum_squares', libs: IDX, storage: [R, W] };
export const SUM_REDUCE: KernelSpec = { name: 'sum_reduce', storage: [R, W] };
export const CLIP_SCALE: KernelSpec = { name: 'clip_scale', storage: [R, W] };
export const ADAMW: KernelSpec = { name: 'adamw', libs: IDX, storage: [W, R, W, W, R] };
export const EMA: KernelSpec = { name: 'ema', libs: IDX, storage: [W, R] };
export const FILL: KernelSpec = { name: 'fill', libs: IDX, storage: [W] };

/** Workgroup sizes: elementwise kernels 256; kernels whose invocations loop (reductions) 64. */
export const NN_ELEMENTWISE_WG = 256;
export const NN_LOOP_WG = 64;
/** sum_reduce runs one workgroup of this size (a power of two: its tree halves it). */
export const NN_REDUCE_WG = 64;

/** Elements of the scratch tensor holding first-level partial sums. */
export const NN_SCRATCH = 65_536;
/** First-level partial sums of the strided reductions (MSE, sum of squares, cross-entropy rows). */
export const NN_MAX_PARTS = 16_384;
/** Elements (or rows) each partial sum covers at least. */
export const NN_MIN_ITEMS = 32;
/** A sum of squares of at most this many elements is one sum_reduce dispatch. */
export const NN_SMALL_SUM = 4096;
/**
 * Elementwise kernels run strided loops of about this many elements per invocation, over at most
 * NN_EW_MAX_PARTS invocations: on lavapipe one element per invocation is 10-15x slower (fill of 4 M
 * floats: 68 ms vs 4-5 ms at 128), and GPUs still get 2^18 invocations for large tensors.
 */
export const NN_EW_ITEMS = 128;
export const NN_EW_MAX_PARTS = 2 ** 18;

const ew = (extra: Record<string, number> = {}): PipelineOptions => ({
  constants: { WG: NN_ELEMENTWISE_WG, ...extra },
});
const loop = (extra: Record<string, number> = {}): PipelineOptions => ({ constants: { WG: NN_LOOP_WG, ...extra } });
const backward = (act: number, inPlace: boolean): PipelineOptions => ({
  ...loop({ ACT: act }),
  variant: { IN_PLACE: inPlace },
});

/** Every pipeline the dense ops use: its spec and its one build. */
export const NN_DENSE_BUILDS = {
  biasAct: { spec: BIAS_ACT, build: ew({ ACT: 0 }) },
  biasSilu: { spec: BIAS_ACT, build: ew({ ACT: 1 }) },
  biasActBackward: { spec: BIAS_ACT_BACKWARD, build: backward(0, false) },
  biasSiluBackward: { spec: BIAS_ACT_BACKWARD, build: backward(1, false) },
  biasActBackwardInPlace: { spec: BIAS_ACT_BACKWARD_IN_PLACE, build: backward(0, true) },
  biasSiluBackwardInPlace: { spec: BIAS_ACT_BACKWARD_IN_PLACE, build: backward(1, true) },
  columnReduce: { spec: COLUMN_REDUCE, build: loop() },
  add: { spec: ADD, build: { ...ew(), variant: { IN_PLACE: false, VEC4: false } } },
  addInPlace: { spec: ADD_IN_PLACE, build: { ...ew(), variant: { IN_PLACE: true, VEC4: false } } },
  // n a multiple of 4: vec4 loads (shaders/add.wgsl), the same bits.
  add4: { spec: ADD, build: { ...ew(), variant: { IN_PLACE: false, VEC4: true } } },
  addInPlace4: { spec: ADD_IN_PLACE, build: { ...ew(), variant: { IN_PLACE: true, VEC4: true } } },
  timeEmbedding: { spec: TIME_EMBEDDING, build: ew() },
  embeddingGather: { spec: EMBEDDING_GATHER, build: ew() },
  embeddingBackward: { spec: EMBEDDING_BACKWARD, build: loop() },
  mseLoss: { spec: MSE_LOSS, build: loop() },
  crossEntropy: { spec: CROSS_ENTROPY, build: loop() },
  sumSquares: { spec: SUM_SQUARES, build: loop() },
  sumReduce: { spec: SUM_REDUCE, build: { constants: { WG: NN_REDUCE_WG } } },
  clipScale: { spec: CLIP_SCALE, build: {} },
  adamW: { spec: ADAMW, build: ew() },
  ema: { spec: EMA, build: ew() },
  fill: { spec: FILL, build: ew() },
} satisfies Record<string, { spec: KernelSpec; build: PipelineOptions }>;

export type NnDensePipe = keyof typeof NN_DENSE_BUILDS;

/** Registry entries (src/kernels/registry.ts) for every build above. */
export const NN_DENSE_REGISTRY: { spec: KernelSpec; builds: PipelineOptions[] }[] = Object.values(NN_DENSE_BUILDS).map(
  ({ spec, build }) => ({ spec, builds: [build] }),
);

export interface NnDenseKernels {
  ctx: Context;
  pipes: Record<NnDensePipe, CachedPipeline>;
  /**
   * First-level partial sums (NN_SCRATCH f32), shared by every encode on this context: each encode
   * writes it and reads it back in the next dispatch, and dispatches run in order.
   */
  scratch: Tensor;
  /** 4 f32 bound where a kernel declares a writable binding that this call does not use. */
  spare: Tensor;
}

const loaded = new WeakMap<Context, Promise<NnDenseKernels>>();

async function load(ctx: Context): Promise<NnDenseKernels> {
  const names = Object.keys(NN_DENSE_BUILDS) as NnDensePipe[];
  const pipes = await Promise.all(
    names.map((n) => getPipeline(ctx, NN_DENSE_BUILDS[n].spec, NN_DENSE_BUILDS[n].build)),
  );
  return {
    ctx,
    pipes: Object.fromEntries(names.map((n, i) => [n, pipes[i]!])) as Record<NnDensePipe, CachedPipeline>,
    scratch: createTensor(ctx, [NN_SCRATCH], { label: 'nn_dense.scratch' }),
    spare: createTensor(ctx, [4], { label: 'nn_dense.spare' }),
  };
}

/**
 * Pipelines and scratch of the dense ops, loaded once per context (the same object on later calls);
 * its two small buffers are freed with the context's device.
 */
export function nnDenseKernels(ctx: Context): Promise<NnDenseKernels> {
  let p = loaded.get(ctx);
  if (!p) {
    p = load(ctx);
    loaded.set(ctx, p);
    p.catch(() => loaded.delete(ctx));
  }
  return p;
}

export type Act = 'none' | 'silu';
export const ACTS: readonly Act[] = ['none', 'silu'];

export function checkAct(what: string, act: unknown): Act {
  if (!ACTS.includes(act as Act))
    throw new Error(`${what}: act must be one of ${ACTS.map((a) => `'${a}'`).join(', ')}, got ${String(act)}`);
  return act as Act;
}

/** A size argument: an integer in [min, 2^31 - 1]. */
export const size = (what: string, name: string, v: unknown, min = 0) =>
  checkInt(`${what}: ${name}`, v, min, 2 ** 31 - 1);

/** Checks that `t` is a tensor of `dtype` holding at least `elems` elements. */
export function checkTensor(
  what: string,
  name: string,
  t: Tensor | undefined,
  elems: number,
  dtype: DType = 'f32',
): Tensor {
  if (!t || typeof t !== 'object' || !('buffer' in t))
    throw new Error(`${what}: ${name} must be a Tensor, got ${String(t)}`);
  if (t.dtype !== dtype) throw new Error(`${what}: ${name} must be a ${dtype} tensor, got ${t.dtype}`);
  if (t.size < elems) throw new Error(`${what}: ${name} holds ${t.size} elements, needs ${elems}`);
  return t;
}

/** Throws unless the tensors named in `pairs` use different buffers. */
export function checkDistinct(what: string, pairs: [string, Tensor | undefined, string, Tensor | undefined][]): void {
  for (const [na, a, nb, b] of pairs) {
    if (a && b && a.buffer === b.buffer) throw new Error(`${what}: ${na} and ${nb} must be different tensors`);
  }
}

export function checkReal(what: string, name: string, v: unknown, min = -Infinity, max = Infinity): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new Error(`${what}: ${name} must be a finite number in [${min}, ${max}], got ${String(v)}`);
  }
  return v;
}

/** Invocations of an elementwise strided loop over `n` elements (at least 1). */
export const ewParts = (n: number) => Math.max(1, Math.min(NN_EW_MAX_PARTS, Math.ceil(n / NN_EW_ITEMS)));

/** First-level partial sums for a strided reduction over `n` items. */
export const partsFor = (n: number) => Math.max(1, Math.min(NN_MAX_PARTS, Math.ceil(n / NN_MIN_ITEMS)));
