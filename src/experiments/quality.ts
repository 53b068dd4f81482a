// `fluctus experiment quality`: is a denoiser good enough to test the paper's claims on? The FD of its
// samples to the reference set (the held-out split) against the FD of as many training rows to the same
// reference: the level a perfect model reaches with this many samples, since FD is biased upwards at
// finite n. Both sides draw the same class shares, are scored by the same scorer (classifier FD when a
// classifier is given), and repeat over seeds (the samples) or disjoint subsets (the training rows). The
// goal, from the applications issue: the samples' FD within 2× of the training rows'.
import { ddpmScheduler } from '../samplers/scheduler.js';
import type { ExperimentSetup } from './setup.js';
import { makeScorer, type SampleScores } from './scoring.js';
import { headlineFd, headlineFdName, meanScore, runConfig } from './sweep.js';
import { newResult, spread, type ExperimentResult } from './types.js';
import { sampleImages } from './images.js';
import { referenceHeldOut } from './setup.js';

export interface QualityOptions {
  /** Samples (and training rows) per set (default 1000). */
  samples?: number;
  /** Seeds of the sampler, and disjoint training subsets (default 3). */
  seeds?: number;
  /** DDPM grid size (default T: every step). */
  steps?: number;
  onProgress?: (phase: string, done: number, total: number) => void;
}

/** The largest FD ratio (samples over training rows) the goal accepts. */
export const QUALITY_RATIO = 2;

/**
 * Training rows of subset j (0-based) with n rows: class k gets the share i % K of n (as the sampler's
 * classes), taken from its rows j·m .. j·m + share − 1 in data order (m = ceil(n / K)), so subsets are
 * disjoint. Throws when a class has too few rows for the subsets asked for.
 */
export function trainingSubset(
  x: Float32Array,
  labels: Int32Array,
  D: number,
  K: number,
  n: number,
  j: number,
): { x: Float32Array; classes: Int32Array } {
  const m = Math.ceil(n / K);
  const byClass: number[][] = Array.from({ length: K }, () => []);
  for (let i = 0; i < labels.length; i++) byClass[labels[i]!]?.push(i);
  const classes = Int32Array.from({ length: n }, (_, i) => i % K);
  const next = new Array<number>(K).fill(0);
  const out = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const k = classes[i]!;
    const row = byClass[k]![j * m + next[k]!];
    if (row === undefined)
      throw new Error(
        `quality: class ${k} has ${byClass[k]!.length} training rows, too few for subset ${j + 1} of ${m} rows per class (--samples ${n}); lower --samples or --seeds`,
      );
    next[k]!++;
    out.set(x.subarray(row * D, (row + 1) * D), i * D);
  }
  return { x: out, classes };
}

export async function runQuality(s: ExperimentSetup, o: QualityOptions = {}): Promise<ExperimentResult> {
  const t0 = performance.now();
  const T = s.schedule.T;
  const n = o.samples ?? 1000;
  const seeds = o.seeds ?? 3;
  const steps = o.steps ?? T;
  const K = s.data.classes;
  const conditional = s.denoiser.numClasses > 0;
  const r = newResult(s.analysis, 'quality', "Sample quality against the training split's own FD", {
    data: s.data.name,
    denoiser: s.denoiserName,
    samples: n,
    seeds,
    sampler: 'ddpm',
    samplerSteps: steps,
    T,
    reference: s.reference.source,
    referenceRows: s.reference.shape[0],
    seed: s.seed,
  });
  if (!referenceHeldOut(s.data.name, s.truth))
    r.warnings.push(
      `The reference set of ${s.data.name} is drawn from its training rows (no held-out split is known for it), so the training rows' FD is optimistic: they are part of the reference.`,
    );
  const scorer = await makeScorer(s);
  const classes = conditional ? Int32Array.from({ length: n }, (_, i) => i % K) : null;
  o.onProgress?.('sample', 0, seeds + 1);
  const model = await runConfig(s, scorer, 'model samples', seeds, (seed) => ({
    n,
    classes,
    seed,
    steps,
    scheduler: ddpmScheduler(s.schedule),
  }));
  r.timings.sample = performance.now() - t0;
  o.onProgress?.('training rows', seeds, seeds + 1);
  const D = s.data.shape[1];
  const train: SampleScores[] = [];
  for (let j = 0; j < seeds; j++) {
    const sub = trainingSubset(s.data.x, s.data.labels, D, K, n, j);
    train.push(await scorer.score(sub.x, conditional ? sub.classes : null));
  }
  o.onProgress?.('training rows', seeds + 1, seeds + 1);
  const fdName = headlineFdName(s);
  const tr = spread(train.map(headlineFd));
  const ratio = model.fdMean / tr.mean;
  const columns = ['set', 'FD mean', 'FD min', 'FD max', 'FD (PCA)', 'precision', 'recall', 'density', 'coverage'];
  const cells = (v: SampleScores[]) =>
    (['fdPca', 'precision', 'recall', 'density', 'coverage'] as const).map((k) => meanScore(v, k));
  r.tables.push({
    id: 'quality',
    title: 'Model samples against training rows, both scored against the reference',
    caption: `${n} rows per set (equal class shares), ${seeds} sampler seeds / disjoint training subsets; FD = ${fdName}; PRDC with k = 5 against ${s.reference.shape[0]} reference rows (${s.reference.source}); DDPM with ${steps} steps.`,
    columns: [...columns, ...(conditional ? ['class accuracy'] : [])],
    rows: [
      [
        `model samples (${model.calls} calls)`,
        model.fdMean,
        model.fdMin,
        model.fdMax,
        ...cells(model.perSeed),
        ...(conditional ? [meanScore(model.perSeed, 'classAccuracy')] : []),
      ],
      [
        'training rows',
        tr.mean,
        tr.min,
        tr.max,
        ...cells(train),
        ...(conditional ? [meanScore(train, 'classAccuracy')] : []),
      ],
    ],
  });
  r.goals.push({
    goal: `samples' FD within ${QUALITY_RATIO}× of the training split's own FD to the reference`,
    measured: `${model.fdMean.toPrecision(4)} vs ${tr.mean.toPrecision(4)}: ${ratio.toFixed(2)}×`,
    met: ratio <= QUALITY_RATIO,
  });
  if (s.data.imageShape) {
    r.images.push({
      id: 'samples',
      title: 'Model samples',
      caption: `First seed's samples (classes in turn), ${steps} DDPM steps.`,
      png: sampleImages(model.first, s.data.imageShape, 64),
    });
    r.images.push({
      id: 'training-rows',
      title: 'Training rows',
      caption: 'The first subset, in the same class order.',
      png: sampleImages(trainingSubset(s.data.x, s.data.labels, D, K, 64, 0).x, s.data.imageShape, 64),
    });
  }
  r.summary = `${s.data.name}, ${s.denoiserName}: ${fdName} of ${n} samples ${model.fdMean.toPrecision(4)} (seeds ${model.fdMin.toPrecision(4)}–${model.fdMax.toPrecision(4)}) against ${tr.mean.toPrecision(4)} for ${n} training rows (${tr.min.toPrecision(4)}–${tr.max.toPrecision(4)}): ${ratio.toFixed(2)}× (goal ≤ ${QUALITY_RATIO}×).`;
  const { first, ...modelRun } = model;
  r.data = { model: modelRun, training: { fd: train.map(headlineFd), perSubset: train }, ratio };
  r.timings.total = performance.now() - t0;
  return r;
}
