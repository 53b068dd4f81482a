// Tensors: a storage buffer with a shape and a dtype. Create, upload, read back (through a pool of
// reused staging buffers), dispose; and row chunking for data larger than one storage binding.
import { checkDevice, type Context } from './context.js';
import { beginBatch, encodeCopy, submit, sync } from './dispatch.js';
import { waitForGpu } from './wait.js';

export type DType = 'f32' | 'u32' | 'i32';
export const DTYPES: readonly DType[] = ['f32', 'u32', 'i32'];
export type TypedArrayOf<D extends DType> = D extends 'f32' ? Float32Array : D extends 'u32' ? Uint32Array : Int32Array;

export interface Tensor<D extends DType = DType> {
  buffer: GPUBuffer;
  shape: number[];
  dtype: D;
  /** Number of elements. */
  size: number;
  label: string;
}

const ARRAYS = { f32: Float32Array, u32: Uint32Array, i32: Int32Array } as const;

export interface TensorOptions<D extends DType> {
  dtype?: D;
  label?: string;
  data?: ArrayLike<number>;
  usage?: number;
}

function checkShape(shape: number[], label: string): number {
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((s) => !Number.isInteger(s) || s < 0)) {
    throw new Error(`${label}: shape [${shape}] must be a non-empty list of non-negative integers`);
  }
  return shape.reduce((a, b) => a * b, 1);
}

export function createTensor<D extends DType = 'f32'>(
  ctx: Context,
  shape: number[],
  opts: TensorOptions<D> = {},
): Tensor<D> {
  checkDevice(ctx);
  const dtype = (opts.dtype ?? 'f32') as D;
  const label = opts.label ?? `tensor(${shape.join('x')})`;
  if (!DTYPES.includes(dtype)) throw new Error(`${label}: dtype '${dtype}' is not one of ${DTYPES.join(', ')}`);
  const size = checkShape(shape, label);
  const bytes = Math.max(16, Math.ceil((size * 4) / 16) * 16);
  if (bytes > ctx.limits.maxBufferSize) {
    throw new Error(`${label}: ${bytes} bytes exceed the device's maxBufferSize of ${ctx.limits.maxBufferSize}`);
  }
  const buffer = ctx.device.createBuffer({
    label,
    size: bytes,
    usage: opts.usage ?? GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST,
  });
  const t: Tensor<D> = { buffer, shape: [...shape], dtype, size, label };
  if (opts.data) upload(ctx, t, opts.data);
  return t;
}

/** Writes `data` into the tensor starting at element `offset` (queue order: before later submits). */
export function upload(ctx: Context, t: Tensor, data: ArrayLike<number>, offset = 0): void {
  if (offset < 0 || offset + data.length > t.size) {
    throw new Error(`${t.label}: upload of ${data.length} elements at ${offset} exceeds its ${t.size} elements`);
  }
  const Arr = ARRAYS[t.dtype];
  const arr = data instanceof Arr ? data : Arr.from(data);
  ctx.device.queue.writeBuffer(t.buffer, offset * 4, arr.buffer, arr.byteOffset, arr.byteLength);
}

function borrowStaging(ctx: Context, bytes: number): GPUBuffer {
  const bucket = Math.max(256, 2 ** Math.ceil(Math.log2(bytes)));
  const free = ctx.staging.get(bucket);
  const hit = free?.pop();
  if (hit) return hit;
  return ctx.device.createBuffer({
    label: `fluctus.staging-${bucket}`,
    size: bucket,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
}

function returnStaging(ctx: Context, b: GPUBuffer): void {
  if (ctx.destroyed) {
    b.destroy();
    return;
  }
  const list = ctx.staging.get(b.size) ?? [];
  list.push(b);
  ctx.staging.set(b.size, list);
}

/** Copies elements [offset, offset + length) of the tensor back to the CPU, after pending work. */
export async function readback<D extends DType>(
  ctx: Context,
  t: Tensor<D>,
  offset = 0,
  length = t.size - offset,
): Promise<TypedArrayOf<D>> {
  if (offset < 0 || length < 0 || offset + length > t.size) {
    throw new Error(`${t.label}: readback of ${length} elements at ${offset} exceeds its ${t.size} elements`);
  }
  const Arr = ARRAYS[t.dtype];
  if (length === 0) return new Arr(0) as TypedArrayOf<D>;
  const bytes = length * 4;
  // Wait for the kernels first, under their own wait model, then for the copy under its own.
  await sync(ctx);
  const staging = borrowStaging(ctx, bytes);
  const batch = beginBatch(ctx, `readback ${t.label}`);
  encodeCopy(batch, (enc) => enc.copyBufferToBuffer(t.buffer, offset * 4, staging, 0, bytes), bytes);
  submit(batch);
  try {
    await sync(ctx);
    await waitForGpu(ctx, () => staging.mapAsync(GPUMapMode.READ, 0, bytes));
    const out = new Arr(staging.getMappedRange(0, bytes).slice(0)) as TypedArrayOf<D>;
    staging.unmap();
    return out;
  } finally {
    if (staging.mapState === 'unmapped') returnStaging(ctx, staging);
  }
}

export function disposeTensor(t: Tensor): void {
  t.buffer.destroy();
}

export interface RowChunk {
  start: number;
  count: number;
}

/**
 * Splits `rows` rows of `rowBytes` bytes into consecutive chunks that each fit in `maxBytes`
 * (default: the device's maxStorageBufferBindingSize), for data larger than one binding.
 * `multiple` keeps every chunk but the last a multiple of that many rows.
 */
export function rowChunks(rows: number, rowBytes: number, maxBytes: number, multiple = 1): RowChunk[] {
  if (rowBytes > maxBytes)
    throw new Error(`one row of ${rowBytes} bytes exceeds the binding limit of ${maxBytes} bytes`);
  let per = Math.floor(maxBytes / rowBytes);
  if (per >= multiple) per -= per % multiple;
  const out: RowChunk[] = [];
  for (let start = 0; start < rows; start += per) out.push({ start, count: Math.min(per, rows - start) });
  return out;
}
