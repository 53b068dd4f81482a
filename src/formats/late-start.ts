// The late-start file (late-start.json, README "report.json"): Gaussian statistics of the noised data
// at chosen start steps, written by the merger analysis (src/analysis/late-start.ts) and read by the
// samplers (src/samplers/late-start.ts). It carries the data shape and schedule so the samplers can
// refuse statistics made for other data.
import type { MergerMethod } from './report-types.js';

export const LATE_START_FORMAT = 'fluctus.late-start';
export const LATE_START_VERSION = 1;

export interface LateStartGaussian {
  /** mu_s = sqrt(abar_s) mean(x0), (D). */
  mean: number[];
  /** Top r eigenvalues of Sigma_s, descending. */
  eigenvalues: number[];
  /** (r, D) row-major: row j is the unit eigenvector of eigenvalues[j]. */
  eigenvectors: number[][];
  /** Mean of the remaining D - r eigenvalues: (trace - sum of the top r) / (D - r); 0 when r = D. */
  restVariance: number;
}

export interface LateStartStep {
  step: number;
  abar: number;
  all: LateStartGaussian;
  /** Per class, in class order. */
  classes: LateStartGaussian[];
}

export interface LateStartFile {
  format: typeof LATE_START_FORMAT;
  version: number;
  data: { name: string; dim: number; imageShape: [number, number] | null; classNames: string[] };
  schedule: { name: string; T: number };
  method: MergerMethod;
  rank: number;
  steps: LateStartStep[];
}
