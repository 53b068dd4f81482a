// The method-specific part of the merger analysis (analyze.ts): per-pair M and d curves, merger steps,
// report spectra, the top directions and late-start statistics, by crn (crn-mergers.ts: one noise draw,
// GPU spectra) or by exact / mc on host float64 moments with batched spectra.
import type { Context } from '../runtime/context.js';
import { checkInt } from '../runtime/check.js';
import { symmetricEigen } from '../linalg/eigh-cpu.js';
import type { Dataset } from '../data/gmm.js';
import { epsFromRule, type EpsRule } from './curves.js';
import type { EventPlan } from './events.js';
import { fluctuationModel } from './fluctuations.js';
import { gaussianOf } from './late-start.js';
import { crnMergers, type CrnResult } from './crn-mergers.js';
import {
  abarOfStep,
  defaultSpectralCount,
  pairM,
  pairReports,
  pairSpectra,
  spectrumCache,
  spreadSteps,
} from './mergers.js';
import type { Centring, MergerMethod } from '../formats/report-types.js';
import type { AnalyzeOptions } from './analyze.js';

/** What the report needs from the method-specific part: crn's results (whichever method) and the steps. */
export interface Curves extends Omit<CrnResult, 'momentFlops'> {
  steps: number[];
  spectralSteps: number[];
  spectraTop: number;
}

export interface CurveOptions extends AnalyzeOptions {
  seed: number;
  centring: Centring;
  noiseCount: number;
  epsRule: EpsRule;
  r: number;
  lap: (phase: string) => void;
}

/** Report steps of crn: d and the top spectra on `spectralSteps` (count or 'all'), default every fifth step. */
function crnReportSteps(T: number, spectralSteps: number | 'all' | undefined): number[] {
  const count = spectralSteps === 'all' ? T + 1 : (spectralSteps ?? Math.min(T + 1, 201));
  return spreadSteps(T, checkInt('spectralSteps', count, 2, T + 1));
}

export async function crnCurves(
  ctx: Context,
  data: Dataset,
  plan: EventPlan,
  counts: number[],
  o: CurveOptions,
): Promise<Curves> {
  const [, D] = data.shape;
  const T = o.schedule.T;
  const spectralSteps = crnReportSteps(T, o.spectralSteps);
  const res = await crnMergers(ctx, {
    x: data.x,
    labels: data.labels,
    dim: D,
    counts,
    plan,
    schedule: o.schedule,
    seed: o.seed,
    noiseCount: o.noiseCount,
    centring: o.centring,
    epsRule: o.epsRule,
    reportSteps: spectralSteps,
    directions: o.r,
    progress: o.progress,
    pieces: o.moments,
    lap: o.lap,
    dipProbes: o.dipProbes,
  });
  o.lap('M curves');
  return {
    eps: res.eps,
    pairs: res.pairs,
    steps: Array.from({ length: T + 1 }, (_, i) => i),
    spectralSteps,
    spectra: res.spectra,
    spectraTop: res.search.trackedEigenvalues ?? 0,
    lambdaMaxAll: res.lambdaMaxAll,
    directions: res.directions,
    search: res.search,
    warnings: res.warnings,
    lateStart: res.lateStart,
    dispose: res.dispose,
  };
}

/** exact (closed form in abar) and mc (the paper's sweep) on host float64 moments, spectra batched. */
export async function hostCurves(
  ctx: Context,
  data: Dataset,
  plan: EventPlan,
  o: CurveOptions & { method: MergerMethod },
): Promise<Curves> {
  const [N, D] = data.shape;
  const { schedule, method, progress } = o;
  const T = schedule.T;
  progress?.('moments', 0, 1);
  const model = await fluctuationModel(ctx, {
    x: data.x,
    labels: data.labels,
    n: N,
    dim: D,
    classes: data.classes,
    plan,
    schedule,
    method,
    centring: o.centring,
    seed: o.seed,
    noiseCount: o.noiseCount,
  });
  o.lap('moments');
  const E = plan.events.length;
  const count =
    o.spectralSteps === 'all' || method === 'exact' ? T + 1 : (o.spectralSteps ?? defaultSpectralCount(T, D, E));
  const spectralSteps = spreadSteps(T, checkInt('spectralSteps', count, 2, T + 1));
  let eigs = 0;
  const expected = method === 'exact' ? E : E * spectralSteps.length;
  const cache = spectrumCache(ctx, model, schedule, () => progress?.('spectra', ++eigs, expected));
  const allEvents = plan.events.map((e) => e.id);
  const spectra0 = await cache.values(0, allEvents);
  // eps over the classes and all data: events derived from them (rests, groups) and the noise event
  // must not move the threshold, so adding a group leaves every merger step as it was.
  const lambdaMax0 = spectra0
    .filter((_, e) => plan.events[e]!.kind === 'class' || plan.events[e]!.kind === 'all')
    .map((l) => l[0]!);
  const eps = epsFromRule(o.epsRule, lambdaMax0);
  // mc measures each step by noising every sample afresh: refining between spectral steps would cost
  // a full sweep per probe, so its merger steps are resolved to the spectral steps (the paper's way).
  const pairsSpectra = await pairSpectra(cache, plan, spectralSteps, eps, method !== 'mc');
  o.lap('spectra');
  const steps = method === 'mc' ? spectralSteps : Array.from({ length: T + 1 }, (_, i) => i);
  const M = await pairM(model, plan, schedule, steps, progress);
  o.lap('M curves');
  const pairs = pairReports(plan, schedule, steps, M, pairsSpectra);
  const top = Math.min(o.spectraTop ?? 16, D);
  const spectraValues: number[][][] = allEvents.map(() => []);
  for (const s of spectralSteps) {
    const vals = await cache.values(s, allEvents);
    vals.forEach((l, e) => spectraValues[e]!.push(Array.from(l.subarray(0, top))));
  }
  const c0 = (await model.covAt(0, [plan.all]))[0]!;
  const eigAll = symmetricEigen(c0, D, { vectors: true });
  return {
    eps,
    pairs,
    steps,
    spectralSteps,
    spectra: spectraValues,
    spectraTop: top,
    lambdaMaxAll: eigAll.values[0]!,
    directions: eigAll.vectors!.subarray(0, o.r * D),
    search: {
      method: 'full',
      trackedEigenvalues: null,
      subspace: null,
      windows: 0,
      products: 0,
      fullSpectra: cache.computed(),
      bisectedPairs: 0,
    },
    warnings: [],
    lateStart: async (e, step, rank) => {
      const [cov] = await model.covAt(step, [e]);
      return gaussianOf(cov!, model.means[e]!, D, rank, abarOfStep(schedule, step));
    },
    dispose: () => undefined,
  };
}
