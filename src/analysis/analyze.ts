// The merger analysis end to end (DESIGN.md §1 "Cross-fluctuation mergers", §2): per-event
// fluctuation tensors by the chosen method, M and d curves per pair, merger steps, the data–noise
// merger with the K² normality test, the class merger matrix and its dendrogram, the speciation
// step and late-start statistics. Returns the report (src/formats/report-types.ts) without writing anything.
import type { Context } from '../runtime/context.js';
import { checkInt } from '../runtime/check.js';
import { profileReport, resetProfile } from '../runtime/profile.js';
import { traceHost } from '../runtime/trace.js';
import type { Schedule } from '../schedule/schedules.js';
import type { Dataset } from '../data/gmm.js';
import { DEFAULT_EPS_RATIO, speciation } from './curves.js';
import { planEvents, type EventGroup, type EventPlan } from './events.js';
import { LATE_START_FORMAT, LATE_START_VERSION, type LateStartFile } from '../formats/late-start.js';
import type { HostPiece } from './crn-pass.js';
import type { MomentsData } from './moment-shards.js';
import { DIP_GRID, type DipProbes } from './merger-search.js';
import { agglomerate } from './linkage.js';
import { abarOfStep, type Progress } from './mergers.js';
import { noisedNormality } from './normality-steps.js';
import { crnCurves, hostCurves, type Curves } from './analyze-curves.js';
import { checkDataset, checkDimension, constantColumnsWarning } from './data-checks.js';
import {
  CENTRINGS,
  LINKAGES,
  MERGER_METHODS,
  type Centring,
  type EventInfo,
  type Linkage,
  type MergerMethod,
  type MergerReport,
  type PairReport,
} from '../formats/report-types.js';

export interface AnalyzeOptions {
  schedule: Schedule;
  method?: MergerMethod;
  centring?: Centring;
  linkage?: Linkage;
  seed?: number;
  /** eps = max_k lambda_max(C_k(0)) / ratio (default ratio 400), or an absolute value. */
  eps?: { ratio: number } | { value: number };
  /** Spectral steps: a count spread over [0, T], 'all', or default (by D, see defaultSpectralCount). */
  spectralSteps?: number | 'all';
  /** Size of the noise event's N(0, I) sample for crn and mc (default: the number of data rows). */
  noiseSamples?: number;
  groups?: EventGroup[];
  /** Significance level of the normality test (default 0.05) and number of top directions (default 16). */
  alpha?: number;
  directions?: number;
  /** Steps at which to save late-start statistics (default: none) and their rank r (default 16). */
  lateStart?: number[];
  lateRank?: number;
  /** Eigenvalues kept per event and spectral step in the report (default 16). */
  spectraTop?: number;
  progress?: Progress;
  version?: string;
  commit?: string | null;
  /**
   * crn moments saved by `fluctus moments` (moment-shards.ts, merged) instead of a pass over data.x: the
   * data then carries labels and shape only (momentsDataset); the normality test, which needs the rows,
   * is not computed.
   */
  moments?: HostPiece[];
  /**
   * crn's dip probes (merger-search.ts): 'near' (default) probes uncertified steps where the tracked estimate
   * is near eps; 'all' every DIP_GRID-th uncertified step, which meets dips the estimate cannot see (data at the
   * finite-sample floor) at two full spectra per probe.
   */
  dipProbes?: DipProbes;
}

/** The Dataset of a moments run: no rows, labels in class order (what segments and events need). */
export function momentsDataset(meta: MomentsData): Dataset {
  const labels = new Int32Array(meta.rows);
  let r = 0;
  meta.counts.forEach((c, k) => {
    labels.fill(k, r, r + c);
    r += c;
  });
  return {
    name: meta.name,
    x: new Float32Array(0),
    labels,
    shape: [meta.rows, meta.dim],
    classes: meta.counts.length,
    classNames: meta.classNames,
    imageShape: meta.imageShape,
    source: `moments of ${meta.name}`,
    scale: meta.scale,
  };
}

function oneOf<T extends string>(name: string, v: T, valid: readonly T[]): T {
  if (!valid.includes(v)) throw new Error(`${name} '${String(v)}' is not one of ${valid.join(', ')}`);
  return v;
}

/**
 * Pairs that never merge because d at the last spectral step (the finite-sample floor: sample
 * covariances of n rows in D dimensions spread their eigenvalues by ~2 sqrt(D / n), Marchenko-Pastur)
 * stays above eps: a warning naming them, the floor and what to do.
 */
function floorWarnings(
  pairs: PairReport[],
  events: EventInfo[],
  eps: number,
  method: MergerMethod,
  D: number,
): string[] {
  const stuck = pairs.filter((p) => p.mergerStep === null && p.d[p.d.length - 1]! > eps);
  if (stuck.length === 0 || method === 'exact') return [];
  const worst = stuck.reduce((a, b) => (a.d[a.d.length - 1]! > b.d[b.d.length - 1]! ? a : b));
  const nMin = Math.min(...stuck.flatMap((p) => [events[p.a]!.count, events[p.b]!.count]));
  // The ritz search proves d > eps only where its bounds or full spectra say so: a pair with steps left
  // uncertified may dip below eps between its probes.
  const open = stuck.filter((p) => p.uncertified?.length).length;
  return [
    `${stuck.length} of ${pairs.length} pairs have no merger step (no step found with d <= eps = ${eps.toPrecision(3)}): at the last step d is still up to ` +
      `${worst.d[worst.d.length - 1]!.toPrecision(3)} (${events[worst.a]!.name} vs ${events[worst.b]!.name}). That is the finite-sample ` +
      `floor of ${method} (sample covariances of n = ${nMin} rows in D = ${D} spread eigenvalues by about 2 sqrt(D / n) = ` +
      `${(2 * Math.sqrt(D / nMin)).toPrecision(2)}), not structure.` +
      (open
        ? ` ${open} of them have steps that neither the bounds nor a full spectrum placed above eps (pairs[].uncertified): d hovers near eps there and may dip below it between the probes, so "none" is not a guarantee for them (--dip-probes all probes every ${DIP_GRID}th such step, at two full spectra each).`
        : '') +
      ' Use --method exact, more samples per class, or a larger --eps.',
  ];
}

/** late-start.json: the Gaussian late-start statistics of all data and each class at the given steps. */
async function lateStartFile(
  curves: Curves,
  plan: EventPlan,
  data: Dataset,
  classNames: string[],
  o: { steps: number[]; rank: number; schedule: Schedule; method: MergerMethod },
): Promise<LateStartFile> {
  const stepsOut: LateStartFile['steps'] = [];
  for (const step of o.steps) {
    const all = await curves.lateStart(plan.all, step, o.rank);
    const classes = [];
    for (const e of plan.classEvent) classes.push(await curves.lateStart(e, step, o.rank));
    stepsOut.push({ step, abar: abarOfStep(o.schedule, step), all, classes });
  }
  return {
    format: LATE_START_FORMAT,
    version: LATE_START_VERSION,
    data: { name: data.name, dim: data.shape[1], imageShape: data.imageShape ?? null, classNames },
    schedule: { name: o.schedule.name, T: o.schedule.T },
    method: o.method,
    rank: o.rank,
    steps: stepsOut,
  };
}

/**
 * Class merger matrix, class-vs-rest mergers and the dendrogram (heights are merger steps; a pair that
 * never merges within the schedule is placed at T + 1).
 */
function classStructure(pairs: PairReport[], classNames: string[], linkage: Linkage, T: number) {
  const K = classNames.length;
  const matrix: (number | null)[][] = classNames.map((_, i) => classNames.map((__, j) => (i === j ? 0 : null)));
  pairs.forEach((p) => {
    if (p.kind !== 'class-class') return;
    matrix[p.a]![p.b] = p.mergerStep;
    matrix[p.b]![p.a] = p.mergerStep;
  });
  const classRestMerger = classNames.map((_, k) => {
    const p = pairs.find((q) => q.kind === 'class-rest' && q.a === k);
    if (p) return p.mergerStep;
    return K === 2 ? pairs.find((q) => q.kind === 'class-class')!.mergerStep : null;
  });
  return { matrix, classRestMerger, dendrogram: agglomerate(matrix, classNames, linkage, T + 1) };
}

export async function analyzeMergers(
  ctx: Context,
  data: Dataset,
  opts: AnalyzeOptions,
): Promise<{ report: MergerReport; lateStart: LateStartFile | null }> {
  const tStart = performance.now();
  const timings: Record<string, number> = {};
  let tPhase = tStart;
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = now - tPhase;
    traceHost(ctx, name, tPhase, now);
    tPhase = now;
  };
  const method = oneOf('method', opts.method ?? 'crn', MERGER_METHODS);
  const centring = oneOf('centring', opts.centring ?? 'own', CENTRINGS);
  const linkage = oneOf('linkage', opts.linkage ?? 'average', LINKAGES);
  const seed = opts.seed ?? 0;
  const alpha = opts.alpha ?? 0.05;
  if (!(alpha > 0 && alpha < 1)) throw new Error(`alpha must be in (0, 1), got ${alpha}`);
  const schedule = opts.schedule;
  const T = schedule.T;
  const [N, D] = data.shape;
  if (opts.moments && method !== 'crn')
    throw new Error(`--moments holds crn moments; method '${method}' needs the data rows`);
  if (N < 8) throw new Error(`data '${data.name}': ${N} rows; the analysis needs at least 8 (the normality test)`);
  const { counts, constantColumns } = checkDataset(data, method, !opts.moments);
  checkDimension(ctx.limits, data);
  const classNames = data.classNames ?? counts.map((_, k) => String(k));
  const noiseCount = checkInt('noiseSamples', opts.noiseSamples ?? N, 8, 2 ** 31 - 1);
  const plan = planEvents(classNames, counts, method === 'exact' ? 0 : noiseCount, opts.groups ?? []);
  for (const s of opts.lateStart ?? []) checkInt('late-start step', s, 0, T);
  const progress = opts.progress;
  const epsRule = opts.eps ?? { ratio: DEFAULT_EPS_RATIO };
  const r = Math.min(opts.directions ?? 16, D);
  // The report's per-kernel profile covers this analysis only (with a profiling context).
  if (ctx.profiler) resetProfile(ctx);

  const curves =
    method === 'crn'
      ? await crnCurves(ctx, data, plan, counts, { ...opts, seed, centring, noiseCount, epsRule, r, lap })
      : await hostCurves(ctx, data, plan, { ...opts, method, seed, centring, noiseCount, epsRule, r, lap });
  const { eps, pairs, steps, spectralSteps } = curves;
  try {
    const { matrix, classRestMerger, dendrogram } = classStructure(pairs, classNames, linkage, T);
    const dataNoise = pairs.find((p) => p.kind === 'data-noise')!;
    const warnings = [...floorWarnings(pairs, plan.events, eps, method, D), ...curves.warnings];
    const constant = constantColumnsWarning(data, constantColumns);
    if (constant) warnings.unshift(constant);
    warnings.unshift(...(data.notes ?? []));
    if (opts.lateStart?.length && (opts.lateRank ?? 16) > D)
      warnings.push(
        `late start: rank ${opts.lateRank ?? 16} is more than D = ${D}; the statistics keep all ${D} eigenpairs.`,
      );
    if (method === 'mc' && spectralSteps.length < T + 1) {
      warnings.push(
        `mc: merger steps are resolved to the ${spectralSteps.length} spectral steps (every ${Math.round(T / (spectralSteps.length - 1))} steps or so), not refined to one step; use --spectral-steps to refine the grid.`,
      );
    }
    lap('mergers');

    progress?.('normality', 0, 1);
    const normality = await noisedNormality(ctx, data, curves.directions, {
      seed,
      r,
      schedule,
      alpha,
      fromMoments: !!opts.moments,
    });
    if (opts.moments)
      warnings.push('The normality test needs the data rows and was not computed from moments (--moments).');
    lap('normality');

    // Speciation from the top eigenvalue of the data covariance (own centring: the covariance itself).
    const spec = speciation(curves.lambdaMaxAll, [1, ...schedule.alphasCumprod]);

    let lateStart: LateStartFile | null = null;
    if (opts.lateStart && opts.lateStart.length > 0) {
      progress?.('late start', 0, 1);
      lateStart = await lateStartFile(curves, plan, data, classNames, {
        steps: opts.lateStart,
        rank: Math.min(opts.lateRank ?? 16, D),
        schedule,
        method,
      });
      lap('late start');
    }

    timings.total = performance.now() - tStart;
    const report: MergerReport = {
      fluctus: { version: opts.version ?? '0.0.0', commit: opts.commit ?? null },
      createdAt: new Date().toISOString(),
      data: {
        ...{ name: data.name, source: data.source ?? data.name, n: N, dim: D, imageShape: data.imageShape ?? null },
        ...{ classNames, counts, scale: data.scale ?? 'as given' },
      },
      schedule: { name: schedule.name, T, abar: Array.from({ length: T + 1 }, (_, i) => abarOfStep(schedule, i)) },
      method,
      seed,
      centring,
      eps:
        'ratio' in epsRule
          ? { rule: 'ratio', ratio: epsRule.ratio, value: eps }
          : { rule: 'absolute', ratio: null, value: eps },
      steps,
      spectralSteps,
      events: plan.events,
      pairs,
      dataNoise: {
        mergerStep: dataNoise.mergerStep,
        mergerAbar: dataNoise.mergerAbar,
        normalityStep: normality.step,
        normalityAbar: normality.step === null ? null : abarOfStep(schedule, normality.step),
        normality: normality.report,
      },
      classMergerMatrix: matrix,
      classRestMerger,
      dendrogram,
      speciationStep: spec.step,
      speciation: spec,
      spectra: { top: curves.spectraTop, values: curves.spectra },
      search: curves.search,
      lateStart: lateStart
        ? { file: 'late-start.json', steps: lateStart.steps.map((s) => s.step), rank: lateStart.rank }
        : null,
      warnings,
      profile: ctx.profiler ? profileReport(ctx) : [],
      timings,
    };
    return { report, lateStart };
  } finally {
    curves.dispose();
  }
}
