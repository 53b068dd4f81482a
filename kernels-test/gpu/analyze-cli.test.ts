// `fluctus analyze` as a user runs it: a small CSV dataset end to end (report.json, report.html,
// late-start.json, no temp files left), and bad input refused with a message and nothing written.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { npyBytes } from '../data-files.js';
import { rng } from '../random.js';
import type { MergerReport } from '../../src/formats/report-types.js';
import type { LateStartFile } from '../../src/formats/late-start.js';

const run = promisify(execFile);
const bin = new URL('../../bin/fluctus.js', import.meta.url).pathname;

async function fluctus(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [bin, 'analyze', ...args], { timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'fluctus-cli-'));
const csv = join(dir, 'three.csv');
{
  const u = rng(7);
  const lines = ['f0,f1,f2,f3,f4,label'];
  for (let r = 0; r < 120; r++) {
    const k = r % 3;
    lines.push(
      [
        ...Array.from({ length: 5 }, (_, c) => (k * (c === k ? 2 : 0) + (u() - 0.5) * (1 + c)).toFixed(5)),
        String(k),
      ].join(','),
    );
  }
  writeFileSync(csv, `${lines.join('\n')}\n`);
}

describeGpu('fluctus analyze (CLI)', () => {
  it('writes report.json, report.html and late-start.json for a CSV dataset', async () => {
    const out = join(dir, 'ok');
    const r = await fluctus([
      '--data',
      csv,
      '--steps',
      '100',
      '--method',
      'exact',
      '--late-start',
      '10,50',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/data–noise merger step/);
    expect(r.stdout).toContain(`${out}/report.html`);
    expect(readdirSync(out).sort()).toEqual(['late-start.json', 'report.html', 'report.json']);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as MergerReport;
    expect(report.data.n).toBe(120);
    expect(report.data.classNames).toEqual(['0', '1', '2']);
    expect(report.schedule.abar).toHaveLength(101);
    expect(report.pairs.map((p) => p.kind)).toEqual([
      'data-noise',
      'class-class',
      'class-class',
      'class-class',
      'class-rest',
      'class-rest',
      'class-rest',
    ]);
    expect(report.classMergerMatrix).toHaveLength(3);
    expect(report.dendrogram.merges).toHaveLength(2);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect((html.match(/<svg/g) ?? []).length).toBeGreaterThanOrEqual(5);
    const late = JSON.parse(readFileSync(join(out, 'late-start.json'), 'utf8')) as LateStartFile;
    expect(late.steps.map((s) => s.step)).toEqual([10, 50]);
    expect(late.data.dim).toBe(5);
  }, 120_000);

  const bad: [string, string[], RegExp][] = [
    ['unknown method', ['--method', 'magic'], /--method.*magic.*crn, mc, exact/s],
    ['T out of range', ['--steps', '1'], /--steps must be an integer in \[2, 100000\], got '1'/],
    ['unknown extension', ['--data', join(dir, 'data.xyz')], /data\.xyz/],
    ['both eps rules', ['--eps', '0.1', '--eps-ratio', '10'], /either --eps or --eps-ratio/],
    [
      'dip probes outside crn',
      ['--method', 'exact', '--dip-probes', 'all'],
      /--dip-probes is a setting of crn.*--method exact/,
    ],
    ['unknown dip probes', ['--dip-probes', 'some'], /--dip-probes.*some.*near, all/s],
    [
      'late-start step beyond T',
      ['--data', csv, '--steps', '100', '--late-start', '101'],
      /late-start step must be an integer in \[0, 100\], got 101/,
    ],
  ];
  for (const [what, args, message] of bad) {
    it(`refuses ${what} and writes nothing`, async () => {
      const out = join(dir, `bad-${what.replace(/\W+/g, '-')}`);
      const r = await fluctus([...args, '--out', out]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
    }, 60_000);
  }

  it('refuses labels of the wrong length, naming both files', async () => {
    const x = join(dir, 'x.npy');
    const y = join(dir, 'y.npy');
    writeFileSync(
      x,
      npyBytes(
        new Float32Array(40 * 3).map((_, i) => Math.sin(i)),
        [40, 3],
      ),
    );
    writeFileSync(y, npyBytes(new Int32Array(39), [39]));
    const out = join(dir, 'bad-labels');
    const r = await fluctus(['--data', x, '--labels', y, '--out', out]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/y\.npy has 39 entries but \S*x\.npy has 40 rows/);
    expect(existsSync(out)).toBe(false);
  }, 60_000);
});
