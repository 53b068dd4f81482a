// forward_noise.wgsl against the float64 reference, chunking invariance bit for bit, the closed-form
// moments for Gaussian x0, and bad input.
import { describe, expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { forwardNoise } from '../../src/kernels/forward_noise.js';
import { makeSchedule, stepsFromList } from '../../src/schedule/schedules.js';
import { seedKey } from '../../src/runtime/check.js';
import { forwardNoiseRef } from '../ref/forward_noise.js';
import { expectClose, expectSameBits } from '../compare.js';
import { randn } from '../random.js';

const schedule = makeSchedule('linear');
// Tolerance: eps from lib/normal.wgsl is within 2e-7 max(1, |z|) of float64 Box-Muller; the f32
// products and sum add about 3 roundings of |y| (2^-24 each). |z| < 7 for 32-bit uniforms.
const TOL = { atol: 1.5e-6, rtol: 3e-7 };

describeGpu('forward_noise', (get) => {
  // invocations = rows * ceil(cols / 4): 1, 63, 64, 65 (WG - 1, WG, WG + 1), and primes
  const shapes: [number, number][] = [
    [1, 1],
    [63, 4],
    [64, 4],
    [65, 3],
    [3, 63],
    [5, 64],
    [7, 65],
    [2, 131],
    [131, 7],
    [1009, 13],
  ];
  for (const [rows, cols] of shapes) {
    it(`matches the float64 reference for x0 of shape [${rows}, ${cols}]`, async () => {
      const seed = rows * 1000 + cols;
      const x0 = Float32Array.from(randn(rows * cols, seed), (v) => 3 * v + 1);
      const stepList = [1, 2, 77, 500, 999, 1000];
      const got = await forwardNoise(get(), x0, [rows, cols], { schedule, steps: stepList, seed });
      const { steps, abar } = stepsFromList(schedule, stepList);
      expectClose(got!, forwardNoiseRef(x0, rows, cols, steps, abar, seedKey(seed)), {
        ...TOL,
        seed,
        label: `[${rows}, ${cols}]`,
      });
    });
  }

  it('needs more than 65,535 workgroups and several chunks: sampled rows match, chunking changes no bit', async () => {
    const ctx = get();
    // 70,001 rows x 61 quads = 4.27 M invocations = 66,720 workgroups of 64; the (2, N, D) output is
    // 135 MB, more than one 128 MiB binding, so the default plan also chunks.
    const [rows, cols] = [70_001, 241];
    const seed = 5;
    const x0 = new Float32Array(rows * cols).map((_, i) => ((i * 2654435761) % 1000) / 250 - 2);
    const stepList = [3, 1000];
    const whole = (await forwardNoise(ctx, x0, [rows, cols], { schedule, steps: stepList, seed }))!;
    const pieces = (await forwardNoise(ctx, x0, [rows, cols], {
      schedule,
      steps: stepList,
      seed,
      maxChunkBytes: 3_000_000,
    }))!;
    expectSameBits(pieces, whole, 'chunked vs default plan');
    const sample = [0, 1, 68_000, 68_851, 68_852, rows - 2, rows - 1];
    const { steps, abar } = stepsFromList(schedule, stepList);
    const ref = forwardNoiseRef(x0, rows, cols, steps, abar, seedKey(seed), 0, sample);
    const got = new Float32Array(ref.length);
    for (let s = 0; s < 2; s++)
      sample.forEach((n, j) =>
        got.set(whole.subarray((s * rows + n) * cols, (s * rows + n + 1) * cols), (s * sample.length + j) * cols),
      );
    expectClose(got, ref, { ...TOL, seed, label: 'sampled rows' });
  });

  it('row and step chunking give the same bits as one pass', async () => {
    const ctx = get();
    const [rows, cols] = [200, 37];
    const seed = 99;
    const x0 = Float32Array.from(randn(rows * cols, seed));
    const stepList = [1, 10, 100, 500, 1000];
    const one = (await forwardNoise(ctx, x0, [rows, cols], { schedule, steps: stepList, seed }))!;
    for (const maxChunkBytes of [4 * cols * 5 * 7, 4 * cols * 3, 4 * cols]) {
      const chunks: string[] = [];
      const got = new Float32Array(one.length);
      await forwardNoise(ctx, x0, [rows, cols], {
        schedule,
        steps: stepList,
        seed,
        maxChunkBytes,
        onChunk: (c) => {
          chunks.push(`${c.rowStart}:${c.stepStart}`);
          for (let s = 0; s < c.stepCount; s++)
            got.set(
              c.data.subarray(s * c.rows * cols, (s + 1) * c.rows * cols),
              ((c.stepStart + s) * rows + c.rowStart) * cols,
            );
        },
      });
      expect(chunks.length).toBeGreaterThan(1);
      expectSameBits(got, one, `maxChunkBytes ${maxChunkBytes}`);
    }
  });

  it('a steady-state loop compiles nothing new', async () => {
    const ctx = get();
    const x0 = new Float32Array(40).fill(1);
    await forwardNoise(ctx, x0, [8, 5], { schedule, steps: [1], seed: 0 });
    const before = ctx.compiles;
    for (let i = 0; i < 5; i++)
      await forwardNoise(ctx, x0.subarray(0, 5 * (4 + i)), [4 + i, 5], { schedule, steps: [1, i + 2], seed: i });
    expect(ctx.compiles).toBe(before);
  });

  it('Gaussian x0: noised mean and covariance match abar mu and abar Sigma + (1 - abar) I', async () => {
    const D = 5;
    const N = 100_000;
    const seed = 3;
    // x0 = mu + L z with a fixed lower-triangular L, so Sigma = L L^T.
    const L = [
      [2, 0, 0, 0, 0],
      [1, 1, 0, 0, 0],
      [0, -0.5, 0.7, 0, 0],
      [0.3, 0, 0, 0.2, 0],
      [0, 0, 1, 0, 3],
    ];
    const mu = [1, -2, 0, 0.5, 3];
    const z = randn(N * D, seed);
    const x0 = new Float32Array(N * D);
    for (let n = 0; n < N; n++)
      for (let i = 0; i < D; i++) {
        let v = mu[i]!;
        for (let j = 0; j <= i; j++) v += L[i]![j]! * z[n * D + j]!;
        x0[n * D + i] = v;
      }
    const Sigma = L.map((ri) => L.map((rj) => ri.reduce((s, v, k) => s + v * rj[k]!, 0)));
    const stepList = [50, 300, 800];
    const out = (await forwardNoise(get(), x0, [N, D], { schedule, steps: stepList, seed: 11 }))!;
    const { abar } = stepsFromList(schedule, stepList);
    for (let s = 0; s < stepList.length; s++) {
      const a = abar[s]!;
      const C = Sigma.map((r, i) => r.map((v, j) => a * v + (i === j ? 1 - a : 0)));
      const m = new Float64Array(D);
      for (let n = 0; n < N; n++) for (let i = 0; i < D; i++) m[i]! += out[(s * N + n) * D + i]! / N;
      for (let i = 0; i < D; i++) {
        // 5 standard errors of a mean (plus the sampling error of x0's own mean, same size)
        expect(Math.abs(m[i]! - Math.sqrt(a) * mu[i]!), `mean ${i} at step ${stepList[s]}`).toBeLessThan(
          5 * Math.sqrt((2 * C[i]![i]!) / N),
        );
      }
      for (let i = 0; i < D; i++)
        for (let j = 0; j <= i; j++) {
          let c = 0;
          for (let n = 0; n < N; n++) c += (out[(s * N + n) * D + i]! - m[i]!) * (out[(s * N + n) * D + j]! - m[j]!);
          c /= N - 1;
          // standard error of a sample covariance: sqrt((C_ii C_jj + C_ij^2) / N); x0's sampling adds as much again
          const se = Math.sqrt((2 * (C[i]![i]! * C[j]![j]! + C[i]![j]! ** 2)) / N);
          expect(Math.abs(c - C[i]![j]!), `cov ${i},${j} at step ${stepList[s]}`).toBeLessThan(5 * se);
        }
    }
  });

  it('N(0, I) stays N(0, I) at every step', async () => {
    const [N, D] = [50_000, 3];
    const x0 = Float32Array.from(randn(N * D, 8));
    const out = (await forwardNoise(get(), x0, [N, D], { schedule, steps: [1, 500, 1000], seed: 1 }))!;
    for (let s = 0; s < 3; s++) {
      let m2 = 0;
      for (let i = 0; i < N * D; i++) m2 += out[s * N * D + i]! ** 2;
      expect(Math.abs(m2 / (N * D) - 1)).toBeLessThan(5 * Math.sqrt(2 / (N * D)));
    }
  });

  describe('bad input', () => {
    const x0 = new Float32Array(12);
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      [
        'NaN names row and column',
        () => {
          const x = x0.slice();
          x[7] = NaN;
          return forwardNoise(get(), x, [4, 3], { schedule, steps: [1], seed: 0 });
        },
        /x0: non-finite value NaN at row 2, column 1/,
      ],
      [
        'wrong shape',
        () => forwardNoise(get(), x0, [5, 3], { schedule, steps: [1], seed: 0 }),
        /shape \[5, 3\] needs 15 values, got 12/,
      ],
      [
        'step 0',
        () => forwardNoise(get(), x0, [4, 3], { schedule, steps: [1, 0], seed: 0 }),
        /step.*\b0\b.*1.*1000|1.*1000.*\b0\b/,
      ],
      ['step T + 1', () => forwardNoise(get(), x0, [4, 3], { schedule, steps: [1001], seed: 0 }), /1001/],
      [
        'fractional seed',
        () => forwardNoise(get(), x0, [4, 3], { schedule, steps: [1], seed: 0.5 }),
        /seed must be an integer in \[0, 9007199254740991\], got 0.5/,
      ],
      [
        'no steps',
        () => forwardNoise(get(), x0, [4, 3], { schedule, steps: [], seed: 0 }),
        /steps must hold at least one step/,
      ],
    ];
    for (const [name, run, msg] of cases)
      it(name, async () => {
        await expect(run()).rejects.toThrow(msg);
      });
  });
});
