// Exact Gaussian-mixture denoiser against the float64 closed form (ref/gmm-denoiser.ts, Cholesky, no
// eigendecomposition): seeded random mixtures at awkward D and K, abar near 1, in the middle and near 0;
// a single Gaussian's Tweedie denoiser equals the linear closed form; class restriction with mixed labels
// in one batch; component streaming; exact responsibilities, class posterior and log-likelihood;
// fitGmmPerClass; bad input.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { GEMM_BUILDS } from '../../src/kernels/matmul.js';
import {
  fitGmmPerClass,
  diagonalCovariances,
  gmmClassPosterior,
  gmmDenoiser,
  gmmPosterior,
  isotropicCovariances,
  type GmmParams,
} from '../../src/models/gmm-denoiser.js';
import { predictEpsHost, x0FromEps } from '../../src/models/denoiser.js';
import { createTensor, disposeTensor } from '../../src/runtime/tensor.js';
import { classPosteriorRef, gmmRef } from '../ref/gmm-denoiser.js';
import { expectClose } from '../compare.js';
import { gaussian, rng } from '../random.js';
import { abarSchedule } from '../denoiser-fixtures.js';

/**
 * K random components in D dims: means ~ N(0, 6 / D) per coordinate (distances independent of D, so the
 * components overlap and the responsibilities are not one-hot), covariances A A^T / D + floor I
 * (rank-deficient with floor 0).
 */
function randomMixture(K: number, D: number, seed: number, floor = 0.05, classOf?: number[]): GmmParams {
  const g = gaussian(seed);
  const u = rng(seed + 1);
  const means = Float64Array.from({ length: K * D }, () => Math.sqrt(6 / D) * g());
  const covs = new Float64Array(K * D * D);
  const rank = floor > 0 ? D : Math.max(1, Math.floor(D / 2));
  for (let k = 0; k < K; k++) {
    const A = Float64Array.from({ length: D * rank }, () => g());
    for (let i = 0; i < D; i++) {
      for (let j = 0; j < D; j++) {
        let s = 0;
        for (let r = 0; r < rank; r++) s += A[i * rank + r]! * A[j * rank + r]!;
        covs[(k * D + i) * D + j] = s / D + (i === j ? floor : 0);
      }
    }
  }
  const weights = Float64Array.from({ length: K }, () => 0.2 + u());
  return { K, D, means, covs, weights, ...(classOf ? { classOf } : {}) };
}

/** n rows of x_t: noised draws of random components (and one far-off row). */
function noisedRows(p: GmmParams, abar: number, n: number, seed: number): Float32Array {
  const g = gaussian(seed);
  const u = rng(seed + 7);
  const { K, D } = p;
  const x = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const k = Math.floor(u() * K);
    for (let d = 0; d < D; d++) {
      const x0 = p.means[k * D + d]! + Math.sqrt(p.covs[(k * D + d) * D + d]!) * g();
      x[i * D + d] = i === n - 1 ? 6 * g() : Math.sqrt(abar) * x0 + Math.sqrt(1 - abar) * g();
    }
  }
  return x;
}

/**
 * |got - ref| <= SAFETY * bound per row: bound is ref/gmm-denoiser.ts's first-order bound on the f32
 * pipeline's error; SAFETY = 4 covers the neglected second-order terms.
 */
const SAFETY = 4;
function expectWithin(
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
  bound: ArrayLike<number>,
  D: number,
  label: string,
  seed: number,
): void {
  const b = (i: number) => SAFETY * bound[Math.floor(i / D)]!;
  expectClose(
    Float64Array.from(got, (v, i) => v / b(i)),
    Float64Array.from(ref, (v, i) => v / b(i)),
    { atol: 1, rtol: 0, label, seed },
  );
}

/** got and ref divided element-wise by SAFETY * bound (bounds below 1e-12 count as 1e-12: exact zeros). */
function scaledBy(
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
  bound: ArrayLike<number>,
): [Float64Array, Float64Array] {
  const b = (i: number) => SAFETY * Math.max(bound[i]!, 1e-12);
  return [Float64Array.from(got, (v, i) => v / b(i)), Float64Array.from(ref, (v, i) => v / b(i))];
}

const ABARS = [1 - 1e-4, 0.5, 1e-4];
const gemm = { build: GEMM_BUILDS[0] };

describeGpu('gmm denoiser', (get) => {
  for (const D of [1, 3, 17, 33]) {
    it(`D = ${D}, K = 1, 2, 5: eps_hat matches the float64 closed form at abar near 1, 0.5 and near 0`, async () => {
      const ctx = get();
      const sched = abarSchedule(ABARS);
      for (const K of [1, 2, 5]) {
        const seed = 100 * D + K;
        const p = randomMixture(K, D, seed, K === 2 && D > 1 ? 0 : 0.05);
        const den = gmmDenoiser(ctx, p, sched, { gemm });
        try {
          for (let step = 1; step <= ABARS.length; step++) {
            const n = 6;
            const x = noisedRows(p, ABARS[step - 1]!, n, seed + step);
            const got = await predictEpsHost(ctx, den, x, n, step);
            const ref = gmmRef(p, ABARS[step - 1]!, x, n);
            expectWithin(got, ref.eps, ref.bound, D, `D=${D} K=${K} abar=${ABARS[step - 1]}`, seed);
          }
        } finally {
          den.dispose();
        }
      }
    });
  }

  it('one Gaussian: eps_hat and Tweedie x0_hat are the linear closed form (isotropic, diagonal, full)', async () => {
    const ctx = get();
    const D = 7;
    const sched = abarSchedule([0.9, 0.3]);
    const g = gaussian(5);
    const mu = Float64Array.from({ length: D }, () => g());
    const vars = Float64Array.from({ length: D }, (_, i) => 0.1 + i * 0.3);
    const cases: [string, Float64Array, (abar: number, i: number, j: number) => number][] = [
      // S^{-1} of sigma^2 I and of diag(v): (abar v_i + 1 - abar)^{-1} on the diagonal.
      ['isotropic', isotropicCovariances(0.7, 1, D), (a, i, j) => (i === j ? 1 / (a * 0.7 + 1 - a) : 0)],
      ['diagonal', diagonalCovariances(vars, 1, D), (a, i, j) => (i === j ? 1 / (a * vars[i]! + 1 - a) : 0)],
    ];
    for (const [name, covs, sInv] of cases) {
      const den = gmmDenoiser(ctx, { K: 1, D, means: mu, covs, weights: [1] }, sched, { gemm });
      try {
        for (const step of [1, 2]) {
          const abar = sched.alphasCumprod[step - 1]!;
          const n = 5;
          const x = Float32Array.from({ length: n * D }, () => 2 * g());
          const eps = await predictEpsHost(ctx, den, x, n, step);
          // eps = sqrt(1 - abar) S^{-1} (x - sqrt(abar) mu); x0 = mu + sqrt(abar) Sigma S^{-1} (x - sqrt(abar) mu).
          const wantEps = new Float64Array(n * D);
          const wantX0 = new Float64Array(n * D);
          for (let r = 0; r < n; r++) {
            for (let i = 0; i < D; i++) {
              let e = 0;
              for (let j = 0; j < D; j++) e += sInv(abar, i, j) * (x[r * D + j]! - Math.sqrt(abar) * mu[j]!);
              wantEps[r * D + i] = Math.sqrt(1 - abar) * e;
              wantX0[r * D + i] = mu[i]! + Math.sqrt(abar) * covs[i * D + i]! * e;
            }
          }
          // f32 pipeline on O(1) values with D = 7 terms: a few hundred ulp at most.
          expectClose(eps, wantEps, { atol: 1e-5, rtol: 1e-5, label: `${name} eps abar=${abar}` });
          expectClose(x0FromEps(sched, step, x, eps), wantX0, {
            atol: 1e-5,
            rtol: 1e-5,
            label: `${name} x0 abar=${abar}`,
          });
        }
      } finally {
        den.dispose();
      }
    }
    // Full covariance: the reference's Cholesky solve of the same linear map.
    const p = randomMixture(1, D, 9);
    const den = gmmDenoiser(ctx, p, sched, { gemm });
    const x = Float32Array.from({ length: 4 * D }, () => 2 * g());
    const ref = gmmRef(p, 0.9, x, 4);
    expectWithin(await predictEpsHost(ctx, den, x, 4, 1), ref.eps, ref.bound, D, 'full', 9);
    den.dispose();
  });

  it('class labels restrict to their components (mixed labels in one batch, two components per class), streaming 2 components per chunk', async () => {
    const ctx = get();
    const D = 9;
    const classOf = [1, 0, 2, 1, 0];
    const p = randomMixture(5, D, 21, 0.05, classOf);
    const sched = abarSchedule([0.8, 0.2]);
    for (const chunkComponents of [64, 2, 1]) {
      const den = gmmDenoiser(ctx, p, sched, { gemm, chunkComponents });
      try {
        expect(den.numClasses).toBe(3);
        const n = 11;
        const x = noisedRows(p, 0.8, n, 22);
        const classes = Int32Array.from([2, -1, 0, 0, 1, 2, -1, 1, 0, 2, 1]);
        const got = await predictEpsHost(ctx, den, x, n, 1, classes);
        const ref = gmmRef(p, 0.8, x, n, classes);
        expectWithin(got, ref.eps, ref.bound, D, `classes, chunk ${chunkComponents}`, 21);
        // Every row with the same label equals a batch of that label alone.
        const alone = await predictEpsHost(ctx, den, x, n, 1, new Int32Array(n).fill(0));
        const ref0 = gmmRef(p, 0.8, x, n, new Int32Array(n).fill(0));
        expectWithin(alone, ref0.eps, ref0.bound, D, `all class 0, chunk ${chunkComponents}`, 21);
      } finally {
        den.dispose();
      }
    }
  });

  it('responsibilities, class posterior p(c | x_t) and log-likelihood match float64', async () => {
    const ctx = get();
    const D = 17;
    const classOf = [0, 1, 1, 2, 0];
    const p = randomMixture(5, D, 31, 0.05, classOf);
    const sched = abarSchedule([0.95, 0.5, 0.05]);
    const den = gmmDenoiser(ctx, p, sched, { gemm, chunkComponents: 3 });
    try {
      for (const step of [1, 2, 3]) {
        const abar = sched.alphasCumprod[step - 1]!;
        const n = 8;
        const x = noisedRows(p, abar, n, 32 + step);
        const xt = createTensor(ctx, [n, D], { data: x });
        const post = await gmmPosterior(ctx, den, xt, n, step);
        disposeTensor(xt);
        const ref = gmmRef(p, abar, x, n);
        // First-order bounds of the reference (respBound, logLikBound), times SAFETY; the class posterior
        // sums a class's responsibilities, so its bound is the sum of theirs.
        const [rg, rr] = scaledBy(post.responsibilities, ref.resp, ref.respBound);
        expectClose(rg, rr, { atol: 1, rtol: 0, label: `resp abar=${abar}` });
        const [cg, cr] = scaledBy(
          post.classPosterior,
          classPosteriorRef(ref.resp, n, classOf, 3),
          classPosteriorRef(ref.respBound, n, classOf, 3),
        );
        expectClose(cg, cr, { atol: 1, rtol: 0, label: `p(c|x) abar=${abar}` });
        const [lg, lr] = scaledBy(post.logLikelihood, ref.logLik, ref.logLikBound);
        expectClose(lg, lr, { atol: 1, rtol: 0, label: `log p abar=${abar}` });
        expectWithin(post.eps, ref.eps, ref.bound, D, `posterior eps abar=${abar}`, 31);
        for (let i = 0; i < n; i++)
          expect(post.classPosterior.slice(i * 3, i * 3 + 3).reduce((a, b) => a + b)).toBeCloseTo(1, 12);
        const xt2 = createTensor(ctx, [n, D], { data: x });
        expect(Array.from(await gmmClassPosterior(ctx, den, xt2, n, step))).toEqual(Array.from(post.classPosterior));
        disposeTensor(xt2);
      }
    } finally {
      den.dispose();
    }
  });

  it('autotuned and shared-memory GEMM builds give the same eps_hat as the reference', async () => {
    const ctx = get();
    const p = randomMixture(3, 20, 41);
    const sched = abarSchedule([0.7]);
    const x = noisedRows(p, 0.7, 9, 42);
    const ref = gmmRef(p, 0.7, x, 9);
    for (const opts of [{}, { gemm: { build: GEMM_BUILDS.find((b) => b.tiled)! } }]) {
      const den = gmmDenoiser(ctx, p, sched, opts);
      expectWithin(await predictEpsHost(ctx, den, x, 9, 1), ref.eps, ref.bound, 20, JSON.stringify(opts), 41);
      den.dispose();
    }
  });

  it('fitGmmPerClass: per-class weight, mean and population covariance plus the stated ridge', async () => {
    const ctx = get();
    const [N, D, C] = [300, 6, 3];
    const g = gaussian(51);
    const labels = Int32Array.from({ length: N }, (_, i) => (i * 7) % C);
    const x = Float32Array.from({ length: N * D }, (_, i) => g() * (1 + (i % D)) + labels[Math.floor(i / D)]!);
    const fit = await fitGmmPerClass(ctx, x, labels, [N, D], { ridge: 1e-3 });
    // Reference: float64 moments; ridge = 1e-3 * trace(cov of all data) / D.
    let trace = 0;
    for (let d = 0; d < D; d++) {
      let m = 0;
      for (let i = 0; i < N; i++) m += x[i * D + d]! / N;
      for (let i = 0; i < N; i++) trace += (x[i * D + d]! - m) ** 2 / N;
    }
    // f32 sums inside the GPU moments: relative error ~1e-7.
    expectClose([fit.ridge], [(1e-3 * trace) / D], { rtol: 1e-5, label: 'ridge' });
    for (let c = 0; c < C; c++) {
      const rows = Array.from({ length: N }, (_, i) => i).filter((i) => labels[i] === c);
      expect(fit.weights[c]).toBeCloseTo(rows.length / N, 12);
      const mean = Array.from({ length: D }, (_, d) => rows.reduce((s, i) => s + x[i * D + d]!, 0) / rows.length);
      const cov = new Float64Array(D * D);
      for (let i = 0; i < D; i++) {
        for (let j = 0; j < D; j++) {
          cov[i * D + j] =
            rows.reduce((s, r) => s + (x[r * D + i]! - mean[i]!) * (x[r * D + j]! - mean[j]!), 0) / rows.length +
            (i === j ? fit.ridge : 0);
        }
      }
      // f32 data, float64 statistics from shifted f32 sums of 100 rows: within 1e-5 of the scale.
      expectClose(Array.from(fit.means).slice(c * D, (c + 1) * D), mean, {
        atol: 1e-5,
        rtol: 1e-5,
        label: `mean ${c}`,
      });
      expectClose(Array.from(fit.covs).slice(c * D * D, (c + 1) * D * D), cov, {
        atol: 1e-4,
        rtol: 1e-5,
        label: `cov ${c}`,
      });
    }
    const den = gmmDenoiser(ctx, fit, abarSchedule([0.5]), { gemm });
    expect(den.numClasses).toBe(C);
    den.dispose();
  });

  it('bad input: shapes, steps, classes, parameters, contexts and disposal give clear errors', async () => {
    const ctx = get();
    const p = randomMixture(2, 3, 61);
    const sched = abarSchedule([0.5, 0.6]);
    const den = gmmDenoiser(ctx, p, sched, { gemm });
    const x = new Float32Array(4 * 3);
    await expect(predictEpsHost(ctx, den, x, 4, 0)).rejects.toThrow(
      /gmm denoiser: step must be an integer in \[1, 2\], got 0/,
    );
    await expect(predictEpsHost(ctx, den, x, 4, 3)).rejects.toThrow(/step must be an integer in \[1, 2\], got 3/);
    await expect(predictEpsHost(ctx, den, x, 4, 1, Int32Array.from([0, 1, 2, -1]))).rejects.toThrow(
      /class label 2 at row 2 is outside the model's classes; valid: 0..1 or -1/,
    );
    await expect(predictEpsHost(ctx, den, x, 4, 1, Int32Array.from([0, 1]))).rejects.toThrow(
      /classes has 2 labels for 4 rows/,
    );
    const wrong = createTensor(ctx, [4, 5]);
    await expect(den.predictEps(ctx, wrong, 4, 1, null)).rejects.toThrow(
      /x_t has shape \[4,5\], expected \(N, D\) with N >= n = 4 and D = 3/,
    );
    await expect(den.predictEps(ctx, wrong, 0, 1, null)).rejects.toThrow(/gmm denoiser: n must be an integer/);
    disposeTensor(wrong);
    const uncond = gmmDenoiser(ctx, { ...p, classOf: null }, sched, { gemm });
    expect(uncond.numClasses).toBe(0);
    await expect(predictEpsHost(ctx, uncond, x, 4, 1, Int32Array.from([-1, 0, -1, -1]))).rejects.toThrow(
      /only the null class -1 \(the model is unconditional\)/,
    );
    const xt = createTensor(ctx, [4, 3], { data: x });
    await expect(gmmClassPosterior(ctx, uncond, xt, 4, 1)).rejects.toThrow(/class posterior needs classes/);
    disposeTensor(xt);
    uncond.dispose();
    expect(() => gmmDenoiser(ctx, { ...p, weights: [1, -1] }, sched)).toThrow(
      /weights\[1\] must be finite and > 0, got -1/,
    );
    expect(() => gmmDenoiser(ctx, { ...p, means: new Float64Array(5) }, sched)).toThrow(
      /means must hold K \* D = 6 values, got 5/,
    );
    expect(() => gmmDenoiser(ctx, { ...p, classOf: [0, 2] }, sched)).toThrow(/class 1 has no component/);
    const bad = Float64Array.from(p.covs);
    bad[0] = -5;
    expect(() => gmmDenoiser(ctx, { ...p, covs: bad }, sched)).toThrow(/covs\[0\] is not positive semi-definite/);
    den.dispose();
    await expect(predictEpsHost(ctx, den, x, 4, 1)).rejects.toThrow(/gmm denoiser: it was disposed/);
  });
});

// Small storage bindings (the limit the engine plans with, lowered on this context): components in several
// slabs, query rows in several passes, x_t bound as windows.
describeGpu('gmm denoiser: components over several storage bindings', (get) => {
  it('1 KiB bindings: slabs of 3 components of D = 9, passes of 14 rows; same result as the reference', async () => {
    const ctx = get();
    ctx.limits.maxStorageBufferBindingSize = 1024;
    const classOf = [0, 1, 0, 1, 1];
    const p = randomMixture(5, 9, 111, 0.05, classOf);
    const den = gmmDenoiser(ctx, p, abarSchedule([0.6]), { gemm });
    const n = 30;
    const x = noisedRows(p, 0.6, n, 112);
    for (const cls of [null, Int32Array.from({ length: n }, (_, i) => (i % 3) - 1)]) {
      const ref = gmmRef(p, 0.6, x, n, cls);
      expectWithin(
        await predictEpsHost(ctx, den, x, n, 1, cls),
        ref.eps,
        ref.bound,
        9,
        `small bindings ${cls ? 'classes' : 'unconditional'}`,
        111,
      );
    }
    den.dispose();
  });
});
