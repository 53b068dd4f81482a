// Batched forward noising x_i = sqrt(abar_i) x0 + sqrt(1 - abar_i) eps for many steps in one fused
// kernel (DESIGN.md §1), streamed in row chunks when the data or the output exceeds one binding.
// eps for (sample n, step i, dim d) depends only on (seed, stream, n, i, d), so any chunking gives
// the same bits.
import { checkFinite, checkInt, checkMatrix, seedKey } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { beginBatch, dispatch, grid2d, submit, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import { createTensor, disposeTensor, readback, upload, type Tensor } from '../runtime/tensor.js';
import { stepsFromList, type Schedule } from '../schedule/schedules.js';
import { RNG_LIBS } from './philox.js';
import { NOISE_STREAM } from './philox_streams.js';

export const FORWARD_NOISE: KernelSpec = {
  name: 'forward_noise',
  libs: RNG_LIBS,
  storage: ['read', 'read', 'read', 'read_write'],
};
export const FORWARD_NOISE_WG = 64;

/** Philox stream (4th counter word) of the forward-noising eps; other consumers use other streams (philox_streams.ts). */
export { NOISE_STREAM };

export function forwardNoisePipeline(ctx: Context): Promise<CachedPipeline> {
  return getPipeline(ctx, FORWARD_NOISE, { constants: { WG: FORWARD_NOISE_WG } });
}

export interface NoiseChunkArgs {
  x0: Tensor;
  out: Tensor;
  steps: Tensor;
  coef: Tensor;
  rows: number;
  cols: number;
  rowOffset: number;
  numSteps: number;
  key: readonly [number, number];
  stream?: number;
}

/** Encodes one chunk (rows of x0 already on the GPU) into a batch, for chaining with other kernels. */
export function encodeForwardNoise(batch: Batch, p: CachedPipeline, a: NoiseChunkArgs): void {
  const quads = Math.ceil(a.cols / 4);
  const elems = a.rows * a.cols;
  dispatch(batch, p, {
    params: {
      key: a.key,
      rows: a.rows,
      cols: a.cols,
      row_offset: a.rowOffset,
      num_steps: a.numSteps,
      stream: a.stream ?? NOISE_STREAM,
      quads,
    },
    bindings: [a.x0, a.steps, a.coef, a.out],
    workgroups: grid2d(batch.ctx, a.rows * quads, FORWARD_NOISE_WG),
    // 3 flops per output (2 multiplies, 1 add); normal generation is integer work and not counted.
    flops: 3 * elems * a.numSteps,
    bytes: 4 * elems * (1 + a.numSteps),
  });
}

export interface ForwardNoiseOptions {
  schedule: Schedule;
  /** Steps in 1..T (x_1 is the first noised state). */
  steps: ArrayLike<number>;
  seed: number;
  stream?: number;
  /** Largest bytes of one input or output chunk; defaults to the device's storage binding limit. */
  maxChunkBytes?: number;
  /** Receives each chunk: data is (stepCount, rows, cols) for steps [stepStart, stepStart + stepCount). */
  onChunk?: (c: { rowStart: number; rows: number; stepStart: number; stepCount: number; data: Float32Array }) => void;
}

export interface ChunkPlan {
  rowsPerChunk: number;
  stepsPerChunk: number;
}

/** Rows and steps per chunk so that x0's chunk and the output chunk each fit in `maxBytes`. */
export function planNoiseChunks(rows: number, cols: number, numSteps: number, maxBytes: number): ChunkPlan {
  const rowBytes = 4 * cols;
  if (rowBytes > maxBytes)
    throw new Error(`forwardNoise: one row of ${cols} columns exceeds the binding limit of ${maxBytes} bytes`);
  const rowsAllSteps = Math.floor(maxBytes / (rowBytes * numSteps));
  if (rowsAllSteps >= 1) return { rowsPerChunk: Math.min(rows, rowsAllSteps), stepsPerChunk: numSteps };
  return { rowsPerChunk: 1, stepsPerChunk: Math.max(1, Math.floor(maxBytes / rowBytes)) };
}

/**
 * Noises x0 (shape [N, D], row-major) at every requested step. Returns (S, N, D) unless `onChunk`
 * is given, in which case chunks are handed over as they are read back and nothing is kept.
 */
export async function forwardNoise(
  ctx: Context,
  x0: Float32Array,
  shape: readonly number[],
  opts: ForwardNoiseOptions,
): Promise<Float32Array | null> {
  const [rows, cols] = checkMatrix('forwardNoise: x0', x0, shape);
  checkFinite('forwardNoise: x0', x0, cols);
  const key = seedKey(opts.seed);
  const stream = checkInt('stream', opts.stream ?? NOISE_STREAM, 0, 0xffffffff);
  const { steps, abar } = stepsFromList(opts.schedule, opts.steps);
  const S = steps.length;
  const maxBytes = Math.min(opts.maxChunkBytes ?? Infinity, ctx.limits.maxStorageBufferBindingSize);
  const { rowsPerChunk, stepsPerChunk } = planNoiseChunks(rows, cols, S, maxBytes);
  if (!opts.onChunk && S * rows * cols > 2 ** 31 - 1) {
    throw new Error(`forwardNoise: ${S} x ${rows} x ${cols} outputs exceed one array; pass onChunk to stream them`);
  }
  const result = opts.onChunk ? null : new Float32Array(S * rows * cols);

  const coef = new Float32Array(2 * S);
  for (let s = 0; s < S; s++) {
    coef[2 * s] = Math.sqrt(abar[s]!);
    coef[2 * s + 1] = Math.sqrt(1 - abar[s]!);
  }
  const p = await forwardNoisePipeline(ctx);
  const stepsT = createTensor(ctx, [stepsPerChunk], { dtype: 'u32', label: 'forward_noise.steps' });
  const coefT = createTensor(ctx, [stepsPerChunk, 2], { label: 'forward_noise.coef' });
  const x0T = createTensor(ctx, [rowsPerChunk, cols], { label: 'forward_noise.x0' });
  const outT = createTensor(ctx, [stepsPerChunk, rowsPerChunk, cols], { label: 'forward_noise.out' });
  const batch = beginBatch(ctx, 'forward_noise');
  try {
    for (let r0 = 0; r0 < rows; r0 += rowsPerChunk) {
      const nr = Math.min(rowsPerChunk, rows - r0);
      upload(ctx, x0T, x0.subarray(r0 * cols, (r0 + nr) * cols));
      for (let s0 = 0; s0 < S; s0 += stepsPerChunk) {
        const ns = Math.min(stepsPerChunk, S - s0);
        // Queue order: these writes land before the submit below and after the previous one.
        upload(ctx, stepsT, steps.subarray(s0, s0 + ns));
        upload(ctx, coefT, coef.subarray(2 * s0, 2 * (s0 + ns)));
        encodeForwardNoise(batch, p, {
          x0: x0T,
          out: outT,
          steps: stepsT,
          coef: coefT,
          rows: nr,
          cols,
          rowOffset: r0,
          numSteps: ns,
          key,
          stream,
        });
        submit(batch);
        const data = await readback(ctx, outT, 0, ns * nr * cols);
        if (opts.onChunk) opts.onChunk({ rowStart: r0, rows: nr, stepStart: s0, stepCount: ns, data });
        else
          for (let s = 0; s < ns; s++)
            result!.set(data.subarray(s * nr * cols, (s + 1) * nr * cols), ((s0 + s) * rows + r0) * cols);
      }
    }
  } finally {
    for (const t of [stepsT, coefT, x0T, outT]) disposeTensor(t);
  }
  return result;
}

export interface StandardNormalsOptions {
  seed: number;
  /** Philox stream (default NOISE_STREAM); distinct streams give independent draws. */
  stream?: number;
  /** Step tag of the counter (default 0, which forwardNoise never uses: its steps are 1..T). */
  step?: number;
  /** Row number of the first row (rows are counters, so row r of a later call continues a sequence). */
  rowOffset?: number;
}

/**
 * eps (rows, cols) ~ N(0, I): the forward_noise kernel with coefficients (0, 1), so the deviates are
 * exactly the eps(seed, row, step, dim) that forwardNoise adds at that step tag and stream. The
 * merger analysis's one-draw shortcut uses step tag 0 (DESIGN.md §2).
 */
export async function standardNormals(
  ctx: Context,
  rows: number,
  cols: number,
  opts: StandardNormalsOptions,
): Promise<Float32Array> {
  checkInt('rows', rows, 1, 2 ** 31 - 1);
  checkInt('cols', cols, 1, 2 ** 31 - 1);
  const key = seedKey(opts.seed);
  const stream = checkInt('stream', opts.stream ?? NOISE_STREAM, 0, 0xffffffff);
  const step = checkInt('step', opts.step ?? 0, 0, 0xffffffff);
  const rowOffset = checkInt('rowOffset', opts.rowOffset ?? 0, 0, 0xffffffff);
  if (rows * cols > 2 ** 31 - 1) throw new Error(`standardNormals: ${rows} x ${cols} values exceed one array`);
  const { rowsPerChunk } = planNoiseChunks(rows, cols, 1, ctx.limits.maxStorageBufferBindingSize);
  const out = new Float32Array(rows * cols);
  const p = await forwardNoisePipeline(ctx);
  const stepsT = createTensor(ctx, [1], { dtype: 'u32', data: [step], label: 'standard_normals.steps' });
  const coefT = createTensor(ctx, [1, 2], { data: [0, 1], label: 'standard_normals.coef' });
  const x0T = createTensor(ctx, [rowsPerChunk, cols], { label: 'standard_normals.zeros' });
  const outT = createTensor(ctx, [rowsPerChunk, cols], { label: 'standard_normals.out' });
  const batch = beginBatch(ctx, 'standard_normals');
  try {
    for (let r0 = 0; r0 < rows; r0 += rowsPerChunk) {
      const nr = Math.min(rowsPerChunk, rows - r0);
      encodeForwardNoise(batch, p, {
        x0: x0T,
        out: outT,
        steps: stepsT,
        coef: coefT,
        rows: nr,
        cols,
        rowOffset: rowOffset + r0,
        numSteps: 1,
        key,
        stream,
      });
      submit(batch);
      out.set(await readback(ctx, outT, 0, nr * cols), r0 * cols);
    }
  } finally {
    for (const t of [stepsT, coefT, x0T, outT]) disposeTensor(t);
  }
  return out;
}
