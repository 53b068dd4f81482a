// One way to score a set of samples in every experiment: FD in the reference's PCA space (always),
// PRDC (k = 5) against the reference, and where available FD in the engine-trained classifier's feature
// space, the classifier's class accuracy, and for the built-in gmm the exact metrics against the true
// mixture (FD to the truth, mean log-likelihood, Bayes class of each sample under the truth).
import { fitPca, pcaFrechetDistance, type PcaFit } from '../metrics/pca.js';
import { prdc } from '../metrics/prdc.js';
import { classifierFrechetDistance } from '../metrics/classifier-fd.js';
import { gmmExactMetrics } from '../metrics/gmm-exact.js';
import { classifyHost } from '../models/classifier.js';
import { componentFrechet, gmmLogLikelihoods } from './gmm-truth.js';
import type { ExperimentSetup } from './setup.js';
import { takePerClass } from '../data/dataset.js';

export interface SampleScores {
  fdPca: number;
  precision: number;
  recall: number;
  density: number;
  coverage: number;
  /** FD in the classifier's feature space (null without a classifier). */
  fdClassifier: number | null;
  /** Fraction of samples whose predicted class (classifier, or the truth's Bayes class for gmm) is the requested one; null when unconditional or no predictor. */
  classAccuracy: number | null;
  /** Exact against the true mixture (built-in gmm only). */
  fdTruth: number | null;
  /** Per-component FD to the true mixture (gmm-truth.ts componentFrechet): sees the mixture's structure. */
  fdComponents: number | null;
  meanLogLikelihood: number | null;
}

/** Scores reuse one PCA fit and one reference subset per setup. */
export interface Scorer {
  score(x: Float32Array, classes: Int32Array | null, opts?: { referenceClasses?: number[] }): Promise<SampleScores>;
  /** Predicted class of each row (classifier or Bayes under the truth), or null. */
  predict(x: Float32Array): Promise<Int32Array | null>;
}

/** Rows of the reference set whose class is in `keep`. */
function subset(s: ExperimentSetup, keep: number[] | undefined): { x: Float32Array; n: number } {
  const ref = s.reference;
  if (!keep) return { x: ref.x, n: ref.shape[0] };
  const sub = takePerClass(
    ref,
    ref.classNames.map((_, k) => (keep.includes(k) ? Infinity : 0)),
  );
  return { x: sub.x, n: sub.shape[0] };
}

export async function makeScorer(s: ExperimentSetup, pcaComponents = 32): Promise<Scorer> {
  const ctx = s.ctx;
  const D = s.data.shape[1];
  const fit: PcaFit = await fitPca(ctx, s.reference.x, [s.reference.shape[0], D], {
    components: Math.min(D, pcaComponents),
  });
  const realRadii = new Map<string, Float64Array>();
  const predict = async (x: Float32Array): Promise<Int32Array | null> => {
    const n = x.length / D;
    if (s.classifier) return classifyHost(ctx, s.classifier, x, n);
    if (!s.truth) return null;
    const ll = gmmLogLikelihoods(s.truth, x, n);
    const K = s.truth.K;
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) for (let k = 1; k < K; k++) if (ll[i * K + k]! > ll[i * K + out[i]!]!) out[i] = k;
    return out;
  };
  return {
    predict,
    async score(x, classes, opts = {}) {
      const n = x.length / D;
      const ref = subset(s, opts.referenceClasses);
      const fdPca = await pcaFrechetDistance(
        ctx,
        ref.x,
        [ref.n, D],
        x,
        [n, D],
        opts.referenceClasses ? { components: Math.min(D, pcaComponents) } : { fit },
      );
      // The reference's k-NN radii are the same for every sample set: computed once per reference subset.
      const key = opts.referenceClasses ? opts.referenceClasses.join(',') : 'all';
      const pr = await prdc(ctx, ref.x, [ref.n, D], x, [n, D], { k: 5, realRadii: realRadii.get(key) });
      realRadii.set(key, pr.realRadii);
      const fdClassifier = s.classifier
        ? await classifierFrechetDistance(ctx, s.classifier, ref.x, [ref.n, D], x, [n, D])
        : null;
      let classAccuracy: number | null = null;
      if (classes && classes.some((c) => c >= 0)) {
        const pred = await predict(x);
        if (pred) {
          let hit = 0;
          let cnt = 0;
          for (let i = 0; i < n; i++)
            if (classes[i]! >= 0) {
              cnt++;
              if (pred[i] === classes[i]) hit++;
            }
          classAccuracy = hit / cnt;
        }
      }
      let fdTruth: number | null = null;
      let meanLogLikelihood: number | null = null;
      let fdComponents: number | null = null;
      if (s.truth && !opts.referenceClasses) {
        const m = await gmmExactMetrics(ctx, x, [n, D], s.truth);
        fdTruth = m.fd;
        meanLogLikelihood = m.meanLogLikelihood;
        fdComponents = componentFrechet(s.truth, x, n).fd;
      }
      return {
        fdPca,
        precision: pr.precision,
        recall: pr.recall,
        density: pr.density,
        coverage: pr.coverage,
        fdClassifier,
        classAccuracy,
        fdTruth,
        fdComponents,
        meanLogLikelihood,
      };
    },
  };
}
