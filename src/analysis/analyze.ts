// The merger analysis end to end (DESIGN.md §1 "Cross-fluctuation mergers", §2): per-event
// fluctuation tensors by the chosen method, M and d curves per pair, merger steps, the data–noise
// merger with the K² normality test, the class merger matrix and its dendrogram, the speciation
// step and late-start statistics. Returns the report (src/formats/report-types.ts) without writing anything.
import type { Context } from '../runtime/context.js';
import { checkInt } from '../runtime/check.js';
import { profileReport, resetProfile } from '../runtime/profile.js';
import { traceHost } from '../runtime/trace.js';
import { symmetricEigen } from '../linalg/eigh-cpu.js';
import { noisedMoments } from '../kernels/mixed_moments.js';
import type { Schedule } from '../schedule/schedules.js';
import type { Dataset } from '../data/gmm.js';
import { DEFAULT_EPS_RATIO, epsFromRule, speciation, type EpsRule } from './curves.js';
import { planEvents, type EventGroup, type EventPlan } from './events.js';
import { fluctuationModel, STREAM_EPS } from './fluctuations.js';
import { gaussianOf } from './late-start.js';
import {
  LATE_START_FORMAT,
  LATE_START_VERSION,
  type LateStartFile,
  type LateStartGaussian,
} from '../formats/late-start.js';
import { crnMergers } from './crn-mergers.js';
import type { HostPiece } from './crn-basis.js';
import type { MomentsData } from './moment-shards.js';
import { agglomerate } from './linkage.js';
import {
  abarOfStep,
  defaultSpectralCount,
  pairM,
  pairReports,
  pairSpectra,
  spectrumCache,
  spreadSteps,
  type Progress,
} from './mergers.js';
import { normalityOverSteps } from './normality-steps.js';
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
  type SearchReport,
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
  return [
    `${stuck.length} of ${pairs.length} pairs never reach d <= eps = ${eps.toPrecision(3)}: at the last step d is still up to ` +
      `${worst.d[worst.d.length - 1]!.toPrecision(3)} (${events[worst.a]!.name} vs ${events[worst.b]!.name}). That is the finite-sample ` +
      `floor of ${method} (sample covariances of n = ${nMin} rows in D = ${D} spread eigenvalues by about 2 sqrt(D / n) = ` +
      `${(2 * Math.sqrt(D / nMin)).toPrecision(2)}), not structure. Use --method exact, more samples per class, or a larger --eps.`,
  ];
}

/** Normality of the one-draw noised data along the top principal directions of the data (none from moments). */
async function noisedNormality(
  ctx: Context,
  data: Dataset,
  curves: Curves,
  o: { seed: number; r: number; schedule: Schedule; alpha: number; fromMoments: boolean },
): Promise<ReturnType<typeof normalityOverSteps>> {
  const { r, alpha, schedule } = o;
  if (o.fromMoments)
    return { step: null, report: { alpha, directions: 0, steps: [], k2: [], pValue: [], rejectedFraction: [] } };
  const [N, D] = data.shape;
  const v = new Float32Array(D * r);
  for (let j = 0; j < r; j++) for (let i = 0; i < D; i++) v[i * r + j] = curves.directions[j * D + i]!;
  const { px, pe, coords } = await noisedMoments(ctx, data.x, N, D, v, r, { seed: o.seed, stream: STREAM_EPS });
  // Directions along which the data do not vary (rank-deficient data: constant columns, D > N - 1) are
  // arbitrary vectors of the null space, and K² of a constant sample is 0 / 0 at step 0: drop them.
  const keep = varyingColumns(px, N, r);
  if (keep.length === r) return normalityOverSteps({ px, pe, coords, N, D, r, schedule, alpha });
  const pick = (a: Float32Array) => {
    const out = new Float32Array(N * keep.length);
    for (let i = 0; i < N; i++) keep.forEach((c, j) => (out[i * keep.length + j] = a[i * r + c]!));
    return out;
  };
  return normalityOverSteps({ px: pick(px), pe: pick(pe), coords, N, D, r: keep.length, schedule, alpha });
}

/** Columns of the (N, r) matrix a whose variance exceeds 1e-6 of the largest (float32 rounding level). */
function varyingColumns(a: Float32Array, N: number, r: number): number[] {
  const mean = new Float64Array(r);
  const sq = new Float64Array(r);
  for (let i = 0; i < N; i++) for (let c = 0; c < r; c++) mean[c]! += a[i * r + c]!;
  for (let c = 0; c < r; c++) mean[c]! /= N;
  for (let i = 0; i < N; i++)
    for (let c = 0; c < r; c++) {
      const d = a[i * r + c]! - mean[c]!;
      sq[c]! += d * d;
    }
  const top = Math.max(...sq);
  return Array.from({ length: r }, (_, c) => c).filter((c) => sq[c]! > 1e-6 * top);
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
    const normality = await noisedNormality(ctx, data, curves, {
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

/** What the report needs from the method-specific part. */
interface Curves {
  eps: number;
  pairs: PairReport[];
  steps: number[];
  spectralSteps: number[];
  spectra: number[][][];
  spectraTop: number;
  lambdaMaxAll: number;
  directions: Float64Array;
  search: SearchReport;
  warnings: string[];
  lateStart: (e: number, step: number, r: number) => Promise<LateStartGaussian>;
  dispose: () => void;
}

interface CurveOptions extends AnalyzeOptions {
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

async function crnCurves(
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
async function hostCurves(
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
