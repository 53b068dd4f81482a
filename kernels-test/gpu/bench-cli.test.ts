// `fluctus bench` end to end on this machine's adapter: a run at tiny parameters writes the result JSON (format,
// adapter, every case with its check and rows) and a trace with a span per case; a failing case is recorded,
// the others still run and the exit code is 1; `--compare` prints ratios of two runs and refuses a mismatch;
// bad names and parameters are refused before any work.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import type { BenchResult } from '../../src/bench/run.js';
import type { TraceEvent } from '../../src/runtime/trace.js';
import { describeGpu } from './device.js';

const run = promisify(execFile);
const bin = new URL('../../bin/fluctus.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'fluctus-bench-'));

async function fluctus(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [bin, 'bench', ...args], { timeout: 180_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const read = (p: string) => JSON.parse(readFileSync(p, 'utf8')) as BenchResult;
const TINY = ['noise', 'moments', '--rows', '600', '--cols', '24', '--reps', '2'];

describeGpu('fluctus bench', () => {
  it('runs the named cases, prints the table and writes the JSON and the trace', async () => {
    const out = join(dir, 'a.json');
    const trace = join(dir, 'a.trace.json');
    const r = await fluctus([...TINY, '--peer', 'none', '--out', out, '--trace', trace]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/case\s+what\s+shape\s+ours\s+rate\s+peer/);
    expect(r.stdout).toMatch(/noise\s+kernel, idle wait\s+600 x 24, 8 steps\s+\S+ ms/);
    expect(r.stdout).toMatch(/check moments: worst relative Frobenius error against float64/);
    const res = read(out);
    expect(res).toMatchObject({ format: 'fluctus-bench', formatVersion: 1, size: 'small', peer: 'none' });
    expect(res.adapter.description.length).toBeGreaterThan(0);
    expect(res.limits.maxStorageBufferBindingSize).toBeGreaterThan(0);
    expect(res.cases.map((c) => [c.name, c.status])).toEqual([
      ['noise', 'ok'],
      ['moments', 'ok'],
    ]);
    expect(res.cases[1]!.params).toMatchObject({ rows: 600, cols: 24, reps: 2, classes: 10 });
    for (const row of res.cases.flatMap((c) => c.rows)) {
      expect(row.ms.median).toBeGreaterThan(0);
      expect(row.peer && 'ms' in row.peer ? row.peer.name : '').toMatch(/plain JS/);
      expect(row.ratio).toBeGreaterThan(0);
    }
    const events = (JSON.parse(readFileSync(trace, 'utf8')) as { traceEvents: TraceEvent[] }).traceEvents;
    const spans = events.filter((e) => e.cat === 'host').map((e) => e.name);
    expect(spans).toEqual(expect.arrayContaining(['bench noise', 'bench moments']));
    expect(events.some((e) => e.name === 'forward_noise')).toBe(true);
  }, 200_000);

  it('records a failing case, runs the rest and exits 1', async () => {
    const out = join(dir, 'fail.json');
    // Above d = 1024 the eigensolver case needs numpy as its reference; with peers off it must refuse.
    const r = await fluctus([
      'eigh',
      'noise',
      '--d',
      '1100',
      '--rows',
      '300',
      '--cols',
      '8',
      '--peer',
      'none',
      '--out',
      out,
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/FAILED eigh: eigh: d = 1100 > 1024 needs numpy as the reference/);
    expect(r.stderr).toMatch(/1 case failed: eigh/);
    expect(read(out).cases.map((c) => c.status)).toEqual(['ok', 'failed']);
  }, 200_000);

  it('compares two runs and refuses results of different parameters', async () => {
    const b = join(dir, 'b.json');
    expect((await fluctus([...TINY, '--peer', 'none', '--out', b])).code).toBe(0);
    const a = join(dir, 'a.json');
    const r = await fluctus(['--compare', a, b]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/noise\s+kernel, idle wait\s+600 x 24, 8 steps\s+\S+ ms\s+\S+ ms\s+\d+\.\d\dx/);
    const c = join(dir, 'c.json');
    expect((await fluctus(['noise', '--rows', '300', '--cols', '24', '--reps', '2', '--out', c])).code).toBe(0);
    const refused = await fluctus(['--compare', a, c]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/case noise ran with other parameters/);
    expect((await fluctus(['--compare', a])).stderr).toMatch(/--compare takes exactly two result files/);
  }, 400_000);

  it('refuses unknown cases and parameters before any work', async () => {
    const r1 = await fluctus(['nosie']);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/unknown case nosie; the cases are noise, syrk/);
    const r2 = await fluctus(['noise', '--batch', '3']);
    expect(r2.stderr).toMatch(/no selected case has a parameter --batch; theirs: --rows, --cols, --reps/);
    const r3 = await fluctus(['noise', '--size', 'huge']);
    expect(r3.stderr).toMatch(/Allowed choices are small, medium, large/);
  });
});
