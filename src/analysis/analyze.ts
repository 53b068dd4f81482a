// The merger analysis end to end (DESIGN.md §1 "Cross-fluctuation mergers", §2): per-event
// fluctuation tensors by the chosen method, M and d curves per pair, merger steps, the data–noise
// merger with the K² normality test, the class merger matrix and its dendrogram, the speciation
// step and late-start statistics. Returns the report (src/formats/report-types.ts) without writing anything.
import type { Context } from '../runtime/context.js';
import { checkFinite, checkInt } from '../runtime/check.js';
import { profileReport, resetProfile } from '../runtime/profile.js';
import { rowChunks } from '../runtime/tensor.js';
import { symmetricEigen } from '../linalg/eigh-cpu.js';
import { matmul } from '../kernels/matmul.js';
import { standardNormals } from '../kernels/forward_noise.js';
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
}

/** Smallest class size each method accepts: a covariance needs two samples. */
export const MIN_CLASS_SAMPLES = 2;

function oneOf<T extends string>(name: string, v: T, valid: readonly T[]): T {
  if (!valid.includes(v)) throw new Error(`${name} '${String(v)}' is not one of ${valid.join(', ')}`);
  return v;
}

export function checkDataset(data: Dataset, method: MergerMethod): number[] {
  const [N, D] = data.shape;
  if (data.x.length !== N * D)
    throw new Error(`data '${data.name}': x holds ${data.x.length} values, not N * D = ${N} * ${D}`);
  if (data.labels.length !== N) throw new Error(`data '${data.name}': ${data.labels.length} labels for ${N} rows`);
  checkFinite(`data '${data.name}'`, data.x, D);
  const counts = new Array<number>(data.classes).fill(0);
  data.labels.forEach((l, r) => {
    if (!Number.isInteger(l) || l < 0 || l >= data.classes)
      throw new Error(`data '${data.name}': label ${l} at row ${r} is outside 0..${data.classes - 1}`);
    counts[l]!++;
  });
  const names = data.classNames ?? counts.map((_, k) => String(k));
  counts.forEach((c, k) => {
    if (c < MIN_CLASS_SAMPLES) {
      throw new Error(
        `data '${data.name}': class ${k} ('${names[k]}') has ${c} sample${c === 1 ? '' : 's'}; method '${method}' needs at least ${MIN_CLASS_SAMPLES} per class (a covariance)`,
      );
    }
  });
  let constant = true;
  for (let c = 0; c < D && constant; c++) {
    for (let r = 1; r < N; r++) {
      if (data.x[r * D + c] !== data.x[c]) {
        constant = false;
        break;
      }
    }
  }
  if (constant)
    throw new Error(`data '${data.name}': all ${D} features are constant; there are no fluctuations to analyse`);
  return counts;
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

/** x (N, D) times v (D, r) on the GPU in row chunks that fit one storage binding. */
async function project(
  ctx: Context,
  x: Float32Array,
  N: number,
  D: number,
  v: Float32Array,
  r: number,
): Promise<Float32Array> {
  const out = new Float32Array(N * r);
  for (const c of rowChunks(N, 4 * D, ctx.limits.maxStorageBufferBindingSize)) {
    const part = await matmul(ctx, x.subarray(c.start * D, (c.start + c.count) * D), [c.count, D], v, [D, r]);
    out.set(part, c.start * r);
  }
  return out;
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
  const K = data.classes;
  const counts = checkDataset(data, method);
  const classNames = data.classNames ?? counts.map((_, k) => String(k));
  const noiseCount = checkInt('noiseSamples', opts.noiseSamples ?? N, 8, 2 ** 31 - 1);
  if (N < 8) throw new Error(`data '${data.name}': ${N} rows; the normality test needs at least 8`);
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
    // Class merger matrix, class-vs-rest mergers and the dendrogram (heights are merger steps; a pair
    // that never merges within the schedule is placed at T + 1).
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
    const dendrogram = agglomerate(matrix, classNames, linkage, T + 1);
    const dataNoise = pairs.find((p) => p.kind === 'data-noise')!;
    const warnings = [...floorWarnings(pairs, plan.events, eps, method, D), ...curves.warnings];
    if (method === 'mc' && spectralSteps.length < T + 1) {
      warnings.push(
        `mc: merger steps are resolved to the ${spectralSteps.length} spectral steps (every ${Math.round(T / (spectralSteps.length - 1))} steps or so), not refined to one step; use --spectral-steps to refine the grid.`,
      );
    }
    lap('mergers');

    // Normality of the one-draw noised data along the top principal directions of the data.
    progress?.('normality', 0, 1);
    const v = new Float32Array(D * r);
    for (let j = 0; j < r; j++) for (let i = 0; i < D; i++) v[i * r + j] = curves.directions[j * D + i]!;
    const eps0 = await standardNormals(ctx, N, D, { seed, stream: STREAM_EPS });
    const px = await project(ctx, data.x, N, D, v, r);
    const pe = await project(ctx, eps0, N, D, v, r);
    const normality = normalityOverSteps({ px, pe, x: data.x, e: eps0, N, D, r, schedule, alpha });
    lap('normality');

    // Speciation from the top eigenvalue of the data covariance (own centring: the covariance itself).
    const spec = speciation(curves.lambdaMaxAll, [1, ...schedule.alphasCumprod]);

    let lateStart: LateStartFile | null = null;
    if (opts.lateStart && opts.lateStart.length > 0) {
      progress?.('late start', 0, 1);
      const rank = Math.min(opts.lateRank ?? 16, D);
      const stepsOut: LateStartFile['steps'] = [];
      for (const step of opts.lateStart) {
        const all = await curves.lateStart(plan.all, step, rank);
        const classes = [];
        for (const e of plan.classEvent) classes.push(await curves.lateStart(e, step, rank));
        stepsOut.push({ step, abar: abarOfStep(schedule, step), all, classes });
      }
      lateStart = {
        format: LATE_START_FORMAT,
        version: LATE_START_VERSION,
        data: { name: data.name, dim: D, imageShape: data.imageShape ?? null, classNames },
        schedule: { name: schedule.name, T },
        method,
        rank,
        steps: stepsOut,
      };
      lap('late start');
    }

    timings.total = performance.now() - tStart;
    const report: MergerReport = {
      fluctus: { version: opts.version ?? '0.0.0', commit: opts.commit ?? null },
      createdAt: new Date().toISOString(),
      data: {
        name: data.name,
        source: data.source ?? data.name,
        n: N,
        dim: D,
        imageShape: data.imageShape ?? null,
        classNames,
        counts,
        scale: data.scale ?? 'as given',
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
  });
  o.lap('spectra');
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
