// Merger curves of two events (DESIGN §1, Ramachandran, Lal & Sra 2025): the normalised
// cross-fluctuation M(i) = |<C_1(i), C_2(i)>_F| / (||C_1(i)||_F ||C_2(i)||_F), the spectral distance
// d(i) = max_j |lambda_j(C_1(i)) - lambda_j(C_2(i))| (rank-paired, descending), the thresholded M~,
// the merger step, eps, closed forms for population (exact) and common-random-number (crn) covariances,
// and the speciation step (Biroli et al. 2024). Pure float64, no Node or GPU APIs.

import type { SpeciationReport } from '../formats/report-types.js';

/** Default eps rule: eps = max_k lambda_max(C_k(0)) / 400 (the paper's heuristic). */
export const DEFAULT_EPS_RATIO = 400;

export type EpsRule = { ratio: number } | { value: number };

/** A Gaussian event at step 0 for the population closed form C(i) = abar C0 + (1 - abar) I. */
export interface ExactEvent {
  /** Eigenvalues of C0, any order; fewer than `dim` means the rest are 0 (e.g. from a Gram matrix). */
  eig: Float64Array;
  /** tr(C0). */
  trace: number;
  /** ||C0||_F². */
  frob2: number;
}

/**
 * Frobenius products for the crn form C(i) = a A + b B + c S (a = abar, b = 1 - abar, c = sqrt(a b),
 * S = X + X^T): index 0 = A, 1 = B, 2 = S. cross[p][q] = <P1_p, P2_q>_F between event 1's and
 * event 2's matrices; g1, g2 = each event's own Gram table <P_p, P_q>_F.
 */
export interface CrnProducts {
  cross: number[][];
  g1: number[][];
  g2: number[][];
}

function checkFiniteNumber(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new Error(`${name} must be a finite number, got ${String(v)}`);
  return v;
}

function checkAbar(abar: ArrayLike<number>): void {
  for (let i = 0; i < abar.length; i++) {
    const a = abar[i]!;
    if (!(a >= 0 && a <= 1)) throw new Error(`abar[${i}] must be in [0, 1], got ${a}`);
  }
}

/**
 * The merger step: steps[j] for the first j with d[j] <= eps, or null if none (a NaN d never merges).
 * d (S) and steps (S) are parallel arrays (steps gives the step number of each d entry); eps >= 0.
 */
export function mergerStep(d: ArrayLike<number>, steps: ArrayLike<number>, eps: number): number | null {
  if (d.length !== steps.length)
    throw new Error(`steps must have one entry per d value (${d.length}), got ${steps.length}`);
  if (!(Number.isFinite(eps) && eps >= 0)) throw new Error(`eps must be a finite number >= 0, got ${eps}`);
  for (let j = 0; j < d.length; j++) if (d[j]! <= eps) return steps[j]!;
  return null;
}

/** M~(i) = M(i) where d(i) > eps, else 1 (d given on the same steps as M; a NaN d keeps M). */
export function thresholdM(M: ArrayLike<number>, dOnSameSteps: ArrayLike<number>, eps: number): Float64Array {
  if (M.length !== dOnSameSteps.length)
    throw new Error(`dOnSameSteps must have one entry per M value (${M.length}), got ${dOnSameSteps.length}`);
  if (!(Number.isFinite(eps) && eps >= 0)) throw new Error(`eps must be a finite number >= 0, got ${eps}`);
  return Float64Array.from({ length: M.length }, (_, i) => (dOnSameSteps[i]! <= eps ? 1 : M[i]!));
}

/**
 * d = max_j |l1_j - l2_j| over both spectra sorted descending and paired by rank (copies are sorted;
 * sorting both ascending pairs the same values). Equal lengths required; empty spectra give 0.
 */
export function spectralDistance(l1: ArrayLike<number>, l2: ArrayLike<number>): number {
  if (l1.length !== l2.length)
    throw new Error(`l1 and l2 must have the same length, got ${l1.length} and ${l2.length}`);
  const a = Float64Array.from(l1).sort();
  const b = Float64Array.from(l2).sort();
  let d = 0;
  for (let j = 0; j < a.length; j++) {
    const v = Math.abs(a[j]! - b[j]!);
    if (Number.isNaN(v))
      throw new Error(`l1 and l2 must be finite: non-finite eigenvalue ${Number.isNaN(a[j]!) ? 'in l1' : 'in l2'}`);
    if (v > d) d = v;
  }
  return d;
}

/**
 * eps from a rule: { ratio } gives max_k lambdaMax0[k] / ratio (default ratio 400), { value } gives
 * value. ratio and value must be positive and finite; for the ratio rule lambdaMax0 (one top
 * eigenvalue of C_k(0) per event) must be finite with a positive maximum.
 */
export function epsFromRule(rule: EpsRule = { ratio: DEFAULT_EPS_RATIO }, lambdaMax0: readonly number[]): number {
  const r = rule as { ratio?: unknown; value?: unknown };
  if ('value' in r && 'ratio' in r) throw new Error('eps rule must have exactly one of ratio or value, got both');
  if ('value' in r) {
    const v = checkFiniteNumber('eps rule value', r.value);
    if (v <= 0) throw new Error(`eps rule value must be positive, got ${v}`);
    return v;
  }
  if (!('ratio' in r)) throw new Error(`eps rule must be { ratio } or { value }, got ${JSON.stringify(rule)}`);
  const ratio = checkFiniteNumber('eps rule ratio', r.ratio);
  if (ratio <= 0) throw new Error(`eps rule ratio must be positive, got ${ratio}`);
  let max = -Infinity;
  lambdaMax0.forEach((v, k) => {
    checkFiniteNumber(`lambdaMax0[${k}]`, v);
    max = Math.max(max, v);
  });
  if (!(max > 0))
    throw new Error(`lambdaMax0 must hold at least one positive top eigenvalue, got [${lambdaMax0.join(', ')}]`);
  return max / ratio;
}

/**
 * Population curves of two Gaussian events with C_k(i) = a C0_k + (1 - a) I (a = abar_i, D = dim):
 *   <C1, C2>_F = a² <C0_1, C0_2>_F + a (1 - a) (tr1 + tr2) + (1 - a)² D,
 *   ||C_k||²_F = a² ||C0_k||²_F + 2 a (1 - a) tr_k + (1 - a)² D,
 *   d(i) = a max_j |lambda1_j - lambda2_j| (the (1 - a) shift cancels in rank pairs).
 * abar (S), eigenvalues padded with zeros to D; `cross` = <C0_1, C0_2>_F. Returns M (S) and d (S);
 * M is NaN where a covariance is 0 (a = 1 with C0 = 0).
 */
export function exactPairCurves(
  abar: ArrayLike<number>,
  e1: ExactEvent,
  e2: ExactEvent,
  dim: number,
  cross: number,
): { M: Float64Array; d: Float64Array } {
  if (!Number.isInteger(dim) || dim < 1) throw new Error(`dim must be an integer >= 1, got ${dim}`);
  checkAbar(abar);
  checkFiniteNumber('cross', cross);
  const events = [e1, e2].map((e, k) => {
    if (e.eig.length > dim)
      throw new Error(`e${k + 1}.eig must have at most dim = ${dim} eigenvalues, got ${e.eig.length}`);
    const padded = new Float64Array(dim);
    padded.set(e.eig);
    return {
      eig: padded,
      trace: checkFiniteNumber(`e${k + 1}.trace`, e.trace),
      frob2: checkFiniteNumber(`e${k + 1}.frob2`, e.frob2),
    };
  });
  const [p, q] = events as [(typeof events)[0], (typeof events)[0]];
  const d0 = spectralDistance(p.eig, q.eig);
  const S = abar.length;
  const M = new Float64Array(S);
  const d = new Float64Array(S);
  for (let i = 0; i < S; i++) {
    const a = abar[i]!;
    const b = 1 - a;
    const ab = a * b;
    const bbD = b * b * dim;
    const inner = a * a * cross + ab * (p.trace + q.trace) + bbD;
    const n1 = a * a * p.frob2 + 2 * ab * p.trace + bbD;
    const n2 = a * a * q.frob2 + 2 * ab * q.trace + bbD;
    M[i] = Math.abs(inner) / Math.sqrt(n1 * n2);
    d[i] = a * d0;
  }
  return { M, d };
}

/** w^T G w for w = (a, b, c) with c² = a b folded in: the crn polynomial. */
function crnQuadratic(G: number[][], a: number, b: number, c: number): number {
  const g = (p: number, q: number) => G[p]![q]!;
  return (
    a * a * g(0, 0) +
    b * b * g(1, 1) +
    a * b * (g(2, 2) + g(0, 1) + g(1, 0)) +
    c * a * (g(0, 2) + g(2, 0)) +
    c * b * (g(1, 2) + g(2, 1))
  );
}

function checkTable(name: string, G: unknown): number[][] {
  if (!Array.isArray(G) || G.length !== 3 || !G.every((r) => Array.isArray(r) && r.length === 3)) {
    throw new Error(`${name} must be a 3 x 3 table (rows and columns A, B, S)`);
  }
  G.forEach((r: number[], p) => r.forEach((v, q) => checkFiniteNumber(`${name}[${p}][${q}]`, v)));
  return G as number[][];
}

/**
 * M(i) for the common-random-numbers form C_k(i) = a A_k + b B_k + c S_k with a = abar_i, b = 1 - a,
 * c = sqrt(a b). For w = (a, b, c) every Frobenius product is the quadratic form w^T G w, i.e. the
 * polynomial (using c² = a b)
 *   a² G00 + b² G11 + a b (G22 + G01 + G10) + a c (G02 + G20) + b c (G12 + G21),
 * with G = f.cross for <C1, C2>_F and G = f.g1, f.g2 for ||C1||², ||C2||². Returns M (S) for abar (S);
 * NaN where a covariance is 0.
 */
export function crnPairM(abar: ArrayLike<number>, f: CrnProducts): Float64Array {
  checkAbar(abar);
  const cross = checkTable('cross', f.cross);
  const g1 = checkTable('g1', f.g1);
  const g2 = checkTable('g2', f.g2);
  return Float64Array.from({ length: abar.length }, (_, i) => {
    const a = abar[i]!;
    const b = 1 - a;
    const c = Math.sqrt(a * b);
    return Math.abs(crnQuadratic(cross, a, b, c)) / Math.sqrt(crnQuadratic(g1, a, b, c) * crnQuadratic(g2, a, b, c));
  });
}

/** The convention string written into SpeciationReport. */
export const SPECIATION_CONVENTION =
  'OU time t with abar = e^{-2t}; speciation at Lambda e^{-2 t_S} = 1 (Biroli et al. 2024), so abar_S = 1/Lambda ' +
  'and t_S = log(Lambda)/2; step = first i with abar_i <= abar_S (null when Lambda <= 1 or when the schedule never gets there)';

/**
 * Speciation from the top eigenvalue Lambda (> 0, finite) of the all-data covariance at step 0 and the
 * schedule abar (T + 1 values, abar[i] at step i): abar_S = 1/Lambda, t_S = log(Lambda)/2, step = first
 * i with abar_i <= abar_S; null when Lambda <= 1 (the data is no wider than the noise) or no step of
 * the schedule reaches abar_S.
 */
export function speciation(lambdaMax: number, abar: ArrayLike<number>): SpeciationReport {
  checkFiniteNumber('lambdaMax', lambdaMax);
  if (lambdaMax <= 0)
    throw new Error(
      `lambdaMax must be positive (the top eigenvalue of a non-constant data covariance), got ${lambdaMax}`,
    );
  checkAbar(abar);
  const abarS = 1 / lambdaMax;
  let step: number | null = null;
  if (lambdaMax > 1) {
    for (let i = 0; i < abar.length; i++) {
      if (abar[i]! <= abarS) {
        step = i;
        break;
      }
    }
  }
  return { lambdaMax, abar: abarS, ouTime: Math.log(lambdaMax) / 2, step, convention: SPECIATION_CONVENTION };
}
