// The trace timeline chart: host spans and dispatches on their rows, kernels beyond the named ones
// grouped as "other kernels", the window clipping spans, and the spec rendering to SVG.
import { describe, expect, it } from 'vitest';
import { traceTimelineChart } from '../../src/report/charts-trace.js';
import { renderChartSvg } from '../../src/report/report-html.js';
import type { TraceEvent } from '../../src/runtime/trace.js';

const ev = (name: string, cat: string, ts: number, dur: number): TraceEvent => ({
  name,
  cat,
  ph: 'X',
  ts,
  dur,
  pid: 1,
  tid: cat === 'host' ? 1 : 2,
});
const events: TraceEvent[] = [
  { name: 'thread_name', cat: '__metadata', ph: 'M', ts: 0, pid: 1, tid: 1 },
  ev('moments', 'host', 0, 5000),
  ev('write report', 'host', 5000, 1000),
  ev('step', 'submit', 100, 900),
  ev('syrk', 'dispatch', 100, 600),
  ev('matmul', 'dispatch', 700, 200),
  ev('philox', 'dispatch', 900, 100),
];

describe('traceTimelineChart', () => {
  it('keeps the kernels with the most GPU time by name and groups the rest', () => {
    const spec = traceTimelineChart(events, { kernels: 2 }) as unknown as {
      data: { values: Record<string, unknown>[] };
    };
    const v = spec.data.values;
    expect(v.filter((x) => x.kind === 'host').map((x) => x.name)).toEqual(['moments', 'write report']);
    expect(v.filter((x) => x.kind === 'kernel').map((x) => x.name)).toEqual(['syrk', 'matmul', 'other kernels']);
    expect(v.find((x) => x.name === 'syrk')).toMatchObject({ start: 0.1, end: 0.7, track: 'GPU dispatches' });
    expect(v.some((x) => x.name === 'step' || x.name === 'thread_name')).toBe(false);
  });

  it('clips to the window and renders to SVG', async () => {
    const spec = traceTimelineChart(events, { from: 0.5, to: 2 }) as unknown as {
      data: { values: { start: number; end: number; name: string }[] };
    };
    const v = spec.data.values;
    expect(v.map((x) => x.name)).toEqual(['moments', 'syrk', 'matmul', 'philox']);
    expect(v[0]).toMatchObject({ start: 0.5, end: 2 });
    const warnings: string[] = [];
    const svg = await renderChartSvg(traceTimelineChart(events), warnings);
    expect(svg).toMatch(/^<svg/);
    expect(svg).toContain('write report');
    expect(warnings).toEqual([]);
  });
});
