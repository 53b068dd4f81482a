// `fluctus train` as a user runs it: tiny image data (.npy) end to end for the U-Net (checkpoint,
// report, sample grid, no temp files), resume, the classifier, and bad input refused with a message.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { npyBytes, write } from '../data-files.js';
import { rng } from '../random.js';
import { readCheckpoint } from '../../src/models/checkpoint.js';

const run = promisify(execFile);
const bin = new URL('../../bin/fluctus.js', import.meta.url).pathname;

async function fluctus(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [bin, 'train', ...args], { timeout: 120_000 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

const dir = mkdtempSync(join(tmpdir(), 'fluctus-train-cli-'));
// 40 images 8x8 of two classes: a bright left or right half, with noise.
const u = rng(5);
const pixels = new Float32Array(40 * 64).map((_, i) => {
  const [r, x] = [Math.floor(i / 64), i % 8];
  return ((r % 2 === 0) === x < 4 ? 0.8 : -0.8) + 0.1 * (u() - 0.5);
});
const images = write(join(dir, 'img.npy'), npyBytes(pixels, [40, 8, 8]));
const labels = write(
  join(dir, 'lab.npy'),
  npyBytes(
    Int32Array.from({ length: 40 }, (_, r) => r % 2),
    [40],
  ),
);

describeGpu('fluctus train (CLI)', () => {
  it('trains a small U-Net and writes the checkpoint, the report and the sample grid; resume continues it', async () => {
    const out = join(dir, 'unet.safetensors');
    const args = [
      '--data',
      images,
      '--labels',
      labels,
      '--model',
      'unet-small',
      '--channels',
      '8,8',
      '--batch',
      '8',
      '--steps',
      '20',
      '--out',
      out,
    ];
    const r = await fluctus([...args, '--epochs', '2', '--max-steps', '6']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/trained 6 steps in [\d.]+ s \(\d+ samples\/s\)/);
    expect(readdirSync(dir).sort()).toEqual([
      'img.npy',
      'lab.npy',
      'unet-samples.png',
      'unet.html',
      'unet.safetensors',
    ]);
    const html = readFileSync(join(dir, 'unet.html'), 'utf8');
    expect(html).toContain('Training loss');
    expect(html).toContain('data:image/png;base64,');
    const c = readCheckpoint(out);
    expect(c.info).toMatchObject({
      architecture: 'unet-small',
      dataShape: [8, 8, 1],
      numClasses: 2,
      step: 6,
      schedule: { name: 'linear', T: 20 },
    });
    const again = await fluctus(['--data', images, '--labels', labels, '--resume', out, '--out', out, '--no-report']);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`resuming ${out} at step 6`);
    expect(readCheckpoint(out).info.step).toBe(10);
  });

  it('trains a classifier and reports its accuracy', async () => {
    const out = join(dir, 'clf.safetensors');
    const r = await fluctus([
      '--data',
      images,
      '--labels',
      labels,
      '--model',
      'classifier',
      '--channels',
      '8,8',
      '--batch',
      '8',
      '--epochs',
      '3',
      '--out',
      out,
    ]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/accuracy \(training data\): [01]\.\d{4}/);
    expect(existsSync(join(dir, 'clf.html'))).toBe(true);
  });

  const bad: [string, string[], RegExp][] = [
    [
      'an unknown model',
      ['--model', 'resnet'],
      /argument 'resnet' is invalid. Allowed choices are mlp, unet-small, classifier/,
    ],
    ['an unknown schedule', ['--model', 'mlp', '--schedule', 'quadratic'], /Allowed choices are linear, cosine/],
    ['no model', [], /--model is required \(one of mlp, unet-small, classifier\)/],
    ['a U-Net on vectors', ['--model', 'unet-small', '--data', 'gmm'], /--model unet-small needs image data/],
    ['bad channels', ['--model', 'unet-small', '--channels', '8'], /--channels must be two integers 'c0,c1'/],
    [
      'a mismatched checkpoint',
      ['--model', 'mlp', '--resume', join(dir, 'unet.safetensors')],
      /resume checkpoint .*unet\.safetensors conflicts with the options given: --model mlp, but the checkpoint is a unet-small/,
    ],
  ];
  for (const [what, args, re] of bad) {
    it(`refuses ${what}`, async () => {
      const out = join(dir, `bad-${what.replace(/\W+/g, '-')}.safetensors`);
      const r = await fluctus([
        ...(args.includes('--data') ? [] : ['--data', images, '--labels', labels]),
        ...args,
        '--out',
        out,
      ]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(re);
      expect(existsSync(out)).toBe(false);
    });
  }
});
