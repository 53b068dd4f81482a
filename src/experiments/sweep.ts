// Runs one sampler configuration over several seeds and scores each run (scoring.ts), so every
// experiment reports the same figures with a seed-to-seed spread.
import { sample, type SampleOptions } from '../samplers/sample.js';
import type { ExperimentSetup } from './setup.js';
import type { SampleScores, Scorer } from './scoring.js';
import { spread } from './types.js';
import { childSeed } from './seeds.js';

export interface ConfigRun {
  label: string;
  /** Denoiser calls of one run (each over the whole batch). */
  calls: number;
  perSeed: SampleScores[];
  /** The headline FD (exact to the truth, else classifier FD, else PCA FD) per seed. */
  fd: number[];
  fdMean: number;
  fdMin: number;
  fdMax: number;
  fdSd: number;
  /** Samples of the first seed (for sample grids). */
  first: Float32Array;
}

/**
 * Which FD an experiment reports as its headline, in order of preference: per-component FD to the
 * truth (a moment-only FD is fooled by a single Gaussian with the data's mean and covariance, which is
 * exactly what a Gaussian late start draws), the classifier's feature FD, the PCA FD.
 */
export function headlineFd(s: SampleScores): number {
  return s.fdComponents ?? s.fdClassifier ?? s.fdPca;
}

export function headlineFdName(setup: ExperimentSetup): string {
  return setup.truth
    ? 'per-component FD to the true mixture'
    : setup.classifier
      ? "FD in the classifier's feature space"
      : "FD in the reference's PCA space (32 directions)";
}

/** Runs `make(seed)` for seeds seed0 .. seed0 + seeds - 1, scoring each against the reference. */
export async function runConfig(
  s: ExperimentSetup,
  scorer: Scorer,
  label: string,
  seeds: number,
  make: (seed: number) => SampleOptions,
): Promise<ConfigRun> {
  const perSeed: SampleScores[] = [];
  let calls = 0;
  let first: Float32Array | null = null;
  for (let k = 0; k < seeds; k++) {
    const opts = make(childSeed(s.seed, 'replicate', k));
    const r = await sample(s.ctx, s.denoiser, opts);
    calls = r.denoiserCalls;
    first ??= r.x;
    perSeed.push(await scorer.score(r.x, opts.classes));
  }
  const fd = perSeed.map(headlineFd);
  const st = spread(fd);
  return { label, calls, perSeed, fd, fdMean: st.mean, fdMin: st.min, fdMax: st.max, fdSd: st.sd, first: first! };
}

/** Mean of one score over the seeds (null when the score is absent). */
export function meanOf(r: ConfigRun, key: keyof SampleScores): number | null {
  return meanScore(r.perSeed, key);
}

/** Mean of one score over a list of scored sets (null when the score is absent). */
export function meanScore(scores: SampleScores[], key: keyof SampleScores): number | null {
  const v = scores.map((p) => p[key]).filter((x): x is number => typeof x === 'number');
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}
