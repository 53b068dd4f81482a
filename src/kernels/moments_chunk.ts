// Host side of the segmented moments: argument checks, the stable counting sort of a chunk's rows by
// class (each class becomes one contiguous block, whose co-moment is one SYRK with an element
// offset), the per-class shifts, and the segmented_moments.wgsl dispatch that subtracts them in place
// and sums the shifted rows per block of MOMENT_BLOCK_ROWS rows.
import { checkFinite, checkInt, checkMatrix } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { dispatch, grid2d, submit, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import { readback, upload, type Tensor } from '../runtime/tensor.js';

export const SEGMENTED_MOMENTS: KernelSpec = {
  name: 'segmented_moments',
  libs: ['lib/index.wgsl'],
  storage: ['read_write', 'read', 'read', 'read_write'],
};
export const SEGMENTED_MOMENTS_WG = 64;
/** Rows per block of the first-moment sums: f32 sums of at most this many shifted values, then float64. */
export const MOMENT_BLOCK_ROWS = 64;
/** Largest class count accepted (states hold K x D x D float64 values). */
export const MAX_CLASSES = 1 << 20;

export function segmentedMomentsPipeline(ctx: Context): Promise<CachedPipeline> {
  return getPipeline(ctx, SEGMENTED_MOMENTS, { constants: { WG: SEGMENTED_MOMENTS_WG } });
}

export type Labels = Int32Array | Uint32Array;

/** Checks x (N, D) for shape and finiteness, and labels for length and range [0, K); returns [N, D]. */
export function checkMomentInput(
  name: string,
  x: Float32Array,
  shape: readonly number[],
  labels: Labels | null,
  classes: number,
  arg = 'x',
): [number, number] {
  if (!(x instanceof Float32Array))
    throw new Error(`${name}: ${arg} must be a Float32Array, got ${Object.prototype.toString.call(x)}`);
  const [rows, cols] = checkMatrix(`${name}: ${arg}`, x, shape);
  checkFinite(`${name}: ${arg}`, x, cols);
  checkInt(`${name}: classes`, classes, 1, MAX_CLASSES);
  if (labels === null) {
    if (classes !== 1)
      throw new Error(`${name}: labels are required when classes = ${classes} (only classes = 1 may omit them)`);
    return [rows, cols];
  }
  if (!(labels instanceof Int32Array || labels instanceof Uint32Array)) {
    throw new Error(
      `${name}: labels must be an Int32Array or Uint32Array, got ${Object.prototype.toString.call(labels)}`,
    );
  }
  if (labels.length !== rows)
    throw new Error(`${name}: labels has ${labels.length} entries, expected one per row (N = ${rows})`);
  for (let i = 0; i < rows; i++) {
    const l = labels[i]!;
    if (l < 0 || l >= classes)
      throw new Error(
        `${name}: labels[${i}] = ${l} is outside the allowed range [0, ${classes - 1}] (classes = ${classes})`,
      );
  }
  return [rows, cols];
}

/** Rows [start, start + count) of a chunk, sorted stably by class; starts (K + 1) bound each class's block. */
export interface SortedChunk {
  start: number;
  count: number;
  /** Chunk-local row indices in class order (null: the rows are already in class order). */
  order: Int32Array | null;
  starts: Int32Array;
}

export function sortChunk(labels: Labels | null, classes: number, start: number, count: number): SortedChunk {
  const starts = new Int32Array(classes + 1);
  if (labels === null) {
    starts[1] = count;
    return { start, count, order: null, starts };
  }
  let sorted = true;
  for (let i = 0; i < count; i++) {
    starts[labels[start + i]! + 1]!++;
    if (i > 0 && labels[start + i]! < labels[start + i - 1]!) sorted = false;
  }
  for (let k = 0; k < classes; k++) starts[k + 1]! += starts[k]!;
  // Rows already in class order (e.g. a dataset stored by class) need no permutation and no copy.
  if (sorted) return { start, count, order: null, starts };
  const next = starts.slice(0, classes);
  const order = new Int32Array(count);
  for (let i = 0; i < count; i++) order[next[labels[start + i]!]!++] = i;
  return { start, count, order, starts };
}

/** The chunk's rows of x (N, cols) in class order, as one contiguous (count, cols) array. */
export function gatherRows(x: Float32Array, cols: number, c: SortedChunk): Float32Array {
  if (!c.order) return x.subarray(c.start * cols, (c.start + c.count) * cols);
  const out = new Float32Array(c.count * cols);
  for (let i = 0; i < c.count; i++) {
    const r = c.start + c.order[i]!;
    out.set(x.subarray(r * cols, (r + 1) * cols), i * cols);
  }
  return out;
}

/** Classes with rows in the chunk, in class order; kernels index them compactly (0..P-1). */
export function presentClasses(starts: Int32Array): Int32Array {
  const out: number[] = [];
  for (let k = 0; k + 1 < starts.length; k++) if (starts[k + 1]! > starts[k]!) out.push(k);
  return Int32Array.from(out);
}

/**
 * Shift (P, cols) for the chunk's present classes, whose class-sorted rows are `rows`: the running
 * mean from earlier chunks when the class has one (count > 0), else its first row in this chunk. Any
 * shift is exact after the merge; one near the mean keeps f32 sums of squares free of the offset.
 */
export function chunkShift(
  rows: Float32Array,
  cols: number,
  starts: Int32Array,
  present: Int32Array,
  count: readonly number[],
  mean: readonly Float64Array[],
): Float32Array {
  const shift = new Float32Array(present.length * cols);
  present.forEach((k, p) => {
    if (count[k]! > 0) shift.set(mean[k]!, p * cols);
    else shift.set(rows.subarray(starts[k]! * cols, (starts[k]! + 1) * cols), p * cols);
  });
  return shift;
}

/**
 * Blocks (num_blocks, 4) u32 = (first row, end row, p, 0) of at most MOMENT_BLOCK_ROWS rows, none
 * crossing a class; p indexes `present`. classOf[b] = p of block b.
 */
export function momentBlocks(starts: Int32Array, present: Int32Array): { blocks: Uint32Array; classOf: Int32Array } {
  const list: number[] = [];
  present.forEach((k, p) => {
    for (let r = starts[k]!; r < starts[k + 1]!; r += MOMENT_BLOCK_ROWS)
      list.push(r, Math.min(r + MOMENT_BLOCK_ROWS, starts[k + 1]!), p, 0);
  });
  const blocks = Uint32Array.from(list);
  const classOf = new Int32Array(blocks.length / 4);
  for (let b = 0; b < classOf.length; b++) classOf[b] = blocks[4 * b + 2]!;
  return { blocks, classOf };
}

/** Most blocks a chunk of `rows` rows can have: every present class adds at most one partial block. */
export const maxBlocks = (rows: number, classes: number) =>
  Math.min(rows, Math.ceil(rows / MOMENT_BLOCK_ROWS) + classes);

export interface SegmentedMomentsArgs {
  x: Tensor;
  shift: Tensor;
  blocks: Tensor;
  sums: Tensor;
  cols: number;
  numBlocks: number;
  rows: number;
}

/** Encodes x -= shift[class] in place and sums[b] = sum of block b's shifted rows. */
export function encodeSegmentedMoments(batch: Batch, p: CachedPipeline, a: SegmentedMomentsArgs): void {
  const quads = Math.ceil(a.cols / 4);
  dispatch(batch, p, {
    params: { cols: a.cols, quads, num_blocks: a.numBlocks, pad: 0 },
    bindings: [a.x, a.shift, a.blocks, a.sums],
    workgroups: grid2d(batch.ctx, a.numBlocks * quads, SEGMENTED_MOMENTS_WG),
    // One subtract and one add per element; x read and written once, sums written once.
    flops: 2 * a.rows * a.cols,
    bytes: 4 * (2 * a.rows * a.cols + a.numBlocks * a.cols),
  });
}

/** Float64 sums (P, cols) per present class of the block sums (num_blocks, cols) read back from the GPU. */
export function classSums(sums: Float32Array, classOf: Int32Array, present: number, cols: number): Float64Array {
  const out = new Float64Array(present * cols);
  for (let b = 0; b < classOf.length; b++) {
    const o = classOf[b]! * cols;
    for (let d = 0; d < cols; d++) out[o + d]! += sums[b * cols + d]!;
  }
  return out;
}

/** One array's shifted rows on the GPU, with everything the segmented_moments dispatch needs. */
export interface ShiftedSide {
  args: SegmentedMomentsArgs;
  classOf: Int32Array;
  /** Rows of each present class (P). */
  counts: ArrayLike<number>;
  /** Total shift (P, cols) subtracted so far, in float64 (the sum of the f32 shifts of each pass). */
  shift: Float64Array;
}

/** Reads back the block sums of the last segmented_moments pass as float64 sums (P, cols). */
export async function readSums(ctx: Context, s: ShiftedSide): Promise<Float64Array> {
  const { cols, numBlocks } = s.args;
  const sums = (await readback(ctx, s.args.sums, 0, numBlocks * cols)) as Float32Array;
  return classSums(sums, s.classOf, s.counts.length, cols);
}

/**
 * Second centring pass: after a first pass with a rough shift (e.g. a class's first row, which
 * leaves a rank-one term |x_1 - m|^2 ~ D sigma^2 in every f32 product and costs ~sqrt(D) in relative
 * accuracy), subtract the f32 mean of the shifted rows, so the products see rows centred to f32
 * rounding. Submits the batch and waits for the first pass's sums; encodes the second pass.
 */
export async function recentre(ctx: Context, batch: Batch, p: CachedPipeline, sides: ShiftedSide[]): Promise<void> {
  submit(batch);
  for (const s of sides) {
    const u = await readSums(ctx, s);
    const { cols } = s.args;
    const more = new Float32Array(u.length);
    for (let q = 0; q < s.counts.length; q++)
      for (let d = 0; d < cols; d++) more[q * cols + d] = u[q * cols + d]! / s.counts[q]!;
    for (let i = 0; i < more.length; i++) s.shift[i]! += more[i]!;
    // Queue order: the upload lands after the first pass (submitted above) and before the second.
    upload(ctx, s.args.shift, more);
    encodeSegmentedMoments(batch, p, s.args);
  }
}

/** Rows per chunk: the option, or as many (row of cols f32) as fit in one storage binding. */
export function chunkRowsFor(ctx: Context, name: string, rows: number, cols: number, chunkRows?: number): number {
  const fit = Math.floor(ctx.limits.maxStorageBufferBindingSize / (4 * cols));
  if (fit < 1)
    throw new Error(
      `${name}: one row of ${cols} columns exceeds the binding limit of ${ctx.limits.maxStorageBufferBindingSize} bytes`,
    );
  if (chunkRows === undefined) return Math.min(rows, fit);
  return Math.min(rows, checkInt(`${name}: chunkRows`, chunkRows, 1, fit));
}
