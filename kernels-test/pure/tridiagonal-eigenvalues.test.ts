// Root-free QL (tridiagonalEigenvalues, src/linalg/eigh-cpu.ts) against the float64 Jacobi reference on the
// dense tridiagonal: random, graded, split (zero couplings), repeated (Wilkinson W21+, glued blocks) and
// scaled by 2^+-997, whose squares would overflow or underflow without the power-of-two scaling; non-finite
// input is refused.
import { describe, expect, it } from 'vitest';
import { tridiagonalEigenvalues } from '../../src/linalg/eigh-cpu.js';
import { jacobiEigen } from '../ref/eigh.js';
import { expectClose } from '../compare.js';
import { gaussian } from '../random.js';

function dense(d: ArrayLike<number>, e: ArrayLike<number>, n: number): Float64Array {
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    a[i * n + i] = d[i]!;
    if (i + 1 < n) a[i * n + i + 1] = a[(i + 1) * n + i] = e[i]!;
  }
  return a;
}

type Case = [string, number, (g: () => number, i: number, n: number) => [number, number]];
const cases: Case[] = [
  ['random', 1, (g) => [g(), 0]],
  ['random', 2, (g) => [g(), g()]],
  ['random', 3, (g) => [g(), g()]],
  ['random', 63, (g) => [g(), g()]],
  ['random', 257, (g) => [g(), g()]],
  ['graded 1e-6 per row', 40, (g, i) => [g() * 10 ** (-6 * (i / 8)), g() * 10 ** (-6 * (i / 8))]],
  ['split every 7th coupling', 50, (g, i) => [g(), i % 7 === 6 ? 0 : g()]],
  ['Wilkinson W21+', 21, (_g, i) => [Math.abs(10 - i), 1]],
  ['glued 1-2-1 blocks (tight clusters)', 60, (_g, i) => [2, i % 20 === 19 ? 1e-10 : -1]],
  ['zero diagonal', 31, (g) => [0, g()]],
];
// Scaled by 2^-997 and 2^997 (exact): the reference comes from the unscaled matrix (Jacobi squares entries).
const SCALES = [2 ** -997, 2 ** 997];

describe('tridiagonalEigenvalues (root-free QL)', () => {
  cases.forEach(([kind, n, make], idx) => {
    it(`${kind}, n = ${n}`, () => {
      const seed = 900 + idx;
      const g = gaussian(seed);
      const d = new Float64Array(n);
      const e = new Float64Array(n);
      for (let i = 0; i < n; i++) [d[i], e[i]] = make(g, i, n);
      e[n - 1] = 0;
      const ref = jacobiEigen(dense(d, e, n), n).values;
      const norm = Math.max(...Array.from(ref, Math.abs));
      // Both backward stable in float64: within a few n 2^-52 ||T||_2 of each other (the rational form
      // measured 1.1e-13 ||T|| at n = 257).
      const atol = 4 * n * 2 ** -52 * norm;
      for (const f of [1, ...(idx === 2 || idx === 4 ? SCALES : [])]) {
        const got = d.map((v) => v * f);
        tridiagonalEigenvalues(
          got,
          e.map((v) => v * f),
          n,
        );
        got.sort().reverse();
        const want = ref.map((v) => v * f);
        expectClose(got, want, { atol: atol * f, rtol: 0, seed, label: `${kind} n=${n}, scaled by ${f}` });
      }
    });
  });

  it('the zero matrix, and non-finite input refused', () => {
    const z = new Float64Array(4);
    tridiagonalEigenvalues(z, new Float64Array(4), 4);
    expect(Array.from(z)).toEqual([0, 0, 0, 0]);
    expect(() => tridiagonalEigenvalues(Float64Array.of(1, NaN), Float64Array.of(1, 0), 2)).toThrow(/non-finite/);
    expect(() => tridiagonalEigenvalues(Float64Array.of(1, 2), Float64Array.of(Infinity, 0), 2)).toThrow(/non-finite/);
  });
});
