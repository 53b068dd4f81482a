// crn against exact on the same data: the merger step of every pair under both methods, for the
// explorer's headline. exact (population covariances in closed form) has no finite-sample floor, crn
// (one noise draw) does; where they disagree, the crn step is decided by sampling noise (DESIGN §1).
// Pure: no DOM, no Node APIs.
import type { MergerReport } from '../../formats/report-types.js';
import { pairLabel } from '../../report/charts-common.js';

/** Largest D for which the page runs the other method as well by default (exact's spectra are D x D per step). */
export const COMPARE_MAX_DIM = 64;

/**
 * Steps apart that count as a disagreement: 5 % of T. Both methods see the same data, so their
 * population parts agree; a larger gap comes from crn's sampling error in d near eps.
 */
export const DISAGREE_FRACTION = 0.05;

export interface MethodRow {
  label: string;
  a: number | null;
  b: number | null;
  /** |a - b|, T + 1 when only one of them merges within T, 0 when neither does. */
  gap: number;
  disagree: boolean;
}

export interface MethodComparison {
  methods: [string, string];
  rows: MethodRow[];
  disagreements: number;
}

/** Pairs matched by label (the events and pairs of both reports are planned from the same classes). */
export function compareMethods(a: MergerReport, b: MergerReport): MethodComparison {
  const T = a.schedule.T;
  const other = new Map(b.pairs.map((p) => [pairLabel(b, p), p.mergerStep]));
  const rows = a.pairs.map((p) => {
    const label = pairLabel(a, p);
    const sa = p.mergerStep;
    const sb = other.has(label) ? other.get(label)! : null;
    const gap = sa === null && sb === null ? 0 : sa === null || sb === null ? T + 1 : Math.abs(sa - sb);
    return { label, a: sa, b: sb, gap, disagree: gap > DISAGREE_FRACTION * T };
  });
  return { methods: [a.method, b.method], rows, disagreements: rows.filter((r) => r.disagree).length };
}

/** The comparison in one sentence for the headline. */
export function comparisonText(c: MethodComparison, T: number): string {
  const [ma, mb] = c.methods;
  const within = `${100 * DISAGREE_FRACTION} % of T (${DISAGREE_FRACTION * T} steps)`;
  if (c.disagreements === 0) return `${ma} and ${mb} agree on every merger step to within ${within}.`;
  const worst = c.rows
    .filter((r) => r.disagree)
    .sort((x, y) => y.gap - x.gap)
    .slice(0, 4)
    .map((r) => `${r.label}: ${r.a ?? 'none'} vs ${r.b ?? 'none'}`);
  return `${ma} and ${mb} disagree by more than ${within} on ${c.disagreements} of ${c.rows.length} pairs (${worst.join('; ')}${c.disagreements > 4 ? '; …' : ''}).`;
}
