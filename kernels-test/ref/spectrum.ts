// Float64 references for the critical-phenomena diagnostics, from the definitions (no separable passes, no
// Wiener-Khinchin): the unitary 2-D DFT power by the direct O((H W)^2) double sum per image, the circular
// autocorrelation by direct lagged products, the empirical denoiser's posterior covariance from its weights,
// and circulant (stationary) Gaussian covariances built from a spectrum on the real Fourier basis.
import { fourierModes, fourierModeVector } from '../../src/analysis/spectrum-core.js';

/** Batch images x (N, H*W*C) centred by the batch mean image ('batch', N >= 2) or not ('none'). */
function centred(x: ArrayLike<number>, N: number, D: number, center: 'batch' | 'none'): Float64Array {
  const out = Float64Array.from(x);
  if (center === 'none') return out;
  for (let d = 0; d < D; d++) {
    let m = 0;
    for (let n = 0; n < N; n++) m += out[n * D + d]!;
    m /= N;
    for (let n = 0; n < N; n++) out[n * D + d] = out[n * D + d]! - m;
  }
  return out;
}

/** (H, W) P(k) = (unbiased for 'batch') mean over images and channels of |F(k)|^2, unitary DFT, direct sum. */
export function powerRef(
  x: ArrayLike<number>,
  N: number,
  H: number,
  W: number,
  C: number,
  center: 'batch' | 'none',
): Float64Array {
  const D = H * W * C;
  const xc = centred(x, N, D, center);
  const P = new Float64Array(H * W);
  for (let ky = 0; ky < H; ky++) {
    for (let kx = 0; kx < W; kx++) {
      let s = 0;
      for (let n = 0; n < N; n++) {
        for (let c = 0; c < C; c++) {
          let re = 0;
          let im = 0;
          for (let y = 0; y < H; y++) {
            for (let q = 0; q < W; q++) {
              const t = -2 * Math.PI * ((ky * y) / H + (kx * q) / W);
              const v = xc[n * D + (y * W + q) * C + c]!;
              re += v * Math.cos(t);
              im += v * Math.sin(t);
            }
          }
          s += re * re + im * im;
        }
      }
      P[ky * W + kx] = s / (H * W * C * (center === 'batch' ? N - 1 : N));
    }
  }
  return P;
}

/** (H, W) circular autocorrelation a(d) = mean_{n,c} (H W)^-1 sum_r x[r] x[r + d], normalised to C(0) = 1. */
export function autocorrelationRef(
  x: ArrayLike<number>,
  N: number,
  H: number,
  W: number,
  C: number,
  center: 'batch' | 'none',
): Float64Array {
  const D = H * W * C;
  const xc = centred(x, N, D, center);
  const a = new Float64Array(H * W);
  for (let dy = 0; dy < H; dy++) {
    for (let dx = 0; dx < W; dx++) {
      let s = 0;
      for (let n = 0; n < N; n++) {
        for (let y = 0; y < H; y++) {
          for (let q = 0; q < W; q++) {
            for (let c = 0; c < C; c++)
              s += xc[n * D + (y * W + q) * C + c]! * xc[n * D + (((y + dy) % H) * W + ((q + dx) % W)) * C + c]!;
          }
        }
      }
      a[dy * W + dx] = s;
    }
  }
  const a0 = a[0]!;
  return a.map((v) => v / a0);
}

/** (D, D) circulant covariance sum_k P(|k|) v_k v_k^T over the whole real Fourier basis (one channel). */
export function circulantCovariance(H: number, W: number, spectrum: (k: number) => number): Float64Array {
  const D = H * W;
  const S = new Float64Array(D * D);
  for (const m of fourierModes(H, W, Math.max(H, W))) {
    const v = fourierModeVector(m, H, W, 1);
    const p = spectrum(m.k);
    for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) S[i * D + j]! += p * v[i]! * v[j]!;
  }
  return S;
}

/** Rows (N, D) = L z with L L^T = S (Cholesky, float64) and z from `g`: draws of N(0, S). */
export function gaussianRows(S: Float64Array, D: number, N: number, g: () => number): Float32Array {
  const L = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    for (let j = 0; j <= i; j++) {
      let s = S[i * D + j]!;
      for (let k = 0; k < j; k++) s -= L[i * D + k]! * L[j * D + k]!;
      L[i * D + j] = i === j ? Math.sqrt(s) : s / L[j * D + j]!;
    }
  }
  const out = new Float32Array(N * D);
  const z = new Float64Array(D);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < D; i++) z[i] = g();
    for (let i = 0; i < D; i++) {
      let s = 0;
      for (let k = 0; k <= i; k++) s += L[i * D + k]! * z[k]!;
      out[n * D + i] = s;
    }
  }
  return out;
}

/**
 * Empirical denoiser's Jacobian-vector product from the posterior over training rows y (M, D) at x (D):
 * w_j = softmax(-|x - a y_j|^2 / (2 s2)), J v = (a / s2) Cov_w(y) v = (a / s2) sum_j w_j (y_j - m) ((y_j - m) . v).
 */
export function empiricalJvRef(
  y: ArrayLike<number>,
  M: number,
  D: number,
  abar: number,
  x: ArrayLike<number>,
  v: ArrayLike<number>,
): Float64Array {
  const a = Math.sqrt(abar);
  const s2 = 1 - abar;
  const { w, tot, m } = posterior(y, M, D, abar, x);
  const out = new Float64Array(D);
  for (let j = 0; j < M; j++) {
    let dot = 0;
    for (let i = 0; i < D; i++) dot += (y[j * D + i]! - m[i]!) * v[i]!;
    for (let i = 0; i < D; i++) out[i]! += (a / s2) * (w[j]! / tot) * (y[j * D + i]! - m[i]!) * dot;
  }
  return out;
}

/** Posterior mean x0_hat(x) = sum_j w_j y_j of the empirical denoiser, float64. */
export function empiricalMeanRef(
  y: ArrayLike<number>,
  M: number,
  D: number,
  abar: number,
  x: ArrayLike<number>,
): Float64Array {
  return posterior(y, M, D, abar, x).m;
}

function posterior(y: ArrayLike<number>, M: number, D: number, abar: number, x: ArrayLike<number>) {
  const a = Math.sqrt(abar);
  const s2 = 1 - abar;
  const l = new Float64Array(M);
  for (let j = 0; j < M; j++) {
    let d2 = 0;
    for (let i = 0; i < D; i++) d2 += (x[i]! - a * y[j * D + i]!) ** 2;
    l[j] = -d2 / (2 * s2);
  }
  const top = Math.max(...l);
  const w = l.map((v) => Math.exp(v - top));
  const tot = w.reduce((p, q) => p + q, 0);
  const m = new Float64Array(D);
  for (let j = 0; j < M; j++) for (let i = 0; i < D; i++) m[i]! += (w[j]! / tot) * y[j * D + i]!;
  return { w, tot, m };
}
