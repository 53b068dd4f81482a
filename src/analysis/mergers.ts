// Merger curves of event pairs (DESIGN.md §1): M(i) from Frobenius products at every step (exact
// and crn: polynomials in abar; mc: at the measured steps), d(i) from rank-paired spectra at the
// spectral steps, and the merger step i* = first step with d(i) <= eps, refined to the exact step by
// interpolation search between the spectral steps where d crosses eps (d is taken to be monotone there, which
// holds for the Gaussian closed form d = abar D0 and is what the curves show in practice).
import { symmetricEigen } from '../linalg/eigh-cpu.js';
import type { Context } from '../runtime/context.js';
import { eigvalshBatch } from '../kernels/tridiag.js';
import { HOST_DIM } from './crn-engine.js';
import type { Schedule } from '../schedule/schedules.js';
import { crnPairM, exactPairCurves, mergerStep, spectralDistance } from './curves.js';
import type { EventPlan } from './events.js';
import type { FluctuationModel } from './fluctuations.js';
import type { PairReport } from '../formats/report-types.js';

export type Progress = (phase: string, done: number, total: number) => void;

export const abarOfStep = (s: Schedule, step: number) => (step === 0 ? 1 : s.alphasCumprod[step - 1]!);

/** <a, b>_F of two (D, D) matrices, float64. */
export function frobenius(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
}

const trace = (a: Float64Array, d: number) => {
  let s = 0;
  for (let i = 0; i < d; i++) s += a[i * d + i]!;
  return s;
};

/** Eigenvalues (descending) of each event's C(i), computed once per (event, step). */
export interface SpectrumCache {
  values(step: number, events: number[]): Promise<Float64Array[]>;
  /** Eigen-decompositions done so far. */
  computed(): number;
}

/** Eigenvalues (descending) of symmetric (D, D) float64 matrices: float64 on the host for small D, else batched on the GPU. */
export async function eigenvaluesOf(ctx: Context, mats: Float64Array[], D: number): Promise<Float64Array[]> {
  if (D <= HOST_DIM || mats.length === 0) return mats.map((c) => symmetricEigen(c, D).values);
  return eigvalshBatch(ctx, mats, D);
}

export function spectrumCache(
  ctx: Context,
  model: FluctuationModel,
  schedule: Schedule,
  onEig?: () => void,
): SpectrumCache {
  const D = model.dim;
  const cache = new Map<string, Float64Array>();
  let count = 0;
  // exact: eigenvalues of abar C0 + (1 - abar) I are abar lambda + (1 - abar); one decomposition per event.
  const eig0 = new Map<number, Float64Array>();
  const decompose = async (mats: Float64Array[]) => {
    const out = await eigenvaluesOf(ctx, mats, D);
    for (let q = 0; q < out.length; q++) {
      count++;
      onEig?.();
    }
    return out;
  };
  return {
    computed: () => count,
    async values(step, events) {
      if (model.method === 'exact') {
        const a = abarOfStep(schedule, step);
        const missing = events.filter((e) => !eig0.has(e));
        const got = await decompose(missing.map((e) => model.basis[e]![0]!));
        missing.forEach((e, q) => eig0.set(e, got[q]!));
        return events.map((e) => eig0.get(e)!.map((v) => a * v + (1 - a)));
      }
      const missing = events.filter((e) => !cache.has(`${e}:${step}`));
      if (missing.length > 0) {
        const got = await decompose(await model.covAt(step, missing));
        missing.forEach((e, q) => cache.set(`${e}:${step}`, got[q]!));
      }
      return events.map((e) => cache.get(`${e}:${step}`)!);
    },
  };
}

/**
 * M(i) for every pair on `steps`. exact: the closed form of C(i) = abar C0 + (1 - abar) I; crn: the
 * polynomial in (abar, 1 - abar, sqrt(abar (1 - abar))) with Frobenius products of {A, B, S};
 * mc: directly from the measured C(i) at each step.
 */
export async function pairM(
  model: FluctuationModel,
  plan: EventPlan,
  schedule: Schedule,
  steps: number[],
  progress?: Progress,
): Promise<Float64Array[]> {
  const D = model.dim;
  const abar = Float64Array.from(steps, (s) => abarOfStep(schedule, s));
  if (model.method === 'exact' || model.method === 'crn') {
    const gram = (e: number, f: number) => model.basis[e]!.map((p) => model.basis[f]!.map((q) => frobenius(p, q)));
    const own = new Map<number, number[][]>();
    const ownOf = (e: number) => {
      if (!own.has(e)) own.set(e, gram(e, e));
      return own.get(e)!;
    };
    return plan.pairs.map(({ a, b }, q) => {
      progress?.('M curves', q, plan.pairs.length);
      if (model.method === 'crn') return crnPairM(abar, { cross: gram(a, b), g1: ownOf(a), g2: ownOf(b) });
      const ev = (e: number) => ({
        eig: new Float64Array(0),
        trace: trace(model.basis[e]![0]!, D),
        frob2: ownOf(e)[0]![0]!,
      });
      return exactPairCurves(abar, ev(a), ev(b), D, gram(a, b)[0]![0]!).M;
    });
  }
  const out = plan.pairs.map(() => new Float64Array(steps.length));
  const needed = [...new Set(plan.pairs.flatMap((p) => [p.a, p.b]))];
  for (let s = 0; s < steps.length; s++) {
    progress?.('M curves', s, steps.length);
    const covs = await model.covAt(steps[s]!, needed);
    const at = (e: number) => covs[needed.indexOf(e)]!;
    plan.pairs.forEach(({ a, b }, q) => {
      const ca = at(a);
      const cb = at(b);
      out[q]![s] = Math.abs(frobenius(ca, cb)) / Math.sqrt(frobenius(ca, ca) * frobenius(cb, cb));
    });
  }
  return out;
}

export interface PairSpectra {
  d: Float64Array[];
  mergerStep: (number | null)[];
}

/**
 * d(i) on the spectral steps for every pair, and each pair's merger step refined to one step: where
 * d first drops to eps between spectral steps g_{j-1} and g_j, search the integer steps in between
 * (interpolation search with a bisection fallback; d is taken to be monotone in the bracket).
 */
export async function pairSpectra(
  cache: SpectrumCache,
  plan: EventPlan,
  spectralSteps: number[],
  eps: number,
  refine = true,
): Promise<PairSpectra> {
  const events = [...new Set(plan.pairs.flatMap((p) => [p.a, p.b]))];
  const d = plan.pairs.map(() => new Float64Array(spectralSteps.length));
  for (let s = 0; s < spectralSteps.length; s++) {
    const vals = await cache.values(spectralSteps[s]!, events);
    const at = (e: number) => vals[events.indexOf(e)]!;
    plan.pairs.forEach(({ a, b }, q) => {
      d[q]![s] = spectralDistance(at(a), at(b));
    });
  }
  const mergers: (number | null)[] = [];
  for (let q = 0; q < plan.pairs.length; q++) {
    const { a, b } = plan.pairs[q]!;
    const first = mergerStep(d[q]!, spectralSteps, eps);
    if (!refine || first === null || first === spectralSteps[0]) {
      mergers.push(first);
      continue;
    }
    // Interpolation search on d (smooth in the step): guess where the line through the bracket's
    // ends meets eps, falling back to the midpoint when one end has moved twice in a row.
    const j = spectralSteps.indexOf(first);
    let lo = spectralSteps[j - 1]!;
    let hi = first;
    let dlo = d[q]![j - 1]!;
    let dhi = d[q]![j]!;
    let side = 0;
    let repeats = 0;
    while (hi - lo > 1) {
      const t = dlo > dhi ? (dlo - eps) / (dlo - dhi) : 0.5;
      let g = repeats >= 2 ? Math.floor((lo + hi) / 2) : lo + Math.ceil((hi - lo) * t);
      g = Math.min(hi - 1, Math.max(lo + 1, g));
      const [la, lb] = await cache.values(g, [a, b]);
      const dg = spectralDistance(la!, lb!);
      const now = dg <= eps ? 1 : -1;
      repeats = now === side ? repeats + 1 : 1;
      side = now;
      if (dg <= eps) [hi, dhi] = [g, dg];
      else [lo, dlo] = [g, dg];
    }
    mergers.push(hi);
  }
  return { d, mergerStep: mergers };
}

/** Spectral steps: all of 0..T, or `count` steps spread evenly over [0, T] (both ends included). */
export function spreadSteps(T: number, count: number): number[] {
  if (count >= T + 1) return Array.from({ length: T + 1 }, (_, i) => i);
  const out = new Set<number>();
  for (let j = 0; j < count; j++) out.add(Math.round((j * T) / (count - 1)));
  return [...out].sort((x, y) => x - y);
}

/**
 * Default number of spectral steps: the cost of one float64 eigendecomposition grows as D^3 (about
 * 0.3 s at D = 784 here), so large D gets a coarser grid (at least 16 steps) and small D all steps;
 * the budget is ~30 s of eigensolves over `events` events.
 */
export function defaultSpectralCount(T: number, dim: number, events: number): number {
  const perEig = 1e-4 + 0.3 * (dim / 784) ** 3;
  return Math.max(16, Math.min(T + 1, Math.floor(30 / (perEig * events))));
}

/** Builds PairReport rows; Mthr uses the refined merger step (M where i < i*, 1 from i* on). */
export function pairReports(
  plan: EventPlan,
  schedule: Schedule,
  steps: number[],
  M: Float64Array[],
  spec: PairSpectra,
): PairReport[] {
  return plan.pairs.map((p, q) => {
    const i = spec.mergerStep[q]!;
    const Mq = Array.from(M[q]!);
    return {
      a: p.a,
      b: p.b,
      kind: p.kind,
      mergerStep: i,
      mergerAbar: i === null ? null : abarOfStep(schedule, i),
      M: Mq,
      Mthr: Mq.map((m, s) => (i !== null && steps[s]! >= i ? 1 : m)),
      d: Array.from(spec.d[q]!),
    };
  });
}
