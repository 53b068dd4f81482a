// Stage 2 of the full spectra on host threads (src/linalg/band-pool.ts): the workers give the main
// thread's bits (the same functions run there), the eigenvalues match a float64 dense solve, parts of
// uneven size come back in order, and a worker's error reaches the caller.
import { describe, expect, it } from 'vitest';
import { bandEigenvalues, bandEigenvaluesBatch } from '../../src/linalg/band-pool.js';
import { symmetricEigen } from '../../src/linalg/eigh-cpu.js';
import { expectClose } from '../compare.js';
import { randn } from '../random.js';

/** `count` random symmetric band forms ((n, b + 1) each: ab[j * (b + 1) + r] = A[j + r, j]), as f32. */
function bands(n: number, b: number, count: number, seed: number): Float32Array {
  return Float32Array.from(randn(count * n * (b + 1), seed));
}

/** The dense symmetric matrix of one band form (entries past the end of the matrix ignored). */
function dense(ab: ArrayLike<number>, n: number, b: number): Float64Array {
  const a = new Float64Array(n * n);
  for (let j = 0; j < n; j++)
    for (let r = 0; r <= b && j + r < n; r++) a[(j + r) * n + j] = a[j * n + j + r] = ab[j * (b + 1) + r]!;
  return a;
}

describe('band pool (stage 2 on host threads)', () => {
  for (const [n, b, count] of [
    [1, 32, 3],
    [2, 32, 2],
    [63, 32, 5],
    [100, 3, 7],
    [130, 32, 4],
  ] as const) {
    it(`n = ${n}, b = ${b}, ${count} bands: workers give the main thread's bits and float64's values`, async () => {
      const all = bands(n, b, count, n * 31 + b);
      const per = n * (b + 1);
      const main = await bandEigenvaluesBatch(all, n, b, count, 0);
      const pooled = await bandEigenvaluesBatch(all, n, b, count, 2);
      const three = await bandEigenvaluesBatch(all, n, b, count, 3);
      expect(pooled.length).toBe(count);
      for (let i = 0; i < count; i++) {
        expect(Array.from(pooled[i]!)).toEqual(Array.from(main[i]!));
        expect(Array.from(three[i]!)).toEqual(Array.from(main[i]!));
        const one = all.subarray(i * per, (i + 1) * per);
        expect(Array.from(bandEigenvalues(one, n, b))).toEqual(Array.from(main[i]!));
        const ref = symmetricEigen(dense(one, n, b), n).values;
        const scale = Math.max(...Array.from(ref, Math.abs), 1);
        expectClose(main[i]!, ref, { atol: 1e-12 * scale, rtol: 0, label: `band ${i}` });
      }
    });
  }

  it("a worker's error reaches the caller, as on the main thread", async () => {
    const all = new Float32Array(8);
    await expect(bandEigenvaluesBatch(all, 4, -1, 2, 0)).rejects.toThrow(/b must be an integer >= 0/);
    await expect(bandEigenvaluesBatch(all, 4, -1, 2, 2)).rejects.toThrow(/b must be an integer >= 0/);
    await expect(bandEigenvaluesBatch(all, 4, 3, 2, 2)).rejects.toThrow(/hold fewer than 2 bands of 16/);
  });
});
