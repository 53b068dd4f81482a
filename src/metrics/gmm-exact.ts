// Metrics exact against the truth when the data are a known Gaussian mixture p(x) = sum_k pi_k N(mu_k, Sigma_k):
// - FD between the samples' GPU moments and the mixture's exact mean and covariance,
//     mu = sum_k pi_k mu_k,  Sigma = sum_k pi_k (Sigma_k + mu_k mu_k^T) - mu mu^T;
// - the mean log-likelihood (1/N) sum_n log p(x_n) in float64 (log-sum-exp over components, each log-density
//   from a Cholesky factor Sigma_k = L_k L_k^T: -||L_k^{-1}(x - mu_k)||² / 2 - sum_i log L_k,ii - D log(2 pi) / 2);
// - per-component occupancy o_k = (1/N) sum_n p(k | x_n) against pi_k. For samples from the truth
//   E[p(k | x)] = pi_k exactly, so o_k is unbiased; Pearson's X² = sum_k N (o_k - pi_k)² / pi_k with its
//   chi2(K - 1) p-value. Soft counts vary less than multinomial counts (Cov[r(x)] <= diag(pi) - pi pi^T,
//   since diag(r) - r r^T is positive semi-definite for every x), so the p-value is conservative.
// Host work is O(N K D² / 2) in float64 (for D = 64, K = 10, N = 10k: ~2e8 multiply-adds).
import { checkFinite, checkInt, checkMatrix } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import type { GmmParams } from '../models/gmm-model.js';
import { chiSquareSf } from './chi-square.js';
import { frechetFromMoments, sampleMoments, type GaussianMoments, type MomentsOptions } from './frechet.js';

interface CheckedGmm {
  K: number;
  D: number;
  /** Normalised weights (K). */
  weights: Float64Array;
}

function checkGmm(name: string, p: GmmParams): CheckedGmm {
  const K = checkInt(`${name}: gmm.K`, p.K, 1, 2 ** 20);
  const D = checkInt(`${name}: gmm.D`, p.D, 1, 2 ** 15);
  for (const [field, a, n] of [
    ['means', p.means, K * D],
    ['covs', p.covs, K * D * D],
    ['weights', p.weights, K],
  ] as const) {
    if (!a || a.length !== n)
      throw new Error(`${name}: gmm.${field} must hold ${n} values, got ${a ? a.length : String(a)}`);
    checkFinite(`${name}: gmm.${field}`, a, field === 'weights' ? K : D);
  }
  let sum = 0;
  for (let k = 0; k < K; k++) {
    if (!(p.weights[k]! > 0)) throw new Error(`${name}: gmm.weights[${k}] must be > 0, got ${p.weights[k]}`);
    sum += p.weights[k]!;
  }
  return { K, D, weights: Float64Array.from(p.weights, (w) => w / sum) };
}

function checkSamples(name: string, x: Float32Array, shape: readonly number[], D: number): number {
  const [n, d] = checkMatrix(`${name}: x`, x, shape);
  if (d !== D) throw new Error(`${name}: dimension mismatch: x has D = ${d} columns, the mixture has D = ${D}`);
  checkFinite(`${name}: x`, x, d);
  return n;
}

/** The mixture's exact mean (D) and covariance (D, D), float64. */
export function mixtureMoments(p: GmmParams): GaussianMoments {
  const { K, D, weights } = checkGmm('mixtureMoments', p);
  const mean = new Float64Array(D);
  for (let k = 0; k < K; k++) for (let i = 0; i < D; i++) mean[i]! += weights[k]! * p.means[k * D + i]!;
  const cov = new Float64Array(D * D);
  for (let k = 0; k < K; k++) {
    const w = weights[k]!;
    for (let i = 0; i < D; i++) {
      const mi = p.means[k * D + i]!;
      for (let j = 0; j < D; j++) cov[i * D + j]! += w * (p.covs[(k * D + i) * D + j]! + mi * p.means[k * D + j]!);
    }
  }
  for (let i = 0; i < D; i++) for (let j = 0; j < D; j++) cov[i * D + j]! -= mean[i]! * mean[j]!;
  return { count: 0, dim: D, mean, cov };
}

/** FD between the sample moments of x (N, D) (GPU, ddof = 1) and the mixture's exact moments. */
export async function gmmFrechetToTruth(
  ctx: Context,
  x: Float32Array,
  shape: readonly number[],
  p: GmmParams,
  opts: MomentsOptions = {},
): Promise<number> {
  const { D } = checkGmm('gmmFrechetToTruth', p);
  checkSamples('gmmFrechetToTruth', x, shape, D);
  return frechetFromMoments(await sampleMoments(ctx, x, shape, opts, 'gmmFrechetToTruth: x'), mixtureMoments(p));
}

/** Lower Cholesky factor of component k's covariance, or an Error naming it when it has no density. */
function cholesky(name: string, p: GmmParams, k: number, D: number): { l: Float64Array; logDet: number } {
  const l = new Float64Array(D * D);
  const base = k * D * D;
  let top = 0;
  for (let i = 0; i < D; i++) top = Math.max(top, Math.abs(p.covs[base + i * D + i]!));
  let logDet = 0;
  for (let j = 0; j < D; j++) {
    let s = p.covs[base + j * D + j]!;
    for (let q = 0; q < j; q++) s -= l[j * D + q]! ** 2;
    if (!(s > 1e-12 * top))
      throw new Error(
        `${name}: gmm.covs[${k}] is singular or not positive definite (pivot ${s} at [${j}, ${j}]): the component has no density`,
      );
    const ljj = Math.sqrt(s);
    l[j * D + j] = ljj;
    logDet += 2 * Math.log(ljj);
    for (let i = j + 1; i < D; i++) {
      let t = 0.5 * (p.covs[base + i * D + j]! + p.covs[base + j * D + i]!);
      for (let q = 0; q < j; q++) t -= l[i * D + q]! * l[j * D + q]!;
      l[i * D + j] = t / ljj;
    }
  }
  return { l, logDet };
}

/** (N, K) log pi_k + log N(x_n; mu_k, Sigma_k) in float64. */
function componentLogDensities(
  name: string,
  x: ArrayLike<number>,
  n: number,
  p: GmmParams,
  g: CheckedGmm,
): Float64Array {
  const { K, D } = g;
  const out = new Float64Array(n * K);
  const z = new Float64Array(D);
  for (let k = 0; k < K; k++) {
    const { l, logDet } = cholesky(name, p, k, D);
    const c = Math.log(g.weights[k]!) - 0.5 * logDet - 0.5 * D * Math.log(2 * Math.PI);
    for (let r = 0; r < n; r++) {
      // Forward substitution L z = x - mu, accumulating ||z||².
      let q = 0;
      for (let i = 0; i < D; i++) {
        let s = x[r * D + i]! - p.means[k * D + i]!;
        const li = i * D;
        for (let j = 0; j < i; j++) s -= l[li + j]! * z[j]!;
        const zi = s / l[li + i]!;
        z[i] = zi;
        q += zi * zi;
      }
      out[r * K + k] = c - 0.5 * q;
    }
  }
  return out;
}

/** (n, K) log pi_k + log N(x_i; mu_k, Sigma_k) in float64 for rows x (n, D) (no shape or finiteness checks on x). */
export function mixtureLogDensities(p: GmmParams, x: ArrayLike<number>, n: number): Float64Array {
  return componentLogDensities('mixtureLogDensities', x, n, p, checkGmm('mixtureLogDensities', p));
}

export interface GmmTruthScores {
  /** Mean of log p(x_n) over the samples, and its standard error (sd / sqrt(N), 0 for N = 1). */
  meanLogLikelihood: number;
  logLikelihoodStdErr: number;
  /** (N) log p(x_n). */
  logLikelihood: Float64Array;
  /** (K) mean responsibility (1/N) sum_n p(k | x_n), in the components' given order. */
  occupancy: Float64Array;
  /** (K) normalised mixture weights pi_k. */
  weights: Float64Array;
  /** Pearson's sum_k N (o_k - pi_k)² / pi_k, its degrees of freedom K - 1 and its (conservative) p-value. */
  chiSquare: number;
  dof: number;
  pValue: number;
}

/** Log-likelihood and occupancy of samples x (N, D) row-major f32 under the true mixture (float64, host). */
export function gmmTruthScores(x: Float32Array, shape: readonly number[], p: GmmParams): GmmTruthScores {
  const g = checkGmm('gmmTruthScores', p);
  const n = checkSamples('gmmTruthScores', x, shape, g.D);
  const { K } = g;
  const logp = componentLogDensities('gmmTruthScores', x, n, p, g);
  const ll = new Float64Array(n);
  const occ = new Float64Array(K);
  let sum = 0;
  for (let r = 0; r < n; r++) {
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, logp[r * K + k]!);
    let s = 0;
    for (let k = 0; k < K; k++) s += Math.exp(logp[r * K + k]! - m);
    const lse = m + Math.log(s);
    ll[r] = lse;
    sum += lse;
    for (let k = 0; k < K; k++) occ[k]! += Math.exp(logp[r * K + k]! - lse);
  }
  const mean = sum / n;
  let ss = 0;
  for (let r = 0; r < n; r++) ss += (ll[r]! - mean) ** 2;
  let chi = 0;
  for (let k = 0; k < K; k++) {
    occ[k]! /= n;
    chi += (n * (occ[k]! - g.weights[k]!) ** 2) / g.weights[k]!;
  }
  return {
    meanLogLikelihood: mean,
    logLikelihoodStdErr: n > 1 ? Math.sqrt(ss / (n - 1) / n) : 0,
    logLikelihood: ll,
    occupancy: occ,
    weights: g.weights,
    chiSquare: chi,
    dof: K - 1,
    pValue: K > 1 ? chiSquareSf(chi, K - 1) : 1,
  };
}

export interface GmmExactMetrics extends GmmTruthScores {
  /** FD between the samples' moments and the mixture's exact moments. */
  fd: number;
}

/** All exact-against-the-truth metrics of samples x (N, D), N >= 2, for the mixture p. */
export async function gmmExactMetrics(
  ctx: Context,
  x: Float32Array,
  shape: readonly number[],
  p: GmmParams,
  opts: MomentsOptions = {},
): Promise<GmmExactMetrics> {
  const scores = gmmTruthScores(x, shape, p);
  return { ...scores, fd: await gmmFrechetToTruth(ctx, x, shape, p, opts) };
}
