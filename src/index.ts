// fluctus public API: the runtime (plain data + free functions), kernels and schedules.
export { requestContext, destroyContext, checkDevice, type Context, type ContextOptions, type WaitMode } from './runtime/context.js';
export { createTensor, upload, readback, disposeTensor, rowChunks, type Tensor, type DType } from './runtime/tensor.js';
export { getPipeline, compileModule, type KernelSpec, type CachedPipeline } from './runtime/pipeline.js';
export { beginBatch, dispatch, submit, sync, grid2d, ceilDiv, type Batch } from './runtime/dispatch.js';
export { profileReport, resetProfile, formatProfile, type KernelProfile } from './runtime/profile.js';
export { philox, PHILOX } from './kernels/philox.js';
export { forwardNoise, encodeForwardNoise, forwardNoisePipeline, FORWARD_NOISE, NOISE_STREAM } from './kernels/forward_noise.js';
export * from './models/schedules.js';
export { frobeniusPairs, prepareFrobenius, encodeFrobenius, disposeFrobenius, type FrobeniusPlan } from './kernels/frobenius.js';
export { eigh, eighTop, lambdaMax, type EighOptions, type EighResult, type EighTopOptions, type EighTopResult, type LambdaMaxOptions, type LambdaMaxResult, type SymmetricInput } from './kernels/eigh.js';
export { encodeSymmBlock, symmBlockPipeline } from './kernels/symm_block.js';
export * from './kernels/moments.js';
export { gram, crossGram, frobeniusFromCrossGram, doubleCentre } from './kernels/gram.js';
export { standardNormals, type StandardNormalsOptions } from './kernels/forward_noise.js';
// The merger analysis (pure functions over GPU statistics; the HTML report is Node-only: src/analysis/report-html.ts).
export { analyzeMergers, checkDataset, type AnalyzeOptions } from './analysis/analyze.js';
export { planEvents, parseGroups, poolMoments, type EventGroup, type EventPlan } from './analysis/events.js';
export { fluctuationModel, restRows, type FluctuationModel } from './analysis/fluctuations.js';
export { k2FromMoments, normaltest, centralMomentsOfCombination, mixedCentralMoments } from './analysis/normality.js';
export { agglomerate } from './analysis/linkage.js';
export { mergerStep, spectralDistance, epsFromRule, exactPairCurves, crnPairM, speciation } from './analysis/curves.js';
export { LATE_START_FORMAT, type LateStartFile, type LateStartStep, type LateStartGaussian } from './analysis/late-start.js';
export { REPORT_CHARTS, mergerCurvesChart, spectraChart, mergerMatrixChart, dendrogramChart, normalityChart, stepsChart } from './analysis/charts.js';
export * from './analysis/report-types.js';
export { gaussianMixture } from './data/gmm.js';
export type { Dataset } from './data/dataset.js';
