// Dispatch batching: many dispatches in one compute pass and one submit. Each dispatch's Params go
// to their own slot of the context's uniform ring (bound with a dynamic offset), written once just
// before the submit, so every dispatch keeps its parameters until the GPU has run it.
import { checkDevice, type Context } from './context.js';
import type { CachedPipeline } from './pipeline.js';
import { packParams, type ParamValue } from './shader.js';
import type { Tensor } from './tensor.js';
import { beginProfiledPass, profilerFull, resolveProfile } from './profile.js';
import { waitForGpu } from './wait.js';

/** Uniform slots per batch; a batch with more dispatches is submitted in parts. */
const RING_SLOTS = 512;
const SLOT_BYTES = 256; // >= any adapter's minUniformBufferOffsetAlignment (the spec caps it at 256)

export type Binding = Tensor | { buffer: GPUBuffer; offset?: number; size?: number };

export interface DispatchArgs {
  params?: Record<string, ParamValue>;
  /** Storage buffers for bindings 1..n, in the order the kernel spec declares them. */
  bindings: Binding[];
  workgroups: readonly [number, number?, number?];
  /** Declared cost for the profiler and the wait model (FLOP count; bytes read plus written). */
  flops?: number;
  bytes?: number;
}

export interface Batch {
  ctx: Context;
  label: string;
  encoder: GPUCommandEncoder;
  pass: GPUComputePassEncoder | null;
  ring: ArrayBuffer;
  slots: number;
  kernels: string[];
  work: number;
  declared: boolean;
}

const ceilDiv = (a: number, b: number) => Math.ceil(a / b);

export function beginBatch(ctx: Context, label = 'batch'): Batch {
  checkDevice(ctx);
  return {
    ctx,
    label,
    encoder: ctx.device.createCommandEncoder({ label }),
    pass: null,
    ring: new ArrayBuffer(RING_SLOTS * SLOT_BYTES),
    slots: 0,
    kernels: [],
    work: 0,
    declared: true,
  };
}

function ringBuffer(ctx: Context): GPUBuffer {
  ctx.uniformRing ??= ctx.device.createBuffer({
    label: 'fluctus.uniform-ring',
    size: RING_SLOTS * SLOT_BYTES,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
  });
  return ctx.uniformRing;
}

function entryFor(b: Binding, binding: number): GPUBindGroupEntry {
  return 'shape' in b
    ? { binding, resource: { buffer: b.buffer } }
    : { binding, resource: { buffer: b.buffer, offset: b.offset ?? 0, size: b.size } };
}

export function dispatch(batch: Batch, p: CachedPipeline, args: DispatchArgs): void {
  const { ctx } = batch;
  if (args.bindings.length !== p.spec.storage.length) {
    throw new Error(`${p.kernel}: expected ${p.spec.storage.length} storage bindings, got ${args.bindings.length}`);
  }
  const [x, y = 1, z = 1] = args.workgroups;
  const maxDim = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (x > maxDim || y > maxDim || z > maxDim) {
    throw new Error(`${p.kernel}: ${x}x${y}x${z} workgroups exceed the limit of ${maxDim} per dimension (use grid2d)`);
  }
  if (x * y * z === 0) return;
  if (batch.slots === RING_SLOTS || profilerFull(ctx)) submit(batch);
  const entries: GPUBindGroupEntry[] = args.bindings.map((b, i) => entryFor(b, i + 1));
  const offsets: number[] = [];
  if (p.params) {
    const slot = batch.slots++;
    packParams(p.params, args.params ?? {}, new DataView(batch.ring), slot * SLOT_BYTES, p.kernel);
    entries.unshift({ binding: 0, resource: { buffer: ringBuffer(ctx), offset: 0, size: p.params.size } });
    offsets.push(slot * SLOT_BYTES);
  } else if (args.params && Object.keys(args.params).length) {
    throw new Error(`${p.kernel}: the kernel has no Params struct but parameters were given`);
  }
  const group = ctx.device.createBindGroup({ label: `${p.kernel}.bg`, layout: p.layout, entries });
  const work = (args.flops ?? 0) + (args.bytes ?? 0);
  let pass = batch.pass;
  const profiled = ctx.profiler !== null;
  if (profiled) pass = beginProfiledPass(ctx, batch.encoder, p.kernel, args.flops ?? 0, args.bytes ?? 0);
  else pass ??= batch.pass = batch.encoder.beginComputePass({ label: batch.label });
  pass.setPipeline(p.pipeline);
  pass.setBindGroup(0, group, offsets);
  pass.dispatchWorkgroups(x, y, z);
  if (profiled) pass.end();
  batch.kernels.push(p.kernel);
  batch.work += work;
  if (work === 0) batch.declared = false;
}

/** Encodes the batch's copy commands with `fn` (after its dispatches), e.g. copyBufferToBuffer. */
export function encodeCopy(batch: Batch, fn: (enc: GPUCommandEncoder) => void, bytes = 0): void {
  if (batch.pass) {
    batch.pass.end();
    batch.pass = null;
  }
  fn(batch.encoder);
  // Copies move bytes at another rate than kernels: naming them gives the wait model its own key.
  if (!batch.kernels.includes('copy')) batch.kernels.push('copy');
  batch.work += bytes;
}

/** Ends the pass and submits; the batch can take more dispatches afterwards. */
export function submit(batch: Batch): void {
  const { ctx } = batch;
  if (batch.pass) {
    batch.pass.end();
    batch.pass = null;
  }
  if (batch.slots) ctx.device.queue.writeBuffer(ringBuffer(ctx), 0, batch.ring, 0, batch.slots * SLOT_BYTES);
  const after = ctx.profiler ? resolveProfile(ctx, batch.encoder, batch.label) : [];
  ctx.device.queue.submit([batch.encoder.finish({ label: batch.label })]);
  ctx.pending.push({
    kernels: batch.kernels,
    work: batch.work,
    declared: batch.declared,
    submittedAt: performance.now(),
    after,
  });
  // The batch stays usable: writeBuffer copied the ring, so the next dispatches start afresh.
  batch.encoder = ctx.device.createCommandEncoder({ label: batch.label });
  batch.slots = 0;
  batch.kernels = [];
  batch.work = 0;
  batch.declared = true;
}

/** Waits until everything submitted so far has run; throws device errors naming the kernels. */
export async function sync(ctx: Context): Promise<void> {
  if (!ctx.pending.length) {
    checkDevice(ctx);
    return;
  }
  const pending = ctx.pending.slice();
  await waitForGpu(ctx, () => ctx.device.queue.onSubmittedWorkDone());
  // Concurrent callers (two request streams reading back) may wait for the same submissions: the first
  // to resume takes them and runs their callbacks (timestamp reads) once; what was submitted during the
  // wait stays pending for a later sync.
  const mine = pending.filter((p) => !p.synced);
  for (const p of mine) p.synced = true;
  ctx.pending = ctx.pending.filter((p) => !p.synced);
  checkDevice(ctx, [...new Set(mine.flatMap((p) => p.kernels))]);
  for (const p of mine) for (const f of p.after) await f();
}

/**
 * Workgroup grid for `count` invocations of `wg` threads: x up to the per-dimension limit, the rest
 * in y. Kernels recover the linear index with lib/index.wgsl's linear_index().
 */
export function grid2d(ctx: Context, count: number, wg: number): [number, number] {
  const groups = ceilDiv(count, wg);
  const maxDim = ctx.limits.maxComputeWorkgroupsPerDimension;
  if (groups <= maxDim) return [groups, 1];
  const y = ceilDiv(groups, maxDim);
  if (y > maxDim) throw new Error(`fluctus: ${count} invocations need more than ${maxDim}^2 workgroups`);
  return [ceilDiv(groups, y), y];
}

export { ceilDiv };
