// k-NN radii and precision / recall / density / coverage on the GPU against the float64 brute-force
// reference: awkward sizes (n = 2..7, primes, D not a multiple of 4), k from 1 to KNN_MAX_K, many
// distance blocks, offset data; identical sets (1, 1, ~1, 1), disjoint sets (0, 0, 0, 0); bad input.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { knnRadii, prdc, type PrdcResult } from '../../src/metrics/prdc.js';
import { KNN_MAX_K } from '../../src/kernels/knn_select.js';
import { expectClose } from '../compare.js';
import { prdcRef } from '../ref/metrics.js';
import { gaussianSet } from '../metrics-fixtures.js';

const U = 2 ** -24;

/**
 * Bound on the f32 error of one squared distance ||a||² + ||b||² - 2 a.b as the GPU forms it from rows
 * centred on the real mean: the f32 dot product (D terms, <= D u (||a||² + ||b||²) / 2), the two norm
 * roundings and two additions (<= 4 u (||a||² + ||b||²)), and the f32 rounding of the centring (moves
 * d² by <= 4 u (||a||² + ||b||²)): delta = (D + 8) u (||a||² + ||b||²), taken at the largest norm.
 * Radii are order statistics of such values, so they move by at most delta too, and a comparison
 * d < r can flip only when |d² - r²| < 2 delta: the reference with radii² -/+ 2 delta bounds every statistic.
 */
function slack(real: Float32Array, fake: Float32Array, N: number, M: number, D: number): number {
  const mean = new Float64Array(D);
  for (let i = 0; i < N * D; i++) mean[i % D]! += real[i]! / N;
  let top = 0;
  for (const [x, n] of [
    [real, N],
    [fake, M],
  ] as const) {
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < D; j++) s += (x[i * D + j]! - mean[j]!) ** 2;
      top = Math.max(top, s);
    }
  }
  return 2 * (D + 8) * U * 2 * top;
}

function expectWithin(
  got: PrdcResult,
  real: Float32Array,
  fake: Float32Array,
  N: number,
  M: number,
  D: number,
  k: number,
  what: string,
) {
  const s = slack(real, fake, N, M, D);
  const lo = prdcRef(real, fake, N, M, D, k, -s);
  const hi = prdcRef(real, fake, N, M, D, k, s);
  for (const key of ['precision', 'recall', 'density', 'coverage'] as const) {
    expect(got[key], `${what}: ${key} ${got[key]} outside [${lo[key]}, ${hi[key]}]`).toBeGreaterThanOrEqual(lo[key]);
    expect(got[key], `${what}: ${key} ${got[key]} outside [${lo[key]}, ${hi[key]}]`).toBeLessThanOrEqual(hi[key]);
  }
  const exact = prdcRef(real, fake, N, M, D, k);
  // Radii: |r~² - r²| <= delta = s / 2 (see slack).
  expectClose(
    Float64Array.from(got.realRadii, (r) => r * r),
    exact.realR2,
    { atol: s / 2, rtol: 0, label: `${what}: real radii²` },
  );
  expectClose(
    Float64Array.from(got.fakeRadii, (r) => r * r),
    exact.fakeR2,
    { atol: s / 2, rtol: 0, label: `${what}: fake radii²` },
  );
  return exact;
}

describeGpu('metrics: k-NN radii and PRDC', (get) => {
  // [N real, M fake, D, k, rows per distance block]: the smallest sets k allows, n = 2..7, primes, D = 1,
  // 3, 5, 13, 67 (not multiples of 4 or of the GEMM tiles), k = 1 and KNN_MAX_K, blocks of 1, 5 and 37 rows.
  const cases: [number, number, number, number, number | undefined][] = [
    [2, 2, 1, 1, undefined],
    [3, 2, 3, 1, 1],
    [6, 7, 5, 5, undefined],
    [7, 6, 2, 5, 5],
    [13, 11, 7, 3, undefined],
    [97, 89, 13, 5, 37],
    [KNN_MAX_K + 1, 41, 3, KNN_MAX_K, undefined],
    [257, 131, 67, 5, 64],
    [601, 509, 6, 5, 100],
  ];
  for (const [N, M, D, k, rowBlock] of cases) {
    it(`N ${N}, M ${M}, D ${D}, k ${k}${rowBlock ? `, blocks of ${rowBlock}` : ''}`, async () => {
      const seed = N * 7 + M + D;
      const real = gaussianSet(N, D, seed, 2);
      const fake = gaussianSet(M, D, seed + 1, 2.3, 1);
      const got = await prdc(get(), real, [N, D], fake, [M, D], { k, rowBlock });
      const exact = expectWithin(got, real, fake, N, M, D, k, `[${N}, ${M}, ${D}] k ${k} (seed ${seed})`);
      if (N > 50) {
        // Not vacuous: the statistics are neither 0 nor 1 here.
        expect(exact.precision).toBeGreaterThan(0);
        expect(exact.coverage).toBeLessThan(1);
      }
      const radii = await knnRadii(get(), real, [N, D], { k, rowBlock });
      expectClose(radii, got.realRadii, { atol: 0, rtol: 0, label: 'knnRadii == prdc real radii' });
      const again = await prdc(get(), real, [N, D], fake, [M, D], { k, realRadii: radii });
      expect(again, 'prdc with the real radii given').toEqual(got);
    });
  }

  it('offset data (mean 1e3): centring keeps the k-NN radii accurate', async () => {
    const [N, M, D, k] = [300, 200, 10, 5];
    const real = gaussianSet(N, D, 3, 1000);
    const fake = gaussianSet(M, D, 4, 1000.2);
    const got = await prdc(get(), real, [N, D], fake, [M, D], { k });
    expectWithin(got, real, fake, N, M, D, k, 'offset 1e3');
  });

  it('identical sets: precision, recall and coverage 1, density 1 (no ties)', async () => {
    for (const [N, D, k, rowBlock] of [
      [6, 3, 5, undefined],
      [211, 9, 5, 50],
      [150, 1, 3, undefined],
    ] as const) {
      const x = gaussianSet(N, D, N + D);
      const got = await prdc(get(), x, [N, D], x, [N, D], { k, rowBlock });
      expect([got.precision, got.recall, got.coverage], `N ${N}, D ${D}`).toEqual([1, 1, 1]);
      // Each point's ball holds itself and its k - 1 nearer neighbours (strict <): density exactly 1 when the
      // f32 distances do not tie, which the reference bounds confirm.
      expectWithin(got, x, x, N, N, D, k, `identical N ${N}`);
      expect(Math.abs(got.density - 1), `density N ${N}`).toBeLessThan(2 / N);
    }
  });

  it('disjoint sets: all four are 0', async () => {
    const [N, M, D] = [40, 23, 5];
    const got = await prdc(get(), gaussianSet(N, D, 1), [N, D], gaussianSet(M, D, 2, 100), [M, D]);
    expect([got.precision, got.recall, got.density, got.coverage]).toEqual([0, 0, 0, 0]);
  });

  it('bad input: dimension mismatch, k >= n, k above the kernel limit, NaN rows', async () => {
    const ctx = get();
    const a = gaussianSet(8, 3, 1);
    const b = gaussianSet(7, 3, 2);
    await expect(prdc(ctx, a, [8, 3], gaussianSet(6, 4, 3), [6, 4])).rejects.toThrow(
      /dimension mismatch: real has D = 3 columns, fake has D = 4/,
    );
    await expect(prdc(ctx, a, [8, 3], b, [7, 3], { k: 7 })).rejects.toThrow(
      /k = 7 must be less than the number of fake samples \(7\)/,
    );
    await expect(prdc(ctx, a, [8, 3], b, [7, 3], { k: 8 })).rejects.toThrow(
      /k = 8 must be less than the number of real samples \(8\)/,
    );
    await expect(
      prdc(ctx, gaussianSet(40, 3, 1), [40, 3], gaussianSet(40, 3, 2), [40, 3], { k: KNN_MAX_K + 1 }),
    ).rejects.toThrow(/prdc: k must be an integer in \[1, 32\], got 33/);
    await expect(knnRadii(ctx, a.subarray(0, 3), [1, 3], { k: 1 })).rejects.toThrow(
      /knnRadii: k = 1 must be less than the number of x samples \(1\)/,
    );
    const nan = b.slice();
    nan[3 * 4 + 2] = NaN;
    await expect(prdc(ctx, a, [8, 3], nan, [7, 3])).rejects.toThrow(
      /prdc: fake: non-finite value NaN at row 4, column 2/,
    );
    await expect(prdc(ctx, a, [8, 3], b, [6, 3])).rejects.toThrow(/prdc: fake: shape \[6, 3\] needs 18 values, got 21/);
    await expect(prdc(ctx, a, [8, 3], b, [7, 3], { realRadii: new Float64Array(7) })).rejects.toThrow(
      /realRadii has 7 entries, expected one per real sample \(8\)/,
    );
  });
});
