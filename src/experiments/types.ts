// Helpers every experiment of `fluctus experiment` uses to fill in its result. The result's shape
// (ExperimentResult: tables, charts, images, goals, raw numbers) is src/report/experiment-types.ts,
// which src/report/experiment-report.ts turns into DIR/result.json and DIR/report.html. Pure: no Node APIs.
import type { ExperimentResult } from '../report/experiment-types.js';

export type {
  Cell,
  ExperimentChart,
  ExperimentGoal,
  ExperimentImage,
  ExperimentResult,
  ExperimentTable,
} from '../report/experiment-types.js';

/** An empty result to fill in. */
export function newResult(experiment: string, title: string, settings: Record<string, unknown>): ExperimentResult {
  return {
    experiment,
    title,
    summary: '',
    settings,
    tables: [],
    charts: [],
    images: [],
    goals: [],
    warnings: [],
    data: {},
    timings: {},
  };
}

/** Median and seed-to-seed spread (half the min-max range) of a list of values. */
export function spread(values: readonly number[]): {
  mean: number;
  median: number;
  min: number;
  max: number;
  sd: number;
} {
  const v = [...values].sort((a, b) => a - b);
  const n = v.length;
  const mean = v.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const median = n % 2 ? v[(n - 1) / 2]! : (v[n / 2 - 1]! + v[n / 2]!) / 2;
  return { mean, median, min: v[0]!, max: v[n - 1]!, sd };
}
