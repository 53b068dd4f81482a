// Per-kernel GPU time. With the timestamp-query feature each profiled dispatch gets its own compute
// pass with begin/end timestamps (Dawn's timestamp quantization is switched off in Node by
// platform-node.ts); without it, each submit's wall time (submit to completion) is shared among its
// dispatches in proportion to their declared work. Either way a report gives time, GFLOP/s and GB/s.
import type { Context } from './context.js';
import { createTraceLog, type TraceLog } from './trace.js';

const MAX_TIMED = 1024; // dispatches timed per submit; dispatch() submits early when this is reached

interface Timed {
  kernel: string;
  flops: number;
  bytes: number;
}

export interface KernelProfile {
  kernel: string;
  calls: number;
  ms: number;
  flops: number;
  bytes: number;
  gflops: number;
  gbps: number;
}

export interface Profiler {
  mode: 'timestamp' | 'wall';
  querySet: GPUQuerySet | null;
  resolveBuffer: GPUBuffer | null;
  current: Timed[];
  totals: Map<string, { calls: number; ns: number; flops: number; bytes: number }>;
  /** The timeline of every dispatch and host span (trace.ts), when the context traces. */
  trace: TraceLog | null;
  destroy: () => void;
}

export function createProfiler(ctx: Context, trace = false): Profiler {
  const ts = ctx.features.timestampQuery;
  const querySet = ts
    ? ctx.device.createQuerySet({ label: 'fluctus.timestamps', type: 'timestamp', count: 2 * MAX_TIMED })
    : null;
  const resolveBuffer = ts
    ? ctx.device.createBuffer({
        label: 'fluctus.timestamps-resolve',
        size: 16 * MAX_TIMED,
        usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
      })
    : null;
  return {
    mode: ts ? 'timestamp' : 'wall',
    querySet,
    resolveBuffer,
    current: [],
    totals: new Map(),
    trace: trace ? createTraceLog() : null,
    destroy: () => {
      querySet?.destroy();
      resolveBuffer?.destroy();
    },
  };
}

export function profilerFull(ctx: Context): boolean {
  return ctx.profiler !== null && ctx.profiler.current.length >= MAX_TIMED;
}

export function beginProfiledPass(
  ctx: Context,
  enc: GPUCommandEncoder,
  kernel: string,
  flops: number,
  bytes: number,
): GPUComputePassEncoder {
  const p = ctx.profiler!;
  const i = p.current.length;
  p.current.push({ kernel, flops, bytes });
  if (p.mode === 'wall') return enc.beginComputePass({ label: kernel });
  return enc.beginComputePass({
    label: kernel,
    timestampWrites: { querySet: p.querySet!, beginningOfPassWriteIndex: 2 * i, endOfPassWriteIndex: 2 * i + 1 },
  });
}

function add(p: Profiler, t: Timed, ns: number): void {
  const row = p.totals.get(t.kernel) ?? { calls: 0, ns: 0, flops: 0, bytes: 0 };
  row.calls++;
  row.ns += ns;
  row.flops += t.flops;
  row.bytes += t.bytes;
  p.totals.set(t.kernel, row);
}

/**
 * Called by submit() before finishing the encoder: resolves this submit's timestamps into a
 * readable buffer and returns the callbacks that sync() runs once the work is done.
 */
export function resolveProfile(ctx: Context, enc: GPUCommandEncoder, label = 'submit'): (() => Promise<void>)[] {
  const p = ctx.profiler!;
  const timed = p.current;
  p.current = [];
  if (!timed.length) return [];
  const submitted = performance.now();
  const trace = p.trace;
  const submit = trace ? trace.submits.push({ label, hostMs: submitted }) - 1 : -1;
  if (p.mode === 'wall') {
    return [
      async () => {
        const ns = (performance.now() - submitted) * 1e6;
        const total = timed.reduce((s, t) => s + t.flops + t.bytes, 0);
        let at = submitted;
        for (const t of timed) {
          const share = total > 0 ? (ns * (t.flops + t.bytes)) / total : ns / timed.length;
          add(p, t, share);
          trace?.dispatches.push({ ...t, submit, start: at, end: at + share / 1e6 });
          at += share / 1e6;
        }
      },
    ];
  }
  const bytes = 16 * timed.length;
  const read = ctx.device.createBuffer({
    label: 'fluctus.timestamps-read',
    size: bytes,
    usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
  });
  enc.resolveQuerySet(p.querySet!, 0, 2 * timed.length, p.resolveBuffer!, 0);
  enc.copyBufferToBuffer(p.resolveBuffer!, 0, read, 0, bytes);
  return [
    async () => {
      // The work is done when sync() runs this, so the map resolves at once.
      await read.mapAsync(GPUMapMode.READ);
      const stamps = new BigUint64Array(read.getMappedRange().slice(0));
      read.destroy();
      if (trace) trace.anchor ??= { gpuNs: stamps[0]!, hostMs: submitted };
      timed.forEach((t, i) => {
        const ns = Math.max(0, Number(stamps[2 * i + 1]! - stamps[2 * i]!));
        add(p, t, ns);
        if (!trace) return;
        const start = trace.anchor!.hostMs + Number(stamps[2 * i]! - trace.anchor!.gpuNs) / 1e6;
        trace.dispatches.push({ ...t, submit, start, end: start + ns / 1e6 });
      });
    },
  ];
}

export function profileReport(ctx: Context): KernelProfile[] {
  const p = ctx.profiler;
  if (!p) throw new Error('profileReport: create the context with { profile: true }');
  return [...p.totals.entries()]
    .map(([kernel, r]) => ({
      kernel,
      calls: r.calls,
      ms: r.ns / 1e6,
      flops: r.flops,
      bytes: r.bytes,
      gflops: r.ns > 0 ? r.flops / r.ns : 0,
      gbps: r.ns > 0 ? r.bytes / r.ns : 0,
    }))
    .sort((a, b) => b.ms - a.ms);
}

export function resetProfile(ctx: Context): void {
  ctx.profiler?.totals.clear();
}

export function formatProfile(rows: KernelProfile[], mode: Profiler['mode']): string {
  const head = `kernel profile (${mode === 'timestamp' ? 'GPU timestamps' : 'wall clock, shared by declared work'})`;
  const lines = rows.map(
    (r) =>
      `  ${r.kernel.padEnd(22)} ${String(r.calls).padStart(6)} calls ${r.ms.toFixed(3).padStart(10)} ms ` +
      `${r.gflops.toFixed(2).padStart(8)} GFLOP/s ${r.gbps.toFixed(2).padStart(8)} GB/s`,
  );
  return [head, ...lines].join('\n');
}
