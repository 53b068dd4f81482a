// Samplers (DESIGN.md §3): DDPM / DDIM schedulers in diffusers' vocabulary, Gaussian late start,
// classifier-free guidance schedules, SDEdit.
export {
  samplerGrid,
  ddpmCoefficients,
  ddimCoefficients,
  DDPM_VARIANCES,
  type SamplerGrid,
  type GridOptions,
  type StepCoefficients,
  type DdpmVariance,
} from './grid.js';
export {
  ddpmScheduler,
  ddimScheduler,
  SAMPLE_STREAM,
  type Scheduler,
  type SchedulerKind,
  type StepArgs,
  type DdpmSchedulerOptions,
  type DdimSchedulerOptions,
} from './scheduler.js';
export {
  checkGuidance,
  guidanceAt,
  guidanceCalls,
  pulseWindow,
  GUIDANCE_KINDS,
  type Guidance,
  type GuidanceStep,
} from './guidance.js';
export {
  gaussianFactor,
  checkLateStartFile,
  lateStartFromFile,
  drawLateStart,
  combineLateStart,
  ORTHONORMAL_TOLERANCE,
  type FullGaussian,
  type StartGaussian,
  type LateStartSpec,
  type GaussianFactor,
} from './late-start.js';
export {
  sample,
  sdedit,
  SDEDIT_STREAM,
  type SampleOptions,
  type SampleResult,
  type SdeditOptions,
  type StartFrom,
} from './sample.js';
export {
  encodeSamplerStep,
  samplerStepPipeline,
  SAMPLER_STEP,
  SAMPLER_STEP_WG,
  type SamplerStepArgs,
} from '../kernels/sampler_step.js';
