// `fluctus experiment accelerated`: the full-length sampler against the same sampler started at the
// data–noise merger step from N(0, I) (DESIGN.md §1 item 1), and at the normality step for comparison:
// steps, denoiser calls, FD, PRDC and the seed-to-seed spread of the full sampler.
import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, VL_SCHEMA } from '../report/charts-common.js';
import { ddimScheduler, ddpmScheduler } from '../samplers/scheduler.js';
import type { SampleOptions } from '../samplers/sample.js';
import type { ExperimentSetup } from './setup.js';
import { makeScorer } from './scoring.js';
import { headlineFdName, meanOf, runConfig, type ConfigRun } from './sweep.js';
import { newResult, type ExperimentResult } from './types.js';
import { sampleImages } from './images.js';

export interface AcceleratedOptions {
  samples?: number;
  seeds?: number;
  sampler?: 'ddpm' | 'ddim';
  /** Grid size of the full sampler (default: every step for DDPM, 100 for DDIM). */
  steps?: number;
  onProgress?: (phase: string, done: number, total: number) => void;
}

export async function runAccelerated(s: ExperimentSetup, o: AcceleratedOptions = {}): Promise<ExperimentResult> {
  const t0 = performance.now();
  const T = s.schedule.T;
  const kind = o.sampler ?? 'ddpm';
  const n = o.samples ?? 2000;
  const seeds = o.seeds ?? 3;
  const full = o.steps ?? (kind === 'ddpm' ? T : 100);
  const merger = s.analysis.dataNoise.mergerStep;
  const normality = s.analysis.dataNoise.normalityStep;
  const r = newResult('accelerated', 'Accelerated sampling from the data–noise merger step', {
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
    eps: s.analysis.eps.value,
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
  const runs: AcceleratedRun[] = [];
  for (const [i, st] of starts.entries()) {
    o.onProgress?.('sample', i, starts.length);
    // The same grid density: every step for DDPM; for DDIM the share of `full` that the start keeps.
    const steps = kind === 'ddpm' && full === T ? st.step : Math.max(1, Math.round((full * st.step) / T));
    const make = (seed: number): SampleOptions => ({
      n,
      classes,
      seed,
      steps,
      start: { step: st.step, from: 'noise' },
      scheduler: kind === 'ddpm' ? ddpmScheduler(s.schedule) : ddimScheduler(s.schedule, { eta: 0 }),
    });
    runs.push({ ...(await runConfig(s, scorer, st.label, seeds, make)), start: st.step, steps });
  }
  o.onProgress?.('sample', starts.length, starts.length);
  r.timings.sample = performance.now() - t0;
  describeAccelerated(s, r, { kind, n, seeds, merger, normality, withClasses: classes !== null }, runs);
  r.timings.total = performance.now() - t0;
  return r;
}

type AcceleratedRun = ConfigRun & { start: number; steps: number };

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
  r.summary = `${s.data.name}, ${s.denoiserName} denoiser. ${head}`;
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
