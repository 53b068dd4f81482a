// What every experiment starts from: the training data, a held-out reference set, a denoiser (exact by
// default, so every experiment runs without training), the merger analysis of the training data (its
// merger steps and late-start statistics drive the experiments), and optionally an engine-trained
// classifier. Exact denoisers: the built-in gmm uses its true mixture ('truth'); other data get one
// Gaussian per class fitted on the GPU ('gmm-fit') or the empirical optimal denoiser ('empirical').
import type { CsvHeader } from '../data/parse.js';
import type { Context } from '../runtime/context.js';
import { loadDataset, GMM_DIM, GMM_PER_CLASS } from '../data/loaders.js';
import { gaussianMixtureWithTruth, sampleGmmTruth, type GmmTruth } from '../data/gmm.js';
import { limitPerClass, type Dataset } from '../data/dataset.js';
import { makeSchedule, type Schedule } from '../schedule/schedules.js';
import type { Denoiser } from '../models/denoiser.js';
import { diagonalCovariances, fitGmmPerClass, gmmDenoiser, type GmmParams } from '../models/gmm-denoiser.js';
import { empiricalDenoiser } from '../models/empirical-denoiser.js';
import { loadClassifier, loadDenoiser } from '../models/load.js';
import { disposeModel as disposeModelOf, type LearnedModel } from '../models/model.js';
import { analyzeMergers } from '../analysis/analyze.js';
import { DEFAULT_EPS_RATIO } from '../analysis/curves.js';
import type { LateStartFile } from '../formats/late-start.js';
import type { MergerMethod, MergerReport } from '../formats/report-types.js';
import { childSeed } from './seeds.js';

export const EXACT_DENOISERS = ['truth', 'gmm-fit', 'empirical'] as const;
export type ExactDenoiser = (typeof EXACT_DENOISERS)[number];

export interface SetupOptions {
  /** Built-in name or path (as `fluctus analyze --data`). */
  data: string;
  labels?: string;
  /** CSV data: how the first line is read (see parseCsv). */
  csvHeader?: CsvHeader;
  /** Rows per class of the training data kept (first ones). */
  samplesPerClass?: number;
  /** Norm of the class means of the built-in gmm (default 4; smaller: classes overlap more). */
  separation?: number;
  /** A trained denoiser checkpoint; otherwise an exact denoiser of kind `exact`. */
  model?: string;
  exact?: ExactDenoiser;
  /** An engine-trained classifier checkpoint (features for the Fréchet distance, class predictions). */
  classifier?: string;
  /** Reference rows per class (held-out truth for gmm, the test split for fashion-mnist, else training rows). */
  referencePerClass?: number;
  /** Merger analysis method (default exact: the population closed form from the data's covariances). */
  method?: MergerMethod;
  /** eps = max_k lambda_max(C_k(0)) / epsRatio (default DEFAULT_EPS_RATIO = 400, the paper's heuristic). */
  epsRatio?: number;
  /** Steps at which the analysis saves late-start statistics (and their rank). */
  lateStart?: number[];
  lateRank?: number;
  seed: number;
  progress?: (phase: string, done: number, total: number) => void;
}

export interface ExperimentSetup {
  ctx: Context;
  data: Dataset;
  /** Held-out samples of the data distribution to score samples against. */
  reference: Dataset;
  schedule: Schedule;
  denoiser: Denoiser;
  /** 'truth', 'gmm-fit', 'empirical' or the checkpoint path. */
  denoiserName: string;
  /** The true mixture (built-in gmm only). */
  truth: GmmParams | null;
  analysis: MergerReport;
  lateStart: LateStartFile | null;
  classifier: LearnedModel | null;
  seed: number;
}

export function truthParams(t: GmmTruth): GmmParams {
  return {
    K: t.K,
    D: t.D,
    means: t.means,
    covs: diagonalCovariances(t.variances, t.K, t.D),
    weights: new Float64Array(t.K).fill(1),
  };
}

function loadData(o: SetupOptions): { data: Dataset; truth: GmmTruth | null } {
  if (o.data === 'gmm') {
    const { data, truth } = gaussianMixtureWithTruth({
      perClass: o.samplesPerClass ?? GMM_PER_CLASS,
      dim: GMM_DIM,
      seed: 1,
      separation: o.separation,
    });
    return { data, truth };
  }
  const ds = loadDataset(o.data, { labels: o.labels, csvHeader: o.csvHeader });
  return { data: o.samplesPerClass ? limitPerClass(ds, o.samplesPerClass) : ds, truth: null };
}

/** Whether the reference set is held out from the training rows: fresh draws of the truth, or a test split. */
export function referenceHeldOut(data: string, truth: unknown): boolean {
  return truth !== null || data === 'fashion-mnist';
}

function referenceSet(o: SetupOptions, data: Dataset, truth: GmmTruth | null): Dataset {
  const per = o.referencePerClass ?? 1000;
  if (truth) return sampleGmmTruth(truth, per, childSeed(o.seed, 'reference'), 'gmm (fresh samples of the truth)');
  if (referenceHeldOut(o.data, truth)) return limitPerClass(loadDataset('fashion-mnist', { split: 'test' }), per);
  return limitPerClass(data, per);
}

/** Loads data, builds the denoiser, runs the merger analysis; dispose with disposeSetup. */
export async function prepareExperiment(ctx: Context, o: SetupOptions): Promise<ExperimentSetup> {
  if (o.separation !== undefined && o.data !== 'gmm')
    throw new Error(`separation: only for the built-in gmm data, not '${o.data}'`);
  const { data, truth } = loadData(o);
  const reference = referenceSet(o, data, truth);
  const schedule = makeSchedule('linear', 1000);
  let denoiser: Denoiser;
  let denoiserName: string;
  const img: [number, number, number] | null = data.imageShape ? [data.imageShape[0], data.imageShape[1], 1] : null;
  if (o.model) {
    // An MLP sees images as flat rows: [D] and [H, W, 1] both fit image data of D = H W pixels.
    denoiser = loadDenoiser(ctx, o.model, (info) => {
      const flat = info.dataShape.length === 1 && info.dataShape[0] === data.shape[1];
      return {
        dataShape: flat ? [data.shape[1]] : (img ?? [data.shape[1]]),
        numClasses: data.classes,
        schedule: { name: 'linear', T: schedule.T },
      };
    });
    denoiserName = o.model;
  } else {
    const kind = o.exact ?? (truth ? 'truth' : 'gmm-fit');
    if (kind === 'truth' && !truth)
      throw new Error(
        `exact denoiser 'truth' needs the built-in gmm data (the only data with a known distribution); for '${o.data}' use gmm-fit or empirical`,
      );
    if (kind === 'empirical') {
      denoiser = empiricalDenoiser(ctx, data.x, data.shape, schedule, {
        labels: data.labels,
        numClasses: data.classes,
        imageShape: img,
      });
    } else {
      const params =
        kind === 'truth'
          ? truthParams(truth!)
          : await fitGmmPerClass(ctx, data.x, data.labels, data.shape, { classes: data.classes });
      denoiser = gmmDenoiser(ctx, params, schedule, { imageShape: img });
    }
    denoiserName = kind;
  }
  const classifier = o.classifier ? loadClassifier(ctx, o.classifier) : null;
  const { report, lateStart } = await analyzeMergers(ctx, data, {
    schedule,
    method: o.method ?? 'exact',
    eps: { ratio: o.epsRatio ?? DEFAULT_EPS_RATIO },
    seed: o.seed,
    lateStart: o.lateStart,
    lateRank: o.lateRank ?? Math.min(32, data.shape[1]),
    progress: o.progress,
  });
  return {
    ctx,
    data,
    reference,
    schedule,
    denoiser,
    denoiserName,
    truth: truth ? truthParams(truth) : null,
    analysis: report,
    lateStart,
    classifier,
    seed: o.seed,
  };
}

/** Frees the GPU buffers of the denoiser and the classifier. */
export function disposeSetup(s: ExperimentSetup): void {
  s.denoiser.dispose();
  if (s.classifier) disposeModelOf(s.classifier);
}
