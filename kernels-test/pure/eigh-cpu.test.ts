// The float64 dense solver (Householder + implicit QL) against the cyclic Jacobi reference and known
// spectra: sizes not multiple of 4, repeated, zero and negative eigenvalues, rank-deficient X^T X.
import { describe, expect, it } from 'vitest';
import { eigenInto, eigenWorkspace, orthonormaliseRows, symmetricEigen } from '../../src/linalg/eigh-cpu.js';
import { jacobiEigen, maxResidual, sampleCovariance, spectralNorm, withSpectrum } from '../ref/eigh.js';
import { expectClose } from '../compare.js';
import { randn, rng } from '../random.js';

// Both methods are backward stable in float64: each eigenvalue is within ~ n * 2^-52 * ||A||_2 of the
// exact one (Golub & Van Loan 8.3.3, 8.5.5); with n <= 257 that is < 6e-14 ||A||, so 1e-12 ||A||.
const TOL = 1e-12;

type Case = { name: string; n: number; make: (seed: number) => Float64Array };
const spectra: Record<string, (n: number, u: () => number) => number[]> = {
  'well conditioned': (n, u) => Array.from({ length: n }, () => 1 + 9 * u()),
  repeated: (n) => Array.from({ length: n }, (_, i) => [5, 5, 5, 2, 2, -1][i % 6]!),
  'near zero': (n, u) => Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 1e-12 * u() : 1 + u())),
  indefinite: (n, u) => Array.from({ length: n }, () => 20 * u() - 10),
};

const cases: Case[] = [];
for (const n of [1, 2, 3, 5, 63, 65, 130]) {
  for (const [name, spec] of Object.entries(spectra)) {
    cases.push({ name: `${name}, n = ${n}`, n, make: (seed) => withSpectrum(spec(n, rng(seed)), seed) });
  }
}
cases.push({
  name: 'well conditioned, n = 257',
  n: 257,
  make: (seed) => withSpectrum(spectra['well conditioned']!(257, rng(seed)), seed),
});
cases.push({
  name: 'rank 20 covariance X^T X / 20, n = 97',
  n: 97,
  make: (seed) =>
    sampleCovariance(
      20,
      Array.from({ length: 97 }, (_, j) => Math.exp(-j / 30)),
      seed,
    ),
});
cases.push({ name: 'zero matrix, n = 4', n: 4, make: () => new Float64Array(16) });
cases.push({
  name: 'identity, n = 6',
  n: 6,
  make: () => Float64Array.from({ length: 36 }, (_, i) => (i % 7 === 0 ? 1 : 0)),
});
cases.push({
  name: 'already tridiagonal, n = 9',
  n: 9,
  make: () =>
    Float64Array.from({ length: 81 }, (_, i) =>
      i % 9 === Math.floor(i / 9) ? 2 : Math.abs((i % 9) - Math.floor(i / 9)) === 1 ? -1 : 0,
    ),
});

describe('symmetricEigen (Householder + implicit QL, float64)', () => {
  cases.forEach((c, idx) => {
    it(c.name, () => {
      const seed = 1000 + idx;
      const a = c.make(seed);
      const ref = jacobiEigen(a, c.n);
      const norm = Math.max(spectralNorm(ref.values), 1e-300);
      const got = symmetricEigen(a, c.n, { vectors: true });
      expectClose(got.values, ref.values, { atol: TOL * norm, rtol: 0, seed, label: `${c.name}: values vs Jacobi` });
      expect(maxResidual(a, c.n, got.values, got.vectors!)).toBeLessThanOrEqual(TOL * norm);
      // Orthonormal eigenvectors, even inside repeated clusters.
      let worst = 0;
      for (let i = 0; i < c.n; i++) {
        for (let j = i; j < c.n; j++) {
          let s = 0;
          for (let k = 0; k < c.n; k++) s += got.vectors![i * c.n + k]! * got.vectors![j * c.n + k]!;
          worst = Math.max(worst, Math.abs(s - (i === j ? 1 : 0)));
        }
      }
      expect(worst, `${c.name}: |V V^T - I|`).toBeLessThan(1e-12);
      const valuesOnly = symmetricEigen(a, c.n);
      expect(valuesOnly.vectors).toBeUndefined();
      expectClose(valuesOnly.values, got.values, {
        atol: TOL * norm,
        rtol: 0,
        label: 'values with and without vectors',
      });
    });
  });

  it('matches the known spectrum of Q diag(lambda) Q^T', () => {
    const lambda = [9, 7, 7, 7, 3, 1e-9, 0, -2, -2.5];
    const a = withSpectrum(lambda, 3);
    const got = symmetricEigen(a, lambda.length);
    expectClose(
      got.values,
      [...lambda].sort((x, y) => y - x),
      { atol: 1e-13 * 9, rtol: 0, label: 'known spectrum' },
    );
  });

  it('a reused workspace (eigenInto) gives the bits of a fresh solve, whatever it held before', () => {
    // The Ritz tracker solves tens of thousands of 12 x 12 problems in one workspace; stale values from the
    // previous problem (a different spectrum, a zero matrix, values-only calls) must not leak into the next.
    for (const n of [1, 2, 5, 12, 13]) {
      const ws = eigenWorkspace(n);
      const u = rng(40 + n);
      const problems = [
        ...Array.from({ length: 6 }, (_, q) => withSpectrum(spectra.indefinite!(n, u), 50 + q)),
        new Float64Array(n * n),
        withSpectrum(spectra.repeated!(n, u), 7),
      ];
      problems.forEach((a, q) => {
        const vectors = q % 3 !== 1;
        eigenInto(a, ws, vectors);
        const fresh = symmetricEigen(a, n, { vectors });
        for (let i = 0; i < n; i++)
          expect(Object.is(ws.values[i], fresh.values[i]), `n ${n} problem ${q} value ${i}`).toBe(true);
        if (vectors)
          for (let i = 0; i < n * n; i++)
            expect(Object.is(ws.vectors[i], fresh.vectors![i]), `n ${n} problem ${q} vector entry ${i}`).toBe(true);
      });
    }
  });

  it('symmetrises slightly asymmetric input', () => {
    const a = withSpectrum([4, 2, 1], 8);
    const b = Float64Array.from(a);
    b[1] = b[1]! + 1e-9;
    b[3] = b[3]! - 1e-9;
    expectClose(symmetricEigen(b, 3).values, symmetricEigen(a, 3).values, { atol: 1e-14, rtol: 0 });
  });
});

describe('orthonormaliseRows (MGS twice)', () => {
  it('orthonormalises, and replaces dependent rows with the fill', () => {
    const [m, n] = [6, 11];
    const x = Float64Array.from(randn(m * n, 4));
    x.set(x.subarray(0, n), 3 * n); // row 3 = row 0: dependent
    x.fill(0, 5 * n, 6 * n); // row 5 = 0
    let fills = 0;
    orthonormaliseRows(x, m, n, (r) => Float64Array.from(randn(n, 100 + r + fills++)));
    expect(fills).toBe(2);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j <= i; j++) {
        let s = 0;
        for (let k = 0; k < n; k++) s += x[i * n + k]! * x[j * n + k]!;
        expect(Math.abs(s - (i === j ? 1 : 0))).toBeLessThan(1e-14);
      }
    }
  });
});
