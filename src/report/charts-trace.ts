// A trace (trace.ts, Chrome Trace Event format) as a Vega-Lite timeline: host phases on one row, GPU
// dispatches on another, coloured by kernel (the kernels with the most GPU time, the rest as "other").
// For the README and for looking at a trace without Perfetto. Pure: no Node APIs.
import type { TopLevelSpec } from 'vega-lite';
import type { TraceEvent } from '../runtime/trace.js';
import { CHART_CONFIG, VL_SCHEMA } from './charts-common.js';

/** The timeline of `events` between `from` and `to` ms (default: all), with at most `kernels` named kernels. */
export function traceTimelineChart(
  events: TraceEvent[],
  opts: { title?: string; kernels?: number; width?: number; from?: number; to?: number } = {},
): TopLevelSpec {
  const spans = events.filter((e) => e.ph === 'X' && (e.cat === 'host' || e.cat === 'dispatch'));
  const total = new Map<string, number>();
  for (const e of spans) if (e.cat === 'dispatch') total.set(e.name, (total.get(e.name) ?? 0) + e.dur!);
  const named = new Set(
    [...total.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, opts.kernels ?? 8)
      .map(([k]) => k),
  );
  const lo = opts.from ?? 0;
  const hi = opts.to ?? Number.POSITIVE_INFINITY;
  const values = spans
    .filter((e) => e.ts / 1e3 <= hi && (e.ts + e.dur!) / 1e3 >= lo)
    .map((e) => ({
      track: e.cat === 'host' ? 'host phases' : 'GPU dispatches',
      name: e.cat === 'host' ? e.name : named.has(e.name) ? e.name : 'other kernels',
      kind: e.cat === 'host' ? 'host' : 'kernel',
      start: Math.max(lo, e.ts / 1e3),
      end: Math.min(hi, (e.ts + e.dur!) / 1e3),
      ms: e.dur! / 1e3,
    }));
  const width = opts.width ?? 760;
  return {
    $schema: VL_SCHEMA,
    title: {
      text: opts.title ?? 'GPU timeline',
      subtitle: 'host phases above, GPU dispatches below (ms from the start)',
    },
    width,
    height: 120,
    config: CHART_CONFIG,
    data: { values },
    layer: [
      {
        transform: [{ filter: "datum.kind === 'kernel'" }],
        mark: { type: 'bar', height: 26 },
        encoding: {
          x: { field: 'start', type: 'quantitative', title: 'ms' },
          x2: { field: 'end' },
          y: { field: 'track', type: 'nominal', title: null, sort: ['host phases', 'GPU dispatches'] },
          color: { field: 'name', type: 'nominal', title: 'kernel', scale: { scheme: 'tableau10' } },
          tooltip: [{ field: 'name' }, { field: 'ms', format: '.3f' }],
        },
      },
      {
        transform: [{ filter: "datum.kind === 'host'" }],
        mark: { type: 'bar', height: 26, color: '#ddd', stroke: '#777', strokeWidth: 0.5 },
        encoding: {
          x: { field: 'start', type: 'quantitative' },
          x2: { field: 'end' },
          y: { field: 'track', type: 'nominal', sort: ['host phases', 'GPU dispatches'] },
        },
      },
      {
        transform: [{ filter: "datum.kind === 'host'" }, { calculate: '(datum.start + datum.end) / 2', as: 'mid' }],
        mark: { type: 'text', fontSize: 9, angle: 0, limit: 90 },
        encoding: {
          x: { field: 'mid', type: 'quantitative' },
          y: { field: 'track', type: 'nominal', sort: ['host phases', 'GPU dispatches'] },
          text: { field: 'name' },
        },
      },
    ],
  } as TopLevelSpec;
}
