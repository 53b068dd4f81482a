// fluctus public API: the runtime (plain data + free functions), kernels and schedules.
export {
  requestContext,
  destroyContext,
  checkDevice,
  type Context,
  type ContextOptions,
  type WaitMode,
} from './runtime/context.js';
export { createTensor, upload, readback, disposeTensor, rowChunks, type Tensor, type DType } from './runtime/tensor.js';
export { getPipeline, compileModule, type KernelSpec, type CachedPipeline } from './runtime/pipeline.js';
export { beginBatch, dispatch, submit, sync, grid2d, ceilDiv, type Batch } from './runtime/dispatch.js';
export { profileReport, resetProfile, formatProfile, type KernelProfile } from './runtime/profile.js';
export { chromeTrace, traced, traceHost, type TraceEvent } from './runtime/trace.js';
export { philox, PHILOX } from './kernels/philox.js';
export {
  forwardNoise,
  encodeForwardNoise,
  forwardNoisePipeline,
  FORWARD_NOISE,
  NOISE_STREAM,
} from './kernels/forward_noise.js';
export * from './schedule/schedules.js';
export {
  frobeniusPairs,
  prepareFrobenius,
  encodeFrobenius,
  disposeFrobenius,
  type FrobeniusPlan,
} from './kernels/frobenius.js';
export {
  eigh,
  eighTop,
  lambdaMax,
  type EighOptions,
  type EighResult,
  type EighTopOptions,
  type EighTopResult,
  type LambdaMaxOptions,
  type LambdaMaxResult,
  type SymmetricInput,
} from './kernels/eigh.js';
export { encodeSymmBlock, symmBlockPipeline } from './kernels/symm_block.js';
export * from './kernels/moments.js';
export { gram, crossGram, frobeniusFromCrossGram, doubleCentre } from './kernels/gram.js';
export { standardNormals, type StandardNormalsOptions } from './kernels/forward_noise.js';
// The merger analysis (pure functions over GPU statistics; the HTML report is Node-only: src/report/report-html.ts).
export { analyzeMergers, type AnalyzeOptions } from './analysis/analyze.js';
export { checkDataset, checkDimension, type DataDiagnosis } from './analysis/data-checks.js';
export { planEvents, parseGroups, poolMoments, type EventGroup, type EventPlan } from './analysis/events.js';
export { fluctuationModel, restRows, type FluctuationModel } from './analysis/fluctuations.js';
export { k2FromMoments, normaltest, centralMomentsOfCombination, mixedCentralMoments } from './analysis/normality.js';
export { agglomerate } from './analysis/linkage.js';
export { mergerStep, spectralDistance, epsFromRule, exactPairCurves, crnPairM, speciation } from './analysis/curves.js';
export {
  LATE_START_FORMAT,
  type LateStartFile,
  type LateStartStep,
  type LateStartGaussian,
} from './formats/late-start.js';
export {
  REPORT_CHARTS,
  mergerCurvesChart,
  spectraChart,
  mergerMatrixChart,
  dendrogramChart,
  normalityChart,
  stepsChart,
} from './report/charts.js';
export * from './formats/report-types.js';
export { gaussianMixture } from './data/gmm.js';
export type { Dataset } from './data/dataset.js';
// Denoisers (DESIGN.md §3): one interface; exact (Gaussian mixture, empirical, LS/ELS patch) and learned.
export { NULL_CLASS, checkDenoiseArgs, predictEpsHost, x0FromEps, type Denoiser } from './models/denoiser.js';
export * from './models/gmm-denoiser.js';
export {
  empiricalDenoiser,
  empiricalX0,
  empiricalClassPosterior,
  EMPIRICAL_CHUNK_ROWS,
  type EmpiricalDenoiser,
  type EmpiricalDenoiserOptions,
} from './models/empirical-denoiser.js';
export {
  createPatchDenoiser,
  type PatchDenoiser,
  type PatchDenoiserOptions,
  type PatchTrainingSet,
} from './models/patch-denoiser.js';
export { defaultPatchSize, fullPatchSize, type PatchSize } from './models/patch-layout.js';
export { mlpDef, MLP_DEFAULTS, type MlpConfig } from './models/mlp.js';
export { unetDef, UNET_DEFAULTS, type UnetConfig } from './models/unet.js';
export {
  classifierDef,
  classifierFeatures,
  classifierLogits,
  classifyHost,
  CLASSIFIER_DEFAULTS,
  type ClassifierConfig,
} from './models/classifier.js';
export {
  createModel,
  disposeModel,
  ARCHITECTURES,
  type Architecture,
  type ModelDef,
  type LearnedModel,
} from './models/model.js';
export { learnedDenoiser, type LearnedDenoiser } from './models/learned.js';
export {
  train,
  checkTraining,
  NonFiniteLossError,
  NonFiniteStateError,
  type TrainOptions,
  type TrainProgress,
  type TrainResult,
} from './models/train.js';
export { sampleDdpm, type DdpmOptions } from './samplers/ddpm.js';
export { encodeSafetensors, decodeSafetensors, type SafetensorsFile } from './models/safetensors.js';
export {
  encodeCheckpoint,
  decodeCheckpoint,
  readCheckpoint,
  writeCheckpoint,
  checkCheckpoint,
  dataFingerprint,
  type Checkpoint,
  type CheckpointInfo,
  type DataFingerprint,
  type ExpectedModel,
} from './models/checkpoint.js';
export { loadDenoiser, loadClassifier, modelFromCheckpoint } from './models/load.js';
// Samplers (diffusers vocabulary: setTimesteps, step), guidance schedules, Gaussian late start, SDEdit.
export * from './samplers/index.js';
// Information diagnostics (issue 8): class entropy and its rate, online Bayesian classifier, entropic time, collapse.
export {
  classEntropySteps,
  entropyRate,
  rowEntropies,
  INFORMATION_STREAM,
  type ClassEntropySteps,
  type ClassEntropyOptions,
  type EntropyRate,
} from './analysis/class-entropy.js';
export {
  onlineClassEntropy,
  ONLINE_CLASSIFIER_STREAM,
  type OnlineClassEntropy,
  type OnlineClassEntropyOptions,
} from './analysis/online-classifier.js';
export {
  denoisingError,
  entropicSchedule,
  logSigmaSteps,
  ENTROPIC_KINDS,
  type EntropicKind,
  type EntropicSchedule,
  type DenoisingError,
} from './analysis/entropic-time.js';
export {
  collapseStep,
  collapseTimeGaussian,
  stepOfAbar,
  type CollapseOptions,
  type CollapseResult,
} from './analysis/collapse.js';
// Sample-quality metrics (FD in classifier-feature / PCA space, PRDC, exact Gaussian-mixture metrics).
export {
  frechetFromMoments,
  frechetDistance,
  sampleMoments,
  sampleMomentState,
  PSD_CLAMP,
  type GaussianMoments,
  type MomentsOptions as MetricMomentsOptions,
  fitPca,
  projectPca,
  pcaMoments,
  pcaFrechetDistance,
  PCA_COMPONENTS,
  type PcaFit,
  type PcaOptions,
  type PcaFrechetOptions,
  classifierFeaturesHost,
  classifierMoments,
  classifierFrechetDistance,
  FEATURE_BATCH,
  type FeatureOptions,
  prdc,
  knnRadii,
  PRDC_K,
  type PrdcOptions,
  type PrdcResult,
  DISTANCE_BLOCK_ROWS,
  type KnnOptions,
  KNN_MAX_K,
  mixtureMoments,
  gmmFrechetToTruth,
  gmmTruthScores,
  gmmExactMetrics,
  type GmmTruthScores,
  type GmmExactMetrics,
  chiSquareSf,
} from './metrics/index.js';
// Critical-window diagnostics: spectra, autocorrelation and correlation length over steps; mode softening.
export {
  powerSpectrumSteps,
  imagePowerSpectrum,
  SPECTRUM_CENTERS,
  type PowerSpectrumSteps,
  type PowerSpectrumStepsOptions,
  type SpectrumSeries,
  type ImageRows,
  type SpectrumCenter,
} from './analysis/spectrum.js';
export {
  correlationLength,
  autocorrelationFromPower,
  radialAverage,
  frequencyBins,
  distanceBins,
  fourierModes,
  fourierModeVector,
} from './analysis/spectrum-core.js';
export { modeSoftening, modeJvp, type ModeSoftening, type ModeSofteningOptions } from './analysis/mode-softening.js';
// The diffusion classifier (zero-shot classification) and the built-in mixture's truth.
export {
  classifierErrors,
  classifierWeights,
  classify,
  expectedClassifierErrors,
  sharedWindowEnd,
  VARIANTS,
  variantScoring,
  WEIGHTINGS,
  type ScoringVariant,
  type Weighting,
} from './experiments/diffusion-classifier.js';
export { gaussianMixtureWithTruth, sampleGmmTruth, type GmmTruth } from './data/gmm.js';
