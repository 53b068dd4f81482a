// Gaussian late start: draws have the requested mean and covariance (top-r eigenpairs plus an isotropic
// rest, and a full covariance), match the float64 formula on the same Philox normals, share x_T with the
// plain start, and sample() starts the chain from them per class from a late-start file.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { gaussDenoiser, zScores } from './sampler-fixtures.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { standardNormals } from '../../src/kernels/forward_noise.js';
import { seedKey } from '../../src/runtime/check.js';
import {
  LATE_START_FORMAT,
  LATE_START_VERSION,
  type LateStartFile,
  type LateStartGaussian,
} from '../../src/formats/late-start.js';
import {
  ddimScheduler,
  drawLateStart,
  gaussianFactor,
  sample,
  SAMPLE_STREAM,
  type FullGaussian,
} from '../../src/samplers/index.js';
import { expectClose, expectSameBits } from '../compare.js';
import { gaussian, randn } from '../random.js';
import { lateStartRowRef, normalsRef } from '../ref/samplers.js';

/** r orthonormal rows in D dims (Gram-Schmidt of seeded Gaussian rows). */
function orthonormalRows(r: number, D: number, seed: number): number[][] {
  const g = gaussian(seed);
  const rows: number[][] = [];
  for (let j = 0; j < r; j++) {
    const v = Array.from({ length: D }, g);
    for (const u of rows) {
      const dot = u.reduce((s, ud, d) => s + ud * v[d]!, 0);
      u.forEach((ud, d) => (v[d]! -= dot * ud));
    }
    const norm = Math.hypot(...v);
    rows.push(v.map((x) => x / norm));
  }
  return rows;
}

function topR(D: number, r: number, seed: number, shift = 0): LateStartGaussian {
  return {
    mean: Array.from(randn(D, seed), (m) => m + shift),
    eigenvalues: [3.5, 1.2, 0.6].slice(0, r),
    eigenvectors: orthonormalRows(r, D, seed + 1),
    restVariance: 0.4,
  };
}

/** V^T diag(lambda) V + rest (I - V^T V), (D, D). */
function covarianceOf(g: LateStartGaussian, D: number): number[] {
  const c = new Array<number>(D * D).fill(0);
  for (let i = 0; i < D; i++) c[i * D + i] = g.restVariance;
  g.eigenvectors.forEach((v, j) => {
    for (let a = 0; a < D; a++)
      for (let b = 0; b < D; b++) c[a * D + b]! += (g.eigenvalues[j]! - g.restVariance) * v[a]! * v[b]!;
  });
  return c;
}

describeGpu('samplers: Gaussian late start', (get) => {
  const n = 20000;
  it('draws with top-r eigenpairs plus rest and with a full covariance have the requested mean and covariance', async () => {
    const ctx = get();
    const low = topR(6, 2, 3);
    const D5 = 5;
    const A = randn(D5 * D5, 9);
    const full: FullGaussian = {
      mean: Array.from(randn(D5, 10)),
      covariance: Array.from({ length: D5 * D5 }, (_, ij) => {
        const [a, b] = [Math.floor(ij / D5), ij % D5];
        let s = a === b ? 0.1 : 0;
        for (let k = 0; k < D5; k++) s += (A[a * D5 + k]! * A[b * D5 + k]!) / D5;
        return s;
      }),
    };
    for (const [label, D, g, cov] of [
      ['top-2 + rest', 6, low, covarianceOf(low, 6)],
      ['full covariance', D5, full, full.covariance],
    ] as const) {
      const x = await drawLateStart(ctx, { all: g }, D, n, 21, null);
      const z = zScores(x, n, D, Array.from(g.mean), Array.from(cov));
      // 6 + 21 (D = 6) or 5 + 15 z-scores: P(any |z| > 4.5) <= 27 * 6.8e-6 = 2e-4 for correct draws.
      for (const v of [...z.mean, ...z.cov])
        expect(
          Math.abs(v),
          `${label}: ${z.mean.map((q) => q.toFixed(2))} / ${z.cov.map((q) => q.toFixed(2))}`,
        ).toBeLessThan(4.5);
    }
  });

  it('matches the float64 formula on the same Philox normals (awkward D, r) and shares x_T with the plain start', async () => {
    const ctx = get();
    for (const [D, r, rows] of [
      [1, 1, 3],
      [7, 3, 5],
      [13, 2, 9],
    ] as const) {
      const g = topR(D, r, D + r);
      const x = await drawLateStart(ctx, { all: g }, D, rows, 8, null);
      const z = normalsRef(seedKey(8), rows, D + r, 0, SAMPLE_STREAM);
      const want = new Float64Array(rows * D);
      for (let i = 0; i < rows; i++) {
        const zi = z.subarray(i * (D + r), (i + 1) * (D + r));
        want.set(
          lateStartRowRef(g.mean, g.eigenvectors, g.eigenvalues, g.restVariance, zi.subarray(D), zi.subarray(0, D)),
          i * D,
        );
      }
      // f32 normals (relative error ~6e-8) through a sum of r + 2 terms of size <~ 2 sqrt(3.5) |z| <~ 20, rounded to f32.
      expectClose(x, want, { atol: 4e-6, rtol: 1e-6, label: `D ${D}, r ${r}` });
    }
    const plain = await standardNormals(ctx, 4, 6, { seed: 8, stream: SAMPLE_STREAM, step: 0 });
    const iso = await drawLateStart(
      ctx,
      { all: { mean: new Array(6).fill(0), eigenvalues: [], eigenvectors: [], restVariance: 1 } },
      6,
      4,
      8,
      null,
    );
    expectSameBits(iso, plain, 'N(0, I) late start vs plain start');
  });

  it('sample() starts from the late-start file per class (rows without a class use all) and from given Gaussians', async () => {
    const ctx = get();
    const schedule = makeSchedule('linear', 100, { betaStart: 1e-3, betaEnd: 0.2 });
    const D = 5;
    const den = gaussDenoiser(schedule, D, 2, 1, 4);
    const stats = {
      step: 40,
      abar: schedule.alphasCumprod[39]!,
      all: topR(D, 1, 50),
      classes: [topR(D, 3, 51, 20), topR(D, 0, 52, -20)],
    };
    const file: LateStartFile = {
      format: LATE_START_FORMAT,
      version: LATE_START_VERSION,
      data: { name: 't', dim: D, imageShape: null, classNames: ['a', 'b'] },
      schedule: { name: 'linear', T: 100 },
      method: 'exact',
      rank: 3,
      steps: [stats],
    };
    const classes = Int32Array.of(0, 1, -1, 1, 0, -1, 0);
    const res = await sample(ctx, den, {
      n: 7,
      classes,
      seed: 6,
      scheduler: ddimScheduler(schedule),
      steps: 4,
      start: { step: 40, from: { kind: 'late-start', file } },
    });
    expect(Array.from(res.timesteps)).toEqual([40, 27, 14, 1]);
    expectSameBits(
      den.firstX!,
      await drawLateStart(ctx, { all: stats.all, perClass: stats.classes }, D, 7, 6, classes),
      'start state',
    );
    // Class 0's mean is shifted by +20, class 1's by -20: each row's start sits near its own statistics.
    classes.forEach((c, i) => {
      const m = c === -1 ? stats.all.mean : stats.classes[c]!.mean;
      const dev = Math.max(...m.map((v, d) => Math.abs(den.firstX![i * D + d]! - v)));
      expect(dev, `row ${i} (class ${c})`).toBeLessThan(12);
    });
    den.firstX = null;
    await sample(ctx, den, {
      n: 7,
      classes,
      seed: 6,
      scheduler: ddimScheduler(schedule),
      steps: 4,
      start: { step: 40, from: { kind: 'late-start', file, use: 'all' } },
    });
    expectSameBits(den.firstX!, await drawLateStart(ctx, { all: stats.all }, D, 7, 6, null), "use: 'all'");
    den.firstX = null;
    const full: FullGaussian = {
      mean: [1, 2, 3, 4, 5],
      covariance: Array.from({ length: 25 }, (_, ij) => (ij % 6 === 0 ? 2 : 0)),
    };
    await sample(ctx, den, {
      n: 7,
      classes: null,
      seed: 6,
      scheduler: ddimScheduler(schedule),
      steps: 2,
      start: { step: 30, from: { kind: 'gaussian', all: full } },
    });
    expectSameBits(den.firstX!, await drawLateStart(ctx, { all: full }, D, 7, 6, null), 'full covariance start');
    expectSameBits(
      await drawLateStart(ctx, { all: gaussianFactor(full, D, 'full') }, D, 7, 6, null),
      den.firstX!,
      'a reused factor',
    );
  });
});
