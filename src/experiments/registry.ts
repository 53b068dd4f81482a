// The experiments of `fluctus experiment <name>`: what each needs from the setup (late-start steps) and
// how it runs. Options common to all are in ExperimentOptions; each experiment reads the ones it uses.
import type { ExperimentSetup } from './setup.js';
import type { ExperimentResult } from './types.js';
import { runZeroShot } from './zero-shot.js';
import { runGuidance } from './guidance.js';
import { runRareClass } from './rare-class.js';
import { runStyleTransfer } from './style-transfer.js';
import { runAccelerated } from './accelerated.js';
import { lateStartSweep, runLateStart } from './late-start.js';
import { runCriticalWindow } from './critical-window.js';
import { runPulse } from './pulse.js';
import { runEntropicSchedule } from './entropic-schedule.js';
import { runQuality } from './quality.js';
import type { ExactDenoiser } from './setup.js';

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
  /** Sampler family and the full sampler's grid size (accelerated). */
  sampler?: 'ddpm' | 'ddim';
  samplerSteps?: number;
  /** eps ratios run as a sweep (accelerated). */
  epsSweep?: number[];
  onProgress?: (phase: string, done: number, total: number) => void;
}

export interface ExperimentSpec {
  name: string;
  description: string;
  /** Late-start statistics the analysis must save, given T. */
  lateStart?: (T: number) => number[];
  /** Data and exact denoiser used when the command line names no --data (e.g. image data for image-only signals). */
  defaults?: { data: string; exact?: ExactDenoiser };
  run(s: ExperimentSetup, o: ExperimentOptions): Promise<ExperimentResult>;
}

export const EXPERIMENTS: ExperimentSpec[] = [
  {
    name: 'late-start',
    description: 'DDIM/DDPM at 3, 5, 10 steps: plain start against the Gaussian late start over a sweep of start steps',
    lateStart: lateStartSweep,
    run: (s, o) => runLateStart(s, { samples: o.samples, seeds: o.seeds, onProgress: o.onProgress }),
  },
  {
    name: 'accelerated',
    description: 'full-length sampler against the same sampler started at the data–noise merger step',
    run: (s, o) =>
      runAccelerated(s, {
        samples: o.samples,
        seeds: o.seeds,
        sampler: o.sampler,
        steps: o.samplerSteps,
        epsSweep: o.epsSweep,
        onProgress: o.onProgress,
      }),
  },
  {
    name: 'zero-shot',
    description: 'diffusion classifier with uniform, inverse-SNR and merger-truncated inverse-SNR weighting',
    run: (s, o) =>
      runZeroShot(s, { steps: o.steps, noises: o.noises, testPerClass: o.testPerClass, onProgress: o.onProgress }),
  },
  {
    name: 'guidance',
    description:
      'no guidance, CFG everywhere, the grid-searched interval and per-class merger intervals, with the search cost',
    run: (s, o) =>
      runGuidance(s, { samples: o.samples, seeds: o.seeds, steps: o.samplerSteps, onProgress: o.onProgress }),
  },
  {
    name: 'rare-class',
    description: 'imbalanced training subset: merger-aware guidance window for the rare classes against a fixed window',
    run: (s, o) =>
      runRareClass(s, { samples: o.samples, seeds: o.seeds, steps: o.samplerSteps, onProgress: o.onProgress }),
  },
  {
    name: 'style-transfer',
    description: "SDEdit between two domains from the source content's merger step against a grid of strengths",
    run: (s, o) => runStyleTransfer(s, { samples: o.samples, steps: o.samplerSteps, onProgress: o.onProgress }),
  },
  {
    name: 'critical-window',
    description:
      'correlation length, mode softening, class entropy and its rate, collapse against the merger, speciation and best late-start steps (default: digits, empirical denoiser)',
    lateStart: lateStartSweep,
    defaults: { data: 'digits', exact: 'empirical' },
    run: (s, o) => runCriticalWindow(s, { points: o.steps, samples: o.samples, onProgress: o.onProgress }),
  },
  {
    name: 'pulse',
    description:
      'a classifier-free guidance pulse at t_c (entropy-rate peak) against pulses of the same width and weight at random steps: class accuracy',
    run: (s, o) => runPulse(s, { samples: o.samples, seeds: o.seeds, steps: o.samplerSteps, onProgress: o.onProgress }),
  },
  {
    name: 'entropic-schedule',
    description:
      'DDIM FD at 5/10/20 steps on linear, cosine, merger-aware and entropic grids; writes entropic-timesteps.json',
    run: (s, o) => runEntropicSchedule(s, { samples: o.samples, seeds: o.seeds, onProgress: o.onProgress }),
  },
  {
    name: 'quality',
    description:
      "a denoiser's samples against as many training rows, both by FD to the held-out reference (goal: within 2x)",
    run: (s, o) =>
      runQuality(s, { samples: o.samples, seeds: o.seeds, steps: o.samplerSteps, onProgress: o.onProgress }),
  },
];

export function experimentByName(name: string): ExperimentSpec {
  const e = EXPERIMENTS.find((x) => x.name === name);
  if (!e) throw new Error(`unknown experiment '${name}'; valid: ${EXPERIMENTS.map((x) => x.name).join(', ')}`);
  return e;
}
