// Gaussian mixtures for the exact denoiser, on the host in float64: parameters and their checks, covariance
// helpers (diagonal and isotropic to full), the eigendecomposition Sigma_k = U_k diag(s_k) U_k^T done once,
// and the per-step tables. Under the forward process x_t = sqrt(abar) x_0 + sqrt(1 - abar) eps (DESIGN.md
// §1) component k becomes N(sqrt(abar) mu_k, S_k) with S_k = abar Sigma_k + (1 - abar) I = U_k diag(lam_k)
// U_k^T, lam_k = abar s_k + (1 - abar): the inverse and log-determinant of every step come from s_k.
import { checkFinite, checkInt } from '../runtime/check.js';
import { symmetricEigen } from '../linalg/eigh-cpu.js';

export interface GmmParams {
  /** Components K and dimension D. */
  K: number;
  D: number;
  /** (K, D) row-major means. */
  means: ArrayLike<number>;
  /** (K, D, D) row-major full covariances, symmetric positive semi-definite (diagonal/isotropic: the helpers below). */
  covs: ArrayLike<number>;
  /** (K) positive mixture weights; normalised to sum 1. */
  weights: ArrayLike<number>;
  /**
   * (K) class of each component, labels 0..C-1 each used at least once (several components may share a
   * class). Default: component k is class k. null: an unconditional model (numClasses 0).
   */
  classOf?: ArrayLike<number> | null;
}

/** (K, D, D) full covariances from per-component variances (K, D): diag(variances[k]). */
export function diagonalCovariances(variances: ArrayLike<number>, K: number, D: number): Float64Array {
  checkInt('diagonalCovariances: K', K, 1, 2 ** 20);
  checkInt('diagonalCovariances: D', D, 1, 2 ** 15);
  if (variances.length !== K * D)
    throw new Error(`diagonalCovariances: variances must hold K * D = ${K * D} values, got ${variances.length}`);
  const out = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) for (let i = 0; i < D; i++) out[(k * D + i) * D + i] = variances[k * D + i]!;
  return out;
}

/** (K, D, D) full covariances sigma2_k I from one variance for all components or one per component (K). */
export function isotropicCovariances(variance: number | ArrayLike<number>, K: number, D: number): Float64Array {
  const v = typeof variance === 'number' ? new Float64Array(K).fill(variance) : Float64Array.from(variance);
  if (v.length !== K)
    throw new Error(`isotropicCovariances: variance must be a number or hold K = ${K} values, got ${v.length}`);
  const vars = new Float64Array(K * D);
  for (let k = 0; k < K; k++) vars.fill(v[k]!, k * D, (k + 1) * D);
  return diagonalCovariances(vars, K, D);
}

/** A mixture prepared for the denoiser: components sorted by class, eigendecomposed once. */
export interface GmmModel {
  K: number;
  D: number;
  numClasses: number;
  /** (K) original index of the component at each sorted position. */
  order: Int32Array;
  /** (C + 1) sorted components of class c are [classStart[c], classStart[c + 1]). */
  classStart: Int32Array;
  /** (K) class of each sorted component (0 for an unconditional model). */
  classOf: Int32Array;
  /** (K) log pi_k, normalised, sorted order. */
  logWeights: Float64Array;
  /** (K, D) eigenvalues s_k of Sigma_k (descending, >= 0). */
  eigvals: Float64Array;
  /** (K * D, D) f32 eigenvectors as rows: row k * D + i is u_ki. */
  eigvecs: Float32Array;
  /** (K, D) U_k^T mu_k. */
  projMeans: Float64Array;
}

/** Relative size of a negative eigenvalue accepted as rounding of a semi-definite covariance (then 0). */
export const PSD_TOLERANCE = 1e-10;

/** Checks the parameters, sorts components by class and eigendecomposes every covariance in float64. */
export function prepareGmm(p: GmmParams): GmmModel {
  const K = checkInt('gmm: K', p.K, 1, 2 ** 20);
  const D = checkInt('gmm: D', p.D, 1, 2 ** 15);
  const need = (name: string, a: ArrayLike<number>, n: number, what: string) => {
    if (!a || a.length !== n)
      throw new Error(`gmm: ${name} must hold ${what} = ${n} values, got ${a ? a.length : String(a)}`);
    checkFinite(`gmm: ${name}`, a, D);
  };
  need('means', p.means, K * D, 'K * D');
  need('covs', p.covs, K * D * D, 'K * D * D');
  if (!p.weights || p.weights.length !== K)
    throw new Error(`gmm: weights must hold K = ${K} values, got ${p.weights ? p.weights.length : String(p.weights)}`);
  let wsum = 0;
  for (let k = 0; k < K; k++) {
    const w = p.weights[k]!;
    if (!(Number.isFinite(w) && w > 0)) throw new Error(`gmm: weights[${k}] must be finite and > 0, got ${w}`);
    wsum += w;
  }
  const conditional = p.classOf !== null;
  const cls =
    p.classOf === undefined || p.classOf === null
      ? Int32Array.from({ length: K }, (_, k) => (conditional ? k : 0))
      : Int32Array.from(p.classOf);
  if (cls.length !== K) throw new Error(`gmm: classOf must hold K = ${K} labels, got ${cls.length}`);
  let C = 0;
  for (let k = 0; k < K; k++) {
    const c = cls[k]!;
    if (!Number.isInteger(p.classOf ? p.classOf[k] : c) || c < 0)
      throw new Error(`gmm: classOf[${k}] must be an integer >= 0, got ${p.classOf ? p.classOf[k] : c}`);
    C = Math.max(C, c + 1);
  }
  const counts = new Int32Array(C);
  for (const c of cls) counts[c]!++;
  const missing = counts.findIndex((n) => n === 0);
  if (missing >= 0)
    throw new Error(`gmm: class ${missing} has no component (classOf must use every label 0..${C - 1})`);
  const classStart = new Int32Array(C + 1);
  for (let c = 0; c < C; c++) classStart[c + 1] = classStart[c]! + counts[c]!;
  const order = Int32Array.from({ length: K }, (_, k) => k).sort((a, b) => cls[a]! - cls[b]! || a - b);

  const eigvals = new Float64Array(K * D);
  const eigvecs = new Float32Array(K * D * D);
  const projMeans = new Float64Array(K * D);
  const logWeights = new Float64Array(K);
  for (let s = 0; s < K; s++) {
    const k = order[s]!;
    logWeights[s] = Math.log(p.weights[k]! / wsum);
    const sigma = Float64Array.from({ length: D * D }, (_, i) => p.covs[k * D * D + i]!);
    const { values, vectors } = symmetricEigen(sigma, D, { vectors: true });
    const top = Math.max(Math.abs(values[0]!), Math.abs(values[D - 1]!));
    for (let i = 0; i < D; i++) {
      const v = values[i]!;
      if (v < -PSD_TOLERANCE * Math.max(top, 1e-300))
        throw new Error(`gmm: covs[${k}] is not positive semi-definite (eigenvalue ${v})`);
      eigvals[s * D + i] = Math.max(v, 0);
      let dot = 0;
      for (let j = 0; j < D; j++) {
        const u = vectors![i * D + j]!;
        eigvecs[(s * D + i) * D + j] = u;
        dot += u * p.means[k * D + j]!;
      }
      projMeans[s * D + i] = dot;
    }
  }
  return {
    K,
    D,
    numClasses: conditional ? C : 0,
    order,
    classStart,
    classOf: Int32Array.from(order, (k) => cls[k]!),
    logWeights,
    eigvals,
    eigvecs,
    projMeans,
  };
}

/**
 * Per-step tables for gmm_softmax.wgsl (sorted order): comp (K, 2, D) = [sqrt(abar) U_k^T mu_k, 1 / lam_k]
 * and cconst (K) = log pi_k - 0.5 sum_i log lam_ki - 0.5 D log(2 pi) - shift, computed in float64. The
 * shift (the largest of those constants) cancels in every softmax and keeps the f32 constants near 0,
 * where their rounding is small next to the logits' differences; add it back for log-likelihoods.
 */
export function gmmStepTables(m: GmmModel, abar: number): { comp: Float32Array; cconst: Float32Array; shift: number } {
  if (!(abar > 0 && abar <= 1)) throw new Error(`gmm: abar must be in (0, 1], got ${abar}`);
  const { K, D } = m;
  const a = Math.sqrt(abar);
  const comp = new Float32Array(K * 2 * D);
  const cconst = new Float32Array(K);
  const consts = new Float64Array(K);
  for (let k = 0; k < K; k++) {
    let logdet = 0;
    for (let i = 0; i < D; i++) {
      const lam = abar * m.eigvals[k * D + i]! + (1 - abar);
      if (!(lam > 0))
        throw new Error(
          `gmm: component ${m.order[k]} is singular at abar = ${abar} (eigenvalue ${m.eigvals[k * D + i]}); add a ridge to its covariance`,
        );
      logdet += Math.log(lam);
      comp[k * 2 * D + i] = a * m.projMeans[k * D + i]!;
      comp[k * 2 * D + D + i] = 1 / lam;
    }
    consts[k] = m.logWeights[k]! - 0.5 * logdet - 0.5 * D * Math.log(2 * Math.PI);
  }
  const shift = consts.reduce((x, y) => Math.max(x, y), -Infinity);
  for (let k = 0; k < K; k++) cconst[k] = consts[k]! - shift;
  return { comp, cconst, shift };
}
