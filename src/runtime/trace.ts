// The GPU timeline in the Chrome Trace Event format (opens in Perfetto and chrome://tracing): one
// complete event per dispatch on a GPU track, nested in one event per submission, and host phases
// (reading data, analysis phases, host eigensolves, writing reports) on a second track. A context
// created with { trace: true } records it; the per-dispatch times are the profiler's (timestamp queries,
// or without them the submission's wall time shared in proportion to declared work, as the profile
// table does), so per-kernel sums over the trace equal the profile table.
// GPU timestamps live on the GPU's clock: each is placed on the host clock by the first submission's
// anchor (its host submit time maps to its first GPU timestamp), so the tracks line up to within the
// queue latency of that one submission.
import type { Context } from './context.js';

export interface TraceDispatch {
  kernel: string;
  /** Index of the submission in TraceLog.submits. */
  submit: number;
  /** Start and end in ms on the host clock (performance.now()). */
  start: number;
  end: number;
  flops: number;
  bytes: number;
}

export interface TraceHostSpan {
  name: string;
  start: number;
  end: number;
  args?: Record<string, unknown>;
}

export interface TraceLog {
  /** Submissions: the batch label and the host time of queue.submit. */
  submits: { label: string; hostMs: number }[];
  dispatches: TraceDispatch[];
  host: TraceHostSpan[];
  /** The first GPU timestamp seen (ns) and the host time (ms) it is placed at. */
  anchor: { gpuNs: bigint; hostMs: number } | null;
}

export function createTraceLog(): TraceLog {
  return { submits: [], dispatches: [], host: [], anchor: null };
}

/** Forgets the recorded timeline (a new run starts a new trace). */
export function resetTrace(ctx: Context): void {
  const t = ctx.profiler?.trace;
  if (!t) return;
  t.submits.length = 0;
  t.dispatches.length = 0;
  t.host.length = 0;
}

/** Records the host span [start, end] (ms, performance.now()) named `name` when the context traces. */
export function traceHost(
  ctx: Context | null | undefined,
  name: string,
  start: number,
  end = performance.now(),
  args?: Record<string, unknown>,
): void {
  const t = ctx?.profiler?.trace;
  if (t) t.host.push({ name, start, end, ...(args ? { args } : {}) });
}

/** Runs `fn` as the host span `name` (recorded when the context traces). */
export async function traced<T>(ctx: Context | null | undefined, name: string, fn: () => Promise<T> | T): Promise<T> {
  const t0 = performance.now();
  try {
    return await fn();
  } finally {
    traceHost(ctx, name, t0);
  }
}

/** One Trace Event Format complete event ('X'); ts and dur in microseconds. */
export interface TraceEvent {
  name: string;
  cat: string;
  ph: 'X' | 'M';
  ts: number;
  dur?: number;
  pid: number;
  tid: number;
  args?: Record<string, unknown>;
}

const PID = 1;
const HOST_TID = 1;
const GPU_TID = 2;

/**
 * The recorded timeline as a Trace Event Format object ({ traceEvents, displayTimeUnit, metadata }),
 * times in µs from the earliest event. Throws when the context was not created with { trace: true }.
 */
export function chromeTrace(
  ctx: Context,
  metadata: Record<string, unknown> = {},
): {
  traceEvents: TraceEvent[];
  displayTimeUnit: 'ms';
  metadata: Record<string, unknown>;
} {
  const t = ctx.profiler?.trace;
  if (!t) throw new Error('chromeTrace: create the context with { trace: true }');
  const starts = [...t.host.map((h) => h.start), ...t.dispatches.map((d) => d.start)];
  const origin = starts.length ? Math.min(...starts) : 0;
  const us = (ms: number) => Math.round((ms - origin) * 1000 * 1000) / 1000;
  const events: TraceEvent[] = [
    { name: 'process_name', cat: '__metadata', ph: 'M', ts: 0, pid: PID, tid: 0, args: { name: 'fluctus' } },
    { name: 'thread_name', cat: '__metadata', ph: 'M', ts: 0, pid: PID, tid: HOST_TID, args: { name: 'host' } },
    {
      name: 'thread_name',
      cat: '__metadata',
      ph: 'M',
      ts: 0,
      pid: PID,
      tid: GPU_TID,
      args: { name: `GPU (${ctx.adapterInfo.description || ctx.adapterInfo.vendor})` },
    },
  ];
  // Host spans, outer before inner at equal starts so that viewers nest them.
  const host = [...t.host].sort((a, b) => a.start - b.start || b.end - a.end);
  for (const h of host)
    events.push({
      name: h.name,
      cat: 'host',
      ph: 'X',
      ts: us(h.start),
      dur: Math.max(0, us(h.end) - us(h.start)),
      pid: PID,
      tid: HOST_TID,
      ...(h.args ? { args: h.args } : {}),
    });
  // Per submission: its span (first dispatch start to last end), then its dispatches.
  const bySubmit = new Map<number, TraceDispatch[]>();
  for (const d of t.dispatches) {
    const list = bySubmit.get(d.submit) ?? [];
    list.push(d);
    bySubmit.set(d.submit, list);
  }
  for (const [s, list] of [...bySubmit.entries()].sort((a, b) => a[0] - b[0])) {
    const lo = Math.min(...list.map((d) => d.start));
    const hi = Math.max(...list.map((d) => d.end));
    events.push({
      name: t.submits[s]?.label ?? `submit ${s}`,
      cat: 'submit',
      ph: 'X',
      ts: us(lo),
      dur: Math.max(0, us(hi) - us(lo)),
      pid: PID,
      tid: GPU_TID,
      args: { submit: s, dispatches: list.length },
    });
    for (const d of list)
      events.push({
        name: d.kernel,
        cat: 'dispatch',
        ph: 'X',
        ts: us(d.start),
        dur: Math.max(0, us(d.end) - us(d.start)),
        pid: PID,
        tid: GPU_TID,
        args: { submit: s, flops: d.flops, bytes: d.bytes, ms: d.end - d.start },
      });
  }
  return {
    traceEvents: events,
    displayTimeUnit: 'ms',
    metadata: {
      adapter: ctx.adapterInfo,
      timing: ctx.profiler!.mode === 'timestamp' ? 'GPU timestamp queries' : 'wall clock shared by declared work',
      ...metadata,
    },
  };
}
