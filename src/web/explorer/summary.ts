// What the explorer page publishes about a finished analysis (window.__fluctus.result) and the browser
// test recomputes in Node: the merger steps of every pair, the class merger matrix, and a checksum of
// the merger curves as displayed, i.e. of the data rows inside the Vega-Lite spec the page rendered.
// Pure: no DOM, no Node APIs.
import type { MergerReport } from '../../formats/report-types.js';
import { pairLabel, type ChartSpec } from '../../report/charts-common.js';

export interface CurveChecksum {
  /** Rows of M(i) and M~(i) drawn, and sum over them of value and of value * step / T. */
  mRows: number;
  sumM: number;
  sumMStep: number;
  /** Rows of d(i) drawn, the sum of d(i) and of ln d(i) over them. */
  dRows: number;
  sumD: number;
  sumLogD: number;
  /** Pairs drawn (legend labels) and their merger markers, in draw order. */
  pairs: string[];
  markers: { pair: string; step: number }[];
}

export interface ExplorerSummary {
  eps: number;
  pairs: { label: string; kind: string; mergerStep: number | null }[];
  dataNoiseMerger: number | null;
  normalityStep: number | null;
  speciationStep: number | null;
  classMergerMatrix: (number | null)[][];
  curves: CurveChecksum;
}

/** Every data.values array in a spec (layers, concatenations, facets), depth first. */
function datasets(node: unknown, out: Record<string, unknown>[][] = []): Record<string, unknown>[][] {
  if (Array.isArray(node)) {
    for (const n of node) datasets(n, out);
  } else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    const d = o.data as { values?: unknown } | undefined;
    if (d && Array.isArray(d.values)) out.push(d.values as Record<string, unknown>[]);
    for (const [k, v] of Object.entries(o)) if (k !== 'data' && typeof v === 'object') datasets(v, out);
  }
  return out;
}

/**
 * Checksum of a merger-curves chart (mergerCurvesChart): rows with a `curve` and `value` are M rows,
 * rows with `d` are d rows, rows with only `pair` and `step` are merger markers (drawn once per panel;
 * counted once).
 */
export function curveChecksum(spec: ChartSpec, T: number): CurveChecksum {
  const c: CurveChecksum = { mRows: 0, sumM: 0, sumMStep: 0, dRows: 0, sumD: 0, sumLogD: 0, pairs: [], markers: [] };
  const seen = new Set<string>();
  for (const rows of datasets(spec)) {
    for (const r of rows) {
      const pair = typeof r.pair === 'string' ? r.pair : null;
      if (pair !== null && !c.pairs.includes(pair)) c.pairs.push(pair);
      if (typeof r.value === 'number' && typeof r.curve === 'string') {
        c.mRows++;
        c.sumM += r.value;
        c.sumMStep += (r.value * (r.step as number)) / T;
      } else if (typeof r.d === 'number') {
        c.dRows++;
        c.sumD += r.d;
        c.sumLogD += Math.log(r.d);
      } else if (pair !== null && typeof r.step === 'number' && !seen.has(pair)) {
        seen.add(pair);
        c.markers.push({ pair, step: r.step });
      }
    }
  }
  return c;
}

export function explorerSummary(report: MergerReport, curves: ChartSpec): ExplorerSummary {
  return {
    eps: report.eps.value,
    pairs: report.pairs.map((p) => ({ label: pairLabel(report, p), kind: p.kind, mergerStep: p.mergerStep })),
    dataNoiseMerger: report.dataNoise.mergerStep,
    normalityStep: report.dataNoise.normalityStep,
    speciationStep: report.speciationStep,
    classMergerMatrix: report.classMergerMatrix,
    curves: curveChecksum(curves, report.schedule.T),
  };
}
