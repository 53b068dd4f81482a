// The explorer's options (the page form) as plain data, their defaults and checks, and how they become
// a Dataset and AnalyzeOptions. Pure (no DOM, no Node APIs): the page and the browser test's Node side
// both call these, so the two run analyzeMergers on the same inputs. Options mirror `fluctus analyze`
// (src/cli/analyze.ts); as there, one seed seeds the built-in data and the analysis noise.
import { checkInt } from '../../runtime/check.js';
import type { AnalyzeOptions } from '../../analysis/analyze.js';
import { parseGroups } from '../../analysis/events.js';
import { DEFAULT_EPS_RATIO } from '../../analysis/curves.js';
import {
  CENTRINGS,
  LINKAGES,
  MERGER_METHODS,
  type Centring,
  type Linkage,
  type MergerMethod,
} from '../../formats/report-types.js';
import { limitPerClass, type Dataset } from '../../data/dataset.js';
import { gaussianMixture } from '../../data/gmm.js';
import { proceduralImages } from '../../data/shapes.js';
import { SCHEDULE_NAMES, makeSchedule, type ScheduleName } from '../../schedule/schedules.js';

export type DataSource = 'gmm' | 'shapes' | 'file';
export const DATA_SOURCES: readonly DataSource[] = ['gmm', 'shapes', 'file'];

export type TrajectorySampler = 'ddpm' | 'ddim';
export const TRAJECTORY_SAMPLERS: readonly TrajectorySampler[] = ['ddpm', 'ddim'];

export interface TrajectoryOptions {
  /** Reverse chains per start (plain and late start). */
  count: number;
  /** DDPM (ancestral, posterior variance) or deterministic DDIM (eta = 0), from src/samplers. */
  sampler: TrajectorySampler;
  /** Sampler steps n of the plain chain (linspace from T); the late chain takes round(n s / T) from s. */
  samplerSteps: number;
  /** Late-start step s; null: the data-noise merger step of the analysis. */
  lateStart: number | null;
  /** Rank r of the late-start Gaussian (top-r eigenpairs plus an isotropic rest). */
  rank: number;
}

export interface ExplorerOptions {
  data: DataSource;
  gmm: { classes: number; dim: number; perClass: number; separation: number };
  shapes: { classes: number; perClass: number };
  /** At most this many samples per class (the first ones), or null for all (`--samples-per-class`). */
  samplesPerClass: number | null;
  schedule: ScheduleName;
  /** T (`--steps`). */
  steps: number;
  method: MergerMethod;
  centring: Centring;
  linkage: Linkage;
  /** eps = max lambda_max(C(0)) / epsRatio unless eps (absolute) is given; null: DEFAULT_EPS_RATIO (400). */
  epsRatio: number | null;
  eps: number | null;
  spectralSteps: number | 'all' | null;
  noiseSamples: number | null;
  alpha: number;
  /** `--groups`, e.g. 'a=0,1;b=2,3'; empty for none. */
  groups: string;
  seed: number;
  trajectories: TrajectoryOptions;
}

/** Sized for a software WebGPU adapter (SwiftShader runs this in seconds); a real GPU takes far more. */
export const EXPLORER_DEFAULTS: ExplorerOptions = {
  data: 'gmm',
  gmm: { classes: 4, dim: 8, perClass: 8192, separation: 4 },
  shapes: { classes: 3, perClass: 1024 },
  samplesPerClass: null,
  schedule: 'linear',
  steps: 1000,
  method: 'crn',
  centring: 'own',
  linkage: 'average',
  epsRatio: null,
  eps: null,
  spectralSteps: null,
  noiseSamples: null,
  alpha: 0.05,
  groups: '',
  seed: 0,
  trajectories: { count: 8, sampler: 'ddpm', samplerSteps: 50, lateStart: null, rank: 16 },
};

const MAX_STEPS = 100_000;

function oneOf<T extends string>(name: string, v: T, valid: readonly T[]): void {
  if (!valid.includes(v)) throw new Error(`${name} '${String(v)}' is not one of ${valid.join(', ')}`);
}

function positive(name: string, v: number): void {
  if (!Number.isFinite(v) || v <= 0) throw new Error(`${name} must be a positive number, got ${v}`);
}

/** Throws on the first option out of range, naming it, its value and what is allowed. */
export function checkOptions(o: ExplorerOptions): void {
  oneOf('data', o.data, DATA_SOURCES);
  oneOf('schedule', o.schedule, SCHEDULE_NAMES);
  oneOf('method', o.method, MERGER_METHODS);
  oneOf('centring', o.centring, CENTRINGS);
  oneOf('linkage', o.linkage, LINKAGES);
  checkInt('steps T', o.steps, 2, MAX_STEPS);
  checkInt('seed', o.seed, 0, 2 ** 32 - 1);
  if (o.data === 'gmm') {
    checkInt('gmm classes', o.gmm.classes, 2, 64);
    checkInt('gmm dimension', o.gmm.dim, 2, 4096);
    checkInt('gmm samples per class', o.gmm.perClass, 8, 1 << 20);
    positive('gmm separation', o.gmm.separation);
  }
  if (o.data === 'shapes') {
    checkInt('shapes classes', o.shapes.classes, 2, 3);
    checkInt('shapes images per class', o.shapes.perClass, 8, 1 << 20);
  }
  if (o.samplesPerClass !== null) checkInt('samples per class', o.samplesPerClass, 2, 2 ** 31 - 1);
  if (o.eps !== null && o.epsRatio !== null) throw new Error('give either eps or eps ratio, not both');
  if (o.eps !== null) positive('eps', o.eps);
  if (o.epsRatio !== null) positive('eps ratio', o.epsRatio);
  if (o.spectralSteps !== null && o.spectralSteps !== 'all')
    checkInt('spectral steps', o.spectralSteps, 2, MAX_STEPS + 1);
  if (o.noiseSamples !== null) checkInt('noise samples', o.noiseSamples, 8, 2 ** 31 - 1);
  if (!(o.alpha > 0 && o.alpha < 1)) throw new Error(`alpha must be in (0, 1), got ${o.alpha}`);
  const t = o.trajectories;
  checkInt('trajectories', t.count, 1, 256);
  oneOf('sampler', t.sampler, TRAJECTORY_SAMPLERS);
  checkInt('sampler steps', t.samplerSteps, 1, o.steps);
  if (t.lateStart !== null) checkInt('late-start step', t.lateStart, 1, o.steps);
  checkInt('late-start rank', t.rank, 1, 4096);
}

/** The built-in dataset the options name (gmm or shapes), before the per-class limit. */
export function builtinData(o: ExplorerOptions): Dataset {
  if (o.data === 'gmm') return gaussianMixture({ ...o.gmm, seed: o.seed });
  if (o.data === 'shapes') return proceduralImages({ ...o.shapes, seed: o.seed });
  throw new Error("builtinData: data 'file' comes from the dropped files, not from the options");
}

/** Applies the per-class limit (as `--samples-per-class`). */
export function limitData(o: ExplorerOptions, data: Dataset): Dataset {
  return o.samplesPerClass === null ? data : limitPerClass(data, o.samplesPerClass);
}

/** The analyzeMergers options for these explorer options and data, as `fluctus analyze` builds them. */
export function analyzeOptionsOf(o: ExplorerOptions, data: Dataset): AnalyzeOptions {
  return {
    schedule: makeSchedule(o.schedule, o.steps),
    method: o.method,
    centring: o.centring,
    linkage: o.linkage,
    seed: o.seed,
    eps: o.eps !== null ? { value: o.eps } : { ratio: o.epsRatio ?? DEFAULT_EPS_RATIO },
    spectralSteps: o.spectralSteps ?? undefined,
    noiseSamples: o.noiseSamples ?? undefined,
    groups: o.groups.trim() ? parseGroups(o.groups, data.classNames) : [],
    alpha: o.alpha,
  };
}

/** The equivalent command line, shown on the page so a run can be repeated headless. */
export function cliEquivalent(o: ExplorerOptions, dataName: string): string {
  const parts = ['fluctus analyze', `--data ${o.data === 'file' ? dataName : o.data}`];
  if (o.samplesPerClass !== null) parts.push(`--samples-per-class ${o.samplesPerClass}`);
  parts.push(
    `--schedule ${o.schedule}`,
    `--steps ${o.steps}`,
    `--method ${o.method}`,
    `--centring ${o.centring}`,
    `--linkage ${o.linkage}`,
  );
  if (o.eps !== null) parts.push(`--eps ${o.eps}`);
  if (o.epsRatio !== null) parts.push(`--eps-ratio ${o.epsRatio}`);
  if (o.spectralSteps !== null) parts.push(`--spectral-steps ${o.spectralSteps}`);
  if (o.noiseSamples !== null) parts.push(`--noise-samples ${o.noiseSamples}`);
  if (o.groups.trim()) parts.push(`--groups '${o.groups.trim()}'`);
  parts.push(`--alpha ${o.alpha}`, `--seed ${o.seed}`);
  const note =
    o.data === 'gmm'
      ? ' (the CLI gmm has fixed size 4 x 8192 x 32; the page sets its size)'
      : o.data === 'shapes'
        ? ' (shapes: page only)'
        : '';
  return parts.join(' ') + note;
}
