// The package as a user gets it: `npm pack`, the tarball installed into an empty project, and there
// `npx fluctus bench --size small` on this machine's adapter (every case passes its correctness check and
// times) and `import { runBench } from 'fluctus/bench'`. Needs npm and its registry (or its cache) for the
// dependencies, as any install does.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, expect, it } from 'vitest';
import type { BenchResult } from '../../src/bench/run.js';
import { describeGpu } from './device.js';

const run = promisify(execFile);
const root = new URL('../..', import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; files: string[] };
const dir = mkdtempSync(join(tmpdir(), 'fluctus-pack-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeGpu('the packed package', () => {
  it('installs into an empty project and runs `npx fluctus bench --size small`', async () => {
    const packed = await run('npm', ['pack', '--json', '--pack-destination', dir], { cwd: root, maxBuffer: 1 << 26 });
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.indexOf('['))) as {
      filename: string;
      files: { path: string }[];
    }[];
    const files = info!.files.map((f) => f.path);
    // What the bench needs at run time travels in the tarball; the tests themselves do not.
    for (const f of [
      'bin/fluctus.js',
      'dist/node/bench.js',
      'src/bench/peers/merger_crn.py',
      'kernels-test/ref/matmul.ts',
    ])
      expect(files).toContain(f);
    expect(files.some((f) => f.startsWith('kernels-test/gpu/'))).toBe(false);

    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(dir, info!.filename)], {
      cwd: app,
      timeout: 600_000,
      maxBuffer: 1 << 26,
    });
    const bench = await run('npx', ['fluctus', 'bench', '--size', 'small'], {
      cwd: app,
      timeout: 900_000,
      maxBuffer: 1 << 26,
    });
    expect(bench.stdout).toMatch(/result: .*fluctus-bench-small\.json/);
    const out = join(app, 'fluctus-bench-small.json');
    expect(existsSync(out)).toBe(true);
    const res = JSON.parse(readFileSync(out, 'utf8')) as BenchResult;
    expect(res.version).toBe(pkg.version);
    expect(res.commit).toBeNull(); // an installed package is not a checkout
    expect(res.cases.filter((c) => c.status !== 'ok').map((c) => `${c.name}: ${c.error}`)).toEqual([]);
    expect(res.cases.length).toBeGreaterThanOrEqual(9);
    for (const c of res.cases) expect(c.rows.length, c.name).toBeGreaterThan(0);

    const api = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "import('fluctus/bench').then((m) => console.log(typeof m.runBench, m.BENCH_CASES.length))",
      ],
      { cwd: app },
    );
    expect(api.stdout.trim()).toBe(`function ${res.cases.length}`);
  }, 1_800_000);
});
