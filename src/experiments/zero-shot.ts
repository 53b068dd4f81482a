// `fluctus experiment zero-shot`: the diffusion classifier on held-out data under the scoring variants of
// diffusion-classifier.ts side by side: uniform, inverse SNR, one shared window, each class's own window
// [20, its merger step with the rest of the data] with errors relative to the mean over classes at each
// (t, eps), and the same with absolute errors (the class-biased form). Accuracies carry 95 % Wilson
// intervals; the seed's claims are judged by paired 95 % intervals of the accuracy differences. With the
// built-in gmm and its true mixture the Monte-Carlo errors are checked against the closed-form per-step
// error and the Bayes-optimal accuracy is given for scale.
import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, VL_SCHEMA } from '../report/charts-common.js';
import type { ExperimentSetup } from './setup.js';
import { newResult, type ExperimentResult } from './types.js';
import {
  classifierErrors,
  classify,
  expectedClassifierErrors,
  sharedWindowEnd,
  VARIANTS,
  variantScoring,
} from './diffusion-classifier.js';
import { gmmLogLikelihoods } from './gmm-truth.js';
import { limitPerClass } from '../data/dataset.js';
import type { GmmParams } from '../models/gmm-model.js';

export interface ZeroShotOptions {
  /** Evaluated steps, spread evenly over 1..T (default 100). */
  steps?: number;
  noises?: number;
  /** Held-out rows per class (default: 1000 rows in all, ceil(1000 / classes) per class). */
  testPerClass?: number;
  tStart?: number;
  onProgress?: (phase: string, done: number, total: number) => void;
}

function accuracy(pred: Int32Array, labels: Int32Array, n: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (pred[i] === labels[i]) ok++;
  return ok / n;
}

const Z95 = 1.959964;

/** The 95 % Wilson score interval of a proportion p over n trials. */
export function wilson(p: number, n: number): [number, number] {
  const z2 = Z95 * Z95;
  const mid = p + z2 / (2 * n);
  const half = Z95 * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [(mid - half) / (1 + z2 / n), (mid + half) / (1 + z2 / n)];
}

/**
 * Accuracy of a minus accuracy of b on the same rows, with the 95 % interval of a paired difference
 * (normal approximation from the discordant rows: a right and b wrong, and the reverse).
 */
export function pairedDifference(a: Int32Array, b: Int32Array, labels: Int32Array, n: number) {
  let onlyA = 0;
  let onlyB = 0;
  for (let i = 0; i < n; i++) {
    const ra = a[i] === labels[i];
    const rb = b[i] === labels[i];
    if (ra && !rb) onlyA++;
    if (rb && !ra) onlyB++;
  }
  const d = (onlyA - onlyB) / n;
  const se = Math.sqrt(Math.max(0, onlyA + onlyB - n * d * d)) / n;
  return { diff: d, lo: d - Z95 * se, hi: d + Z95 * se };
}

function perClassAccuracy(pred: Int32Array, labels: Int32Array, n: number, K: number): number[] {
  const hit = new Array<number>(K).fill(0);
  const cnt = new Array<number>(K).fill(0);
  for (let i = 0; i < n; i++) {
    cnt[labels[i]!]!++;
    if (pred[i] === labels[i]) hit[labels[i]!]!++;
  }
  return hit.map((h, k) => (cnt[k] ? h / cnt[k]! : 0));
}

export async function runZeroShot(s: ExperimentSetup, o: ZeroShotOptions = {}): Promise<ExperimentResult> {
  const t0 = performance.now();
  const d = s.denoiser;
  const K = d.numClasses;
  const T = s.schedule.T;
  const S = o.steps ?? 100;
  const noises = o.noises ?? 1;
  const tStart = o.tStart ?? 20;
  const per = o.testPerClass ?? Math.ceil(1000 / K);
  // The first `per` held-out rows of each class.
  const ref = s.reference;
  const test = limitPerClass(ref, per);
  const n = test.shape[0];
  const { x, labels } = test;
  const steps = Array.from({ length: S }, (_, i) => Math.round(1 + ((T - 1) * i) / Math.max(1, S - 1)));
  const abar = [1, ...s.schedule.alphasCumprod];
  const mergers = s.analysis.classRestMerger;
  const r = newResult(s.analysis, 'zero-shot', 'Zero-shot classification with the diffusion classifier', {
    data: s.data.name,
    reference: ref.source,
    denoiser: s.denoiserName,
    testRows: n,
    steps: S,
    noises,
    tStart,
    seed: s.seed,
    classMergerSteps: mergers,
    analysisMethod: s.analysis.method,
  });
  const { err, calls } = await classifierErrors(s.ctx, d, x, n, {
    steps,
    noises,
    seed: s.seed,
    onProgress: (a, b) => o.onProgress?.('classify', a, b),
  });
  r.timings.classify = performance.now() - t0;
  const acc: Record<string, number> = {};
  const interval: Record<string, [number, number]> = {};
  const perClass: Record<string, number[]> = {};
  const preds: Record<string, Int32Array> = {};
  for (const v of VARIANTS) {
    const { weights, relative } = variantScoring(v, steps, abar, mergers, tStart);
    const pred = classify(err, n, K, S, weights, relative);
    preds[v.name] = pred;
    acc[v.name] = accuracy(pred, labels, n);
    interval[v.name] = wilson(acc[v.name]!, n);
    perClass[v.name] = perClassAccuracy(pred, labels, n, K);
  }
  const ci = (v: string) => `${interval[v]![0].toFixed(3)}–${interval[v]![1].toFixed(3)}`;
  const rowsTable = VARIANTS.map(
    (v) => [v.name, acc[v.name]!, ci(v.name), ...perClass[v.name]!] as (string | number)[],
  );
  const check =
    s.truth && s.denoiserName === 'truth'
      ? closedFormCheck(s.truth, err, x, labels, { n, K, S, steps, abar, mergers, tStart })
      : null;
  if (check) for (const row of rowsTable) row.splice(3, 0, check.closedFormAcc[row[0] as string]!);
  const names = s.data.classNames;
  r.tables.push({
    id: 'accuracy',
    title: 'Accuracy by scoring variant',
    caption:
      `${n} held-out rows (${per} per class), ${S} steps evenly over 1..${T}, ${noises} noise(s) per step shared by every class (${S * noises} (t, eps) pairs per row); ${calls} denoiser calls. 95 % Wilson intervals. ` +
      VARIANTS.map((v) => `${v.name}: ${v.description}`).join('; ') +
      `. The shared window ends at step ${sharedWindowEnd(mergers, T)}.` +
      (check
        ? ` "closed form" classifies with the exact expected errors instead of the Monte-Carlo ones; the Bayes-optimal accuracy on clean data is ${check.bayes.toFixed(4)}.`
        : ''),
    columns: [
      'variant',
      'accuracy',
      '95 % interval',
      ...(check ? ['closed form'] : []),
      ...names.map((c) => `class ${c}`),
    ],
    rows: rowsTable,
  });
  if (check) {
    r.tables.push({
      id: 'closed-form',
      title: 'Monte-Carlo errors against the closed form',
      caption:
        'Largest relative difference, over the evaluated steps, between the mean Monte-Carlo error and the mean closed-form error E||eps - eps_hat_k||² (mean over rows and classes).',
      columns: ['quantity', 'value'],
      rows: [
        ['max relative difference', check.maxRelMeanErr],
        ['Bayes accuracy (clean data)', check.bayes],
      ],
    });
  }
  r.charts.push(gapChart(err, labels, n, K, S, steps, mergers, names));
  // The seed's claims, judged by the paired 95 % interval: met when it lies above 0, missed below, else undecided.
  const claims = [
    ['inverse-snr', 'uniform', 'inverse SNR beats uniform weighting (seed: by 2 to 9 points)'],
    [
      'per-class-window',
      'inverse-snr',
      "each class's own window beats inverse SNR on every step (seed: by about 1 point)",
    ],
    ['shared-window', 'inverse-snr', 'one shared window beats inverse SNR on every step'],
  ] as const;
  const differences: Record<string, ReturnType<typeof pairedDifference>> = {};
  for (const [a, b, goal] of claims) {
    const d = pairedDifference(preds[a]!, preds[b]!, labels, n);
    differences[`${a} - ${b}`] = d;
    const pts = (x: number) => `${x >= 0 ? '+' : ''}${(100 * x).toFixed(1)}`;
    r.goals.push({
      goal,
      measured: `accuracy ${acc[a]!.toFixed(4)} vs ${acc[b]!.toFixed(4)}: ${pts(d.diff)} points, 95 % interval ${pts(d.lo)} to ${pts(d.hi)} over ${n} rows`,
      met: d.lo > 0 ? true : d.hi < 0 ? false : null,
    });
  }
  r.summary = `Diffusion classifier on ${n} held-out rows of ${s.data.name} with the ${s.denoiserName} denoiser: ${VARIANTS.map((v) => `${v.name} ${acc[v.name]!.toFixed(4)} (${ci(v.name)})`).join(', ')}. Windows run from step ${tStart} to each class's merger step (own) or to step ${sharedWindowEnd(mergers, T)} for every class (shared); per-class-window scores errors relative to the mean over classes at each (t, eps), since with absolute errors a class is favoured by the error level of its window's steps rather than by the input.`;
  r.data = { steps, accuracy: acc, interval, perClass, differences, check, denoiserCalls: calls };
  r.timings.total = performance.now() - t0;
  return r;
}

interface ClosedFormCheck {
  maxRelMeanErr: number;
  closedFormAcc: Record<string, number>;
  bayes: number;
}

/** With the built-in mixture's truth as the denoiser: the Monte-Carlo errors against the closed form, and the Bayes accuracy. */
function closedFormCheck(
  truth: GmmParams,
  err: Float64Array,
  x: Float32Array,
  labels: Int32Array,
  p: { n: number; K: number; S: number; steps: number[]; abar: number[]; mergers: (number | null)[]; tStart: number },
): ClosedFormCheck {
  const { n, K, S, steps, abar, mergers, tStart } = p;
  const ex = expectedClassifierErrors(truth, x, n, steps, (t) => abar[t]!);
  let worst = 0;
  for (let q = 0; q < S; q++) {
    // Mean over rows and classes at one step: the Monte-Carlo mean and the closed form.
    let mc = 0;
    let cf = 0;
    for (let i = 0; i < n * K; i++) {
      mc += err[i * S + q]!;
      cf += ex[i * S + q]!;
    }
    worst = Math.max(worst, Math.abs(mc - cf) / cf);
  }
  const closedFormAcc: Record<string, number> = {};
  for (const v of VARIANTS) {
    const { weights, relative } = variantScoring(v, steps, abar, mergers, tStart);
    closedFormAcc[v.name] = accuracy(classify(ex, n, K, S, weights, relative), labels, n);
  }
  const ll = gmmLogLikelihoods(truth, x, n);
  const bayes = new Int32Array(n);
  for (let i = 0; i < n; i++) for (let k = 1; k < K; k++) if (ll[i * K + k]! > ll[i * K + bayes[i]!]!) bayes[i] = k;
  return { maxRelMeanErr: worst, closedFormAcc, bayes: accuracy(bayes, labels, n) };
}

/** Mean over rows of (mean error of the wrong classes - error of the true class) per step: where class information lives. */
function gapChart(
  err: Float64Array,
  labels: Int32Array,
  n: number,
  K: number,
  S: number,
  steps: number[],
  mergers: (number | null)[],
  names: string[],
) {
  const values: { step: number; gap: number }[] = [];
  for (let q = 0; q < S; q++) {
    let g = 0;
    for (let i = 0; i < n; i++) {
      const y = labels[i]!;
      let wrong = 0;
      for (let k = 0; k < K; k++) if (k !== y) wrong += err[(i * K + k) * S + q]!;
      g += wrong / (K - 1) - err[(i * K + y) * S + q]!;
    }
    values.push({ step: steps[q]!, gap: g / n });
  }
  const rules = mergers.map((m, k) => ({ step: m, cls: names[k] })).filter((m) => m.step !== null);
  const spec = {
    $schema: VL_SCHEMA,
    width: 560,
    height: 240,
    config: CHART_CONFIG,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: true },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'step t' },
          y: {
            field: 'gap',
            type: 'quantitative',
            scale: { type: 'symlog' },
            title: 'wrong-class minus true-class error',
          },
        },
      },
      {
        data: { values: rules },
        mark: { type: 'rule', strokeDash: [4, 3], color: '#d62728' },
        encoding: { x: { field: 'step', type: 'quantitative' }, tooltip: [{ field: 'cls' }] },
      },
    ],
  } as TopLevelSpec;
  return {
    id: 'gap',
    title: 'Class information per step',
    caption:
      "How much worse the wrong classes predict the noise than the true class, per step (symlog axis); dashed: the classes' merger steps with the rest of the data, where the truncated weighting stops.",
    spec,
  };
}
