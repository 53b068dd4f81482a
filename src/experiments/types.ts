// Helpers every experiment of `fluctus experiment` uses to fill in its result. The result's shape
// (ExperimentResult: tables, charts, images, goals, raw numbers) is src/report/experiment-types.ts,
// which src/report/experiment-report.ts turns into DIR/result.json and DIR/report.html. Pure: no Node APIs.
import type { ExperimentResult } from '../report/experiment-types.js';
import type { MergerReport } from '../formats/report-types.js';

export type {
  Cell,
  ExperimentChart,
  ExperimentGoal,
  ExperimentImage,
  ExperimentResult,
  ExperimentTable,
} from '../report/experiment-types.js';

/** The eps every merger step of a run was found with: its rule, ratio and value. */
export function epsSetting(eps: MergerReport['eps']) {
  return {
    rule:
      eps.rule === 'ratio'
        ? `eps = max over the classes and all data of lambda_max(C(0)) / ${eps.ratio}`
        : 'eps given as a value (--eps)',
    ratio: eps.ratio,
    value: eps.value,
  };
}

/** An empty result to fill in; its settings record the eps of the analysis the experiment used. */
export function newResult(
  analysis: Pick<MergerReport, 'eps'>,
  experiment: string,
  title: string,
  settings: Record<string, unknown>,
): ExperimentResult {
  return {
    experiment,
    title,
    summary: '',
    settings: { ...settings, eps: epsSetting(analysis.eps) },
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

/** Two-sided 95 % quantile of Student's t with df degrees of freedom (table to 30, then Cornish–Fisher). */
export function tQuantile975(df: number): number {
  const TABLE = [
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11,
    2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
  ];
  if (!Number.isInteger(df) || df < 1) throw new Error(`tQuantile975: df must be an integer >= 1, got ${df}`);
  if (df <= TABLE.length) return TABLE[df - 1]!;
  const z = 1.959964;
  return z + (z ** 3 + z) / (4 * df) + (5 * z ** 5 + 16 * z ** 3 + 3 * z) / (96 * df * df);
}
