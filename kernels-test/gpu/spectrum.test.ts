// Power spectrum / autocorrelation / correlation length on the GPU (src/analysis/spectrum.ts) against the float64
// direct-DFT reference (ref/spectrum.ts) at awkward sizes, and the closed-form oracles: white noise has a flat
// spectrum and C(r > 0) ~ 0, a cosine image puts all power at +-k, and forward noising of data with spectrum
// P(k) gives E P_t(k) = abar P(k) + (1 - abar); x0_hat of the exact circulant-Gaussian denoiser has the Wiener
// spectrum abar P^2 / (abar P + 1 - abar).
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { imagePowerSpectrum, powerSpectrumSteps } from '../../src/analysis/spectrum.js';
import { autocorrelationRef, circulantCovariance, gaussianRows, powerRef } from '../ref/spectrum.js';
import { forwardNoise } from '../../src/kernels/forward_noise.js';
import { gmmDenoiser } from '../../src/models/gmm-denoiser.js';
import { GEMM_BUILDS } from '../../src/kernels/matmul.js';
import { expectClose } from '../compare.js';
import { gaussian, randn } from '../random.js';
import { abarSchedule } from '../denoiser-fixtures.js';

/** f32 DFT error: each F sums W + H terms (two passes) of |x| <= xmax with rounding gamma_{H+W} ~ (H + W) u,
 * so |dP| <= 2 |F| |dF| <= 2 (H W xmax^2) (H + W) u per image (unitary 1 / (H W)); 4x safety. */
const dftAtol = (H: number, W: number, xmax: number) => 4 * 2 * xmax * xmax * (H + W) * 2 ** -24 * H * W;

const CASES: [number, number, number, number][] = [
  [3, 5, 5, 1],
  [4, 7, 9, 2],
  [5, 28, 28, 1],
  [2, 1, 6, 3],
  [33, 4, 3, 1],
];

describeGpu('power spectrum', (get) => {
  it.each(CASES)(
    'N=%i H=%i W=%i C=%i matches the direct float64 DFT, autocorrelation by lagged products',
    async (N, H, W, C) => {
      const x = Float32Array.from(randn(N * H * W * C, 100 + H * W), (v, i) => v + 0.5 * Math.sin(i));
      const xmax = x.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      for (const center of ['batch', 'none'] as const) {
        const r = await imagePowerSpectrum(get(), x, [N, H * W * C], [H, W, C], { center, chunkRows: 2 });
        const ref = powerRef(x, N, H, W, C, center);
        expectClose(r.power, ref, { atol: dftAtol(H, W, xmax), rtol: 1e-4, label: `power ${center}` });
        // C = a / a(0) with a(0) = sum P / (H W): relative error of the sum of H W powers (each rtol 1e-4), 1e-3 safe.
        expectClose(r.autocorrelation, autocorrelationRef(x, N, H, W, C, center), {
          atol: 1e-3,
          label: `autocorrelation ${center}`,
        });
      }
    },
  );

  it('white noise: flat spectrum, C(r > 0) ~ 0, xi = 1 - 1/e', async () => {
    const [N, H, W] = [256, 16, 16];
    const x = Float32Array.from(randn(N * H * W, 7));
    const r = await imagePowerSpectrum(get(), x, [N, H * W], [H, W]);
    // Each P(k) is a mean of N - 1 dof of |F|^2 (exponential, or chi^2_1 for self-conjugate k): std <= sqrt(2 / (N - 1)); 6 sigma.
    expectClose(r.power, new Float64Array(H * W).fill(1), {
      atol: 6 * Math.sqrt(2 / (N - 1)),
      rtol: 0,
      label: 'flat power',
    });
    // C(d) for d != 0 is a mean of N H W products of independent unit normals: std 1 / sqrt(N H W); 6 sigma.
    const c = Array.from(r.autocorrelation).slice(1);
    expectClose(c, new Float64Array(c.length), { atol: 6 / Math.sqrt(N * H * W), label: 'C(d != 0)' });
    expect(Math.abs(r.xi - (1 - Math.exp(-1)))).toBeLessThan(0.02);
  });

  it('a cosine image puts power A^2 H W / 4 at +-k and nothing elsewhere', async () => {
    const [H, W, ky, kx, A] = [12, 10, 2, 3, 1.5];
    const x = new Float32Array(H * W);
    for (let y = 0; y < H; y++)
      for (let q = 0; q < W; q++) x[y * W + q] = A * Math.cos(2 * Math.PI * ((ky * y) / H + (kx * q) / W));
    const r = await imagePowerSpectrum(get(), x, [1, H * W], [H, W], { center: 'none' });
    const want = new Float64Array(H * W);
    want[ky * W + kx] = (A * A * H * W) / 4;
    want[(H - ky) * W + (W - kx)] = (A * A * H * W) / 4;
    expectClose(r.power, want, { atol: dftAtol(H, W, A), label: 'cosine delta' });
    expect(r.radialPower.findIndex((p) => p > 1e-3)).toBe(r.frequency.index[ky * W + kx]);
  });

  it('forward noising: x_t matches the reference on the same eps; E P_t = abar P + (1 - abar); Wiener x0_hat', async () => {
    const [N, H, W] = [384, 8, 8];
    const D = H * W;
    const spec = (k: number) => 0.2 + 3 * Math.exp(-(k * k) / 6);
    const S = circulantCovariance(H, W, spec);
    const x0 = gaussianRows(S, D, N, gaussian(21));
    const abars = [0.9, 0.5, 0.1];
    const sched = abarSchedule(abars);
    const den = gmmDenoiser(
      get(),
      { K: 1, D, means: new Float64Array(D), covs: S, weights: [1], classOf: null },
      sched,
      { imageShape: [H, W, 1], gemm: { build: GEMM_BUILDS[0] } },
    );
    try {
      const r = await powerSpectrumSteps(get(), { x: x0, shape: [N, D], imageShape: [H, W] }, den, [1, 2, 3], {
        seed: 5,
        chunkRows: 100,
      });
      const xt = (await forwardNoise(get(), x0, [N, D], { schedule: sched, steps: [1, 2, 3], seed: 5 }))!;
      const P0 = new Float64Array(D);
      for (let i = 0; i < D; i++)
        P0[i] = spec(Math.hypot(Math.min(Math.floor(i / W), H - Math.floor(i / W)), Math.min(i % W, W - (i % W))));
      for (let s = 0; s < 3; s++) {
        const ab = abars[s]!;
        const xs = xt.subarray(s * N * D, (s + 1) * N * D);
        const xmax = xs.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        expectClose(r.xt.power[s]!, powerRef(xs, N, H, W, 1, 'batch'), {
          atol: dftAtol(H, W, xmax),
          rtol: 1e-4,
          label: `x_t power step ${s + 1}`,
        });
        // Statistical oracle: each P_t(k) has relative std <= sqrt(2 / (N - 1)) (see white noise); 6 sigma.
        const want = P0.map((p) => ab * p + 1 - ab);
        expectClose(r.xt.power[s]!, want, { atol: 0, rtol: 6 * Math.sqrt(2 / (N - 1)), label: `E P_t step ${s + 1}` });
        // x0_hat = sqrt(abar) Sigma S^-1 x_t: per mode gain g = sqrt(abar) P / (abar P + 1 - abar), so P_x0 = g^2 P_t.
        const g = P0.map((p) => (Math.sqrt(ab) * p) / (ab * p + 1 - ab));
        const wantX0 = r.xt.power[s]!.map((p, i) => g[i]! * g[i]! * p);
        // The GMM denoiser's f32 eps_hat carries ~1e-6 relative error, amplified by sqrt(1 - abar) / sqrt(abar) <= 3 in x0_hat.
        expectClose(r.x0hat!.power[s]!, wantX0, { atol: 1e-4, rtol: 1e-4, label: `x0_hat power step ${s + 1}` });
      }
      expect(r.xt.xi[2]!).toBeLessThan(r.xt.xi[0]!);
    } finally {
      den.dispose();
    }
  });

  it('bad input: non-image data names the diagnostic; center batch needs two images', async () => {
    const x = new Float32Array(12).fill(1);
    await expect(imagePowerSpectrum(get(), x, [2, 6], null)).rejects.toThrow(
      /imagePowerSpectrum \(power spectrum \/ autocorrelation\) needs image data with a height and width/,
    );
    await expect(
      powerSpectrumSteps(get(), { x, shape: [2, 6], imageShape: null }, null, [1], {
        seed: 1,
        schedule: abarSchedule([0.5]),
      }),
    ).rejects.toThrow(/powerSpectrumSteps .* needs image data with a height and width/);
    await expect(imagePowerSpectrum(get(), x.subarray(0, 6), [1, 6], [2, 3])).rejects.toThrow(
      /center 'batch' needs at least 2 images/,
    );
    await expect(
      powerSpectrumSteps(get(), { x, shape: [2, 6], imageShape: [2, 3] }, null, [1], { seed: 1 }),
    ).rejects.toThrow(/opts.schedule/);
  });
});
