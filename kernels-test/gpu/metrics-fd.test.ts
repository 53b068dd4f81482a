// Fréchet distances on the GPU (data space, PCA space, classifier features) and the Gaussian-mixture
// metrics against the float64 references (two-pass moments, Denman-Beavers square root, Jacobi PCA,
// float64 classifier), a closed form from point sets with exactly known moments, and bad input.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { frechetDistance, sampleMoments } from '../../src/metrics/frechet.js';
import { fitPca, pcaFrechetDistance, projectPca } from '../../src/metrics/pca.js';
import { classifierFeaturesHost, classifierFrechetDistance } from '../../src/metrics/classifier-fd.js';
import { gmmExactMetrics, gmmFrechetToTruth } from '../../src/metrics/gmm-exact.js';
import { classifierDef } from '../../src/models/classifier.js';
import { createModel, disposeModel } from '../../src/models/model.js';
import { expectClose } from '../compare.js';
import { randn } from '../random.js';
import { jacobiEigen } from '../ref/eigh.js';
import { classifierRef, type ClassifierRefConfig } from '../ref/classifier.js';
import { frechetPsdRef, frechetRef, meanCovRef, mixtureMomentsRef } from '../ref/metrics.js';
import { designedSet, gaussianSet, mixture, sampleMixture } from '../metrics-fixtures.js';
import { randomParams, setParams } from './model-check.js';

/** Largest diagonal entry of a (D, D) matrix. */
const scaleOf = (c: ArrayLike<number>, D: number) => Math.max(...Array.from({ length: D }, (_, i) => c[i * D + i]!));

/**
 * Tolerance of an FD from GPU moments of n samples (float64 merges of f32 sums of shifted rows). The f32
 * sums' rounding errors behave as a random walk: a covariance entry is off by about u sqrt(n) scale
 * (u = 2^-24, scale = largest variance), a mean by u sqrt(n) (1 + |mean|). FD's derivative in a covariance
 * is G = I - S1^{1/2} M^{-1/2} S1^{1/2} (entries O(1) for covariances within a factor 4 of each other), and
 * tr(G dS) adds D² such errors with random signs: ~D u sqrt(n) scale; the mean term adds
 * 2 ||mu1 - mu2|| ||dmu||. A factor 4 covers the tails.
 */
function fdTolerance(D: number, n: number, scale: number, meanGap: number, meanSize: number) {
  const walk = 2 ** -24 * Math.sqrt(n);
  return { atol: 4 * walk * (D * scale + 2 * Math.sqrt(D) * meanGap * (1 + meanSize)), rtol: 0 };
}

function refFd(a: Float32Array, n1: number, b: Float32Array, n2: number, D: number) {
  const m1 = meanCovRef(a, n1, D);
  const m2 = meanCovRef(b, n2, D);
  const gap = Math.sqrt(m1.mean.reduce((s, v, i) => s + (v - m2.mean[i]!) ** 2, 0));
  const size = Math.max(...Array.from(m1.mean, Math.abs), ...Array.from(m2.mean, Math.abs));
  let terms = gap * gap;
  for (let i = 0; i < D; i++) terms += m1.cov[i * D + i]! + m2.cov[i * D + i]!;
  const fd = n1 > D && n2 > D ? frechetRef(m1.mean, m1.cov, m2.mean, m2.cov, D) : NaN;
  return {
    fd,
    terms,
    tol: fdTolerance(D, Math.max(n1, n2), Math.max(scaleOf(m1.cov, D), scaleOf(m2.cov, D)), gap, size),
  };
}

/** (n, D) rows projected on the top p eigenvectors of real's covariance, centred on its mean (float64). */
function pcaRef(real: Float32Array, N: number, D: number, p: number, x: Float32Array, n: number): Float64Array {
  const { mean, cov } = meanCovRef(real, N, D);
  const { vectors } = jacobiEigen(cov, D);
  const y = new Float64Array(n * p);
  for (let r = 0; r < n; r++)
    for (let c = 0; c < p; c++)
      for (let d = 0; d < D; d++) y[r * p + c]! += (x[r * D + d]! - mean[d]!) * vectors[c * D + d]!;
  return y;
}

describeGpu('metrics: Fréchet distances', (get) => {
  // [N1, N2, D]: the fewest samples a full-rank reference allows, primes, D = 1, 3, 13, 33 (not multiples of 4).
  for (const [N1, N2, D] of [
    [2, 3, 1],
    [7, 5, 3],
    [101, 89, 13],
    [400, 307, 33],
  ] as const) {
    it(`data space: N ${N1} vs ${N2}, D ${D}`, async () => {
      const seed = N1 + D;
      const a = gaussianSet(N1, D, seed, 1);
      const b = gaussianSet(N2, D, seed + 1, 1.5, 1);
      const ref = refFd(a, N1, b, N2, D);
      expectClose([await frechetDistance(get(), a, [N1, D], b, [N2, D])], [ref.fd], {
        ...ref.tol,
        label: `FD D ${D}`,
        seed,
      });
    });
  }

  it('singular sample covariances (N <= D): clamped eigenvalues, against the Jacobi symmetric form', async () => {
    for (const [N1, N2, D] of [
      [5, 4, 13],
      [2, 2, 3],
      [9, 17, 9],
    ] as const) {
      const a = gaussianSet(N1, D, N1 + 1, 1);
      const b = gaussianSet(N2, D, N2 + 2, 1.5, 1);
      const m1 = meanCovRef(a, N1, D);
      const m2 = meanCovRef(b, N2, D);
      const ref = refFd(a, N1, b, N2, D);
      expectClose(
        [await frechetDistance(get(), a, [N1, D], b, [N2, D])],
        [frechetPsdRef(m1.mean, m1.cov, m2.mean, m2.cov, D)],
        { ...ref.tol, label: `singular N ${N1}, ${N2}, D ${D}` },
      );
    }
  });

  it('closed form: sets with exactly known means and diagonal covariances', async () => {
    for (const D of [1, 5, 13]) {
      const mu1 = Array.from({ length: D }, (_, i) => (i % 5) * 0.25 - 0.5);
      const mu2 = Array.from({ length: D }, (_, i) => 1 - (i % 3) * 0.125);
      const a1 = Array.from({ length: D }, (_, i) => 1 + (i % 4) * 0.5);
      const a2 = Array.from({ length: D }, (_, i) => 2 - (i % 7) * 0.25);
      const s1 = designedSet(mu1, a1);
      const s2 = designedSet(mu2, a2);
      const want =
        mu1.reduce((s, v, i) => s + (v - mu2[i]!) ** 2, 0) +
        Array.from(s1.sigma).reduce((s, v, i) => s + (v - s2.sigma[i]!) ** 2, 0);
      const got = await frechetDistance(get(), s1.x, [2 * D, D], s2.x, [2 * D, D]);
      expectClose([got], [want], { ...fdTolerance(D, 2 * D, 4, 2 * Math.sqrt(D), 1), label: `closed form D ${D}` });
      // Same set on both sides: 0 up to the f32 moments.
      expect(await frechetDistance(get(), s1.x, [2 * D, D], s1.x, [2 * D, D])).toBeLessThan(
        fdTolerance(D, 2 * D, 4, 0, 1).atol,
      );
    }
  });

  // [N1, N2, D, p]: p < D and p = D (where PCA space is a rotation of data space and FD is unchanged).
  for (const [N1, N2, D, p] of [
    [50, 41, 7, 3],
    [300, 211, 33, 8],
    [97, 90, 13, 13],
  ] as const) {
    it(`PCA space: N ${N1} vs ${N2}, D ${D}, p ${p}`, async () => {
      const seed = 3 * N1 + p;
      // Column scales 1 + 2 d / D: variances distinct enough that the top-p subspace is well defined.
      const real = gaussianSet(N1, D, seed, 0.5, 2);
      const fake = gaussianSet(N2, D, seed + 1, 0.7, 2.5);
      const ya = pcaRef(real, N1, D, p, real, N1);
      const yb = pcaRef(real, N1, D, p, fake, N2);
      const ref = refFd(Float32Array.from(ya), N1, Float32Array.from(yb), N2, p);
      const fd64 = frechetRef(
        meanCovRef(ya, N1, p).mean,
        meanCovRef(ya, N1, p).cov,
        meanCovRef(yb, N2, p).mean,
        meanCovRef(yb, N2, p).cov,
        p,
      );
      // f32 projections add ~u sqrt(D) relative to each coordinate: a second walk of the same size, so 2x.
      const got = await pcaFrechetDistance(get(), real, [N1, D], fake, [N2, D], { components: p });
      expectClose([got], [fd64], { atol: 2 * ref.tol.atol, rtol: 0, label: `PCA FD p ${p}`, seed });
      if (p === D)
        expectClose([got], [refFd(real, N1, fake, N2, D).fd], {
          atol: 2 * ref.tol.atol,
          rtol: 0,
          label: 'PCA FD with p = D is the data-space FD',
        });
      const fit = await fitPca(get(), real, [N1, D], { components: p });
      expect(fit.variances[0]).toBeGreaterThanOrEqual(fit.variances[p - 1]!);
      expectClose([await pcaFrechetDistance(get(), real, [N1, D], fake, [N2, D], { fit })], [got], {
        atol: 1e-12,
        rtol: 1e-12,
        label: 'reused fit',
      });
    });
  }

  const clsCases: ClassifierRefConfig[] = [
    { kind: 'mlp', dataShape: [7], numClasses: 3, hidden: 9, blocks: 2, c0: 1, c1: 1, groups: 1, features: 5 },
    { kind: 'conv', dataShape: [4, 8, 1], numClasses: 4, hidden: 1, blocks: 0, c0: 4, c1: 6, groups: 2, features: 6 },
  ];
  for (const c of clsCases) {
    it(`classifier features (${c.kind}): FD matches the float64 classifier`, async () => {
      const ctx = get();
      const D = c.dataShape.reduce((a, b) => a * b, 1);
      const def = classifierDef(c.dataShape, c.numClasses, c);
      const m = createModel(ctx, def, { train: false, ema: false });
      try {
        const { f32, f64 } = randomParams(def.paramSpecs, 9);
        setParams(ctx, m, f32);
        const [N1, N2] = [53, 37];
        const a = Float32Array.from(randn(N1 * D, 1));
        const b = Float32Array.from(randn(N2 * D, 2), (v) => 0.5 + 1.5 * v);
        const fa = classifierRef(f64, c, Float64Array.from(a), N1).features;
        const fb = classifierRef(f64, c, Float64Array.from(b), N2).features;
        // Features are within 2e-5 + 1e-4 |f| of float64 (classifier test): scaling every feature by 1 + e
        // scales FD by (1 + e)², so FD moves by at most ~2e-4 (tr S1 + tr S2 + ||mu1 - mu2||²) beyond the moments.
        expectClose(await classifierFeaturesHost(ctx, m, a, [N1, D], { batch: 16 }), fa, {
          atol: 2e-5,
          rtol: 1e-4,
          label: 'features',
        });
        const ref = refFd(Float32Array.from(fa), N1, Float32Array.from(fb), N2, c.features);
        const tol = { atol: ref.tol.atol + 2e-4 * ref.terms, rtol: 0 };
        const got = await classifierFrechetDistance(ctx, m, a, [N1, D], b, [N2, D], { batch: 16 });
        expectClose([got], [ref.fd], { ...tol, label: `classifier FD (${c.kind})` });
        expectClose([await classifierFrechetDistance(ctx, m, a, [N1, D], b, [N2, D])], [got], {
          atol: 1e-9,
          rtol: 1e-6,
          label: 'one batch == batches of 16',
        });
        await expect(
          classifierFrechetDistance(ctx, m, a, [N1, D], b.subarray(0, N2 * (D - 1)), [N2, D - 1]),
        ).rejects.toThrow(
          new RegExp(`fake: dimension mismatch: the samples have D = ${D - 1} columns, the classifier takes D = ${D}`),
        );
      } finally {
        disposeModel(m);
      }
    });
  }

  it('Gaussian mixture: FD to the exact moments, with the truth scores', async () => {
    const p = mixture(3, 5, 4);
    const n = 3001;
    const { x } = sampleMixture(p, n, 8);
    const truth = mixtureMomentsRef(p);
    const s = meanCovRef(x, n, 5);
    const want = frechetRef(s.mean, s.cov, truth.mean, truth.cov, 5);
    const got = await gmmExactMetrics(get(), x, [n, 5], p);
    expectClose([got.fd], [want], { ...fdTolerance(5, n, scaleOf(truth.cov, 5), 0.1, 3), label: 'FD to the truth' });
    // Sampling error only: FD ~ (tr S + ...) / n, far below the FD to another mixture.
    const other = await gmmFrechetToTruth(get(), sampleMixture(mixture(3, 5, 5), n, 8).x, [n, 5], p);
    expect(got.fd).toBeLessThan(0.05 * other);
    expect(got.pValue).toBeGreaterThan(1e-3);
  });

  it('bad input: dimension mismatch, too few samples, NaN rows, components out of range', async () => {
    const ctx = get();
    const a = gaussianSet(10, 4, 1);
    await expect(frechetDistance(ctx, a, [10, 4], gaussianSet(10, 3, 2), [10, 3])).rejects.toThrow(
      /frechetDistance: dimension mismatch: real has D = 4 columns, fake has D = 3/,
    );
    await expect(frechetDistance(ctx, a, [10, 4], a.subarray(0, 4), [1, 4])).rejects.toThrow(
      /frechetDistance: fake: a covariance needs at least 2 samples, got 1/,
    );
    const nan = a.slice();
    nan[4 * 6 + 1] = NaN;
    await expect(frechetDistance(ctx, nan, [10, 4], a, [10, 4])).rejects.toThrow(
      /frechetDistance: real: non-finite value NaN at row 6, column 1/,
    );
    await expect(sampleMoments(ctx, nan, [10, 4])).rejects.toThrow(/row 6, column 1/);
    await expect(pcaFrechetDistance(ctx, a, [10, 4], a, [10, 4], { components: 5 })).rejects.toThrow(
      /fitPca: components must be an integer in \[1, 4\], got 5/,
    );
    const fit = await fitPca(ctx, a, [10, 4], { components: 2 });
    await expect(projectPca(ctx, fit, gaussianSet(3, 5, 1), [3, 5])).rejects.toThrow(
      /dimension mismatch: x has D = 5 columns, the PCA was fitted on D = 4/,
    );
    await expect(gmmFrechetToTruth(ctx, a, [10, 4], mixture(2, 3, 1))).rejects.toThrow(
      /dimension mismatch: x has D = 4 columns, the mixture has D = 3/,
    );
  });
});
