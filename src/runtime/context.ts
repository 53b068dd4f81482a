// The one entry point to the GPU: an adapter and device with the limits kernels need, plus the
// per-device state the rest of the runtime hangs off (pipeline cache, staging pool, uniform ring,
// profiler, wait model). Same API in Node (Dawn) and browsers (navigator.gpu).
import { getGpu, noAdapterHelp, platform } from './platform-node.js';
import type { CachedPipeline } from './pipeline.js';
import type { Profiler } from './profile.js';
import type { WaitModel } from './wait.js';

export type WaitMode = 'idle' | 'poll';
const WAIT_MODES: readonly WaitMode[] = ['idle', 'poll'];

export interface ContextOptions {
  /** A GPU object to use instead of the platform's (navigator.gpu, or Dawn in Node). */
  gpu?: GPU;
  /** Extra Dawn flags (Node only), e.g. ['backend=null']; FLUCTUS_DAWN_FLAGS adds more. */
  dawnFlags?: string[];
  powerPreference?: GPUPowerPreference;
  featureLevel?: 'core' | 'compatibility';
  /** Per-kernel GPU timing (timestamp queries when the adapter has them, wall clock otherwise). */
  profile?: boolean;
  /** Record the GPU timeline and host spans for chromeTrace() (trace.ts); implies profile. */
  trace?: boolean;
  /**
   * How to wait for the GPU. 'idle' sleeps for the predicted time before asking for completion,
   * because dawn.node busy-polls the main thread while a GPU promise is pending and steals a core
   * from CPU drivers (ENVIRONMENT.md). 'poll' awaits at once. Default: 'idle' in Node on a fallback
   * (CPU) adapter, where it measured 1.7x faster kernels on lavapipe; 'poll' on real GPUs (on an H100
   * sub-millisecond kernels lost to timer granularity) and in browsers (which do not poll the page).
   */
  wait?: WaitMode;
  /** Longest a single wait may take before it fails naming the kernels in flight. */
  timeoutMs?: number;
  label?: string;
}

export interface AdapterSummary {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  isFallback: boolean;
}

export interface DeviceLimits {
  maxStorageBufferBindingSize: number;
  maxBufferSize: number;
  maxComputeWorkgroupsPerDimension: number;
  maxComputeInvocationsPerWorkgroup: number;
  maxComputeWorkgroupStorageSize: number;
  maxComputeWorkgroupSizeX: number;
  maxStorageBuffersPerShaderStage: number;
  minUniformBufferOffsetAlignment: number;
}

/** Work submitted and not yet waited for: which kernels, how much work, when. */
export interface Pending {
  kernels: string[];
  work: number;
  /** Whether every dispatch declared its cost (only then can the wait be predicted). */
  declared: boolean;
  submittedAt: number;
  after: (() => Promise<void>)[];
  /** Taken by a sync (its callbacks run once, by that sync). */
  synced?: boolean;
}

export interface Context {
  platform: 'node' | 'browser';
  label: string;
  gpu: GPU;
  adapter: GPUAdapter;
  device: GPUDevice;
  adapterInfo: AdapterSummary;
  features: {
    timestampQuery: boolean;
    shaderF16: boolean;
    subgroups: boolean;
    /** Smallest subgroup size the adapter reports (0 when unknown or without subgroups). */
    subgroupMinSize: number;
  };
  limits: DeviceLimits;
  waitMode: WaitMode;
  timeoutMs: number;
  pipelines: Map<string, CachedPipeline>;
  /** Number of pipelines compiled on this device (a steady-state loop must not raise it). */
  compiles: number;
  staging: Map<number, GPUBuffer[]>;
  uniformRing: GPUBuffer | null;
  profiler: Profiler | null;
  pending: Pending[];
  /** Learned wait model per kernel set (see wait.ts). */
  waitModel: Map<string, WaitModel>;
  /** First asynchronous device error (validation, out-of-memory, internal) not yet reported. */
  deviceError: GPUError | null;
  lost: string | null;
  lostPromise: Promise<never>;
  destroyed: boolean;
}

const LIMITS_WANTED: (keyof DeviceLimits)[] = [
  'maxStorageBufferBindingSize',
  'maxBufferSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeInvocationsPerWorkgroup',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupSizeX',
  'maxStorageBuffersPerShaderStage',
];

export async function requestContext(opts: ContextOptions = {}): Promise<Context> {
  if (opts.wait !== undefined && !WAIT_MODES.includes(opts.wait)) {
    throw new Error(`requestContext: wait '${opts.wait}' is not one of ${WAIT_MODES.join(', ')}`);
  }
  const gpu = opts.gpu ?? getGpu(opts.dawnFlags);
  const adapter = await gpu.requestAdapter({
    powerPreference: opts.powerPreference ?? 'high-performance',
    ...(opts.featureLevel ? { featureLevel: opts.featureLevel } : {}),
  });
  if (!adapter) throw new Error(noAdapterHelp);

  const has = (f: string) => adapter.features.has(f);
  const wanted = ['timestamp-query', 'shader-f16', 'subgroups'].filter(has) as GPUFeatureName[];
  const requiredLimits: Record<string, number> = {};
  for (const k of LIMITS_WANTED) requiredLimits[k] = adapter.limits[k];
  const label = opts.label ?? 'fluctus';
  const device = await adapter.requestDevice({ label, requiredFeatures: wanted, requiredLimits });

  const info = adapter.info as GPUAdapterInfo & { isFallbackAdapter?: boolean };
  const adapterInfo: AdapterSummary = {
    vendor: info.vendor ?? '',
    architecture: info.architecture ?? '',
    device: info.device ?? '',
    description: info.description ?? '',
    isFallback: Boolean(info.isFallbackAdapter ?? (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter),
  };
  const limits = {} as DeviceLimits;
  for (const k of [...LIMITS_WANTED, 'minUniformBufferOffsetAlignment'] as (keyof DeviceLimits)[]) {
    limits[k] = device.limits[k];
  }

  const ctx: Context = {
    platform,
    label,
    gpu,
    adapter,
    device,
    adapterInfo,
    features: {
      timestampQuery: wanted.includes('timestamp-query'),
      shaderF16: wanted.includes('shader-f16'),
      subgroups: wanted.includes('subgroups'),
      subgroupMinSize: wanted.includes('subgroups')
        ? Number((info as { subgroupMinSize?: number }).subgroupMinSize ?? 0)
        : 0,
    },
    limits,
    waitMode: opts.wait ?? (platform === 'node' && adapterInfo.isFallback ? 'idle' : 'poll'),
    timeoutMs: opts.timeoutMs ?? 10 * 60_000,
    pipelines: new Map(),
    compiles: 0,
    staging: new Map(),
    uniformRing: null,
    profiler: null,
    pending: [],
    waitModel: new Map(),
    deviceError: null,
    lost: null,
    lostPromise: undefined as unknown as Promise<never>,
    destroyed: false,
  };
  ctx.lostPromise = device.lost.then((l) => {
    ctx.lost = `${l.reason ?? 'unknown'}: ${l.message}`;
    throw new Error(`fluctus: GPU device lost (${ctx.lost})${inFlight(ctx)}`);
  });
  // A rejected lostPromise nobody races against must not become an unhandled rejection.
  ctx.lostPromise.catch(() => undefined);
  device.addEventListener('uncapturederror', (ev) => {
    ctx.deviceError ??= (ev as GPUUncapturedErrorEvent).error;
  });
  if (opts.profile || opts.trace) {
    const { createProfiler } = await import('./profile.js');
    ctx.profiler = createProfiler(ctx, Boolean(opts.trace));
  }
  return ctx;
}

/** ' while running a, b' for error messages: the kernels submitted and not yet finished. */
export function inFlight(ctx: Context): string {
  const names = [...new Set(ctx.pending.flatMap((p) => p.kernels))];
  return names.length ? ` while running ${names.join(', ')}` : '';
}

/** Throws if the device was lost or reported an asynchronous error, naming the kernels in flight. */
export function checkDevice(ctx: Context, kernels: string[] = []): void {
  if (ctx.destroyed) throw new Error('fluctus: the context was destroyed');
  const names = kernels.length ? ` while running ${kernels.join(', ')}` : inFlight(ctx);
  if (ctx.lost) throw new Error(`fluctus: GPU device lost (${ctx.lost})${names}`);
  const err = ctx.deviceError;
  if (err) {
    ctx.deviceError = null;
    const kind = err.constructor?.name ?? 'GPUError';
    const what = kind.includes('OutOfMemory') ? 'out of GPU memory' : kind;
    throw new Error(`fluctus: ${what}${names}: ${err.message}`);
  }
}

export function destroyContext(ctx: Context): void {
  if (ctx.destroyed) return;
  ctx.destroyed = true;
  for (const list of ctx.staging.values()) for (const b of list) b.destroy();
  ctx.staging.clear();
  ctx.uniformRing?.destroy();
  ctx.profiler?.destroy();
  ctx.pipelines.clear();
  ctx.device.destroy();
}
