// `fluctus experiment zero-shot`: the diffusion classifier with uniform, inverse-SNR and truncated
// inverse-SNR weighting (t from 20 to each class's merger step with the rest of the data), on held-out
// data. With the built-in gmm and its true mixture the Monte-Carlo errors are checked against the
// closed-form per-step error and the Bayes-optimal accuracy is given for scale.
import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, VL_SCHEMA } from '../report/charts-common.js';
import type { ExperimentSetup } from './setup.js';
import { newResult, type ExperimentResult } from './types.js';
import {
  classifierErrors,
  classifierWeights,
  classify,
  expectedClassifierErrors,
  WEIGHTINGS,
  type Weighting,
} from './diffusion-classifier.js';
import { gmmLogLikelihoods } from './gmm-truth.js';
import { limitPerClass } from '../data/dataset.js';
import type { GmmParams } from '../models/gmm-model.js';

export interface ZeroShotOptions {
  /** Evaluated steps, spread evenly over 1..T (default 100). */
  steps?: number;
  noises?: number;
  /** Held-out rows per class (default 100). */
  testPerClass?: number;
  tStart?: number;
  onProgress?: (phase: string, done: number, total: number) => void;
}

function accuracy(pred: Int32Array, labels: Int32Array, n: number): number {
  let ok = 0;
  for (let i = 0; i < n; i++) if (pred[i] === labels[i]) ok++;
  return ok / n;
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
  const per = o.testPerClass ?? 100;
  // The first `per` held-out rows of each class.
  const ref = s.reference;
  const test = limitPerClass(ref, per);
  const n = test.shape[0];
  const { x, labels } = test;
  const steps = Array.from({ length: S }, (_, i) => Math.round(1 + ((T - 1) * i) / Math.max(1, S - 1)));
  const abar = [1, ...s.schedule.alphasCumprod];
  const mergers = s.analysis.classRestMerger;
  const r = newResult('zero-shot', 'Zero-shot classification with the diffusion classifier', {
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
  const perClass: Record<string, number[]> = {};
  for (const w of WEIGHTINGS) {
    const pred = classify(err, n, K, S, classifierWeights(w, steps, abar, mergers, tStart));
    acc[w] = accuracy(pred, labels, n);
    perClass[w] = perClassAccuracy(pred, labels, n, K);
  }
  const rowsTable = WEIGHTINGS.map((w) => [w, acc[w]!, ...perClass[w]!] as (string | number)[]);
  const check =
    s.truth && s.denoiserName === 'truth'
      ? closedFormCheck(s.truth, err, x, labels, { n, K, S, steps, abar, mergers, tStart })
      : null;
  if (check) for (const row of rowsTable) row.splice(2, 0, check.closedFormAcc[row[0] as Weighting]!);
  const names = s.data.classNames;
  r.tables.push({
    id: 'accuracy',
    title: 'Accuracy by weighting',
    caption:
      `${n} held-out rows (${per} per class), ${S} steps evenly over 1..${T}, ${noises} noise(s) per step shared by every class; ${calls} denoiser calls.` +
      (check
        ? ` "closed form" classifies with the exact expected errors instead of the Monte-Carlo ones; the Bayes-optimal accuracy on clean data is ${check.bayes.toFixed(4)}.`
        : ''),
    columns: ['weighting', 'accuracy', ...(check ? ['closed form'] : []), ...names.map((c) => `class ${c}`)],
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
  const gain = acc['truncated-inverse-snr']! - acc.uniform!;
  r.goals.push({
    goal: 'truncated inverse-SNR beats uniform weighting',
    measured: `accuracy ${acc['truncated-inverse-snr']!.toFixed(4)} vs ${acc.uniform!.toFixed(4)} (${gain >= 0 ? '+' : ''}${(100 * gain).toFixed(2)} points)`,
    met: gain > 0,
  });
  r.summary = `Diffusion classifier on ${n} held-out rows of ${s.data.name} with the ${s.denoiserName} denoiser: uniform ${acc.uniform!.toFixed(4)}, inverse SNR ${acc['inverse-snr']!.toFixed(4)}, truncated inverse SNR (t in [${tStart}, class merger step]) ${acc['truncated-inverse-snr']!.toFixed(4)}.`;
  r.data = { steps, accuracy: acc, perClass, check, denoiserCalls: calls };
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
  for (const w of WEIGHTINGS)
    closedFormAcc[w] = accuracy(classify(ex, n, K, S, classifierWeights(w, steps, abar, mergers, tStart)), labels, n);
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
