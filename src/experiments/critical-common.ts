// Host pieces of the `critical-window`, `pulse` and `entropic-schedule` experiments (pure: no GPU, no Node
// APIs): curve normalisation, peak and steepest-change steps of a per-step signal, the agreement of several
// critical-time estimates (within a tolerance of T), the signal step grid, the sampler grids that are not
// the schedule's own (cosine-shaped, merger-aware) and the seeded random pulse centres.
import { checkInt } from '../runtime/check.js';
import type { Schedule } from '../schedule/schedules.js';
import { stepOfAbar } from '../analysis/collapse.js';

/** Min-max normalisation of a curve to [0, 1]; non-finite entries become null (a flat curve: all 0). */
export function normaliseCurve(values: ArrayLike<number>): (number | null)[] {
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v)) continue;
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  return Array.from(values, (v) => (Number.isFinite(v) ? (hi > lo ? (v - lo) / (hi - lo) : 0) : null));
}

/** Step of the largest finite value (the first one on ties); null when no value is finite. */
export function peakStep(steps: ArrayLike<number>, values: ArrayLike<number>): number | null {
  if (steps.length !== values.length) throw new Error(`peakStep: ${values.length} values for ${steps.length} steps`);
  let best = -1;
  for (let i = 0; i < values.length; i++)
    if (Number.isFinite(values[i]!) && (best < 0 || values[i]! > values[best]!)) best = i;
  return best < 0 ? null : steps[best]!;
}

/** True when the step of peakStep is an end of the grid (a monotone curve: no interior peak). */
export function peakAtEnd(steps: ArrayLike<number>, values: ArrayLike<number>): boolean {
  const p = peakStep(steps, values);
  return p === steps[0] || p === steps[steps.length - 1];
}

/**
 * Step where an ascending-step curve changes fastest: the largest |dv/dstep| of the centred difference
 * (v[k] - v[j]) / (t[k] - t[j]) at each interior entry i, with j < i < k the nearest entries at least `span`
 * steps away on each side (default 0: the direct neighbours; a span of several grid spacings keeps the
 * Monte-Carlo noise of a fine grid from deciding the step), over the entries whose j, k exist and are finite;
 * null when none.
 */
export function steepestStep(
  steps: ArrayLike<number>,
  values: ArrayLike<number>,
  span = 0,
): { step: number; slope: number } | null {
  if (steps.length !== values.length)
    throw new Error(`steepestStep: ${values.length} values for ${steps.length} steps`);
  let best: { step: number; slope: number } | null = null;
  const S = steps.length;
  for (let i = 1; i + 1 < S; i++) {
    let j = i - 1;
    while (j > 0 && steps[i]! - steps[j]! < span) j--;
    let k = i + 1;
    while (k < S - 1 && steps[k]! - steps[i]! < span) k++;
    if (steps[i]! - steps[j]! < span || steps[k]! - steps[i]! < span) continue;
    const a = values[j]!;
    const b = values[k]!;
    if (!Number.isFinite(a) || !Number.isFinite(b)) continue;
    const slope = (b - a) / (steps[k]! - steps[j]!);
    if (!best || Math.abs(slope) > Math.abs(best.slope)) best = { step: steps[i]!, slope };
  }
  return best;
}

export interface NamedStep {
  name: string;
  step: number | null;
}

export interface Agreement {
  /** Every pair of available estimates: |difference| and whether it is within tol T. */
  pairs: { a: string; b: string; diff: number; agree: boolean }[];
  /** max - min over the available estimates (null when fewer than 2). */
  spread: number | null;
  /** Every available pair agrees (null when fewer than 2 estimates are available). */
  all: boolean | null;
  tolerance: number;
}

/** Pairwise agreement of critical-time estimates within tol * T steps (default 10% of T); null steps are left out. */
export function agreement(estimates: readonly NamedStep[], T: number, tol = 0.1): Agreement {
  const have = estimates.filter((e): e is { name: string; step: number } => e.step !== null);
  const tolerance = tol * T;
  const pairs: Agreement['pairs'] = [];
  for (let i = 0; i < have.length; i++) {
    for (let j = i + 1; j < have.length; j++) {
      const diff = Math.abs(have[i]!.step - have[j]!.step);
      pairs.push({ a: have[i]!.name, b: have[j]!.name, diff, agree: diff <= tolerance });
    }
  }
  const st = have.map((e) => e.step);
  return {
    pairs,
    spread: st.length >= 2 ? Math.max(...st) - Math.min(...st) : null,
    all: pairs.length ? pairs.every((p) => p.agree) : null,
    tolerance,
  };
}

/** Median of a list of numbers (null entries left out; null when empty). */
export function medianOf(values: readonly (number | null)[]): number | null {
  const v = values.filter((x): x is number => x !== null).sort((a, b) => a - b);
  if (!v.length) return null;
  const n = v.length;
  return n % 2 ? v[(n - 1) / 2]! : (v[n / 2 - 1]! + v[n / 2]!) / 2;
}

/** S signal steps round(k T / S), k = 1..S, distinct and ascending. */
export function signalSteps(T: number, S: number): number[] {
  checkInt('signal steps', S, 2, T);
  return [...new Set(Array.from({ length: S }, (_, k) => Math.max(1, Math.round(((k + 1) * T) / S))))];
}

/**
 * A grid of n strictly descending integer steps in 1..T from wanted steps (any order, repeats allowed):
 * sorted descending, collisions pushed down, then lifted so that the last n - j entries fit above 0.
 */
export function strictGrid(wanted: readonly number[], n: number, T: number): Int32Array {
  if (wanted.length !== n) throw new Error(`strictGrid: ${wanted.length} steps for n = ${n}`);
  checkInt('grid size n', n, 1, T);
  const t = Int32Array.from([...wanted].map((x) => Math.min(T, Math.max(1, Math.round(x)))).sort((a, b) => b - a));
  for (let j = 1; j < n; j++) t[j] = Math.min(t[j]!, t[j - 1]! - 1);
  for (let j = n - 1; j >= 0; j--) t[j] = Math.max(t[j]!, n - j, j + 1 < n ? t[j + 1]! + 1 : 1);
  return t;
}

/**
 * Cosine-shaped grid: the steps of `schedule` whose abar is nearest to the cosine schedule's
 * abar(u) = f(u) / f(0), f(u) = cos^2(((u + s) / (1 + s)) pi / 2), s = 0.008 (Nichol & Dhariwal 2021) at
 * n uniform times u = 1, (n - 2) / (n - 1), ..., 0 (first step T, last step 1), made strictly descending.
 */
export function cosineGrid(schedule: Schedule, n: number): Int32Array {
  const T = schedule.T;
  checkInt('grid size n', n, 1, T);
  const s = 0.008;
  const f = (u: number) => Math.cos(((u + s) / (1 + s)) * (Math.PI / 2)) ** 2;
  const wanted = Array.from({ length: n }, (_, j) => {
    const u = n === 1 ? 1 : 1 - j / (n - 1);
    return j === 0 ? T : stepOfAbar(schedule, Math.max(0, f(u) / f(0)));
  });
  return strictGrid(wanted, n, T);
}

/** The share of the steps after the first that the merger-aware grid puts inside its window. */
export const MERGER_WINDOW_SHARE = 0.6;

/**
 * Merger-aware grid of n steps: the first step T (the chain starts from N(0, I)); of the other m = n - 1,
 * m_in = min(m - 1, max(1, round(0.6 m))) evenly spaced over the window [lo, hi] = [speciation step,
 * data–noise merger step] (both ends included; lo = 1 when the speciation step is missing or not below hi,
 * hi = T when there is no merger), the remaining m - m_in evenly spaced below lo down to step 1. n = 1: [T];
 * n = 2: [T, 1]. Made strictly descending (strictGrid).
 */
export function mergerAwareGrid(
  T: number,
  n: number,
  merger: number | null,
  speciation: number | null,
): { grid: Int32Array; window: [number, number] } {
  checkInt('grid size n', n, 1, T);
  const hi = Math.min(T, Math.max(2, merger ?? T));
  const lo = speciation !== null && speciation >= 1 && speciation < hi ? speciation : 1;
  if (n === 1) return { grid: Int32Array.of(T), window: [lo, hi] };
  const m = n - 1;
  if (m === 1) return { grid: strictGrid([T, 1], 2, T), window: [lo, hi] };
  const mIn = Math.min(m - 1, Math.max(1, Math.round(MERGER_WINDOW_SHARE * m)));
  const mLow = m - mIn;
  const inside = mIn === 1 ? [(lo + hi) / 2] : Array.from({ length: mIn }, (_, k) => hi - ((hi - lo) * k) / (mIn - 1));
  const below = Array.from({ length: mLow }, (_, k) => lo - ((lo - 1) * (k + 1)) / mLow);
  return { grid: strictGrid([T, ...inside, ...below], n, T), window: [lo, hi] };
}

/** Valid pulse centres for a width: the window [ceil(c - width / 2), floor(c + width / 2)] inside 1..T. */
export function pulseCentreRange(T: number, width: number): [number, number] {
  const lo = Math.ceil(1 + width / 2);
  const hi = Math.floor(T - width / 2);
  if (lo > hi) throw new Error(`pulse width ${width} does not fit in the schedule's steps 1..${T}`);
  return [lo, hi];
}

/** `count` integer centres uniform over pulseCentreRange, from a seeded splitmix32 generator. */
export function randomCentres(T: number, width: number, count: number, seed: number): number[] {
  const [lo, hi] = pulseCentreRange(T, width);
  let st = seed >>> 0;
  const next = () => {
    st = (st + 0x9e3779b9) >>> 0;
    let z = Math.imul(st ^ (st >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 2 ** 32;
  };
  return Array.from({ length: count }, () => lo + Math.floor(next() * (hi - lo + 1)));
}

/** Clamps a centre into pulseCentreRange. */
export function clampCentre(T: number, width: number, c: number): number {
  const [lo, hi] = pulseCentreRange(T, width);
  return Math.min(hi, Math.max(lo, Math.round(c)));
}

/** A finite number, else null (result JSON holds finite numbers or null only). */
export function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}

/** finiteOrNull of every entry. */
export function finiteList(values: ArrayLike<number>): (number | null)[] {
  return Array.from(values, finiteOrNull);
}
