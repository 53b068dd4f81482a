// Output folders: created and test-written before any work, errors in the user's words, one run per
// folder (staged files move in together, the previous run's files go), nothing left on abort.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOutFile, ensureFolder, openRunFolder } from '../../src/cli/out-folder.js';
import { previousExperimentFiles } from '../../src/cli/experiment.js';

const root = mkdtempSync(join(tmpdir(), 'fluctus-out-'));

describe('ensureFolder / checkOutFile', () => {
  it('creates missing parents one level at a time and reports them', () => {
    const p = join(root, 'a', 'b', 'c');
    const { dir, created } = ensureFolder(p);
    expect(dir).toBe(p);
    expect(created).toEqual([join(root, 'a'), join(root, 'a', 'b'), p]);
    expect(readdirSync(join(root, 'a', 'b'))).toEqual(['c']);
    expect(ensureFolder(p).created).toEqual([]);
  });

  it('refuses a file given as the folder, and a file on the way, in user words', () => {
    const f = join(root, 'plain.txt');
    writeFileSync(f, 'x');
    expect(() => ensureFolder(f)).toThrow(`--out ${f} is a file, not a folder`);
    expect(() => ensureFolder(join(f, 'sub'), '--out')).toThrow(`${f} is a file, not a folder`);
  });

  it('returns at once where a folder cannot be made (/proc), never looping', () => {
    const t0 = performance.now();
    expect(() => ensureFolder('/proc/fluctus-out')).toThrow(
      /--out \/proc\/fluctus-out: cannot create \/proc\/fluctus-out/,
    );
    expect(performance.now() - t0).toBeLessThan(2000);
  });

  it('checkOutFile refuses a folder given as the file and creates the parent of a new file', () => {
    const d = join(root, 'ckpt-dir');
    mkdirSync(d);
    expect(() => checkOutFile(d)).toThrow(`--out ${d} is a folder, not a file`);
    const f = join(root, 'new', 'model.safetensors');
    expect(checkOutFile(f)).toBe(f);
    expect(readdirSync(join(root, 'new'))).toEqual([]);
  });

  it.skipIf(process.getuid?.() === 0)('refuses a read-only folder as not writable', () => {
    const d = join(root, 'ro');
    mkdirSync(d, { mode: 0o555 });
    expect(() => openRunFolder(d, () => [])).toThrow(/not writable/);
    expect(() => checkOutFile(join(d, 'm.safetensors'))).toThrow(/not writable/);
  });
});

describe('openRunFolder', () => {
  it('moves the staged files in together and removes the files of the previous run it does not rewrite', () => {
    const out = join(root, 'run');
    mkdirSync(out);
    for (const n of ['report.json', 'report.html', 'late-start.json', 'mine.txt']) writeFileSync(join(out, n), 'old');
    const run = openRunFolder(out, () => ['report.json', 'report.html', 'late-start.json']);
    expect(readdirSync(out).filter((n) => n.startsWith('.fluctus-partial-'))).toHaveLength(1);
    writeFileSync(join(run.staging, 'report.json'), 'new');
    writeFileSync(join(run.staging, 'report.html'), 'new');
    const moved = run.commit();
    expect(moved.sort()).toEqual([join(out, 'report.html'), join(out, 'report.json')]);
    // The user's own file stays; the stale late-start.json of the earlier run is gone.
    expect(readdirSync(out).sort()).toEqual(['mine.txt', 'report.html', 'report.json']);
    expect(readFileSync(join(out, 'report.json'), 'utf8')).toBe('new');
    run.abort(); // after commit: nothing to undo
    expect(readFileSync(join(out, 'report.json'), 'utf8')).toBe('new');
  });

  it('abort keeps the previous run and removes the staging folder and a folder it created', () => {
    const out = join(root, 'kept');
    mkdirSync(out);
    writeFileSync(join(out, 'report.json'), 'old');
    const run = openRunFolder(out, () => ['report.json']);
    writeFileSync(join(run.staging, 'report.json'), 'half');
    run.abort();
    expect(readdirSync(out)).toEqual(['report.json']);
    expect(readFileSync(join(out, 'report.json'), 'utf8')).toBe('old');
    const fresh = join(root, 'never', 'made');
    openRunFolder(fresh, () => []).abort();
    expect(readdirSync(root)).not.toContain('never');
  });

  it('removes the staging folders of dead runs, not of live ones', () => {
    const out = join(root, 'stale');
    mkdirSync(join(out, '.fluctus-partial-999999999-abc'), { recursive: true });
    mkdirSync(join(out, `.fluctus-partial-${process.pid}-live`));
    const run = openRunFolder(out, () => []);
    const left = readdirSync(out).filter((n) => n !== run.staging.split('/').pop());
    expect(left).toEqual([`.fluctus-partial-${process.pid}-live`]);
    run.abort();
  });
});

describe('previousExperimentFiles', () => {
  it('lists result.json, report.html and the plain names result.json lists, nothing outside the folder', () => {
    const out = join(root, 'exp');
    mkdirSync(out);
    expect(previousExperimentFiles(out)).toEqual(['result.json', 'report.html']);
    writeFileSync(
      join(out, 'result.json'),
      JSON.stringify({
        files: ['timesteps.json', '../escape.json'],
        images: [{ file: 'samples-0.png' }, { file: '/etc/passwd' }],
      }),
    );
    expect(previousExperimentFiles(out)).toEqual(['result.json', 'report.html', 'timesteps.json', 'samples-0.png']);
  });
});
