// `fluctus experiment critical-window`: for one dataset and denoiser, every critical-window signal of issue 8
// against the step axis: the correlation length xi(t) of x0_hat and x_t (spectrum.ts, image data only), the
// mode softening and its t_c (mode-softening.ts, image data only), the class entropy H(C | x_t) and its rate
// (class-entropy.ts, exact gmm / empirical denoisers), the collapse step (collapse.ts, empirical denoiser
// only), with the merger steps (data–noise, class–rest), the speciation step and the best start step of a
// small Gaussian late-start sweep at 5 DDIM steps. The four critical-time estimates (softening t_c, the
// steepest change of xi(x0_hat), the entropy-rate peak, the collapse step) are compared pairwise: they agree
// when within 10% of T. Signals a setup cannot give are skipped with the reason in the warnings.
import { powerSpectrumSteps, type PowerSpectrumSteps } from '../analysis/spectrum.js';
import { modeSoftening, type ModeSoftening } from '../analysis/mode-softening.js';
import { classEntropySteps, type ClassEntropySteps } from '../analysis/class-entropy.js';
import { collapseStep, type CollapseResult } from '../analysis/collapse.js';
import type { GmmDenoiser } from '../models/gmm-denoiser.js';
import type { EmpiricalDenoiser } from '../models/empirical-denoiser.js';
import { ddimScheduler, ddpmScheduler } from '../samplers/scheduler.js';
import type { SampleOptions } from '../samplers/sample.js';
import type { ExperimentSetup } from './setup.js';
import { makeScorer } from './scoring.js';
import { headlineFdName, runConfig } from './sweep.js';
import { newResult, type ExperimentResult } from './types.js';
import {
  agreement,
  finiteList,
  medianOf,
  peakAtEnd,
  peakStep,
  signalSteps,
  steepestStep,
  type NamedStep,
} from './critical-common.js';
import { curvesChart, xiChart, type Mark } from './critical-charts.js';

/** Half-width of the centred difference of xi (share of T): a fine grid's noise must not pick the step. */
export const XI_SPAN = 0.05;

export interface CriticalWindowOptions {
  /** Signal steps round(k T / S), k = 1..S (default 40). */
  points?: number;
  /** Data rows (evenly spaced over the set) for the spectra and the class entropy (default 512). */
  rows?: number;
  /** x_t points of the mode softening (default 32). */
  softeningPoints?: number;
  /** Collapse trajectories and their DDPM grid size (default 128 and 100). */
  collapseTrajectories?: number;
  collapseSteps?: number;
  /** Samples per late-start run (default 500; 0 skips the sweep). */
  samples?: number;
  onProgress?: (phase: string, done: number, total: number) => void;
}

/** Rows floor(i N / n), i = 0..n-1 of (N, D) x (every class when the set is sorted by class). */
export function evenRows(x: Float32Array, N: number, D: number, n: number): Float32Array {
  const out = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const r = Math.floor((i * N) / n);
    out.set(x.subarray(r * D, (r + 1) * D), i * D);
  }
  return out;
}

/** The signals of one run, before any table or chart is made from them. */
interface CriticalSignals {
  steps: number[];
  nSamples: number;
  spec: PowerSpectrumSteps | null;
  soft: ModeSoftening | null;
  ent: ClassEntropySteps | null;
  col: CollapseResult | null;
  lsRuns: { s: number; fd: number }[];
  bestLate: number | null;
}

export async function runCriticalWindow(s: ExperimentSetup, o: CriticalWindowOptions = {}): Promise<ExperimentResult> {
  const t0 = performance.now();
  const T = s.schedule.T;
  const steps = signalSteps(T, o.points ?? 40);
  const nRows = Math.min(s.data.shape[0], o.rows ?? 512);
  const r = newResult(s.analysis, 'critical-window', 'The critical window by four signals against the merger steps', {
    data: s.data.name,
    denoiser: s.denoiserName,
    T,
    signalSteps: steps.length,
    rows: nRows,
    imageShape: s.data.imageShape ?? null,
    seed: s.seed,
    xiRule:
      'xi = first radius (pixels) where the radially averaged autocorrelation of the batch-centred images drops below 1/e',
    softeningRule:
      't_c = step of the largest softness sqrt(abar) * mean v^T J v over the leading Fourier modes (radial bin <= 1)',
    entropyRule: 'decision step = peak of dH(C | x_t)/dstep (three-point differences)',
    collapseRule:
      'largest DDPM grid step by which half of the exact-score trajectories keep their nearest training point to the end',
    xiEstimateRule: `xi estimate = step of the steepest change of xi(x0_hat): centred differences between the nearest signal steps at least ${XI_SPAN} T away on each side; its peak step is listed beside it`,
  });
  const signals = await measureSignals(s, o, r, steps, nRows, t0);
  describeCriticalWindow(s, r, signals);
  r.timings.total = performance.now() - t0;
  return r;
}

/** Computes every signal this setup can give; a skipped one leaves its reason in r.warnings. */
async function measureSignals(
  s: ExperimentSetup,
  o: CriticalWindowOptions,
  r: ExperimentResult,
  steps: number[],
  nRows: number,
  t0: number,
): Promise<CriticalSignals> {
  const ctx = s.ctx;
  const T = s.schedule.T;
  const d = s.denoiser;
  const [N, D] = s.data.shape;
  const rows = evenRows(s.data.x, N, D, nRows);
  const image = s.data.imageShape ?? null;
  const prog = (p: string, i: number, n: number) => o.onProgress?.(p, i, n);
  const skip = (what: string, why: string) => r.warnings.push(`${what} skipped: ${why}.`);
  const imgRows = image ? { x: rows, shape: [nRows, D] as const, imageShape: image } : null;
  let spec: PowerSpectrumSteps | null = null;
  let soft: ModeSoftening | null = null;
  let ent: ClassEntropySteps | null = null;
  let col: CollapseResult | null = null;
  if (imgRows) {
    prog('spectra', 0, 4);
    spec = await powerSpectrumSteps(ctx, imgRows, d, steps, { seed: s.seed });
    r.timings.spectra = performance.now() - t0;
    prog('mode softening', 1, 4);
    soft = await modeSoftening(ctx, d, imgRows, steps, {
      seed: s.seed,
      points: Math.min(nRows, o.softeningPoints ?? 32),
    });
    r.timings.softening = performance.now() - t0 - r.timings.spectra;
  } else {
    skip(
      'Correlation length xi(t) and power spectra',
      `they need image data (a height and a width); '${s.data.name}' rows are flat vectors of D = ${D}`,
    );
    skip(
      'Mode softening (t_c)',
      `it probes the Jacobian along Fourier modes of an H x W image; '${s.data.name}' has no image shape`,
    );
  }
  prog('class entropy', 2, 4);
  if ((d.kind === 'gmm' || d.kind === 'empirical') && d.numClasses > 1) {
    const t1 = performance.now();
    ent = await classEntropySteps(ctx, d as GmmDenoiser | EmpiricalDenoiser, rows, [nRows, D], steps, { seed: s.seed });
    r.timings.entropy = performance.now() - t1;
  } else
    skip(
      'Class entropy H(C | x_t) and its rate',
      `the exact class posterior needs a class-conditional gmm or empirical denoiser; '${s.denoiserName}' is ${d.kind} with ${d.numClasses} classes (learned models: onlineClassEntropy along sampling trajectories)`,
    );
  prog('collapse', 3, 4);
  if (d.kind === 'empirical') {
    const t1 = performance.now();
    col = await collapseStep(ctx, d, s.data.x, s.data.shape, {
      n: o.collapseTrajectories ?? 128,
      seed: s.seed,
      scheduler: ddpmScheduler(s.schedule),
      steps: o.collapseSteps ?? 100,
    });
    r.timings.collapse = performance.now() - t1;
  } else
    skip(
      'Collapse step',
      `collapse onto training points is defined for the exact-score (empirical) denoiser of the training set; this run's denoiser is '${s.denoiserName}' (${d.kind}); pass --exact empirical`,
    );
  prog('collapse', 4, 4);
  // Small late-start sweep at 5 DDIM steps (the late-start experiment's Gaussian start, all-data statistics).
  const lsRuns: { s: number; fd: number }[] = [];
  const nSamples = o.samples ?? 500;
  let bestLate: number | null = null;
  if (s.lateStart && nSamples > 0) {
    const t1 = performance.now();
    const scorer = await makeScorer(s);
    const sweep = s.lateStart.steps.map((x) => x.step).filter((x) => x < T);
    for (const [i, st] of sweep.entries()) {
      prog('late-start sweep', i, sweep.length);
      const make = (seed: number): SampleOptions => ({
        n: nSamples,
        classes: null,
        seed,
        steps: 5,
        start: { step: st, from: { kind: 'late-start', file: s.lateStart!, use: 'all' } },
        scheduler: ddimScheduler(s.schedule, { eta: 0 }),
      });
      lsRuns.push({ s: st, fd: (await runConfig(s, scorer, `late start ${st}`, 1, make)).fdMean });
    }
    if (lsRuns.length) bestLate = lsRuns.reduce((b, x) => (x.fd < b.fd ? x : b)).s;
    r.timings.lateStart = performance.now() - t1;
  } else skip('Best late-start step', 'the analysis saved no late-start statistics (or --samples 0)');
  return { steps, nSamples, spec, soft, ent, col, lsRuns, bestLate };
}

/** The four estimates against the marks: tables, charts, goals, summary and raw numbers of r. */
function describeCriticalWindow(s: ExperimentSetup, r: ExperimentResult, m: CriticalSignals): void {
  const { steps, nSamples, spec, soft, ent, col, lsRuns, bestLate } = m;
  const T = s.schedule.T;
  const a = s.analysis;
  const classRest = medianOf(a.classRestMerger);
  // The four estimates.
  const xiSteep = spec?.x0hat ? steepestStep(steps, spec.x0hat.xi, XI_SPAN * T) : null;
  const xiPeak = spec?.x0hat ? peakStep(steps, spec.x0hat.xi) : null;
  const estimates: NamedStep[] = [
    { name: 't_c (mode softening)', step: soft?.criticalStep ?? null },
    { name: 'xi(x0_hat) steepest change', step: xiSteep?.step ?? null },
    { name: 'entropy-rate peak (class decision)', step: ent?.decisionStep ?? null },
    { name: 'collapse (exact-score sampler)', step: col?.collapseStep ?? null },
  ];
  const ag = agreement(estimates, T);
  const marks: Mark[] = [
    { what: 'data–noise merger', step: a.dataNoise.mergerStep },
    { what: 'class–rest merger (median)', step: classRest },
    { what: 'speciation', step: a.speciationStep },
    { what: 'best late start (DDIM 5)', step: bestLate },
  ];
  const delta = (x: number | null, m: number | null) => (x === null || m === null ? null : x - m);
  const rules = [
    'argmax softness over the signal steps',
    `argmax |d xi / d step| of x0_hat over ±${XI_SPAN * T} steps${xiPeak !== null ? `; xi peak at ${xiPeak}${spec?.x0hat && peakAtEnd(steps, spec.x0hat.xi) ? ' (an end of the grid: no interior peak)' : ''}` : ''}`,
    'argmax dH(C | x_t)/dstep',
    col
      ? `${col.fraction * 100}% of ${col.settleStep.length} trajectories settled (DDPM ${col.steps.length} steps)`
      : '',
  ];
  r.tables.push({
    id: 'estimates',
    title: 'Critical-time estimates against the merger analysis',
    caption: `Steps of the schedule (T = ${T}); Δ = estimate − mark (positive: the estimate is noisier). Marks: ${marks.map((m) => `${m.what} ${m.step ?? 'none'}`).join(', ')}. Class–rest merger per class: ${a.classRestMerger.map((x) => x ?? 'none').join(', ')}. — : not measured for this setup (see the warnings).`,
    columns: ['estimate', 'step', 'rule', ...marks.map((m) => `Δ ${m.what}`)],
    rows: estimates.map((e, i) => [
      e.name,
      e.step,
      e.step === null ? 'skipped' : rules[i]!,
      ...marks.map((m) => delta(e.step, m.step)),
    ]),
  });
  r.tables.push({
    id: 'agreement',
    title: `Pairwise agreement (within 10% of T = ${ag.tolerance} steps)`,
    caption: `Spread (max − min) of the available estimates: ${ag.spread ?? '—'} steps.`,
    columns: ['estimate A', 'estimate B', '|A − B|', 'agree'],
    rows: ag.pairs.map((p) => [p.a, p.b, p.diff, p.agree ? 'yes' : 'no']),
  });
  if (lsRuns.length) {
    r.tables.push({
      id: 'late-start',
      title: 'Late-start sweep (DDIM 5 steps, Gaussian late start, all-data statistics)',
      caption: `${nSamples} samples per run, one seed; FD = ${headlineFdName(s)}.`,
      columns: ['start step s', 'FD'],
      rows: lsRuns.map((x) => [x.s, x.fd]),
    });
  }
  const curves: { signal: string; steps: ArrayLike<number>; values: ArrayLike<number> }[] = [];
  if (spec) {
    curves.push({ signal: 'xi of x_t', steps, values: spec.xt.xi });
    if (spec.x0hat) curves.push({ signal: 'xi of x0_hat', steps, values: spec.x0hat.xi });
  }
  if (soft) curves.push({ signal: 'softness (mode softening)', steps, values: soft.softness });
  if (ent) {
    curves.push({ signal: 'H(C | x_t)', steps: ent.steps, values: ent.entropy });
    curves.push({ signal: 'dH/dstep', steps: ent.steps, values: ent.rate });
  }
  if (col) curves.push({ signal: 'collapse: settled fraction', steps: col.steps, values: col.settledFraction });
  r.charts.push(curvesChart(curves, marks, estimates));
  if (spec) r.charts.push(xiChart(steps, spec));
  const n = estimates.filter((e) => e.step !== null).length;
  r.goals.push({
    goal: 'the available critical-time estimates agree within 10% of T',
    measured: `${n} of 4 estimates: ${estimates.map((e) => `${e.name} ${e.step ?? '—'}`).join(', ')}; spread ${ag.spread ?? '—'} steps`,
    met: ag.all,
  });
  const lo = a.speciationStep;
  const hi = a.dataNoise.mergerStep;
  if (lo !== null && hi !== null) {
    const inside = estimates.filter((e) => e.step !== null && e.step >= lo && e.step <= hi);
    r.goals.push({
      goal: 'the estimates lie inside [speciation step, data–noise merger step]',
      measured: `${inside.length} of ${n} inside [${lo}, ${hi}]`,
      met: n ? inside.length === n : null,
    });
  }
  r.summary = `${s.data.name}, ${s.denoiserName} denoiser, ${steps.length} signal steps. Critical-time estimates: ${estimates.map((e) => `${e.name} ${e.step ?? 'skipped'}`).join('; ')}. Marks: ${marks.map((m) => `${m.what} ${m.step ?? 'none'}`).join(', ')}. ${
    ag.all === null
      ? 'Fewer than two estimates: no agreement to judge.'
      : ag.all
        ? `All available estimates agree within ${ag.tolerance} steps (spread ${ag.spread}).`
        : `They do not all agree within ${ag.tolerance} steps (spread ${ag.spread}): ${ag.pairs
            .filter((p) => !p.agree)
            .map((p) => `${p.a} vs ${p.b} ${p.diff}`)
            .join('; ')}.`
  }`;
  r.data = {
    steps,
    estimates,
    agreement: ag,
    marks,
    lateStart: lsRuns,
    xi: spec ? { xt: finiteList(spec.xt.xi), x0hat: spec.x0hat ? finiteList(spec.x0hat.xi) : null } : null,
    softness: soft
      ? {
          softness: finiteList(soft.softness),
          criticalStep: soft.criticalStep,
          radialGain: soft.radialGain.map(finiteList),
        }
      : null,
    entropy: ent
      ? {
          steps: Array.from(ent.steps),
          entropy: Array.from(ent.entropy),
          stdError: Array.from(ent.stdError),
          rate: Array.from(ent.rate),
          decisionStep: ent.decisionStep,
        }
      : null,
    collapse: col
      ? {
          steps: Array.from(col.steps),
          settledFraction: Array.from(col.settledFraction),
          collapseStep: col.collapseStep,
          collapseOuTime: col.collapseOuTime,
          distinctFinal: col.distinctFinal,
        }
      : null,
  };
}
