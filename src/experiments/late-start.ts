// `fluctus experiment late-start`: DDIM and DDPM at 3, 5 and 10 steps, the plain start (N(0, I) at T)
// against starting at step s from N(0, I) and from the Gaussian late start N(mu_s, Sigma_s) (Raya &
// Ambrogioni 2023; top-r eigenpairs plus an isotropic rest from the analysis' late-start statistics) on
// the grid linspace(0, s, n), over a sweep of s; the best s against the merger and speciation steps.
import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, VL_SCHEMA } from '../report/charts-common.js';
import { ddimScheduler, ddpmScheduler } from '../samplers/scheduler.js';
import type { SampleOptions, StartFrom } from '../samplers/sample.js';
import type { ExperimentSetup } from './setup.js';
import { makeScorer } from './scoring.js';
import { headlineFdName, runConfig, type ConfigRun } from './sweep.js';
import { newResult, type ExperimentResult } from './types.js';

export const LATE_START_SWEEP = [100, 200, 300, 400, 500, 600, 700, 800, 900];
export const LATE_START_STEPS = [3, 5, 10];
const SAMPLERS = ['ddim', 'ddpm'] as const;

export interface LateStartOptions {
  samples?: number;
  seeds?: number;
  /** Sampler step counts (default LATE_START_STEPS; 5 must be among them for the goal rows). */
  stepCounts?: number[];
  onProgress?: (phase: string, done: number, total: number) => void;
}

interface Row {
  sampler: string;
  n: number;
  s: number;
  start: 'plain' | 'noise' | 'gaussian';
  run: ConfigRun;
}

/** The sweep's start steps for a schedule of T steps. */
export function lateStartSweep(T: number): number[] {
  return LATE_START_SWEEP.map((s) => Math.round((s * T) / 1000));
}

export async function runLateStart(s: ExperimentSetup, o: LateStartOptions = {}): Promise<ExperimentResult> {
  const t0 = performance.now();
  const T = s.schedule.T;
  const N = o.samples ?? 2000;
  const seeds = o.seeds ?? 1;
  const counts = o.stepCounts ?? LATE_START_STEPS;
  if (!s.lateStart) throw new Error('late-start: the analysis saved no late-start statistics');
  const sweep = s.lateStart.steps.map((x) => x.step).filter((x) => x < T);
  const a = s.analysis;
  const marks = [
    { what: 'data–noise merger', step: a.dataNoise.mergerStep },
    { what: 'normality', step: a.dataNoise.normalityStep },
    { what: 'speciation', step: a.speciationStep },
  ];
  const r = newResult(s.analysis, 'late-start', 'Gaussian late start against the plain start', {
    data: s.data.name,
    denoiser: s.denoiserName,
    samples: N,
    seeds,
    sweep,
    steps: counts,
    lateRank: s.lateStart.rank,
    marks,
    analysisMethod: a.method,
    seed: s.seed,
    conditioning: 'unconditional; late start from the all-data statistics',
  });
  const rows = await sampleSweep(s, o, { N, seeds, counts, sweep });
  r.timings.sample = performance.now() - t0;
  describeLateStart(s, r, { N, seeds, counts, sweep, marks }, rows);
  r.timings.total = performance.now() - t0;
  return r;
}

/** Every sampler and step count from T (plain), and from each s of the sweep from N(0, I) and from the Gaussian late start. */
async function sampleSweep(
  s: ExperimentSetup,
  o: LateStartOptions,
  p: { N: number; seeds: number; counts: number[]; sweep: number[] },
): Promise<Row[]> {
  const T = s.schedule.T;
  const { N, seeds, counts, sweep } = p;
  const scorer = await makeScorer(s);
  const rows: Row[] = [];
  const total = SAMPLERS.length * counts.length * (1 + 2 * sweep.length);
  let done = 0;
  const run = async (sampler: (typeof SAMPLERS)[number], n: number, step: number, start: Row['start']) => {
    const from: StartFrom = start === 'gaussian' ? { kind: 'late-start', file: s.lateStart!, use: 'all' } : 'noise';
    const make = (seed: number): SampleOptions => ({
      n: N,
      classes: null,
      seed,
      steps: n,
      start: { step, from },
      scheduler: sampler === 'ddim' ? ddimScheduler(s.schedule, { eta: 0 }) : ddpmScheduler(s.schedule),
    });
    rows.push({
      sampler,
      n,
      s: step,
      start,
      run: await runConfig(s, scorer, `${sampler} ${n} ${start} ${step}`, seeds, make),
    });
    o.onProgress?.('sample', ++done, total);
  };
  for (const sampler of SAMPLERS) {
    for (const n of counts) {
      await run(sampler, n, T, 'plain');
      for (const step of sweep) {
        await run(sampler, n, step, 'noise');
        await run(sampler, n, step, 'gaussian');
      }
    }
  }
  return rows;
}

/** Tables, charts, goals, the summary and the raw numbers of r. */
function describeLateStart(
  s: ExperimentSetup,
  r: ExperimentResult,
  p: { N: number; seeds: number; counts: number[]; sweep: number[]; marks: { what: string; step: number | null }[] },
  rows: Row[],
): void {
  const T = s.schedule.T;
  const { N, seeds, counts, sweep, marks } = p;
  const fdName = headlineFdName(s);
  const best = (sampler: string, n: number, start: Row['start']) =>
    rows
      .filter((x) => x.sampler === sampler && x.n === n && x.start === start)
      .reduce((b, x) => (x.run.fdMean < b.run.fdMean ? x : b));
  const summary: (string | number | null)[][] = [];
  for (const sampler of SAMPLERS) {
    for (const n of counts) {
      const plain = best(sampler, n, 'plain');
      const g = best(sampler, n, 'gaussian');
      const z = best(sampler, n, 'noise');
      summary.push([
        sampler,
        n,
        plain.run.fdMean,
        g.s,
        g.run.fdMean,
        plain.run.fdMean / g.run.fdMean,
        z.s,
        z.run.fdMean,
      ]);
    }
  }
  r.tables.push({
    id: 'best',
    title: 'Best start step per sampler and step count',
    caption: `FD = ${fdName}, ${N} samples per run (mean over ${seeds} seed${seeds > 1 ? 's' : ''}). "plain" starts from N(0, I) at T = ${T}; the late starts sweep s over ${sweep.join(', ')} with the grid linspace(0, s, n). Marks from the merger analysis: ${marks.map((m) => `${m.what} ${m.step ?? 'none'}`).join(', ')}.`,
    columns: [
      'sampler',
      'steps',
      'FD plain',
      'best s (Gaussian)',
      'FD Gaussian late start',
      'plain / late',
      'best s (N(0, I) at s)',
      'FD N(0, I) at s',
    ],
    rows: summary,
  });
  r.tables.push({
    id: 'sweep',
    title: 'The whole sweep',
    caption: 'FD of every run (mean over seeds).',
    columns: ['sampler', 'steps', 's', 'FD N(0, I) at s', 'FD Gaussian late start'],
    rows: SAMPLERS.flatMap((sampler) =>
      counts.flatMap((n) =>
        sweep.map((st) => {
          const f = (start: Row['start']) =>
            rows.find((x) => x.sampler === sampler && x.n === n && x.s === st && x.start === start)!.run.fdMean;
          return [sampler, n, st, f('noise'), f('gaussian')];
        }),
      ),
    ),
  });
  for (const sampler of SAMPLERS) r.charts.push(sweepChart(rows, sampler, marks, fdName));
  for (const sampler of counts.includes(5) ? SAMPLERS : []) {
    const plain = best(sampler, 5, 'plain');
    const g = best(sampler, 5, 'gaussian');
    const ratio = plain.run.fdMean / g.run.fdMean;
    r.goals.push({
      goal: `${sampler.toUpperCase()} at 5 steps: FD of the Gaussian late start at least 2× better than the plain start`,
      measured: `${ratio.toFixed(2)}× (FD ${g.run.fdMean.toPrecision(4)} at s = ${g.s} vs ${plain.run.fdMean.toPrecision(4)})`,
      met: ratio >= 2,
    });
  }
  const c0 = counts.includes(5) ? 5 : counts[0]!;
  const b5 = SAMPLERS.map((sm) => `${sm} best s ${best(sm, c0, 'gaussian').s}`).join(', ');
  r.summary = `${s.data.name}, ${s.denoiserName} denoiser, ${N} samples per run. At ${c0} steps the Gaussian late start improves FD over the plain start by ${SAMPLERS.map((sm) => `${(best(sm, c0, 'plain').run.fdMean / best(sm, c0, 'gaussian').run.fdMean).toFixed(2)}× (${sm})`).join(' and ')}; ${b5}; merger analysis: ${marks.map((m) => `${m.what} ${m.step ?? 'none'}`).join(', ')}.`;
  r.data = {
    rows: rows.map((x) => ({
      sampler: x.sampler,
      steps: x.n,
      s: x.s,
      start: x.start,
      fd: x.run.fd,
      calls: x.run.calls,
      scores: x.run.perSeed,
    })),
  };
}

function sweepChart(rows: Row[], sampler: string, marks: { what: string; step: number | null }[], fdName: string) {
  const values = rows
    .filter((x) => x.sampler === sampler && x.start !== 'plain')
    .map((x) => ({
      s: x.s,
      fd: x.run.fdMean,
      steps: `${x.n} steps`,
      start: x.start === 'gaussian' ? 'Gaussian late start' : 'N(0, I) at s',
    }));
  const plain = rows
    .filter((x) => x.sampler === sampler && x.start === 'plain')
    .map((x) => ({ fd: x.run.fdMean, steps: `${x.n} steps` }));
  const spec = {
    $schema: VL_SCHEMA,
    width: 560,
    height: 260,
    config: CHART_CONFIG,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 's', type: 'quantitative', title: 'start step s' },
          y: { field: 'fd', type: 'quantitative', scale: { type: 'log' }, title: fdName },
          color: { field: 'steps', type: 'nominal', title: 'sampler steps' },
          strokeDash: { field: 'start', type: 'nominal', title: 'start' },
        },
      },
      {
        data: { values: plain },
        mark: { type: 'rule', strokeDash: [2, 2] },
        encoding: { y: { field: 'fd', type: 'quantitative' }, color: { field: 'steps', type: 'nominal' } },
      },
      {
        data: { values: marks.filter((m) => m.step !== null) },
        mark: { type: 'rule', color: '#555' },
        encoding: { x: { field: 'step', type: 'quantitative' } },
      },
      {
        data: { values: marks.filter((m) => m.step !== null) },
        mark: { type: 'text', angle: 270, dx: -6, align: 'left', baseline: 'bottom', color: '#555' },
        encoding: { x: { field: 'step', type: 'quantitative' }, y: { value: 4 }, text: { field: 'what' } },
      },
    ],
  } as TopLevelSpec;
  return {
    id: `sweep-${sampler}`,
    title: `${sampler.toUpperCase()}: FD against the start step`,
    caption:
      "Solid/dashed by start; the horizontal dotted lines are the plain start from T at the same step counts; grey rules: the merger analysis' data–noise merger, normality and speciation steps.",
    spec,
  };
}
