// The commands trusted with a long run: --out checked before any work, one run per folder (a rerun
// leaves no stale file, Ctrl-C keeps the previous run), data diagnosed before the GPU work with errors
// in CLI words, nothing changed silently (warnings printed), progress lines without a terminal.
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { npyBytes } from '../data-files.js';
import { rng } from '../random.js';
import type { MergerReport } from '../../src/formats/report-types.js';

const run = promisify(execFile);
const bin = new URL('../../bin/fluctus.js', import.meta.url).pathname;
const version = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;

async function fluctus(args: string[], timeout = 120_000): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [bin, ...args], { timeout });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'fluctus-runs-'));

/** A CSV of 3 classes x `per` rows in 6 columns; `edit` changes a row's values (class k, row r). */
function csvFile(name: string, per: number, edit?: (v: number[], k: number, r: number) => void, header = true) {
  const u = rng(11);
  const lines = header ? ['a,b,c,d,e,f,label'] : [];
  for (let r = 0; r < 3 * per; r++) {
    const k = r % 3;
    const v = Array.from({ length: 6 }, (_, c) => (c === k ? 2 * k : 0) + (u() - 0.5) * (1 + c));
    edit?.(v, k, r);
    lines.push([...v.map((x) => x.toFixed(5)), String(k === 2 ? -1 : k)].join(','));
  }
  const p = join(dir, name);
  writeFileSync(p, `${lines.join('\n')}\n`);
  return p;
}

const plain = csvFile('plain.csv', 40);
const analyze = (args: string[]) => fluctus(['analyze', '--steps', '60', '--method', 'exact', ...args]);
const leftovers = (out: string) =>
  readdirSync(out).filter((n) => n.includes('.fluctus-partial-') || n.includes('.tmp-'));

describeGpu('the CLI with a long run', () => {
  it('--version prints the package version', async () => {
    const r = await fluctus(['--version']);
    expect([r.code, r.stdout.trim()]).toEqual([0, version]);
  });

  it('refuses an --out that is a file, before any work, and leaves the file alone', async () => {
    const f = join(dir, 'taken');
    writeFileSync(f, 'mine');
    for (const cmd of [
      ['analyze', '--data', plain],
      ['experiment', 'late-start'],
    ]) {
      const r = await fluctus([...cmd, '--out', f]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`--out ${f} is a file, not a folder`);
      expect(r.stdout).not.toMatch(/adapter:/);
    }
    const t = await fluctus(['train', '--model', 'mlp', '--data', plain, '--out', dir]);
    expect(t.code).not.toBe(0);
    expect(t.stderr).toContain(`--out ${dir} is a folder, not a file`);
    expect(readFileSync(f, 'utf8')).toBe('mine');
  }, 60_000);

  it('returns within seconds for --out under /proc', async () => {
    const t0 = performance.now();
    const r = await fluctus(['analyze', '--data', plain, '--out', '/proc/fluctus-out'], 20_000);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/--out \/proc\/fluctus-out: cannot create/);
    expect(performance.now() - t0).toBeLessThan(15_000);
  }, 30_000);

  it('creates missing parents; a rerun replaces the run and leaves no stale late-start.json', async () => {
    const out = join(dir, 'nested', 'deeper', 'run');
    const first = await analyze(['--data', plain, '--late-start', '10', '--out', out]);
    expect(first.code, first.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['late-start.json', 'report.html', 'report.json']);
    writeFileSync(join(out, 'notes.txt'), 'the user keeps this');
    const second = await analyze(['--data', plain, '--seed', '3', '--out', out]);
    expect(second.code, second.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['notes.txt', 'report.html', 'report.json']);
    expect((JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as MergerReport).seed).toBe(3);
  }, 120_000);

  it('Ctrl-C keeps the previous run whole, removes the staging folder and exits 130', async () => {
    const out = join(dir, 'interrupted');
    const ok = await analyze(['--data', plain, '--out', out]);
    expect(ok.code, ok.stderr).toBe(0);
    const before = readFileSync(join(out, 'report.json'), 'utf8');
    // A long crn run on the built-in mixture, interrupted once its first phase line appears.
    const child = spawn(process.execPath, [bin, 'analyze', '--steps', '2000', '--out', out], { stdio: 'pipe' });
    let err = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stderr.on('data', (b: Buffer) => {
        err += b.toString();
        if (/\] moments: /.test(err) && !child.killed) child.kill('SIGINT');
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code, err).toBe(130);
    expect(err).toMatch(/interrupted \(SIGINT\); nothing from this run was written/);
    expect(readFileSync(join(out, 'report.json'), 'utf8')).toBe(before);
    expect(leftovers(out)).toEqual([]);
  }, 120_000);

  it('Ctrl-C during training exits 130 and says what the checkpoint file holds', async () => {
    const out = join(dir, 'train-int', 'm.safetensors');
    const child = spawn(
      process.execPath,
      [bin, 'train', '--model', 'mlp', '--data', plain, '--epochs', '100000', '--no-report', '--out', out],
      { stdio: 'pipe' },
    );
    let text = '';
    // One SIGINT: output arriving before the timer fires must not schedule a second one (a second Ctrl-C
    // during the shutdown ends the process by the signal, without the exit code under test).
    let scheduled = false;
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.on('data', (b: Buffer) => {
        text += b.toString();
        if (/data: plain/.test(text) && !scheduled) {
          scheduled = true;
          setTimeout(() => child.kill('SIGINT'), 1500);
        }
      });
      child.stderr.on('data', (b: Buffer) => {
        text += b.toString();
      });
      child.on('exit', (c) => resolve(c));
    });
    expect(code, text).toBe(130);
    expect(text).toMatch(/interrupted \(SIGINT\); \S*m\.safetensors holds the last checkpoint written/);
  }, 120_000);

  it('prints phase lines with counts and elapsed time when stderr is not a terminal', async () => {
    const r = await analyze(['--data', plain, '--out', join(dir, 'lines')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/^\[\d+\.\d s\] moments: \d+\/\d+$/m);
    expect(r.stderr).toMatch(/^\[\d+\.\d s\] report: \d+\/1$/m);
  }, 60_000);

  it('refuses a class whose rows are all the same before any GPU work, writing nothing', async () => {
    const same = csvFile('same.csv', 30, (v, k) => {
      if (k === 1) v.fill(0.25);
    });
    const out = join(dir, 'same-out');
    const r = await analyze(['--data', same, '--out', out]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/class '1' \(30 rows\): every row of the class is the same/);
    expect(r.stderr).not.toMatch(/moments: /);
    expect(existsSync(out)).toBe(false);
  }, 60_000);

  it('accepts a constant column with a warning naming it (normality on the varying directions only)', async () => {
    const cst = csvFile('const.csv', 30, (v) => {
      v[4] = 1.5;
    });
    const out = join(dir, 'const-out');
    const r = await fluctus(['analyze', '--steps', '60', '--data', cst, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/warning: data 'const': 1 of 6 columns are constant over all rows \(column 4\)/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as MergerReport;
    expect(report.dataNoise.normality.directions).toBe(5);
    expect(report.dataNoise.normality.k2.flat().every(Number.isFinite)).toBe(true);
  }, 60_000);

  it('speaks CLI for too few rows and for a D whose covariance exceeds a buffer', async () => {
    const few = join(dir, 'few.npy');
    const fewLabels = join(dir, 'few-labels.npy');
    writeFileSync(
      few,
      npyBytes(
        new Float32Array(4 * 5).map((_, i) => Math.sin(i)),
        [4, 5],
      ),
    );
    writeFileSync(fewLabels, npyBytes(new Int32Array([0, 1, 0, 1]), [4]));
    const a = await analyze(['--data', few, '--labels', fewLabels, '--out', join(dir, 'few-out')]);
    expect(a.stderr).toMatch(/data 'few': 4 rows; the analysis needs at least 8/);
    const wide = join(dir, 'wide.npy');
    const wideLabels = join(dir, 'wide-labels.npy');
    writeFileSync(
      wide,
      npyBytes(
        new Float32Array(16 * 40000).map((_, i) => Math.sin(i)),
        [16, 40000],
      ),
    );
    writeFileSync(
      wideLabels,
      npyBytes(
        new Int32Array(16).map((_, i) => i % 2),
        [16],
      ),
    );
    const b = await fluctus(['analyze', '--data', wide, '--labels', wideLabels, '--out', join(dir, 'wide-out')]);
    expect(b.code).not.toBe(0);
    expect(b.stderr).toMatch(/D = 40000 features; the analysis keeps D x D covariances .* D can be at most \d+ here/);
    expect(existsSync(join(dir, 'few-out')) || existsSync(join(dir, 'wide-out'))).toBe(false);
  }, 60_000);

  it('warns about negative labels, a clamped late-start rank, and refuses a CSV line mixing text and numbers', async () => {
    const out = join(dir, 'warn-out');
    const r = await analyze(['--data', plain, '--late-start', '5', '--late-rank', '100', '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(
      /warning: \S*plain\.csv column 'label': negative labels \(-1: 40 rows\) are read as classes/,
    );
    expect(r.stdout).toMatch(/late start: rank 100 is more than D = 6/);
    const mixed = join(dir, 'mixed.csv');
    writeFileSync(
      mixed,
      `${readFileSync(plain, 'utf8')
        .split('\n')
        .slice(1, 40)
        .join('\n')
        .replace(/^[^,]*/, 'x')}\n`,
    );
    const m = await analyze(['--data', mixed, '--out', join(dir, 'mixed-out')]);
    expect(m.code).not.toBe(0);
    expect(m.stderr).toMatch(/line 1 mixes text \('x' in column 0\) and numbers .*--csv-header yes/);
    const taken = await analyze(['--data', mixed, '--csv-header', 'yes', '--out', join(dir, 'mixed-yes')]);
    expect(taken.code, taken.stderr).toBe(0);
    expect((JSON.parse(readFileSync(join(dir, 'mixed-yes', 'report.json'), 'utf8')) as MergerReport).data.n).toBe(38);
  }, 120_000);

  it('reads --groups numbers as label values when the class names are numbers', async () => {
    // Labels 0, 1, -1 -> class names '-1', '0', '1': '1' is the label 1, never the index 1 (label 0).
    const bad = await analyze(['--data', plain, '--groups', 'g=1,2', '--out', join(dir, 'groups-bad')]);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/group 'g' names class '2', which is not one of the label values -1, 0, 1/);
    const out = join(dir, 'groups-ok');
    const ok = await analyze(['--data', plain, '--groups', 'g=-1,1', '--out', out]);
    expect(ok.code, ok.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as MergerReport;
    const g = report.events.find((e) => e.name === 'g')!;
    expect(g.classes).toEqual([0, 2]);
  }, 60_000);

  it('train warns when --batch exceeds the rows', async () => {
    const out = join(dir, 'train', 'm.safetensors');
    mkdirSync(join(dir, 'train'));
    const r = await fluctus([
      'train',
      '--model',
      'mlp',
      '--data',
      plain,
      '--batch',
      '4096',
      '--max-steps',
      '2',
      '--no-report',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/warning: --batch 4096 is more than the 120 rows of plain: each epoch is one step/);
  }, 120_000);
});
