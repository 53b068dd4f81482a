// The crn merger analysis on the engine (DESIGN.md §1, §2): the crn basis of every event on the GPU
// (crn-basis.ts), M(i) at every step from its Frobenius products, the top eigenvalues of every event at
// every step from a Ritz tracker (ritz-track.ts), and each pair's merger step from certified lower bounds
// plus full spectra only where those cannot decide (merger-search.ts). Also what the rest of the report
// needs from the basis: eps, the spectra on the report's steps, the top directions and the top eigenvalue
// of all data at step 0, late-start statistics.
import type { Context } from '../runtime/context.js';
import type { Schedule } from '../schedule/schedules.js';
import type { Centring, PairReport, SearchReport } from '../formats/report-types.js';
import type { LateStartGaussian } from '../formats/late-start.js';
import { crnBasis, crnBasisFromPieces, disposeCrnBasis } from './crn-basis.js';
import type { HostPiece } from './crn-pass.js';
import { crnEngine, HOST_DIM, type CrnEngine, type TopEigen } from './crn-engine.js';
import { crnGramBases, disposeGramEvents, type GramEvent } from './crn-gram.js';
import { crnPairM, epsFromRule, type EpsRule } from './curves.js';
import type { EventPlan } from './events.js';
import { searchMergers, stepRanges, type DipProbes } from './merger-search.js';
import { trackTopEigenvalues, type EventTrack, type TrackResult } from './ritz-track.js';
import { abarOfStep, type Progress } from './mergers.js';

/** Eigenvalues the tracker follows per event (the top k) and its subspace size. */
export const TRACK_K = 6;
export const TRACK_M = 12;

/**
 * The tracker's accuracy (TrackOptions.need) that decides d <= eps, per event over the pairs it is in (pairs
 * by index into the tracked events): a third of d's distance to eps at the window's steps, no finer than
 * eps / 4 (closer calls go to full spectra).
 */
export function trackNeed(pairs: readonly (readonly [number, number])[], count: number, k: number, eps: number) {
  return (_from: number, _to: number, values: Float64Array[][]): Float64Array => {
    const need = new Float64Array(count).fill(Number.POSITIVE_INFINITY);
    for (const [a, b] of pairs) {
      values[a]!.forEach((va, t) => {
        const vb = values[b]![t]!;
        let d = 0;
        for (let j = 0; j < k; j++) d = Math.max(d, Math.abs(va[j]! - vb[j]!));
        const n = Math.abs(d - eps) / 3;
        need[a] = Math.min(need[a]!, n);
        need[b] = Math.min(need[b]!, n);
      });
    }
    return need.map((n) => Math.max(n, eps / 4));
  };
}

/** eps by its rule from lambda_max of C(0) of the classes and all data (top0: each event's top pairs, by id). */
export function crnEps(rule: EpsRule, plan: EventPlan, top0: readonly TopEigen[]): number {
  return epsFromRule(
    rule,
    plan.events.filter((e) => e.kind === 'class' || e.kind === 'all').map((e) => top0[e.id]!.values[0]!),
  );
}

/**
 * The top TRACK_K eigenvalues of every event at every step (ritz-track.ts), each event started from its top
 * TRACK_M eigenvectors of C(0) (top0, by id) and held to the accuracy its pairs need near eps.
 */
export function crnTracks(
  eng: CrnEngine,
  plan: EventPlan,
  top0: readonly TopEigen[],
  eps: number,
  onWindow?: (done: number, total: number) => void,
): Promise<TrackResult> {
  const events = plan.events.map((e) => e.id);
  const pairIdx = plan.pairs.map((p) => [events.indexOf(p.a), events.indexOf(p.b)] as const);
  return trackTopEigenvalues(eng, events, {
    k: TRACK_K,
    m: TRACK_M,
    start: top0.map((t) => t.vectors),
    need: trackNeed(pairIdx, events.length, TRACK_K, eps),
    onWindow,
  });
}

export interface CrnInput {
  x: Float32Array;
  labels: Int32Array;
  dim: number;
  counts: number[];
  plan: EventPlan;
  schedule: Schedule;
  seed: number;
  noiseCount: number;
  centring: Centring;
  epsRule: EpsRule;
  /** Steps the report gives d and the top spectra on. */
  reportSteps: number[];
  /** Top directions of all data at step 0 wanted (normality test). */
  directions: number;
  progress?: Progress;
  /** Saved moment pieces (shards) instead of a pass over x (then x is not read, and no Gram path). */
  pieces?: HostPiece[];
  /** Ends a timed phase (report.timings): moments, gram, tracker, search, M curves. */
  lap?: (phase: string) => void;
  /** Which uncertified steps the search's dip probes take (merger-search.ts; default 'near'). */
  dipProbes?: DipProbes;
}

export interface CrnResult {
  eps: number;
  pairs: PairReport[];
  /** values[e][s] = top eigenvalues of event e at reportSteps[s]. */
  spectra: number[][][];
  lambdaMaxAll: number;
  /** (r, D) rows: the top eigenvectors of the all-data covariance at step 0. */
  directions: Float64Array;
  search: SearchReport;
  warnings: string[];
  /** Late-start Gaussian of an event at a step (mean sqrt(abar) mu, top r eigenpairs, rest variance). */
  lateStart: (e: number, step: number, r: number) => Promise<LateStartGaussian>;
  dispose: () => void;
  /** GPU flops of the moment pass (for the report's profile). */
  momentFlops: number;
}

export async function crnMergers(ctx: Context, inp: CrnInput): Promise<CrnResult> {
  const { plan, schedule, dim: D } = inp;
  const T = schedule.T;
  const progress = inp.progress;
  progress?.('moments', 0, inp.labels.length);
  const basisInput = {
    x: inp.x,
    labels: inp.labels,
    dim: D,
    counts: inp.counts,
    plan,
    seed: inp.seed,
    noiseCount: inp.noiseCount,
    centring: inp.centring,
    onProgress: (done: number, total: number) => progress?.('moments', done, total),
  };
  const basis = inp.pieces ? await crnBasisFromPieces(ctx, basisInput, inp.pieces) : await crnBasis(ctx, basisInput);
  const lap = inp.lap ?? (() => {});
  lap('moments');
  let engine: CrnEngine | null = null;
  let grams = new Map<number, GramEvent>();
  try {
    // Events with fewer rows than dimensions take their spectra from n x n Gram matrices (crn-gram.ts).
    if (D > HOST_DIM && !inp.pieces) {
      const small = plan.events
        .filter((e) => (e.kind === 'noise' ? inp.noiseCount : e.count) + (inp.centring === 'global' ? 1 : 0) < D)
        .map((e) => e.id);
      if (small.length) {
        progress?.('gram', 0, small.length);
        grams = await crnGramBases(ctx, { ...inp, x: inp.x, counts: inp.counts }, basis, small);
        lap('gram');
      }
    }
    engine = await crnEngine(ctx, basis, schedule, grams);
    const eng = engine;
    const events = plan.events.map((e) => e.id);
    const order = Math.min(...events.map((e) => eng.size(e)));
    // Exact spectra at every step when they are cheap: events smaller than the tracked subspace, or
    // D <= HOST_DIM where the host solves a D x D problem in microseconds. Then d is exact everywhere and
    // every step is certified.
    const small = order <= TRACK_M || D <= HOST_DIM;
    const k = small ? order : TRACK_K;
    const m = small ? order : TRACK_M;
    // The top eigenpairs of A = C(0) per event: eps (classes and all data) and the tracker's start.
    // With all data's top directions (the normality test's projections) in the same lockstep iteration.
    const tops = await eng.topEigen([
      ...events.map((e) => ({ e, step: 0, r: Math.max(1, m) })),
      { e: plan.all, step: 0, r: Math.min(inp.directions, D), cov: true },
    ]);
    const top0 = tops.slice(0, events.length);
    const allTop = tops[events.length]!;
    const eps = crnEps(inp.epsRule, plan, top0);
    let tracks: EventTrack[] = [];
    let trackStats = { windows: 0, products: 0 };
    if (!small) {
      const res = await crnTracks(eng, plan, top0, eps, (done, total) => progress?.('spectra', done, total));
      tracks = res.tracks;
      trackStats = { windows: res.windows, products: res.products };
    } else {
      // Small D: every step's full spectrum is cheaper than tracking; the "track" is the spectrum itself.
      const all = await eng.full(events.flatMap((e) => Array.from({ length: T + 1 }, (_, i) => [e, i] as const)));
      tracks = events.map((_, q) => ({
        values: all.slice(q * (T + 1), (q + 1) * (T + 1)),
        err: all.slice(q * (T + 1), (q + 1) * (T + 1)).map((v) => new Float64Array(v.length)),
        roundoff: new Float64Array(T + 1),
      }));
    }
    lap('tracker');
    progress?.('mergers', 0, plan.pairs.length);
    const found = await searchMergers({
      engine: eng,
      tracks: new Map(events.map((e, q) => [e, tracks[q]!])),
      pairs: plan.pairs,
      eps,
      T,
      dipProbes: inp.dipProbes,
      onPair: (done, total) => progress?.('mergers', done, total),
    });
    lap('search');
    // M(i) at every step from the Frobenius products of the bases.
    progress?.('M curves', 0, 1);
    const own = await eng.frobenius(events.map((e) => [e, e] as const));
    const cross = await eng.frobenius(plan.pairs.map((p) => [p.a, p.b] as const));
    const abar = Float64Array.from({ length: T + 1 }, (_, i) => abarOfStep(schedule, i));
    const warnings: string[] = [];
    // eps needs lambda_max only: it converges long before the tracker's 12 start vectors do (on
    // latent-shaped data the classes' bases stop at the product budget with lambda_max exact to 1e-6).
    for (const e of plan.events) {
      const t = top0[e.id]!;
      if ((e.kind === 'class' || e.kind === 'all') && t.topResidual > 1e-6 * Math.abs(t.values[0]!))
        warnings.push(
          `${e.name}: lambda_max of C(0) did not converge within the product budget (residual ${t.topResidual.toPrecision(3)}); eps uses its largest Ritz value ${t.values[0]!.toPrecision(6)}, a lower bound.`,
        );
    }
    const uncertifiedPairs: number[] = [];
    const pairs: PairReport[] = plan.pairs.map((p, q) => {
      const f = found[q]!;
      const M = Array.from(crnPairM(abar, { cross: cross[q]!, g1: own[p.a]!, g2: own[p.b]! }));
      const i = f.mergerStep;
      if (f.recrossings.length) {
        warnings.push(
          `${plan.events[p.a]!.name} vs ${plan.events[p.b]!.name}: d drops to eps at step ${i} but is certainly above eps again at steps ${stepRanges(f.recrossings)} (non-monotone d; the merger step is the first crossing).`,
        );
      }
      if (f.bisected) {
        warnings.push(
          `${plan.events[p.a]!.name} vs ${plan.events[p.b]!.name}: the top ${k} eigenvalues did not decide d <= eps near step ${i ?? T}; the merger step was found by galloping and bisection on full spectra, which assumes d monotone in the last bracket.`,
        );
      }
      if (f.uncertified.length) uncertifiedPairs.push(f.uncertified.length);
      return {
        a: p.a,
        b: p.b,
        kind: p.kind,
        mergerStep: i,
        mergerAbar: i === null ? null : abar[i]!,
        M,
        Mthr: M.map((v, s) => (i !== null && s >= i ? 1 : v)),
        d: inp.reportSteps.map((s) => f.dTop[s]!),
        dLower: inp.reportSteps.map((s) => f.dLower[s]!),
        dExact: [...f.exact.entries()].sort((x, y) => x[0] - y[0]).map(([step, d]) => ({ step, d })),
        recrossings: f.recrossings,
        uncertified: f.uncertified,
      };
    });
    if (uncertifiedPairs.length) {
      warnings.push(
        `${uncertifiedPairs.length} of ${plan.pairs.length} pairs have steps before their merger step (${Math.min(...uncertifiedPairs)} to ${Math.max(...uncertifiedPairs)} per pair, listed in pairs[].uncertified) that the certified bound could not place above eps; the tracked estimate and the full spectrum just before each merger step do.`,
      );
    }
    const search: SearchReport = {
      method: 'ritz',
      trackedEigenvalues: k,
      subspace: m,
      windows: trackStats.windows,
      products: trackStats.products,
      fullSpectra: eng.fullCount(),
      bisectedPairs: found.filter((f) => f.bisected).length,
      dipPairs: found.filter((f) => f.dips > 0).length,
      dipProbes: inp.dipProbes ?? 'near',
    };
    return {
      eps,
      pairs,
      spectra: events.map((_, q) => inp.reportSteps.map((s) => Array.from(tracks[q]!.values[s]!))),
      lambdaMaxAll: allTop.values[0]!,
      directions: allTop.vectors,
      search,
      warnings,
      momentFlops: basis.flops,
      lateStart: async (e, step, r) => {
        const [g] = await eng.topEigen([{ e, step, r: Math.min(r, D), cov: true }]);
        const a = abarOfStep(schedule, step);
        const top = g.values.reduce((s, v) => s + v, 0);
        const rr = g.values.length;
        return {
          mean: Array.from(eng.events[e]!.mean, (v) => Math.sqrt(a) * v),
          eigenvalues: Array.from(g.values),
          eigenvectors: Array.from({ length: rr }, (_, j) => Array.from(g.vectors.subarray(j * D, (j + 1) * D))),
          restVariance: rr < D ? Math.max(0, (g.trace - top) / (D - rr)) : 0,
        };
      },
      dispose: () => {
        eng.dispose();
        disposeGramEvents(grams);
        disposeCrnBasis(basis);
      },
    };
  } catch (e) {
    engine?.dispose();
    disposeGramEvents(grams);
    disposeCrnBasis(basis);
    throw e;
  }
}
