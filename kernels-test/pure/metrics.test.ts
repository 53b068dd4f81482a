// Host maths of the metrics (no GPU): the Fréchet distance from moments against the Denman-Beavers
// reference and closed forms (diagonal, commuting, rank-deficient), the chi-square tail against closed
// forms, Gaussian-mixture log-likelihood and occupancy against densities written out, and bad input.
import { describe, expect, it } from 'vitest';
import { frechetFromMoments } from '../../src/metrics/frechet.js';
import { chiSquareSf, lnGamma } from '../../src/metrics/chi-square.js';
import { gmmTruthScores, mixtureMoments } from '../../src/metrics/gmm-exact.js';
import { expectClose } from '../compare.js';
import { randn } from '../random.js';
import { sampleCovariance, withSpectrum } from '../ref/eigh.js';
import { chiSquareSfRef, frechetPsdRef, frechetRef, gmmRef, mixtureMomentsRef } from '../ref/metrics.js';
import { mixture, sampleMixture } from '../metrics-fixtures.js';

const diag = (v: ArrayLike<number>) => {
  const d = v.length;
  const m = new Float64Array(d * d);
  for (let i = 0; i < d; i++) m[i * d + i] = v[i]!;
  return m;
};
const sumSq = (a: ArrayLike<number>, b: ArrayLike<number>) =>
  Array.from(a).reduce((s, v, i) => s + (v - b[i]!) ** 2, 0);

describe('frechetFromMoments', () => {
  // Well-conditioned full-rank covariances (sample covariances of 3D Gaussian rows) at awkward D.
  for (const D of [1, 2, 3, 5, 7, 13, 31]) {
    it(`D = ${D}: matches the Denman-Beavers reference`, () => {
      const seed = 100 + D;
      const s1 = sampleCovariance(
        3 * D + 2,
        Array.from({ length: D }, (_, i) => 1 + i / D),
        seed,
      );
      const s2 = sampleCovariance(
        3 * D + 5,
        Array.from({ length: D }, (_, i) => 2 - i / D),
        seed + 1,
      );
      const m1 = randn(D, seed + 2);
      const m2 = randn(D, seed + 3);
      const got = frechetFromMoments({ mean: m1, cov: s1 }, { mean: m2, cov: s2 });
      // Both are float64 with O(D) well-conditioned operations: 1e-10 relative.
      expectClose([got], [frechetRef(m1, s1, m2, s2, D)], { atol: 1e-12, rtol: 1e-10, label: `FD D ${D}`, seed });
      expect(frechetFromMoments({ mean: m1, cov: s1 }, { mean: m1, cov: s1 })).toBeLessThan(1e-11 * D);
    });
  }

  it('diagonal covariances: ||mu1 - mu2||² + sum_d (sigma1_d - sigma2_d)²', () => {
    const D = 9;
    const s1 = Array.from({ length: D }, (_, i) => 0.5 + i);
    const s2 = Array.from({ length: D }, (_, i) => 3 - 0.25 * i);
    const m1 = randn(D, 1);
    const m2 = randn(D, 2);
    const got = frechetFromMoments(
      { mean: m1, cov: diag(s1.map((v) => v * v)) },
      { mean: m2, cov: diag(s2.map((v) => v * v)) },
    );
    expectClose([got], [sumSq(m1, m2) + sumSq(s1, s2)], { atol: 1e-12, rtol: 1e-12 });
  });

  it('commuting covariances Q diag(l) Q^T: sum (sqrt l1 - sqrt l2)²', () => {
    const D = 12;
    const l1 = Array.from({ length: D }, (_, i) => 1 + i * i);
    const l2 = Array.from({ length: D }, (_, i) => (i % 3) + 0.5);
    const got = frechetFromMoments(
      { mean: new Float64Array(D), cov: withSpectrum(l1, 7) },
      { mean: new Float64Array(D), cov: withSpectrum(l2, 7) },
    );
    const want = l1.reduce((s, v, i) => s + (Math.sqrt(v) - Math.sqrt(l2[i]!)) ** 2, 0);
    expectClose([got], [want], { atol: 1e-10, rtol: 1e-11 });
  });

  it('rank-deficient covariances (zero eigenvalues clamped) keep the closed form', () => {
    const D = 6;
    // Rank 2 and rank 3 commuting covariances, and a zero covariance on either side.
    const l1 = [4, 1, 0, 0, 0, 0];
    const l2 = [9, 0, 2, 0, 0, 0];
    const c1 = withSpectrum(l1, 3);
    const c2 = withSpectrum(l2, 3);
    const m = randn(D, 4);
    const z = new Float64Array(D);
    const want = l1.reduce((s, v, i) => s + (Math.sqrt(v) - Math.sqrt(l2[i]!)) ** 2, 0);
    expectClose([frechetFromMoments({ mean: z, cov: c1 }, { mean: z, cov: c2 })], [want], { atol: 1e-10 });
    expectClose(
      [frechetFromMoments({ mean: m, cov: c1 }, { mean: z, cov: new Float64Array(D * D) })],
      [sumSq(m, z) + 5],
      { atol: 1e-12 },
    );
    expectClose(
      [frechetFromMoments({ mean: z, cov: new Float64Array(D * D) }, { mean: m, cov: c2 })],
      [sumSq(m, z) + 11],
      { atol: 1e-12 },
    );
  });

  it('random singular covariances (rank N < D) match the Jacobi symmetric form', () => {
    for (const [N1, N2, D] of [
      [2, 3, 4],
      [5, 7, 9],
      [1, 12, 12],
    ] as const) {
      const s1 = sampleCovariance(
        N1,
        Array.from({ length: D }, (_, i) => 1 + i / D),
        D,
      );
      const s2 = sampleCovariance(
        N2,
        Array.from({ length: D }, () => 1.5),
        D + 1,
      );
      const m1 = randn(D, 1);
      const m2 = randn(D, 2);
      // Zero eigenvalues come out as +-1e-16 * scale in both solvers and enter through square roots:
      // up to D * 1e-8 * sqrt(scale) apart.
      expectClose(
        [frechetFromMoments({ mean: m1, cov: s1 }, { mean: m2, cov: s2 })],
        [frechetPsdRef(m1, s1, m2, s2, D)],
        { atol: 1e-7 * D, rtol: 1e-10, label: `rank ${N1}, ${N2} of D ${D}` },
      );
    }
  });

  it('bad input: dimension mismatch, wrong sizes, NaN, indefinite covariance', () => {
    const g = { mean: [0, 0], cov: [1, 0, 0, 1] };
    expect(() => frechetFromMoments(g, { mean: [0, 0, 0], cov: new Float64Array(9) })).toThrow(
      /dimensions differ: a has D = 2, b has D = 3/,
    );
    expect(() => frechetFromMoments(g, { mean: [0, 0], cov: [1, 0, 0] })).toThrow(
      /b\.cov has 3 entries, expected D \* D = 4/,
    );
    expect(() => frechetFromMoments({ mean: [0, NaN], cov: [1, 0, 0, 1] }, g)).toThrow(
      /a\.mean: non-finite value NaN at row 0, column 1/,
    );
    expect(() => frechetFromMoments({ mean: [0, 0], cov: [1, 0, 0, -1] }, g)).toThrow(
      /a\.cov is not positive semi-definite/,
    );
    expect(() => frechetFromMoments(g, { mean: [0, 0], cov: [1, 0, 0, -1] })).toThrow(/b\.cov has a negative variance/);
  });
});

describe('chi-square tail', () => {
  it('matches the closed forms for dof 1..9', () => {
    for (let dof = 1; dof <= 9; dof++) {
      const xs = [0.01, 0.3, 1, dof - 0.5, dof, dof + 2.5, 3 * dof + 4, 40];
      const got = xs.map((x) => chiSquareSf(x, dof));
      const want = xs.map((x) => chiSquareSfRef(x, dof));
      // Series and continued fraction converge to ~1e-15; the reference's normal tail is ~1e-15 absolute.
      expectClose(got, want, { atol: 1e-13, rtol: 1e-11, label: `dof ${dof}` });
    }
    expect(chiSquareSf(0, 3)).toBe(1);
  });

  it('ln Gamma at integers and half-integers', () => {
    let logFact = 0;
    for (let n = 1; n < 30; n++) {
      expectClose([lnGamma(n)], [logFact], { atol: 1e-13, rtol: 1e-13, label: `lnGamma(${n})` });
      logFact += Math.log(n);
    }
    expectClose([lnGamma(0.5)], [0.5 * Math.log(Math.PI)], { atol: 1e-14 });
  });
});

describe('Gaussian-mixture truth scores', () => {
  it('mixture moments: law of total covariance', () => {
    const p = mixture(4, 5, 11);
    const got = mixtureMoments(p);
    const ref = mixtureMomentsRef(p);
    expectClose(got.mean, ref.mean, { atol: 1e-14, rtol: 1e-13, label: 'mean' });
    expectClose(got.cov, ref.cov, { atol: 1e-13, rtol: 1e-12, label: 'cov' });
  });

  for (const [K, D, n] of [
    [1, 1, 1],
    [2, 3, 7],
    [3, 7, 50],
    [5, 13, 97],
  ] as const) {
    it(`K ${K}, D ${D}, N ${n}: log-likelihood and occupancy match the written-out densities`, () => {
      const seed = 7 * K + D;
      const p = mixture(K, D, seed);
      const { x } = sampleMixture(p, n, seed);
      const got = gmmTruthScores(x, [n, D], p);
      const ref = gmmRef(x, n, p);
      // float64 throughout; Cholesky against Gauss-Jordan on condition numbers < 1e3: 1e-11 relative.
      expectClose(got.logLikelihood, ref.logp, { atol: 1e-11, rtol: 1e-11, label: 'log p', seed });
      const occ = new Float64Array(K);
      for (let r = 0; r < n; r++) for (let k = 0; k < K; k++) occ[k]! += ref.resp[r * K + k]! / n;
      expectClose(got.occupancy, occ, { atol: 1e-12, label: 'occupancy', seed });
      const mean = ref.logp.reduce((a, b) => a + b, 0) / n;
      expectClose([got.meanLogLikelihood], [mean], { atol: 1e-11, rtol: 1e-12, seed });
      expect(got.dof).toBe(K - 1);
    });
  }

  it('occupancy of true samples passes the chi-square test; wrong weights fail it', () => {
    const p = mixture(4, 3, 5, 6);
    const n = 4000;
    const good = gmmTruthScores(sampleMixture(p, n, 21).x, [n, 3], p);
    expect(good.pValue).toBeGreaterThan(0.01);
    expectClose(good.occupancy, good.weights, { atol: 0.03, label: 'occupancy vs weights' });
    const bad = gmmTruthScores(sampleMixture(p, n, 22, [4, 3, 2, 1]).x, [n, 3], p);
    expect(bad.pValue).toBeLessThan(1e-6);
    expect(bad.chiSquare).toBeGreaterThan(good.chiSquare);
  });

  it('bad input: dimension mismatch, NaN row, singular component, bad weight', () => {
    const p = mixture(2, 3, 1);
    const x = Float32Array.from(randn(12, 3));
    expect(() => gmmTruthScores(x, [3, 4], p)).toThrow(
      /dimension mismatch: x has D = 4 columns, the mixture has D = 3/,
    );
    const nan = x.slice();
    nan[7] = NaN;
    expect(() => gmmTruthScores(nan, [4, 3], p)).toThrow(/x: non-finite value NaN at row 2, column 1/);
    const covs = Float64Array.from(p.covs);
    covs.fill(0, 9, 18);
    expect(() => gmmTruthScores(x, [4, 3], { ...p, covs })).toThrow(/gmm\.covs\[1\] is singular/);
    expect(() => gmmTruthScores(x, [4, 3], { ...p, weights: [1, 0] })).toThrow(/gmm\.weights\[1\] must be > 0/);
    expect(() => mixtureMoments({ ...p, means: [1, 2] })).toThrow(/gmm\.means must hold 6 values, got 2/);
  });
});
