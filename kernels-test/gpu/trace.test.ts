// Trace export (Chrome Trace Event format): every dispatch one complete event inside its submission's
// event on the GPU track, host spans on their own track, per-kernel sums equal to the profile table,
// and `fluctus analyze --trace` writing a file that parses.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { beginBatch, submit, sync } from '../../src/runtime/dispatch.js';
import { createTensor } from '../../src/runtime/tensor.js';
import { profileReport } from '../../src/runtime/profile.js';
import { chromeTrace, traced, type TraceEvent } from '../../src/runtime/trace.js';
import { encodeMatmul, matmulPlan } from '../../src/kernels/matmul.js';
import { encodeSyrk, syrkPlan } from '../../src/kernels/syrk.js';
import { rng } from '../random.js';

const run = promisify(execFile);
const bin = new URL('../../bin/fluctus.js', import.meta.url).pathname;

/** Checks what any Trace Event viewer needs and that complete events on one track nest properly. */
function checkTrace(events: TraceEvent[]): void {
  for (const e of events) {
    expect(typeof e.name).toBe('string');
    expect(['X', 'M']).toContain(e.ph);
    expect(Number.isFinite(e.ts)).toBe(true);
    if (e.ph === 'X') expect(e.dur).toBeGreaterThanOrEqual(0);
  }
  const byTrack = new Map<number, TraceEvent[]>();
  for (const e of events.filter((x) => x.ph === 'X')) byTrack.set(e.tid, [...(byTrack.get(e.tid) ?? []), e]);
  const tol = 1e-3; // µs: the file's resolution
  for (const list of byTrack.values()) {
    // Sorted by start (outer first): each event either starts after the open one ends or lies inside it.
    const sorted = [...list].sort((a, b) => a.ts - b.ts || b.dur! - a.dur!);
    const open: TraceEvent[] = [];
    for (const e of sorted) {
      while (open.length && e.ts >= open[open.length - 1]!.ts + open[open.length - 1]!.dur! - tol) open.pop();
      const parent = open[open.length - 1];
      if (parent)
        expect(e.ts + e.dur!, `${e.name} inside ${parent.name}`).toBeLessThanOrEqual(parent.ts + parent.dur! + tol);
      open.push(e);
    }
  }
}

describeGpu(
  'trace export',
  (getCtx) => {
    it('puts each dispatch inside its submission, host spans on their track, per-kernel sums = profile', async () => {
      const ctx = getCtx();
      const u = rng(3);
      const [m, k] = [37, 53];
      const A = createTensor(ctx, [k * m], { data: Float32Array.from({ length: k * m }, () => u() - 0.5) });
      const C = createTensor(ctx, [m * m]);
      const mm = await matmulPlan(ctx, { m, n: m, k, transA: true });
      const sy = await syrkPlan(ctx, { rows: k, cols: m });
      await traced(ctx, 'two submissions', async () => {
        const b = beginBatch(ctx, 'first');
        encodeMatmul(b, mm, { a: A, b: A, c: C, m, n: m, k, transA: true });
        encodeSyrk(b, sy, { a: A, c: C, rows: k, cols: m });
        submit(b);
        const b2 = beginBatch(ctx, 'second');
        encodeSyrk(b2, sy, { a: A, c: C, rows: k, cols: m });
        submit(b2);
        await sync(ctx);
      });
      const trace = chromeTrace(ctx, { test: true });
      const events = trace.traceEvents;
      checkTrace(events);
      const submits = events.filter((e) => e.cat === 'submit');
      expect(submits.map((e) => e.name).slice(-2)).toEqual(['first', 'second']);
      const host = events.filter((e) => e.cat === 'host');
      expect(host.map((e) => e.name)).toContain('two submissions');
      expect(new Set(host.map((e) => e.tid)).size).toBe(1);
      expect(host[0]!.tid).not.toBe(submits[0]!.tid);
      // The GPU work lies within the host span that waited for it (up to the clocks' anchoring).
      const span = host.find((e) => e.name === 'two submissions')!;
      const dispatches = events.filter((e) => e.cat === 'dispatch');
      expect(dispatches.length).toBeGreaterThanOrEqual(3);
      for (const d of dispatches) {
        const s = submits.find((x) => x.args!.submit === d.args!.submit)!;
        expect(d.ts).toBeGreaterThanOrEqual(s.ts - 1e-3);
        expect(d.ts + d.dur!).toBeLessThanOrEqual(s.ts + s.dur! + 1e-3);
      }
      // (The plans' autotuning ran dispatches before the span; those of 'first' and 'second' ran inside it.)
      const ours = new Set(submits.slice(-2).map((e) => e.args!.submit));
      const mine = dispatches.filter((d) => ours.has(d.args!.submit));
      expect(mine.map((d) => d.name)).toEqual(['matmul', 'syrk', 'syrk']);
      expect(Math.min(...mine.map((d) => d.ts))).toBeGreaterThanOrEqual(span.ts - 50_000);
      // Per-kernel sums over the trace equal the profile table.
      const sums = new Map<string, { ms: number; calls: number }>();
      for (const d of dispatches) {
        const r = sums.get(d.name) ?? { ms: 0, calls: 0 };
        r.ms += d.args!.ms as number;
        r.calls++;
        sums.set(d.name, r);
      }
      for (const p of profileReport(ctx)) {
        expect(sums.get(p.kernel)?.calls, p.kernel).toBe(p.calls);
        expect(sums.get(p.kernel)!.ms).toBeCloseTo(p.ms, 9);
      }
      expect(trace.metadata.test).toBe(true);
      expect(JSON.parse(JSON.stringify(trace)).traceEvents).toHaveLength(events.length);
    });

    it('fluctus analyze --trace writes a valid trace with the analysis phases', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'fluctus-trace-'));
      const file = join(dir, 'run.trace.json');
      const r = await run(
        process.execPath,
        [bin, 'analyze', '--steps', '60', '--out', join(dir, 'out'), '--trace', file],
        { timeout: 120_000 },
      );
      expect(r.stdout).toMatch(/trace: \S+run\.trace\.json \(\d+ events\)/);
      const trace = JSON.parse(readFileSync(file, 'utf8')) as {
        traceEvents: TraceEvent[];
        metadata: { command: string };
      };
      checkTrace(trace.traceEvents);
      const host = trace.traceEvents.filter((e) => e.cat === 'host').map((e) => e.name);
      for (const phase of ['read data', 'moments', 'normality', 'write report']) expect(host).toContain(phase);
      expect(trace.traceEvents.filter((e) => e.cat === 'dispatch').length).toBeGreaterThan(10);
      expect(trace.metadata.command).toMatch(/^analyze /);
      expect(readdirSync(dir).sort()).toEqual(['out', 'run.trace.json']);
    }, 120_000);
  },
  { trace: true },
);
