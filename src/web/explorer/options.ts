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
import { CSV_HEADERS, type CsvHeader } from '../../data/parse.js';
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
  /** Rank r of the late-start Gaussian (top-r eigenpairs plus an isotropic rest); also `--late-rank`. */
  rank: number;
  /** Compute the trajectories right after the analysis (else on request: they take most of a run's time). */
  auto: boolean;
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
  /** Steps of late-start.json, comma-separated (`--late-start`); empty: no file. */
  lateStartSteps: string;
  /** CSV data only: the label column (`--labels`; blank: a column named label/class, else the last) and how the first line is read (`--csv-header`). */
  csv: { labels: string; header: CsvHeader };
  /** Also run the other of crn and exact and show where their merger steps disagree (when D is small). */
  compare: boolean;
  trajectories: TrajectoryOptions;
}

/**
 * Sized for a software WebGPU adapter (SwiftShader runs this in seconds); a real GPU takes far more.
 * Method exact (unlike the CLI's default crn): on this mixture crn's finite-sample floor is comparable
 * to eps, so its merger steps re-cross eps and depend on the noise draw (seed 0: 0 vs 1 at 111 under
 * crn, 243 under exact; 0 vs 2 at 651 and 348); exact has no floor, and the page shows crn beside it.
 */
export const EXPLORER_DEFAULTS: ExplorerOptions = {
  data: 'gmm',
  gmm: { classes: 4, dim: 8, perClass: 8192, separation: 4 },
  shapes: { classes: 3, perClass: 1024 },
  samplesPerClass: null,
  schedule: 'linear',
  steps: 1000,
  method: 'exact',
  centring: 'own',
  linkage: 'average',
  epsRatio: null,
  eps: null,
  spectralSteps: null,
  noiseSamples: null,
  alpha: 0.05,
  groups: '',
  seed: 0,
  lateStartSteps: '',
  csv: { labels: '', header: 'auto' },
  compare: true,
  trajectories: { count: 8, sampler: 'ddpm', samplerSteps: 50, lateStart: null, rank: 16, auto: false },
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
  lateStartSteps(o);
  oneOf('CSV first line', o.csv.header, CSV_HEADERS);
  const t = o.trajectories;
  checkInt('trajectories', t.count, 1, 256);
  oneOf('sampler', t.sampler, TRAJECTORY_SAMPLERS);
  checkInt('sampler steps', t.samplerSteps, 1, o.steps);
  if (t.lateStart !== null) checkInt('late-start step', t.lateStart, 1, o.steps);
  checkInt('late-start rank', t.rank, 1, 4096);
}

/** The steps of late-start.json (`--late-start`), each an integer in [0, T]; throws naming a bad entry. */
export function lateStartSteps(o: ExplorerOptions): number[] {
  const text = o.lateStartSteps.trim();
  if (text === '') return [];
  return text.split(',').map((t) => {
    const v = Number(t.trim());
    if (t.trim() === '' || !Number.isInteger(v) || v < 0 || v > o.steps)
      throw new Error(`late-start.json steps: '${t.trim()}' is not an integer in [0, ${o.steps}] (give e.g. 300,600)`);
    return v;
  });
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
    ...(o.lateStartSteps.trim() ? { lateStart: lateStartSteps(o), lateRank: o.trajectories.rank } : {}),
  };
}

/**
 * The built-in mixture of `fluctus analyze --data gmm` (src/data/loaders.ts: GMM_PER_CLASS, GMM_DIM;
 * gaussianMixture's defaults for classes and separation). A page mixture of another size reaches the
 * CLI as .npy files.
 */
export const CLI_GMM = { classes: 4, dim: 32, perClass: 8192, separation: 4 } as const;

/** Where the page's data come from, as the command line names it. */
export interface DataFiles {
  /** The data file name (a .npy or IDX file the user chose, or the page's export of built-in data). */
  data: string;
  /** The labels file name, or null when the data file carries its labels. */
  labels: string | null;
  /** What to do before running the command (e.g. unzip the PNG folder), or absent. */
  before?: string;
}

/** A CSV file name (optionally .gz), as the CLI tells CSV data apart (src/data/files.ts isCsvPath). */
export const isCsvName = (name: string) => /\.csv(\.gz)?$/i.test(name);

/** Whether the CLI can name the built-in data itself (`--data gmm`); otherwise the page exports them as .npy. */
export function cliHasBuiltin(o: ExplorerOptions): boolean {
  return (
    o.data === 'gmm' &&
    o.gmm.classes === CLI_GMM.classes &&
    o.gmm.dim === CLI_GMM.dim &&
    o.gmm.perClass === CLI_GMM.perClass &&
    o.gmm.separation === CLI_GMM.separation
  );
}

/** The .npy names under which the page exports built-in data of this name for the CLI. */
export function exportedDataFiles(name: string): DataFiles {
  return { data: `${name}.npy`, labels: `${name}-labels.npy` };
}

/** A shell word: as it is when it is plain, else in single quotes. */
export function shellWord(s: string): string {
  return /^[\w./,=:+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command line that repeats the page's analysis headless: same data (the user's files by name, or
 * the page's .npy export of the built-in data unless the CLI has the same built-in), same options and
 * seed, and late-start.json when its steps are set. Run in the folder holding the files, it writes the
 * same report.json (up to times, profile and the fluctus version).
 */
export function cliEquivalent(o: ExplorerOptions, files: DataFiles | null): string {
  const parts = ['fluctus analyze'];
  if (cliHasBuiltin(o)) parts.push('--data gmm');
  else {
    if (!files) throw new Error(`cliEquivalent: data '${o.data}' needs the names of its files`);
    parts.push(`--data ${shellWord(files.data)}`);
    if (files.labels !== null) parts.push(`--labels ${shellWord(files.labels)}`);
    if (isCsvName(files.data)) {
      if (o.csv.labels.trim()) parts.push(`--labels ${shellWord(o.csv.labels.trim())}`);
      if (o.csv.header !== 'auto') parts.push(`--csv-header ${o.csv.header}`);
    }
  }
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
  if (o.groups.trim()) parts.push(`--groups ${shellWord(o.groups.trim())}`);
  const late = lateStartSteps(o);
  if (late.length) parts.push(`--late-start ${late.join(',')}`, `--late-rank ${o.trajectories.rank}`);
  parts.push(`--alpha ${o.alpha}`, `--seed ${o.seed}`);
  return parts.join(' ');
}
