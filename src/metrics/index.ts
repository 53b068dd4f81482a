// Sample-quality metrics on the GPU (DESIGN.md §3): Fréchet distance in a classifier's feature space, in
// PCA space and in the data's own space; precision / recall / density / coverage from k-NN balls; and
// metrics exact against the truth for Gaussian mixtures.
export {
  frechetFromMoments,
  frechetDistance,
  sampleMoments,
  sampleMomentState,
  PSD_CLAMP,
  type GaussianMoments,
  type MomentsOptions,
} from './frechet.js';
export {
  fitPca,
  projectPca,
  pcaMoments,
  pcaFrechetDistance,
  PCA_COMPONENTS,
  type PcaFit,
  type PcaOptions,
  type PcaFrechetOptions,
} from './pca.js';
export {
  classifierFeaturesHost,
  classifierMoments,
  classifierFrechetDistance,
  FEATURE_BATCH,
  type FeatureOptions,
} from './classifier-fd.js';
export { prdc, knnRadii, PRDC_K, type PrdcOptions, type PrdcResult } from './prdc.js';
export { DISTANCE_BLOCK_ROWS, type KnnOptions } from './knn.js';
export { KNN_MAX_K } from '../kernels/knn_select.js';
export {
  mixtureMoments,
  gmmFrechetToTruth,
  gmmTruthScores,
  gmmExactMetrics,
  type GmmTruthScores,
  type GmmExactMetrics,
} from './gmm-exact.js';
export { chiSquareSf, gammaQ, lnGamma } from './chi-square.js';
