// Mode softening (src/analysis/mode-softening.ts): finite-difference J v of x0_hat along Fourier modes against
// the oracles of issue 8: the exact Gaussian denoiser (circulant Sigma: J = sqrt(abar) Sigma S^-1, so each
// Fourier mode is an eigenvector with gain sqrt(abar) P / (abar P + 1 - abar)) and the empirical denoiser
// (J = (sqrt(abar) / (1 - abar)) Cov_posterior(x0 | x_t), computed in float64 from the posterior weights).
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { modeJvp, modeSoftening } from '../../src/analysis/mode-softening.js';
import { fourierModes, fourierModeVector } from '../../src/analysis/spectrum-core.js';
import { gmmDenoiser } from '../../src/models/gmm-denoiser.js';
import { empiricalDenoiser } from '../../src/models/empirical-denoiser.js';
import { GEMM_BUILDS } from '../../src/kernels/matmul.js';
import { circulantCovariance, empiricalJvRef, empiricalMeanRef, gaussianRows } from '../ref/spectrum.js';
import { expectClose } from '../compare.js';
import { gaussian } from '../random.js';
import { abarSchedule } from '../denoiser-fixtures.js';

const gemm = { build: GEMM_BUILDS[0] };
const U = 2 ** -24;

describeGpu('mode softening', (get) => {
  it.each([
    [5, 5],
    [7, 9],
    [6, 4],
  ])(
    'Gaussian data %i x %i: gain per mode = sqrt(abar) P / (abar P + 1 - abar); t_c from the closed form',
    async (H, W) => {
      const D = H * W;
      const spec = (k: number) => 0.1 + 4 * Math.exp(-(k * k) / 3);
      const S = circulantCovariance(H, W, spec);
      const abars = [0.97, 0.7, 0.3, 0.05];
      const sched = abarSchedule(abars);
      const den = gmmDenoiser(
        get(),
        { K: 1, D, means: new Float64Array(D), covs: S, weights: [1], classOf: null },
        sched,
        { imageShape: [H, W, 1], gemm },
      );
      try {
        const x = gaussianRows(S, D, 10, gaussian(H * W));
        const r = await modeSoftening(get(), den, { x, shape: [10, D], imageShape: [H, W] }, [1, 2, 3, 4], {
          seed: 3,
          points: 5,
          maxBin: 2,
          maxRows: 64,
        });
        const soft: number[] = [];
        for (let s = 0; s < abars.length; s++) {
          const ab = abars[s]!;
          const want = r.modes.map((m) => (Math.sqrt(ab) * spec(m.k)) / (ab * spec(m.k) + 1 - ab));
          // Central differences are exact for a linear map; the f32 error is that of eps_hat (~ 8 u |eps| per entry,
          // |eps| <= 5) times sqrt(1 - abar) / (2 h sqrt(abar)) = 1 / (2 hScale sqrt(abar)) with hScale 0.05, summed
          // over D entries of a unit v: 8 u 5 sqrt(D) / (0.1 sqrt(abar)).
          const tol = (8 * U * 5 * Math.sqrt(D)) / (0.1 * Math.sqrt(ab));
          expectClose(r.gain[s]!, want, { atol: tol, rtol: 0, label: `gain abar ${ab}` });
          expectClose(r.norm[s]!, want, { atol: tol, rtol: 0, label: `|Jv| abar ${ab}` });
          const lead = r.modes.map((m, j) => [m.bin, want[j]!] as const).filter(([b]) => b <= 1);
          soft.push((Math.sqrt(ab) * lead.reduce((t, [, g]) => t + g, 0)) / lead.length);
        }
        expectClose(r.softness, soft, { atol: 1e-4, label: 'softness' });
        expect(r.criticalIndex).toBe(soft.indexOf(Math.max(...soft)));
      } finally {
        den.dispose();
      }
    },
  );

  it.each([
    [5, 5, 12, 0.6],
    [7, 9, 20, 0.35],
    [4, 4, 6, 0.85],
  ])('empirical denoiser %i x %i, M = %i, abar %f: J v = (sqrt(abar) / (1 - abar)) Cov_post v', async (H, W, M, ab) => {
    const D = H * W;
    const g = gaussian(M + D);
    // Training rows with |y| ~ 1.5 so the posterior mixes several rows at these abar.
    const y = Float32Array.from({ length: M * D }, () => (1.5 / Math.sqrt(D)) * g());
    const sched = abarSchedule([ab]);
    const den = empiricalDenoiser(get(), y, [M, D], sched, { imageShape: [H, W, 1], gemm, chunkRows: 5 });
    try {
      const B = 3;
      const x = new Float32Array(B * D);
      for (let i = 0; i < B; i++)
        for (let d = 0; d < D; d++) x[i * D + d] = Math.sqrt(ab) * y[(i % M) * D + d]! + Math.sqrt(1 - ab) * g();
      const modes = fourierModes(H, W, 2);
      const V = modes.length;
      const v = new Float32Array(V * D);
      modes.forEach((m, j) => v.set(fourierModeVector(m, H, W, 1), j * D));
      const hScale = 0.02;
      const h = hScale * Math.sqrt(1 - ab);
      // maxRows 2 V: one point per denoiser call, so the split over points is exercised.
      const r = await modeJvp(get(), den, x, B, 1, v, V, h, 2 * V);
      const ref = new Float64Array(B * V * D);
      const q = new Float64Array(B * V);
      let trunc = 0;
      for (let i = 0; i < B; i++) {
        const xi = x.subarray(i * D, (i + 1) * D);
        for (let j = 0; j < V; j++) {
          const vj = v.subarray(j * D, (j + 1) * D);
          const jv = empiricalJvRef(y, M, D, ab, xi, vj);
          // Truncation error of the central difference, measured in float64 with the same h.
          const hi = empiricalMeanRef(
            y,
            M,
            D,
            ab,
            Float64Array.from(xi, (t, d) => t + h * vj[d]!),
          );
          const lo = empiricalMeanRef(
            y,
            M,
            D,
            ab,
            Float64Array.from(xi, (t, d) => t - h * vj[d]!),
          );
          jv.forEach((t, d) => (trunc = Math.max(trunc, Math.abs((hi[d]! - lo[d]!) / (2 * h) - t))));
          ref.set(jv, (i * V + j) * D);
          q[i * V + j] = jv.reduce((t, e, d) => t + e * v[j * D + d]!, 0);
        }
      }
      // Error budget per entry: (1) f32 eps_hat error, 1e-5 |eps| (empirical-denoiser.test.ts bounds: logits from a
      // length-D GEMM and f32 exp), times sqrt(1 - abar) / (2 h sqrt(abar)) = 1 / (2 hScale sqrt(abar)); |eps| <= 4;
      // (2) twice the measured float64 truncation error. Measured worst errors: 1.5e-5 .. 9e-5.
      const f32 = (1e-5 * 4) / (2 * hScale * Math.sqrt(ab));
      trunc *= 2;
      expectClose(r.jv, ref, { atol: f32 + trunc, rtol: 0, label: `J v abar ${ab}` });
      expectClose(r.quotient, q, { atol: Math.sqrt(D) * (f32 + trunc), rtol: 0, label: `v^T J v abar ${ab}` });
      // Posterior covariances are positive semi-definite: every Rayleigh quotient is >= 0 (up to the error).
      for (const t of r.quotient) expect(t).toBeGreaterThan(-Math.sqrt(D) * (f32 + trunc));
    } finally {
      den.dispose();
    }
  });

  it('bad input: non-image data names modeSoftening and asks for a height and width', async () => {
    const sched = abarSchedule([0.5]);
    const den = gmmDenoiser(
      get(),
      { K: 1, D: 6, means: new Float64Array(6), covs: circulantCovariance(2, 3, () => 1), weights: [1], classOf: null },
      sched,
      { gemm },
    );
    try {
      const x = new Float32Array(12);
      await expect(modeSoftening(get(), den, { x, shape: [2, 6], imageShape: null }, [1], { seed: 1 })).rejects.toThrow(
        /modeSoftening \(Jacobian along Fourier modes\) needs image data with a height and width/,
      );
      await expect(modeJvp(get(), den, x, 2, 1, new Float32Array(6), 1, 0)).rejects.toThrow(/h must be a positive/);
    } finally {
      den.dispose();
    }
  });
});
