// `fluctus experiment accelerated`: the full-length sampler against the same sampler started at the
// data–noise merger step from N(0, I) (DESIGN.md §1 item 1), and at the normality step for comparison:
// steps, denoiser calls, FD, PRDC and the seed-to-seed spread of the full sampler. The headline is at the
// analysis' eps (the paper's lambda_max / 400 by default); other eps ratios run as a sweep (the merger
// analysis again at each, then the sampler from its data–noise merger step) against the full sampler's
// seed-to-seed 95 % interval, and are never the headline.
import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, VL_SCHEMA } from '../report/charts-common.js';
import { ddimScheduler, ddpmScheduler } from '../samplers/scheduler.js';
import type { SampleOptions } from '../samplers/sample.js';
import type { ExperimentSetup } from './setup.js';
import { makeScorer } from './scoring.js';
import { headlineFdName, meanOf, runConfig, type ConfigRun } from './sweep.js';
import { newResult, tQuantile975, type ExperimentResult } from './types.js';
import { analyzeMergers } from '../analysis/analyze.js';
import { sampleImages } from './images.js';

export interface AcceleratedOptions {
  samples?: number;
  seeds?: number;
  sampler?: 'ddpm' | 'ddim';
  /** Grid size of the full sampler (default: every step for DDPM, 100 for DDIM). */
  steps?: number;
  /** eps ratios (eps = lambda_max / ratio) run as a sweep besides the analysis' own (default 50, 100, 200, 800). */
  epsSweep?: number[];
  onProgress?: (phase: string, done: number, total: number) => void;
}

/** The default sweep of eps ratios around the paper's 400. */
export const EPS_SWEEP = [50, 100, 200, 800];

interface SweepPoint {
  ratio: number;
  eps: number;
  /** The data–noise merger step at this eps (null: no merger within T). */
  step: number | null;
  run: AcceleratedRun | null;
}

export async function runAccelerated(s: ExperimentSetup, o: AcceleratedOptions = {}): Promise<ExperimentResult> {
  const t0 = performance.now();
  const T = s.schedule.T;
  const kind = o.sampler ?? 'ddpm';
  const n = o.samples ?? 2000;
  const seeds = o.seeds ?? 5;
  const full = o.steps ?? (kind === 'ddpm' ? T : 100);
  const merger = s.analysis.dataNoise.mergerStep;
  const normality = s.analysis.dataNoise.normalityStep;
  const r = newResult(s.analysis, 'accelerated', 'Accelerated sampling from the data–noise merger step', {
    data: s.data.name,
    denoiser: s.denoiserName,
    sampler: kind,
    samples: n,
    seeds,
    fullSteps: full,
    T,
    dataNoiseMergerStep: merger,
    normalityStep: normality,
    analysisMethod: s.analysis.method,
    seed: s.seed,
  });
  const scorer = await makeScorer(s);
  const K = s.data.classes;
  // Unconditional samples when the denoiser has no classes, else an equal share of every class.
  const classes = s.denoiser.numClasses > 0 ? Int32Array.from({ length: n }, (_, i) => i % K) : null;
  const starts: { label: string; step: number }[] = [{ label: `full (from T = ${T})`, step: T }];
  if (normality !== null && normality < T) starts.push({ label: `normality step ${normality}`, step: normality });
  if (merger !== null && merger < T) starts.push({ label: `data–noise merger step ${merger}`, step: merger });
  if (merger === null)
    r.warnings.push(
      'The data never merge with the noise within T at this eps: there is no earlier start step to test.',
    );
  const runStart = async (label: string, start: number): Promise<AcceleratedRun> => {
    // The same grid density: every step for DDPM; for DDIM the share of `full` that the start keeps.
    const steps = kind === 'ddpm' && full === T ? start : Math.max(1, Math.round((full * start) / T));
    const make = (seed: number): SampleOptions => ({
      n,
      classes,
      seed,
      steps,
      start: { step: start, from: 'noise' },
      scheduler: kind === 'ddpm' ? ddpmScheduler(s.schedule) : ddimScheduler(s.schedule, { eta: 0 }),
    });
    return { ...(await runConfig(s, scorer, label, seeds, make)), start, steps };
  };
  const runs: AcceleratedRun[] = [];
  for (const [i, st] of starts.entries()) {
    o.onProgress?.('sample', i, starts.length);
    runs.push(await runStart(st.label, st.step));
  }
  o.onProgress?.('sample', starts.length, starts.length);
  r.timings.sample = performance.now() - t0;
  const sweep = await epsSweep(s, o.epsSweep ?? EPS_SWEEP, runs, runStart, o.onProgress);
  r.timings.epsSweep = performance.now() - t0 - r.timings.sample;
  describeAccelerated(s, r, { kind, n, seeds, merger, normality, withClasses: classes !== null }, runs);
  if (sweep.length) describeSweep(s, r, runs[0]!, sweep);
  r.timings.total = performance.now() - t0;
  return r;
}

type AcceleratedRun = ConfigRun & { start: number; steps: number };

/** The data–noise merger step at each eps ratio (the analysis again, same data, method and seed) and its run. */
async function epsSweep(
  s: ExperimentSetup,
  ratios: number[],
  runs: AcceleratedRun[],
  runStart: (label: string, start: number) => Promise<AcceleratedRun>,
  onProgress: AcceleratedOptions['onProgress'],
): Promise<SweepPoint[]> {
  for (const q of ratios)
    if (!(Number.isFinite(q) && q > 0))
      throw new Error(`accelerated: eps sweep ratios must be positive numbers, got ${q}`);
  const own = s.analysis.eps.ratio;
  const toRun = [...new Set(ratios)].filter((q) => q !== own).sort((a, b) => a - b);
  const T = s.schedule.T;
  const points: SweepPoint[] = [];
  for (const [i, ratio] of toRun.entries()) {
    onProgress?.('eps sweep', i, toRun.length);
    const { report } = await analyzeMergers(s.ctx, s.data, {
      schedule: s.schedule,
      method: s.analysis.method,
      eps: { ratio },
      seed: s.seed,
    });
    const step = report.dataNoise.mergerStep;
    const done = [...runs, ...points.map((p) => p.run)].find((x) => x && x.start === step) ?? null;
    const run =
      step === null || step >= T ? null : (done ?? (await runStart(`eps ratio ${ratio}: merger step ${step}`, step)));
    points.push({ ratio, eps: report.eps.value, step, run });
  }
  onProgress?.('eps sweep', toRun.length, toRun.length);
  return points;
}

/** The full sampler's seed-to-seed 95 % interval: where one more seed's FD falls, mean ± t sd sqrt(1 + 1/S). */
export function seedInterval(fd: readonly number[]): [number, number] | null {
  const S = fd.length;
  if (S < 2) return null;
  const mean = fd.reduce((a, b) => a + b, 0) / S;
  const sd = Math.sqrt(fd.reduce((a, b) => a + (b - mean) ** 2, 0) / (S - 1));
  const half = tQuantile975(S - 1) * sd * Math.sqrt(1 + 1 / S);
  return [mean - half, mean + half];
}

/** The sweep's table and chart: calls saved against FD at each eps ratio, with the full sampler's interval. */
function describeSweep(s: ExperimentSetup, r: ExperimentResult, base: AcceleratedRun, sweep: SweepPoint[]): void {
  const band = seedInterval(base.fd);
  const fdName = headlineFdName(s);
  const inside = (x: AcceleratedRun | null) => (x && band ? x.fdMean >= band[0] && x.fdMean <= band[1] : null);
  r.tables.push({
    id: 'eps-sweep',
    title: 'Sweep of the eps ratio (not the headline)',
    caption:
      `The merger analysis again at eps = lambda_max / ratio for each ratio, then the sampler from its data–noise merger step, ${base.fd.length} seeds each. The headline above is at the analysis' own eps (${r.settings.eps && (r.settings.eps as { rule: string }).rule}). ` +
      (band
        ? `The full sampler's seed-to-seed 95 % interval of ${fdName} (mean ± t sd sqrt(1 + 1/S) over ${base.fd.length} seeds) is ${band[0].toPrecision(4)}–${band[1].toPrecision(4)}.`
        : 'With one seed there is no seed-to-seed interval (--seeds 2 or more; 5 or more for a useful one).'),
    columns: [
      'eps ratio',
      'eps',
      'merger step',
      'calls',
      'calls saved',
      'FD mean',
      'FD min',
      'FD max',
      'inside the interval',
    ],
    rows: sweep.map((p) =>
      p.run
        ? [
            p.ratio,
            p.eps,
            p.step,
            p.run.calls,
            1 - p.run.calls / base.calls,
            p.run.fdMean,
            p.run.fdMin,
            p.run.fdMax,
            inside(p.run) === null ? 'no interval' : inside(p.run) ? 'yes' : 'no',
          ]
        : [p.ratio, p.eps, p.step ?? 'none', base.calls, 0, base.fdMean, base.fdMin, base.fdMax, 'no earlier start'],
    ),
  });
  const values = sweep
    .filter((p) => p.run)
    .map((p) => ({ ratio: String(p.ratio), saved: 1 - p.run!.calls / base.calls, fd: p.run!.fdMean }));
  const layers: unknown[] = [
    {
      data: { values },
      mark: { type: 'point', filled: true, size: 70 },
      encoding: {
        x: { field: 'saved', type: 'quantitative', title: 'share of denoiser calls saved', axis: { format: '%' } },
        y: { field: 'fd', type: 'quantitative', title: `${fdName} (mean over seeds)`, scale: { zero: false } },
        color: { field: 'ratio', type: 'nominal', title: 'eps ratio', sort: null },
      },
    },
  ];
  if (band)
    layers.unshift({
      data: { values: [{ lo: band[0], hi: band[1] }] },
      mark: { type: 'rect', opacity: 0.15, color: '#1f77b4' },
      encoding: { y: { field: 'lo', type: 'quantitative' }, y2: { field: 'hi' } },
    });
  r.charts.push({
    id: 'eps-sweep',
    title: 'Calls saved against FD over the eps ratio',
    caption:
      "One point per eps ratio of the sweep; the band is the full sampler's seed-to-seed 95 % interval. A sweep, not a headline: the ratio is not chosen after the fact.",
    spec: { $schema: VL_SCHEMA, width: 460, height: 220, config: CHART_CONFIG, layer: layers } as TopLevelSpec,
  });
  r.data.epsSweep = sweep.map((p) => ({
    ratio: p.ratio,
    eps: p.eps,
    step: p.step,
    calls: p.run?.calls ?? null,
    fd: p.run?.fd ?? null,
    inside: inside(p.run),
  }));
  r.data.fullSeedInterval = band;
}

/** Tables, chart, goals, sample images, summary and raw numbers of r from the runs (the full sampler first). */
function describeAccelerated(
  s: ExperimentSetup,
  r: ExperimentResult,
  p: {
    kind: 'ddpm' | 'ddim';
    n: number;
    seeds: number;
    merger: number | null;
    normality: number | null;
    withClasses: boolean;
  },
  runs: AcceleratedRun[],
): void {
  const { kind, n, seeds, merger, normality } = p;
  const T = s.schedule.T;
  const classes = p.withClasses;
  const base = runs[0]!;
  const fdName = headlineFdName(s);
  r.tables.push({
    id: 'runs',
    title: 'Full sampler against late starts from N(0, I)',
    caption: `${n} samples per run, ${seeds} seeds; FD = ${fdName}; spread = min–max over seeds; PRDC with k = 5 against ${s.reference.shape[0]} reference rows (${s.reference.source}); calls = denoiser calls per run.`,
    columns: [
      'start',
      'steps',
      'calls',
      'calls saved',
      'FD mean',
      'FD min',
      'FD max',
      'FD (PCA)',
      'precision',
      'recall',
      'density',
      'coverage',
      ...(s.truth ? ['mean log-lik.'] : []),
      ...(classes ? ['class accuracy'] : []),
    ],
    rows: runs.map((x) => [
      x.label,
      x.steps,
      x.calls,
      1 - x.calls / base.calls,
      x.fdMean,
      x.fdMin,
      x.fdMax,
      meanOf(x, 'fdPca'),
      meanOf(x, 'precision'),
      meanOf(x, 'recall'),
      meanOf(x, 'density'),
      meanOf(x, 'coverage'),
      ...(s.truth ? [meanOf(x, 'meanLogLikelihood')] : []),
      ...(classes ? [meanOf(x, 'classAccuracy')] : []),
    ]),
  });
  r.charts.push(fdChart(runs, fdName));
  const m = runs.find((x) => x.start === merger);
  // The goal for each early start the analysis offers (the merger step is the paper's; the normality
  // step is its D'Agostino–Pearson alternative).
  for (const [what, step] of [
    ['data–noise merger step', merger],
    ['normality step', normality],
  ] as const) {
    const x = runs.find((y) => y.start === step && step !== T);
    if (!x) continue;
    const saved = 1 - x.calls / base.calls;
    r.goals.push({
      goal: `≥ 35% fewer denoiser calls from the ${what}`,
      measured: `${(100 * saved).toFixed(1)}% fewer (${x.calls} vs ${base.calls} calls)`,
      met: saved >= 0.35,
    });
    r.goals.push({
      goal: `FD from the ${what} within the seed-to-seed spread of the full sampler`,
      measured:
        seeds < 2
          ? `FD ${x.fdMean.toPrecision(4)} vs full ${base.fdMax.toPrecision(4)}: one seed has no spread to judge by (--seeds 2 or more)`
          : `FD ${x.fdMean.toPrecision(4)} (mean) vs full ${base.fdMin.toPrecision(4)}–${base.fdMax.toPrecision(4)} over ${seeds} seeds`,
      met: seeds < 2 ? null : x.fdMean <= base.fdMax,
    });
  }
  if (s.data.imageShape) {
    r.images.push(
      ...runs.map((x, i) => ({
        id: `samples-${i}`,
        title: x.label,
        caption: `First seed's samples (${x.steps} steps, ${x.calls} calls).`,
        png: sampleImages(x.first, s.data.imageShape!, 64),
      })),
    );
  }
  const head = m
    ? `From the merger step ${merger} the ${kind} sampler makes ${m.calls} denoiser calls instead of ${base.calls} (${(100 * (1 - m.calls / base.calls)).toFixed(1)}% fewer), FD ${m.fdMean.toPrecision(4)} against ${base.fdMean.toPrecision(4)} (full; seed range ${base.fdMin.toPrecision(4)}–${base.fdMax.toPrecision(4)}).`
    : 'No merger step: only the full sampler ran.';
  const eps = s.analysis.eps;
  const rule = eps.rule === 'ratio' ? `eps = lambda_max / ${eps.ratio}` : `eps = ${eps.value.toPrecision(4)} (given)`;
  r.summary = `${s.data.name}, ${s.denoiserName} denoiser, ${rule}. ${head}`;
  r.data = { runs: runs.map(({ first, ...x }) => x) };
}

function fdChart(runs: (ConfigRun & { start: number })[], fdName: string) {
  const values = runs.flatMap((x) =>
    x.fd.map((fd, k) => ({ start: x.start, label: x.label, fd, seed: k, calls: x.calls })),
  );
  const spec = {
    $schema: VL_SCHEMA,
    width: 460,
    height: 220,
    config: CHART_CONFIG,
    data: { values },
    layer: [
      {
        mark: { type: 'point', filled: true, size: 60 },
        encoding: {
          x: { field: 'calls', type: 'quantitative', title: 'denoiser calls per run', scale: { zero: false } },
          y: { field: 'fd', type: 'quantitative', title: fdName, scale: { zero: false } },
          color: { field: 'label', type: 'nominal', title: 'start' },
        },
      },
    ],
  } as TopLevelSpec;
  return {
    id: 'fd-calls',
    title: 'Quality against cost',
    caption:
      "Each point is one seed; the late starts should sit at fewer calls within the full sampler's vertical spread.",
    spec,
  };
}
