// Every Philox stream fluctus draws from, in one table. A draw is Philox4x32-10 with the counter
// (word, row, step tag, stream) and the key from the seed (lib/philox.wgsl, lib/normal.wgsl, philox.ts):
// the stream, the counter's 4th word, keeps consumers that share a seed from drawing the same numbers.
// Each consumer owns the range [start, start + length); no two ranges overlap
// (kernels-test/pure/philox_streams.test.ts). A stream's value is part of what every result draws:
// changing one changes that feature's numbers, so new consumers take a new range and old ones keep theirs.
// The modules named as owners re-export their constants from here.

/** Forward-noising eps (forwardNoise and standardNormals by default). */
export const NOISE_STREAM = 0;
/** The merger analysis' eps of the data rows: forwardNoise's stream on purpose, so x_i = forwardNoise(x0) row for row. */
export const STREAM_EPS = NOISE_STREAM;
/** The merger analysis' noise event: its N(0, I) sample z and z's eps, drawn as one (n, 2D) block. */
export const STREAM_NOISE_EVENT = 1;
/** Training: eps of x_t, and the per-row (step, class dropout) words. */
export const TRAIN_EPS_STREAM = 16;
export const TRAIN_ROW_STREAM = 17;
/** Initial weights of the learned models. */
export const INIT_STREAM = 32;
/** Shuffling of the training rows. */
export const SHUFFLE_STREAM = 33;
/** The samplers' x_T (step tag 0) and z (step tag = the step taken); also the Gaussian late start's draw. */
export const SAMPLE_STREAM = 48;
/** SDEdit's forward noise (distinct from the sampler's SAMPLE_STREAM). */
export const SDEDIT_STREAM = 49;
/** The diffusion classifier's noises j < ZERO_SHOT_LOW_NOISES: stream ZERO_SHOT_STREAM + j, step tag = t. */
export const ZERO_SHOT_STREAM = 64;
/** Noises per step the diffusion classifier accepts at most. */
export const MAX_NOISES = 64;
/**
 * The diffusion classifier's noises 16..63 live in a second range: the first one, [64, 128), overlapped
 * the information streams 80 and 81; its low part keeps its draws, so results with up to 16 noises
 * (the default is 1) are unchanged.
 */
export const ZERO_SHOT_LOW_NOISES = 16;
export const ZERO_SHOT_HIGH_STREAM = 128;
/** The shared eps of classEntropySteps and denoisingError. */
export const INFORMATION_STREAM = 80;
/** The online Bayesian classifier's chain (x_s with step tag 0, z with the step taken). */
export const ONLINE_CLASSIFIER_STREAM = 81;

/** Stream of the diffusion classifier's noise j (0 <= j < MAX_NOISES). */
export function zeroShotStream(j: number): number {
  return j < ZERO_SHOT_LOW_NOISES ? ZERO_SHOT_STREAM + j : ZERO_SHOT_HIGH_STREAM + (j - ZERO_SHOT_LOW_NOISES);
}

export interface StreamRange {
  /** The constant that starts the range. */
  name: string;
  start: number;
  length: number;
  /** Who draws from it. */
  owner: string;
}

export const PHILOX_STREAMS: readonly StreamRange[] = [
  {
    name: 'NOISE_STREAM',
    start: NOISE_STREAM,
    length: 1,
    owner: 'kernels/forward_noise.ts; analysis/fluctuations.ts (STREAM_EPS, the same draws)',
  },
  { name: 'STREAM_NOISE_EVENT', start: STREAM_NOISE_EVENT, length: 1, owner: 'analysis/fluctuations.ts' },
  { name: 'TRAIN_EPS_STREAM', start: TRAIN_EPS_STREAM, length: 1, owner: 'kernels/diffusion_batch.ts' },
  { name: 'TRAIN_ROW_STREAM', start: TRAIN_ROW_STREAM, length: 1, owner: 'kernels/diffusion_batch.ts' },
  { name: 'INIT_STREAM', start: INIT_STREAM, length: 1, owner: 'models/params.ts' },
  { name: 'SHUFFLE_STREAM', start: SHUFFLE_STREAM, length: 1, owner: 'models/train-data.ts' },
  {
    name: 'SAMPLE_STREAM',
    start: SAMPLE_STREAM,
    length: 1,
    owner: 'samplers/scheduler.ts (also samplers/late-start.ts, analysis/collapse.ts, web/explorer)',
  },
  { name: 'SDEDIT_STREAM', start: SDEDIT_STREAM, length: 1, owner: 'samplers/sample.ts' },
  {
    name: 'ZERO_SHOT_STREAM',
    start: ZERO_SHOT_STREAM,
    length: ZERO_SHOT_LOW_NOISES,
    owner: 'experiments/diffusion-classifier.ts (noises 0..15)',
  },
  {
    name: 'INFORMATION_STREAM',
    start: INFORMATION_STREAM,
    length: 1,
    owner: 'analysis/class-entropy.ts, analysis/entropic-time.ts',
  },
  {
    name: 'ONLINE_CLASSIFIER_STREAM',
    start: ONLINE_CLASSIFIER_STREAM,
    length: 1,
    owner: 'analysis/online-classifier.ts',
  },
  {
    name: 'ZERO_SHOT_HIGH_STREAM',
    start: ZERO_SHOT_HIGH_STREAM,
    length: MAX_NOISES - ZERO_SHOT_LOW_NOISES,
    owner: 'experiments/diffusion-classifier.ts (noises 16..63)',
  },
];
