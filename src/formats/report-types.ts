// The schema of `report.json`, the output of `fluctus analyze` (README "report.json"). Plain data,
// JSON-serialisable: numbers are float64, null where a quantity does not exist (a pair that never
// merges within the schedule has mergerStep null). Steps count from 0 (the data, abar = 1) to T.

import type { KernelProfile } from '../runtime/profile.js';

export type MergerMethod = 'crn' | 'mc' | 'exact';
export const MERGER_METHODS: readonly MergerMethod[] = ['crn', 'mc', 'exact'];

export type Centring = 'own' | 'global';
export const CENTRINGS: readonly Centring[] = ['own', 'global'];

export type Linkage = 'average' | 'single' | 'complete';
export const LINKAGES: readonly Linkage[] = ['average', 'single', 'complete'];

export type EventKind = 'class' | 'all' | 'noise' | 'rest' | 'group';

export interface EventInfo {
  /** Index into `events`; pairs refer to events by it. */
  id: number;
  name: string;
  kind: EventKind;
  /** Class indices the event pools (empty for the noise event). */
  classes: number[];
  /** Samples in the event (for the noise event under mc/crn: the size of its N(0, I) sample). */
  count: number;
}

export type PairKind = 'class-class' | 'data-noise' | 'class-rest' | 'group';

export interface PairReport {
  a: number;
  b: number;
  kind: PairKind;
  /** First step i with d(i) <= eps, or null if none in [0, T]. */
  mergerStep: number | null;
  mergerAbar: number | null;
  /** M(i) on report.steps. */
  M: number[];
  /** Thresholded M~(i) on report.steps: M(i) where d(i) > eps, else 1 (d interpolated between spectral steps for this column only). */
  Mthr: number[];
  /**
   * d(i) on report.spectralSteps. exact and mc: the spectral distance from full spectra. crn: its maximum
   * over the top k ranks from the tracked Ritz values (search.trackedEigenvalues; d is at least this and
   * equals it wherever the top ranks carry the maximum, as near every merger on image data).
   */
  d: number[];
  /** crn: a certified lower bound of d on report.spectralSteps (d minus the Ritz error estimates). */
  dLower?: number[];
  /** crn: the steps where d was computed from both full spectra, with its value. */
  dExact?: { step: number; d: number }[];
  /** crn: steps after the merger step where d is certainly above eps again (empty when d stays below). */
  recrossings?: number[];
  /**
   * crn: steps before the merger step that neither the certified bound nor a full spectrum placed above
   * eps (the tracked estimate does, and the full spectrum just before the merger step agrees).
   */
  uncertified?: number[];
}

/** How the merger steps were found (README "How merger steps are found"). */
export interface SearchReport {
  /** 'ritz': certified bounds from tracked top eigenvalues, full spectra where they cannot decide (crn);
   * 'full': full spectra on the spectral steps, refined by bisection (exact: closed form; mc: the grid). */
  method: 'ritz' | 'full';
  /** Top eigenvalues tracked per event and the subspace size (ritz). */
  trackedEigenvalues: number | null;
  subspace: number | null;
  /** Tracker windows and GPU block products (ritz). */
  windows: number;
  products: number;
  /** Full spectra (eigendecompositions) computed. */
  fullSpectra: number;
  /** Pairs whose merger step needed galloping and bisection on full spectra (ritz). */
  bisectedPairs: number;
  /** Pairs whose merger step came from a dip probe: a crossing the tracked estimate did not reach (ritz). */
  dipPairs?: number;
  /** Which uncertified steps the dip probes took: 'near' eps by the tracked estimate, or 'all' (ritz). */
  dipProbes?: 'near' | 'all';
}

export interface NormalityReport {
  alpha: number;
  /** Top principal directions of the all-data covariance at step 0 used for the test. */
  directions: number;
  /** Steps at which the test was evaluated. */
  steps: number[];
  /** D'Agostino-Pearson K² per step (rows) and direction (columns). */
  k2: number[][];
  /** p-value per step and direction (chi-squared, 2 degrees of freedom: exp(-K²/2)). */
  pValue: number[][];
  /** Fraction of the D coordinates whose K² test rejects normality at alpha, per step. */
  rejectedFraction: number[];
}

export interface DataNoiseReport {
  mergerStep: number | null;
  mergerAbar: number | null;
  /** First step from which no top direction rejects normality at alpha (Bonferroni over directions), or null. */
  normalityStep: number | null;
  normalityAbar: number | null;
  normality: NormalityReport;
}

export interface DendrogramReport {
  linkage: Linkage;
  /** scipy-style linkage rows: clusters a and b (ids < K are classes, K + r is the cluster made by row r) merge at `height` (a merger step) into a cluster of `size` classes. */
  merges: { a: number; b: number; height: number; size: number }[];
  /** Leaf order (class indices) left to right. */
  order: number[];
  newick: string;
}

export interface SpeciationReport {
  /** Top eigenvalue Lambda of the all-data covariance at step 0. */
  lambdaMax: number;
  /** abar_S = 1 / Lambda (Biroli et al.: Lambda e^{-2 t_S} = 1 with abar = e^{-2t}). */
  abar: number;
  /** OU time t_S = log(Lambda) / 2. */
  ouTime: number;
  /** First step with abar_i <= abar_S, or null if Lambda <= 1 (no speciation: the data is no wider than the noise). */
  step: number | null;
  convention: string;
}

export interface SpectraReport {
  /** Eigenvalues kept per event and step (the largest). */
  top: number;
  /** values[e][s][j]: j-th largest eigenvalue of event e at spectralSteps[s]. */
  values: number[][][];
}

export interface MergerReport {
  fluctus: { version: string; commit: string | null };
  createdAt: string;
  data: {
    name: string;
    source: string;
    n: number;
    dim: number;
    imageShape: [number, number] | null;
    classNames: string[];
    counts: number[];
    /** How values were scaled before the analysis (e.g. "pixels / 127.5 - 1"). */
    scale: string;
  };
  schedule: { name: string; T: number; abar: number[] };
  method: MergerMethod;
  seed: number;
  centring: Centring;
  eps: { rule: 'ratio' | 'absolute'; ratio: number | null; value: number };
  /** Steps where M is given (all steps 0..T for crn and exact; the spectral steps for mc). */
  steps: number[];
  /** Steps where spectra (and d) were computed. */
  spectralSteps: number[];
  events: EventInfo[];
  pairs: PairReport[];
  dataNoise: DataNoiseReport;
  /** K x K merger steps of class pairs (diagonal 0; null: no merger within T). */
  classMergerMatrix: (number | null)[][];
  /** Per class: merger step with the rest of the data. */
  classRestMerger: (number | null)[];
  dendrogram: DendrogramReport;
  speciationStep: number | null;
  speciation: SpeciationReport;
  spectra: SpectraReport;
  search: SearchReport;
  /** Late-start statistics file (relative to the report) and its steps, or null. */
  lateStart: { file: string; steps: number[]; rank: number } | null;
  /** Things the reader must know to interpret the numbers (e.g. a finite-sample floor above eps). */
  warnings: string[];
  profile: KernelProfile[];
  /** Wall time of each phase in ms. */
  timings: Record<string, number>;
}
