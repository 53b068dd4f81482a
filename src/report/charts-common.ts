// Shared pieces of the report charts (charts.ts, charts-structure.ts): the "no chart" result, pair
// and event lookups, step/abar helpers and the common Vega-Lite config. Pure: no Node APIs, so the
// browser pages build the same specs.
import type { TopLevelSpec } from 'vega-lite';
import type { EventInfo, MergerReport, PairReport } from '../formats/report-types.js';

export const VL_SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';
export const WIDTH = 560;
export const HEIGHT = 220;

/** What a chart builder returns when the report holds nothing to plot: a sentence saying why. */
export interface NoChart {
  none: string;
}
export type ChartSpec = TopLevelSpec | NoChart;

export function isNoChart(c: ChartSpec): c is NoChart {
  return typeof (c as NoChart).none === 'string';
}

/** Fonts and sizes shared by every chart (the static SVG has no interaction, so keep it legible). */
export const CHART_CONFIG = {
  font: 'Helvetica, Arial, sans-serif',
  title: { fontSize: 14, subtitleFontSize: 11, anchor: 'start' as const, subtitleColor: '#555' },
  axis: { labelFontSize: 10, titleFontSize: 11 },
  legend: { labelFontSize: 10, titleFontSize: 11, labelLimit: 220 },
};

export function eventName(report: MergerReport, id: number): string {
  const e: EventInfo | undefined = report.events[id];
  return e ? e.name : `event ${id}`;
}

export function pairLabel(report: MergerReport, p: PairReport): string {
  return `${eventName(report, p.a)} vs ${eventName(report, p.b)}`;
}

/** abar at an integer step 0..T, or null when the step is outside the schedule. */
export function abarAt(report: MergerReport, step: number): number | null {
  const a = report.schedule.abar[step];
  return typeof a === 'number' && Number.isFinite(a) ? a : null;
}

/** A number short enough for a label: 2 significant digits, plain notation down to 1e-6. */
export function shortNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  return String(Number(v.toPrecision(2)));
}

/** About `count` round tick values in [0, max] (steps 1, 2 or 5 times a power of ten). */
export function niceTicks(max: number, count: number): number[] {
  if (!(max > 0)) return [0];
  const raw = max / Math.max(1, count);
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) out.push(Math.round(v));
  return out;
}

/**
 * Encoding of a secondary x axis on top of a step axis that labels the ticks with abar_i, for a
 * layer drawn with `resolve: { axis: { x: 'independent' } }` (the scale stays shared).
 */
export function abarTopAxis(report: MergerReport, field: string) {
  const T = report.schedule.T;
  const ticks = niceTicks(T, 5);
  const cases = ticks.map((s) => `datum.value === ${s} ? '${shortNumber(abarAt(report, s) ?? NaN)}'`).join(' : ');
  return {
    field,
    type: 'quantitative' as const,
    scale: { domain: [0, T] },
    axis: {
      orient: 'top' as const,
      values: ticks,
      labelExpr: `${cases} : ''`,
      title: 'abar_i (at the step ticks)',
      grid: false,
    },
  };
}

/** The bottom step axis used by every chart over steps. */
export function stepX(report: MergerReport, field = 'step', title = 'step i') {
  return { field, type: 'quantitative' as const, scale: { domain: [0, report.schedule.T], nice: false }, title };
}

/** Rows for vertical rules at headline steps; null steps are left out. */
export function stepRules(report: MergerReport, items: { label: string; step: number | null }[]) {
  return items
    .filter((r): r is { label: string; step: number } => r.step !== null)
    .map((r) => ({ label: r.label, step: r.step, abar: abarAt(report, r.step) }));
}

/** Indices of the class events in class order (event whose kind is 'class' and pools one class). */
export function classEvents(report: MergerReport): { cls: number; event: EventInfo }[] {
  const out: { cls: number; event: EventInfo }[] = [];
  for (const e of report.events)
    if (e.kind === 'class' && e.classes.length === 1) out.push({ cls: e.classes[0], event: e });
  return out.sort((x, y) => x.cls - y.cls);
}

export function positiveFinite(v: number): boolean {
  return Number.isFinite(v) && v > 0;
}

/** Vega's Tableau 10 category colours, in order: one per class or pair where a page picks them itself. */
export const TABLEAU10 = [
  '#4c78a8',
  '#f58518',
  '#e45756',
  '#72b7b2',
  '#54a24b',
  '#eeca3b',
  '#b279a2',
  '#ff9da6',
  '#9d755d',
  '#bab0ac',
] as const;
