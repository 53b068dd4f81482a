// Band -> tridiagonal by Givens bulge chasing (src/linalg/band.ts), in float64: eigenvalues of the
// tridiagonal form (implicit QL) against the dense solver on the same matrix, and the similarity
// invariants, for awkward orders and bandwidths (b = 0, 1, 2, b >= n - 1, one bulge step or many),
// zero columns (rotations skipped) and a matrix already tridiagonal.
import { describe, expect, it } from 'vitest';
import { bandToTridiagonal } from '../../src/linalg/band.js';
import { symmetricEigen, tridiagonalQl } from '../../src/linalg/eigh-cpu.js';
import { expectClose } from '../compare.js';
import { gaussian } from '../random.js';

/** Random symmetric band matrix: lower band storage and the dense (n, n) matrix. */
function randomBand(n: number, b: number, seed: number, zeroCols: number[] = []) {
  const g = gaussian(seed);
  const ab = new Float64Array(n * (b + 1));
  const dense = new Float64Array(n * n);
  for (let j = 0; j < n; j++)
    for (let r = 0; r <= b && j + r < n; r++) {
      const v = zeroCols.includes(j) || zeroCols.includes(j + r) ? 0 : g();
      ab[j * (b + 1) + r] = v;
      dense[(j + r) * n + j] = dense[j * n + j + r] = v;
    }
  // Garbage past the end of each column must be ignored.
  for (let j = 0; j < n; j++) for (let r = n - j; r <= b; r++) ab[j * (b + 1) + r] = NaN;
  return { ab, dense };
}

const sum = (x: ArrayLike<number>, f: (v: number) => number) => Array.from(x).reduce((s, v) => s + f(v), 0);

// Both sides are backward stable in float64: eigenvalues agree to ~ n 2^-52 ||A||_2 (n <= 200 here),
// so 1e-12 ||A||_F is loose by ~10x yet 1e4 below what one wrong rotation would give.
const TOL = 1e-12;

const cases: [number, number, number[]][] = [
  [0, 3, []],
  [1, 4, []],
  [2, 1, []],
  [3, 2, []],
  [5, 4, []],
  [5, 9, []],
  [7, 0, []],
  [9, 1, []],
  [17, 2, []],
  [17, 16, []],
  [33, 3, [0, 5]],
  [40, 7, []],
  [64, 16, [63]],
  [65, 16, []],
  [100, 32, [31, 32, 50]],
  [131, 5, []],
  [200, 32, []],
];

describe('bandToTridiagonal', () => {
  cases.forEach(([n, b, zeroCols], idx) => {
    it(`n = ${n}, b = ${b}${zeroCols.length ? `, zero columns ${zeroCols.join(' ')}` : ''}`, () => {
      const seed = 300 + idx;
      const { ab, dense } = randomBand(n, b, seed, zeroCols);
      const { d, e } = bandToTridiagonal(ab, n, b);
      if (n > 0) expect(e[n - 1]).toBe(0);
      const frob = Math.sqrt(sum(dense, (v) => v * v));
      // Trace and Frobenius norm are kept by the orthogonal similarity.
      let tr = 0;
      for (let i = 0; i < n; i++) tr += dense[i * n + i]!;
      expect(Math.abs(sum(d, (v) => v) - tr), `trace (seed ${seed})`).toBeLessThanOrEqual(TOL * frob * (n + 1));
      const frT = Math.sqrt(sum(d, (v) => v * v) + 2 * sum(e, (v) => v * v));
      expect(Math.abs(frT - frob), `||T||_F (seed ${seed})`).toBeLessThanOrEqual(TOL * frob * (n + 1));
      tridiagonalQl(d, e, n);
      const got = d.sort().reverse();
      const want = symmetricEigen(dense, n).values;
      expectClose(got, want, { atol: TOL * Math.max(frob, 1), rtol: 0, seed, label: `eigenvalues n=${n} b=${b}` });
    });
  });

  it('leaves a tridiagonal matrix as it is, and does not modify its input', () => {
    const n = 12;
    const b = 4;
    const ab = new Float64Array(n * (b + 1));
    for (let j = 0; j < n; j++) {
      ab[j * (b + 1)] = j + 1;
      if (j + 1 < n) ab[j * (b + 1) + 1] = -0.5 * (j + 1);
    }
    const copy = ab.slice();
    const { d, e } = bandToTridiagonal(ab, n, b);
    expect(Array.from(d)).toEqual(Array.from({ length: n }, (_, j) => j + 1));
    expect(Array.from(e)).toEqual(Array.from({ length: n }, (_, j) => (j + 1 < n ? -0.5 * (j + 1) : 0)));
    expect(Array.from(ab)).toEqual(Array.from(copy));
  });

  it('refuses bad arguments', () => {
    expect(() => bandToTridiagonal(new Float64Array(5), 3, 1)).toThrow(/holds 5 values, not n \(b \+ 1\) = 6/);
    expect(() => bandToTridiagonal(new Float64Array(5), -1, 1)).toThrow(/n must be/);
    expect(() => bandToTridiagonal(new Float64Array(5), 2, 1.5)).toThrow(/b must be/);
  });
});
