// The experiments of `fluctus experiment <name>`: what each needs from the setup (late-start steps) and
// how it runs. Options common to all are in ExperimentOptions; each experiment reads the ones it uses.
import type { ExperimentSetup } from './setup.js';
import type { ExperimentResult } from './types.js';
import { runZeroShot } from './zero-shot.js';

export interface ExperimentOptions {
  /** Samples generated per configuration. */
  samples?: number;
  /** Seeds per configuration (seed-to-seed spread). */
  seeds?: number;
  /** Held-out rows per class (zero-shot). */
  testPerClass?: number;
  /** Evaluated steps (zero-shot) or sampler steps, depending on the experiment. */
  steps?: number;
  noises?: number;
  onProgress?: (phase: string, done: number, total: number) => void;
}

export interface ExperimentSpec {
  name: string;
  description: string;
  /** Late-start statistics the analysis must save, given T. */
  lateStart?: (T: number) => number[];
  run(s: ExperimentSetup, o: ExperimentOptions): Promise<ExperimentResult>;
}

export const EXPERIMENTS: ExperimentSpec[] = [
  {
    name: 'zero-shot',
    description: 'diffusion classifier with uniform, inverse-SNR and merger-truncated inverse-SNR weighting',
    run: (s, o) => runZeroShot(s, { steps: o.steps, noises: o.noises, testPerClass: o.testPerClass, onProgress: o.onProgress }),
  },
];

export function experimentByName(name: string): ExperimentSpec {
  const e = EXPERIMENTS.find((x) => x.name === name);
  if (!e) throw new Error(`unknown experiment '${name}'; valid: ${EXPERIMENTS.map((x) => x.name).join(', ')}`);
  return e;
}
