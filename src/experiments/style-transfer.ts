// `fluctus experiment style-transfer`: SDEdit between two domains (groups of classes): held-out rows of
// the source domain are noised to a start step s and denoised by a model of the target domain only (one
// Gaussian per target class, unconditional: the gmm truth restricted to the target classes, otherwise
// fitted). The start step from the analysis is the merger step of the source and target groups (re-run
// with the two groups as events): above it the noised source is indistinguishable from the noised target.
// Scored over a grid of strengths by the MSE / PSNR to the source (structure kept) and by the fraction the
// domain classifier (classifier, or Bayes class under the truth) puts in the target domain.
import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, VL_SCHEMA } from '../report/charts-common.js';
import { analyzeMergers } from '../analysis/analyze.js';
import { fitGmmPerClass, gmmDenoiser } from '../models/gmm-denoiser.js';
import type { Denoiser } from '../models/denoiser.js';
import type { Dataset } from '../data/dataset.js';
import type { PairReport } from '../formats/report-types.js';
import { gmmFrechetToTruth } from '../metrics/gmm-exact.js';
import { ddpmScheduler, sdedit } from '../samplers/index.js';
import type { ExperimentSetup } from './setup.js';
import { makeScorer } from './scoring.js';
import { newResult, type Cell, type ExperimentResult } from './types.js';
import { restrictMixture, takePerClass } from './guidance-common.js';

export interface StyleTransferOptions {
  source?: number[];
  target?: number[];
  /** Source rows per source class (default 250). */
  samples?: number;
  /** DDPM steps of a chain from T; a chain from s takes round(steps s / T) (at least 2). */
  steps?: number;
  /** Start steps of the grid (default 100, 200, ..., T). */
  strengths?: number[];
  seed?: number;
  onProgress?: (phase: string, done: number, total: number) => void;
}

/** Default domains: Fashion-MNIST tops against shoes, otherwise the first half of the classes against the second. */
export function defaultDomains(dataName: string, K: number): { source: number[]; target: number[] } {
  if (dataName === 'fashion-mnist' && K === 10) return { source: [0, 2, 4, 6], target: [5, 7, 9] };
  const h = Math.floor(K / 2);
  return { source: Array.from({ length: h }, (_, k) => k), target: Array.from({ length: K - h }, (_, k) => h + k) };
}

export function checkDomains(source: readonly number[], target: readonly number[], K: number): void {
  for (const [name, d] of [
    ['source', source],
    ['target', target],
  ] as const) {
    if (d.length === 0) throw new Error(`style-transfer: the ${name} domain has no class`);
    for (const k of d)
      if (!(Number.isInteger(k) && k >= 0 && k < K))
        throw new Error(`style-transfer: ${name} class ${k} is not a class of the data (0..${K - 1})`);
  }
  const both = source.filter((k) => target.includes(k));
  if (both.length) throw new Error(`style-transfer: class ${both[0]} is in both domains`);
}

/** Mean squared error per value and PSNR = 10 log10(range² / MSE) between two equal-length arrays. */
export function mseAndPsnr(a: ArrayLike<number>, b: ArrayLike<number>, range: number): { mse: number; psnr: number } {
  if (a.length !== b.length || a.length === 0)
    throw new Error(`mseAndPsnr: lengths ${a.length} and ${b.length} must be equal and > 0`);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - b[i]!) ** 2;
  const mse = s / a.length;
  return { mse, psnr: 10 * Math.log10((range * range) / mse) };
}

/** Chain length from s: round(steps s / T), at least 2 and at most s. */
export function chainSteps(start: number, steps: number, T: number): number {
  return Math.min(start, Math.max(2, Math.round((steps * start) / T)));
}

interface Row {
  start: number;
  merger: boolean;
  mse: number;
  psnr: number;
  inTarget: number | null;
  fdTarget: number;
  precision: number;
  recall: number;
  calls: number;
}

/** The domains, the start steps and the source rows of one run. */
interface TransferSettings {
  source: number[];
  target: number[];
  steps: number;
  seed: number;
  grid: number[];
  starts: number[];
  mergerStep: number;
  pair: PairReport | undefined;
  src: Dataset;
  range: number;
}

export async function runStyleTransfer(s: ExperimentSetup, o: StyleTransferOptions = {}): Promise<ExperimentResult> {
  const t0 = performance.now();
  const ctx = s.ctx;
  const K = s.data.classes;
  const T = s.schedule.T;
  const dom = defaultDomains(s.data.name, K);
  const source = o.source ?? dom.source;
  const target = o.target ?? dom.target;
  checkDomains(source, target, K);
  const per = o.samples ?? 250;
  const steps = o.steps ?? 100;
  const seed = o.seed ?? s.seed;
  const names = s.data.classNames;
  const img: [number, number, number] | null = s.data.imageShape
    ? [s.data.imageShape[0], s.data.imageShape[1], 1]
    : null;
  const params = s.truth ?? (await fitGmmPerClass(ctx, s.data.x, s.data.labels, s.data.shape, { classes: K }));
  const targetModel = restrictMixture(params, target, false);
  const { report } = await analyzeMergers(ctx, s.data, {
    schedule: s.schedule,
    method: s.analysis.method,
    seed: s.seed,
    groups: [
      { name: 'source', classes: source },
      { name: 'target', classes: target },
    ],
  });
  const pair = report.pairs.find((p) => p.kind === 'group');
  const mergerStep = Math.max(1, Math.min(T, pair?.mergerStep ?? T));
  const grid = o.strengths ?? Array.from({ length: Math.floor(T / 100) }, (_, i) => 100 * (i + 1));
  const starts = [...new Set([...grid, mergerStep])].sort((a, b) => a - b);
  const counts = Array.from({ length: K }, (_, k) => (source.includes(k) ? per : 0));
  const src = takePerClass(s.reference, counts, 'source rows');
  const n = src.shape[0];
  if (n === 0) throw new Error('style-transfer: the reference set has no row of the source classes');
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of src.x) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  const range = hi - lo;
  const r = newResult(
    s.analysis,
    'style-transfer',
    'Style transfer: SDEdit from the merger step against a grid of strengths',
    {
      data: s.data.name,
      source: source.map((k) => names[k]),
      target: target.map((k) => names[k]),
      sourceRows: n,
      sourceRowsFrom: s.reference.source,
      targetModel: s.truth
        ? 'the truth restricted to the target classes (unconditional)'
        : 'one Gaussian per target class fitted on the training data (unconditional)',
      sampler: `DDPM (fixed_small) on linspace(0, s, round(${steps} s / T)) steps`,
      strengths: grid,
      mergerStep,
      mergerRule: 'merger step of the source and target groups (analysis re-run with the two groups as events)',
      psnrRange: range,
      seed,
    },
  );
  const d = gmmDenoiser(ctx, targetModel, s.schedule, { imageShape: img });
  const p: TransferSettings = { source, target, steps, seed, grid, starts, mergerStep, pair, src, range };
  let rows: Row[];
  try {
    rows = await sdeditRows(s, o, p, d);
  } finally {
    d.dispose();
  }
  r.timings.sdedit = performance.now() - t0;
  describeStyleTransfer(s, r, p, rows);
  r.timings.total = performance.now() - t0;
  return r;
}

/** SDEdit of the source rows from every start step with the target model, scored. */
async function sdeditRows(
  s: ExperimentSetup,
  o: StyleTransferOptions,
  p: TransferSettings,
  d: Denoiser,
): Promise<Row[]> {
  const ctx = s.ctx;
  const T = s.schedule.T;
  const { target, steps, seed, starts, mergerStep, src, range } = p;
  const [n, D] = src.shape;
  const rows: Row[] = [];
  const scorer = await makeScorer(s);
  const targetTruth = s.truth ? restrictMixture(s.truth, target, false) : null;
  for (let i = 0; i < starts.length; i++) {
    o.onProgress?.('sdedit', i, starts.length);
    const st = starts[i]!;
    const out = await sdedit(ctx, d, {
      x0: src.x,
      start: st,
      steps: chainSteps(st, steps, T),
      scheduler: ddpmScheduler(s.schedule),
      classes: null,
      seed,
    });
    const { mse, psnr } = mseAndPsnr(out.x, src.x, range);
    const pred = await scorer.predict(out.x);
    const inTarget = pred ? pred.filter((c) => target.includes(c)).length / n : null;
    const sc = await scorer.score(out.x, null, { referenceClasses: target });
    const fdTarget = targetTruth ? await gmmFrechetToTruth(ctx, out.x, [n, D], targetTruth) : sc.fdPca;
    rows.push({
      start: st,
      merger: st === mergerStep,
      mse,
      psnr,
      inTarget,
      fdTarget,
      precision: sc.precision,
      recall: sc.recall,
      calls: out.denoiserCalls,
    });
  }
  o.onProgress?.('sdedit', starts.length, starts.length);
  return rows;
}

/** Tables, the chart, goals, warnings, the summary and the raw numbers of r. */
function describeStyleTransfer(s: ExperimentSetup, r: ExperimentResult, p: TransferSettings, rows: Row[]): void {
  const { source, target, grid, mergerStep, pair, range } = p;
  const names = s.data.classNames;
  const n = p.src.shape[0];
  const pairSteps = source.map(
    (k) => [names[k]!, ...target.map((j) => s.analysis.classMergerMatrix[k]![j] ?? null)] as Cell[],
  );
  r.tables.push({
    id: 'strengths',
    title: `SDEdit ${source.map((k) => names[k]).join('+')} → ${target.map((k) => names[k]).join('+')}`,
    caption: `${n} held-out source rows; every start step uses the same seed. MSE per value and PSNR (peak ${range.toFixed(3)}, the source rows' range) to the source: structure kept. In target: fraction of outputs the ${s.classifier ? 'classifier' : s.truth ? 'Bayes classifier under the truth' : '(no) classifier'} puts in a target class. FD to target: ${s.truth ? 'exact FD to the target-domain mixture' : 'FD in PCA space to the target reference rows'}; PRDC against the target reference rows. * marks the merger-derived start step ${mergerStep}.`,
    columns: [
      'start step',
      'merger',
      'MSE to source',
      'PSNR (dB)',
      'in target',
      'FD to target',
      'precision',
      'recall',
      'denoiser calls',
    ],
    rows: rows.map((x) => [
      x.start,
      x.merger ? '*' : '',
      x.mse,
      x.psnr,
      x.inTarget,
      x.fdTarget,
      x.precision,
      x.recall,
      x.calls,
    ]),
  });
  r.tables.push({
    id: 'mergers',
    title: 'Class merger steps between the domains',
    caption: `Rows: source classes, columns: target classes (balanced analysis). The group–group merger step used as the start: ${pair?.mergerStep ?? 'none (T used)'}.`,
    columns: ['source class', ...target.map((j) => `→ ${names[j]}`)],
    rows: pairSteps,
  });
  r.charts.push(strengthChart(rows, mergerStep));
  const m = rows.find((x) => x.merger)!;
  const knee = rows.find((x) => !x.merger && (x.inTarget ?? 0) >= 0.95 && grid.includes(x.start));
  if (m.inTarget === null) {
    r.goals.push({
      goal: 'SDEdit from the merger step reaches the target domain (≥ 95%) with no more change to the source than the smallest grid strength that does',
      measured: 'no domain classifier',
      met: null,
    });
  } else {
    const met = m.inTarget >= 0.95 && (!knee || m.mse <= knee.mse);
    r.goals.push({
      goal: 'SDEdit from the merger step reaches the target domain (≥ 95%) with no more change to the source than the smallest grid strength that does',
      measured: `merger step ${mergerStep}: in target ${m.inTarget.toFixed(3)}, MSE ${m.mse.toFixed(3)}; smallest grid strength reaching 95%: ${knee ? `${knee.start} (in target ${knee.inTarget!.toFixed(3)}, MSE ${knee.mse.toFixed(3)})` : 'none'}`,
      met,
    });
  }
  // Distribution criterion: the output distribution is that of the target domain, i.e. its FD to the target is
  // within 10% of full-strength SDEdit's (s = T, which forgets the source entirely).
  const full = rows.reduce((a, b) => (b.start > a.start ? b : a));
  const reaches = (x: Row) => x.fdTarget <= 1.1 * full.fdTarget;
  const kneeFd = rows.find((x) => !x.merger && grid.includes(x.start) && reaches(x));
  r.goals.push({
    goal: 'SDEdit from the merger step reaches the target distribution (FD to target within 10% of full strength s = T) with no more change to the source (MSE, 1% tolerance) than the smallest grid strength that does',
    measured: `merger step ${mergerStep}: FD to target ${m.fdTarget.toFixed(3)} (full strength ${full.fdTarget.toFixed(3)}), MSE ${m.mse.toFixed(3)}; smallest grid strength reaching it: ${kneeFd ? `${kneeFd.start} (FD ${kneeFd.fdTarget.toFixed(3)}, MSE ${kneeFd.mse.toFixed(3)})` : 'none'}`,
    met: reaches(m) && (!kneeFd || m.mse <= 1.01 * kneeFd.mse),
  });
  if (m.inTarget !== null && knee && knee.start < mergerStep) {
    r.warnings.push(
      `The domain classifier puts ≥ 95% of the outputs in the target domain from start step ${knee.start} on, well before the merger step ${mergerStep}, while the FD to the target domain keeps falling until about the merger step: the classifier criterion says "labelled as target", the FD criterion "distributed as the target".`,
    );
  }
  if (s.truth)
    r.warnings.push(
      'Exact model of the target domain: the outputs are samples of the target truth given the noised source, so "in target" and the FD measure the denoiser\'s pull, not a learned style.',
    );
  r.summary = `SDEdit from ${n} ${source.map((k) => names[k]).join('+')} rows into ${target.map((k) => names[k]).join('+')}: merger-derived start ${mergerStep} gives ${m.inTarget === null ? '' : `${(100 * m.inTarget).toFixed(1)}% in the target domain, `}PSNR ${m.psnr.toFixed(2)} dB to the source; the grid runs from ${grid[0]} to ${grid[grid.length - 1]}.`;
  r.data = { rows, mergerStep, groupPair: pair ? { mergerStep: pair.mergerStep } : null, range };
}

function strengthChart(rows: Row[], mergerStep: number) {
  const values = rows.flatMap((x) => [
    { start: x.start, metric: 'PSNR to source (dB)', value: x.psnr },
    ...(x.inTarget === null ? [] : [{ start: x.start, metric: 'fraction in target domain', value: x.inTarget }]),
  ]);
  const spec = {
    $schema: VL_SCHEMA,
    config: CHART_CONFIG,
    data: { values },
    facet: { row: { field: 'metric', type: 'nominal', title: null } },
    resolve: { scale: { y: 'independent' } },
    spec: {
      width: 520,
      height: 160,
      layer: [
        {
          mark: { type: 'line', point: true },
          encoding: {
            x: { field: 'start', type: 'quantitative', title: 'SDEdit start step s (strength)' },
            y: { field: 'value', type: 'quantitative', title: null },
          },
        },
        {
          mark: { type: 'rule', strokeDash: [4, 3], color: '#d62728' },
          encoding: { x: { datum: mergerStep, type: 'quantitative' } },
        },
      ],
    },
  } as TopLevelSpec;
  return {
    id: 'strengths',
    title: 'Structure kept against domain reached',
    caption: 'Per start step; dashed: the merger-derived start step.',
    spec,
  };
}
