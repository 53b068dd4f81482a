// Bad input to sample() and sdedit(): each error names the value and the limit, and comes before any
// denoiser call or GPU work.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { gaussDenoiser } from './sampler-fixtures.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import {
  LATE_START_FORMAT,
  LATE_START_VERSION,
  type LateStartFile,
  type LateStartGaussian,
} from '../../src/formats/late-start.js';
import { ddimScheduler, ddpmScheduler, sample, sdedit, type SampleOptions } from '../../src/samplers/index.js';

const schedule = makeSchedule('linear', 100, { betaStart: 1e-3, betaEnd: 0.2 });
const D = 4;

function gaussian(d = D): LateStartGaussian {
  return {
    mean: new Array(d).fill(0.5),
    eigenvalues: [2],
    eigenvectors: [[1, ...new Array(d - 1).fill(0)]],
    restVariance: 0.7,
  };
}

function lateStartFile(
  over: { dim?: number; imageShape?: [number, number] | null; name?: string; T?: number } = {},
): LateStartFile {
  return {
    format: LATE_START_FORMAT,
    version: LATE_START_VERSION,
    data: { name: 'test', dim: over.dim ?? D, imageShape: over.imageShape ?? null, classNames: ['a', 'b'] },
    schedule: { name: over.name ?? 'linear', T: over.T ?? 100 },
    method: 'exact',
    rank: 1,
    steps: [{ step: 40, abar: schedule.alphasCumprod[39]!, all: gaussian(), classes: [gaussian(), gaussian()] }],
  };
}

describeGpu('samplers: bad input', (get) => {
  const den = gaussDenoiser(schedule, D, 3, 1, 1);
  const classes = Int32Array.of(0, 1, 2);
  const base = (): SampleOptions => ({ n: 3, classes, seed: 1, scheduler: ddimScheduler(schedule), steps: 5 });
  const cases: [string, Partial<SampleOptions>, RegExp][] = [
    ['start step 0', { start: { step: 0 } }, /start step must be an integer in \[1, 100\], got 0/],
    ['start step T + 1', { start: { step: 101 } }, /start step must be an integer in \[1, 100\], got 101/],
    [
      'more steps than the start step',
      { steps: 41, start: { step: 40 } },
      /number of steps \(at most the start step 40\) must be an integer in \[1, 40\], got 41/,
    ],
    [
      'interval below the schedule',
      { guidance: { kind: 'interval', w: 2, lo: 0, hi: 50 } },
      /guidance 'interval': lo must be an integer in \[1, 100\], got 0/,
    ],
    [
      'interval above the schedule',
      { guidance: { kind: 'negative', w: 2, lo: 10, hi: 101 } },
      /guidance 'negative': hi must be an integer in \[1, 100\], got 101/,
    ],
    [
      'reversed interval',
      { guidance: { kind: 'interval', w: 2, lo: 60, hi: 20 } },
      /guidance 'interval': interval \[60, 20\] is reversed; lo must be <= hi \(steps 1..100\)/,
    ],
    [
      'pulse past T',
      { guidance: { kind: 'pulse', w: 2, centre: 98, width: 6 } },
      /pulse centre 98 width 6 covers steps \[95, 101\], which must be a non-empty interval inside the schedule's steps 1..100/,
    ],
    ['negative width', { guidance: { kind: 'pulse', w: 2, centre: 50, width: -1 } }, /width must be >= 0, got -1/],
    [
      'unknown guidance kind',
      { guidance: { kind: 'cfg', w: 2 } as never },
      /guidance: unknown kind 'cfg'; valid kinds: constant, interval, pulse, negative/,
    ],
    [
      'non-finite weight',
      { guidance: { kind: 'constant', w: NaN } },
      /guidance 'constant': w must be a finite number, got NaN/,
    ],
    [
      'a class the model lacks',
      { classes: Int32Array.of(0, 5, 1) },
      /class label 5 at row 1 is outside the model's classes; valid: 0..2 or -1 \(null\)/,
    ],
    [
      'a negative class the model lacks',
      { guidance: { kind: 'negative', w: 1, lo: 1, hi: 100, negativeClass: 3 } },
      /class label 3 at row 0 is outside the model's classes/,
    ],
    [
      'negative classes of the wrong length',
      { guidance: { kind: 'negative', w: 1, lo: 1, hi: 100, negativeClass: Int32Array.of(1) } },
      /negativeClass has 1 labels for 3 rows/,
    ],
    [
      'guidance without classes',
      { classes: null, guidance: { kind: 'constant', w: 2 } },
      /guidance 'constant' needs classes/,
    ],
    [
      'a scheduler for another schedule',
      { scheduler: ddpmScheduler(makeSchedule('cosine', 100)) },
      /the scheduler's schedule \('cosine', T = 100\) differs from the denoiser's \('linear', T = 100\)/,
    ],
    [
      'a scheduler with other betas',
      { scheduler: ddpmScheduler(makeSchedule('linear', 100)) },
      /the scheduler's abar at step 1 is 0.9999 but the denoiser's is 0.999/,
    ],
    [
      'late-start data of another dim',
      { start: { step: 40, from: { kind: 'late-start', file: lateStartFile({ dim: 5 }) } } },
      /late-start statistics: data.dim is 5 but the denoiser's dim is 4/,
    ],
    [
      'late-start schedule of another name',
      { start: { step: 40, from: { kind: 'late-start', file: lateStartFile({ name: 'cosine' }) } } },
      /late-start statistics: schedule.name is 'cosine' but the denoiser's schedule is 'linear'/,
    ],
    [
      'late-start schedule of another T',
      { start: { step: 40, from: { kind: 'late-start', file: lateStartFile({ T: 1000 }) } } },
      /late-start statistics: schedule.T is 1000 but the denoiser's schedule has T = 100/,
    ],
    [
      'late-start file without the start step',
      { start: { step: 50, from: { kind: 'late-start', file: lateStartFile() } } },
      /late-start statistics: no entry for start step 50; the file has steps \[40\]/,
    ],
    [
      'late-start statistics for fewer classes',
      { start: { step: 40, from: { kind: 'late-start', file: lateStartFile() } } },
      /late start: class 2 has no statistics \(perClass holds 2 classes\)/,
    ],
    [
      'a bad late-start use',
      { start: { step: 40, from: { kind: 'late-start', file: lateStartFile(), use: 'some' as never } } },
      /late-start use must be 'class' or 'all', got 'some'/,
    ],
    ['an unknown start', { start: { from: 'zeros' as never } }, /start.from must be 'noise'/],
    [
      'a gaussian start of another dim',
      { start: { step: 40, from: { kind: 'gaussian', all: gaussian(3) } }, classes: null },
      /late start \(all\): mean must hold D = 4 values, got 3/,
    ],
  ];
  for (const [name, over, re] of cases) {
    it(`rejects ${name}`, async () => {
      await expect(sample(get(), den, { ...base(), ...over })).rejects.toThrow(re);
      expect(den.calls).toBe(0);
    });
  }

  it('rejects late-start statistics of another image shape', async () => {
    const img = { ...gaussDenoiser(schedule, D, 3, 1, 1), imageShape: [2, 2, 1] as const };
    const file = lateStartFile({ imageShape: [1, 4] });
    await expect(
      sample(get(), img, { ...base(), start: { step: 40, from: { kind: 'late-start', file } } }),
    ).rejects.toThrow(/data.imageShape is \[1, 4\] but the denoiser's imageShape is \[2, 2, 1\]/);
  });

  it('rejects sdedit inputs of the wrong size and a start outside the schedule', async () => {
    const opts = { classes: null, seed: 1, scheduler: ddimScheduler(schedule), steps: 3 };
    await expect(sdedit(get(), den, { ...opts, x0: new Float32Array(7), start: 30 })).rejects.toThrow(
      /sdedit: x0 must hold n \* D values with D = 4, got 7/,
    );
    await expect(sdedit(get(), den, { ...opts, x0: new Float32Array(8), start: 0 })).rejects.toThrow(
      /start step must be an integer in \[1, 100\], got 0/,
    );
    await expect(sdedit(get(), den, { ...opts, x0: Float32Array.of(0, 1, NaN, 0), start: 30 })).rejects.toThrow(
      /sdedit: x0: non-finite value NaN at row 0, column 2/,
    );
    expect(den.calls).toBe(0);
  });
});
