// `fluctus train --resume` and `fluctus experiment --model/--classifier` as a user runs them, on a tiny
// MLP checkpoint: unset options (the data included) come from the checkpoint; other data, conflicting
// options and non-finite tensors are refused before any GPU work (no 'adapter:' line) with the
// checkpoint's bytes unchanged; other data pass with --allow-different-data and a warning.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { npyBytes, write } from '../data-files.js';
import { rng } from '../random.js';
import { encodeCheckpoint, readCheckpoint, type Checkpoint } from '../../src/models/checkpoint.js';
import { encodeSafetensors, decodeSafetensors } from '../../src/models/safetensors.js';

const run = promisify(execFile);
const bin = new URL('../../bin/fluctus.js', import.meta.url).pathname;

async function fluctus(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [bin, ...args], { timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'fluctus-resume-cli-'));
// 40 images 8x8 of two classes (a bright left or right half, with noise), and a second set of the same
// shape and labels with other noise: different data that only the fingerprint tells apart.
function images(seed: number): Float32Array {
  const u = rng(seed);
  return new Float32Array(40 * 64).map((_, i) => {
    const [r, x] = [Math.floor(i / 64), i % 8];
    return ((r % 2 === 0) === x < 4 ? 0.8 : -0.8) + 0.1 * (u() - 0.5);
  });
}
const img = write(join(dir, 'img.npy'), npyBytes(images(5), [40, 8, 8]));
const img2 = write(join(dir, 'img2.npy'), npyBytes(images(6), [40, 8, 8]));
const lab = write(
  join(dir, 'lab.npy'),
  npyBytes(
    Int32Array.from({ length: 40 }, (_, r) => r % 2),
    [40],
  ),
);
const base = join(dir, 'base.safetensors');
const model = ['--model', 'mlp', '--hidden', '64', '--blocks', '1', '--steps', '20', '--batch', '8'];

/** A copy of base at `path` with its metadata or one tensor value changed (written as is, unchecked). */
function variant(path: string, edit: (c: Checkpoint) => void): string {
  const c = readCheckpoint(base);
  edit(c);
  writeFileSync(path, encodeCheckpoint(c));
  return path;
}

describeGpu('fluctus train --resume (CLI)', () => {
  beforeAll(async () => {
    const r = await fluctus([
      'train',
      '--data',
      img,
      '--labels',
      lab,
      ...model,
      '--epochs',
      '2',
      '--max-steps',
      '4',
      '--no-report',
      '--out',
      base,
    ]);
    expect(r.code, r.stderr).toBe(0);
  });

  it('records the data name, loading options and fingerprint', () => {
    const i = readCheckpoint(base).info;
    expect(i.data).toBe(img);
    expect(i.dataOptions).toEqual({ labels: lab });
    expect(i.dataFingerprint!.rows).toBe(40);
    expect(i.dataFingerprint!.hash).toMatch(/^fnv1a32:[0-9a-f]{8}$/);
  });

  it("without --data resumes on the checkpoint's data (and labels), and says so", async () => {
    const out = join(dir, 'continued.safetensors');
    const r = await fluctus(['train', '--resume', base, '--out', out, '--no-report']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`data: --data ${img} --labels ${lab} (from the resumed checkpoint)`);
    expect(r.stdout).toContain(`resuming ${base} at step 4`);
    expect(r.stderr).not.toContain('warning');
    const c = readCheckpoint(out);
    expect(c.info.step).toBe(10);
    expect(c.info.schedule).toEqual({ name: 'linear', T: 20 });
    expect(c.info.dataFingerprint).toEqual(readCheckpoint(base).info.dataFingerprint);
  });

  it('resumes on other data of the same shape with --allow-different-data, with a warning', async () => {
    const out = join(dir, 'other.safetensors');
    const r = await fluctus([
      'train',
      '--data',
      img2,
      '--labels',
      lab,
      '--resume',
      base,
      '--allow-different-data',
      '--out',
      out,
      '--no-report',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const was = readCheckpoint(base).info.dataFingerprint!.hash;
    const now = readCheckpoint(out).info.dataFingerprint!.hash;
    expect(now).not.toBe(was);
    expect(r.stderr).toContain(
      `warning: --allow-different-data: resume checkpoint ${base} was trained on '${img}' (40 rows, ${was}) but the data given are '${img2}' (40 rows, ${now}); training continues`,
    );
    expect(readCheckpoint(out).info.data).toBe(img2);
  });

  it('resumes a checkpoint without a data fingerprint (older fluctus) with a warning', async () => {
    const f = decodeSafetensors(readFileSync(base));
    const { data_fingerprint: _h, data_rows: _n, ...meta } = f.metadata;
    const old = join(dir, 'old.safetensors');
    writeFileSync(old, encodeSafetensors(f.tensors as Map<string, { shape: number[]; data: Float32Array }>, meta));
    expect(readCheckpoint(old).info.dataFingerprint).toBeUndefined();
    const r = await fluctus(['train', '--resume', old, '--max-steps', '5', '--out', old, '--no-report']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(
      `warning: resume checkpoint ${old} records no data fingerprint (written by an older fluctus), so nothing checks that '${img}' is the data it was trained on`,
    );
    expect(readCheckpoint(old).info.dataFingerprint).toEqual(readCheckpoint(base).info.dataFingerprint);
  });

  // Each refusal: non-zero exit, the message, no GPU work (no adapter line), the checkpoint's bytes unchanged.
  const refused: [string, () => string, string[], RegExp][] = [
    [
      'other data of the same shape',
      () => base,
      ['--data', img2, '--labels', lab],
      /was trained on '.*img\.npy' \(40 rows, fnv1a32:[0-9a-f]{8}\) but the data given are '.*img2\.npy' \(40 rows, fnv1a32:[0-9a-f]{8}\): not the same data\. .* or pass --allow-different-data/,
    ],
    [
      'a conflicting --steps',
      () => base,
      ['--steps', '50'],
      /conflicts with the options given: --steps 50, but the checkpoint has T = 20\./,
    ],
    [
      'a conflicting --schedule, --hidden and --model',
      () => base,
      ['--schedule', 'cosine', '--hidden', '32', '--model', 'unet-small'],
      /--model unet-small, but the checkpoint is a mlp; --schedule cosine, but the checkpoint has schedule linear; --hidden 32, but the checkpoint has hidden = 64\. A resumed run keeps/,
    ],
    [
      'NaN weights, naming the tensor',
      () =>
        variant(join(dir, 'nan-weights.safetensors'), (c) => {
          c.params.get('blocks.0.lin1.weight')!.data[3] = Number.NaN;
        }),
      [],
      /nan-weights\.safetensors: tensor 'blocks\.0\.lin1\.weight' holds NaN at index 3 \(of 4096\); a checkpoint must hold finite values/,
    ],
    [
      'data it cannot find, asking for --data',
      () =>
        variant(join(dir, 'moved.safetensors'), (c) => {
          c.info.data = join(dir, 'gone.npy');
        }),
      [],
      /was trained on '.*gone\.npy', which is neither a built-in data set \(gmm, .*\) nor a file or folder here; give the data with --data/,
    ],
    [
      '--allow-different-data without --resume',
      () => '',
      ['--data', img, '--labels', lab, '--model', 'mlp'],
      /--allow-different-data applies only with --resume/,
    ],
  ];
  for (const [what, ckpt, args, re] of refused) {
    it(`refuses ${what}`, async () => {
      const path = ckpt();
      const out = path || join(dir, 'never.safetensors');
      const before = path ? readFileSync(path) : null;
      const r = await fluctus([
        'train',
        ...(path ? ['--resume', path] : ['--allow-different-data']),
        ...args,
        '--out',
        out,
        '--no-report',
      ]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(re);
      expect(r.stdout).not.toContain('adapter:');
      if (before) expect(readFileSync(path).equals(before)).toBe(true);
      else expect(existsSync(out)).toBe(false);
    });
  }

  for (const option of ['--model', '--classifier']) {
    it(`fluctus experiment ${option} refuses a checkpoint with NaN EMA weights at load, naming the tensor`, async () => {
      const path = variant(join(dir, 'nan-ema.safetensors'), (c) => {
        c.ema!.get('output.weight')!.data[0] = Number.NaN;
      });
      const out = join(dir, `exp${option}`);
      const r = await fluctus([
        'experiment',
        'accelerated',
        '--data',
        img,
        '--labels',
        lab,
        option,
        path,
        '--out',
        out,
      ]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/nan-ema\.safetensors: tensor 'ema\.output\.weight' holds NaN at index 0/);
      expect(r.stderr).not.toContain('fake');
      expect(existsSync(join(out, 'result.json'))).toBe(false);
    });
  }
});
