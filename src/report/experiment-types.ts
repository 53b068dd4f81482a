// What every experiment of `fluctus experiment` returns: tables, charts (Vega-Lite specs), images,
// goals with the measured figure beside each, and the raw numbers. experiment-report.ts turns it into
// DIR/result.json and DIR/report.html. Pure: no Node APIs.
import type { TopLevelSpec } from 'vega-lite';

export type Cell = string | number | null;

export interface ExperimentTable {
  id: string;
  title: string;
  caption: string;
  columns: string[];
  rows: Cell[][];
}

export interface ExperimentChart {
  id: string;
  title: string;
  caption: string;
  spec: TopLevelSpec;
}

/** A PNG written beside the report as <id>.png and shown in it. */
export interface ExperimentImage {
  id: string;
  title: string;
  caption: string;
  png: Uint8Array;
}

/** A goal of the issue with what was measured; met is null when the run cannot decide it. */
export interface ExperimentGoal {
  goal: string;
  measured: string;
  met: boolean | null;
}

export interface ExperimentResult {
  experiment: string;
  title: string;
  /** One paragraph: what was compared and the headline. */
  summary: string;
  /** Everything that fixes the run (data, denoiser, schedule, seeds, sizes). */
  settings: Record<string, unknown>;
  tables: ExperimentTable[];
  charts: ExperimentChart[];
  images: ExperimentImage[];
  goals: ExperimentGoal[];
  warnings: string[];
  /** Raw numbers behind the tables, for scripts. */
  data: Record<string, unknown>;
  /** Wall time of each phase in ms. */
  timings: Record<string, number>;
  /** Extra JSON files written beside the report as DIR/<name> (e.g. a timestep list for other tools). */
  files?: { name: string; json: unknown }[];
}
