// Report charts about structure: eigenvalue spectra over steps, the class merger matrix and the class
// dendrogram. Pure (no Node APIs); see charts.ts for the rest and the page order.
import type { TopLevelSpec } from 'vega-lite';
import type { MergerReport } from '../formats/report-types.js';
import {
  CHART_CONFIG,
  HEIGHT,
  VL_SCHEMA,
  WIDTH,
  abarAt,
  classEvents,
  positiveFinite,
  stepX,
  type ChartSpec,
} from './charts-common.js';

const CLASS_RANKS = 3; // ranks drawn in the per-class small multiples

/** Top eigenvalues of the 'all' event per rank over the spectral steps (log), the noise event dashed, and one small panel per class. */
export function spectraChart(report: MergerReport): ChartSpec {
  const { values, top } = report.spectra;
  const all = report.events.find((e) => e.kind === 'all');
  if (!all || !values[all.id] || values[all.id].length === 0)
    return { none: 'The report holds no spectrum of the all-data event.' };
  const noise = report.events.find((e) => e.kind === 'noise');
  const rowsOf = (id: number, maxRank: number, extra: Record<string, string>) => {
    const out: Record<string, string | number | null>[] = [];
    report.spectralSteps.forEach((s, j) => {
      (values[id]?.[j] ?? []).slice(0, maxRank).forEach((v, r) => {
        if (positiveFinite(v)) out.push({ ...extra, rank: r + 1, step: s, abar: abarAt(report, s), value: v });
      });
    });
    return out;
  };
  const allRows = rowsOf(all.id, top, {});
  const noiseRows = noise ? rowsOf(noise.id, top, {}) : [];
  const classes = classEvents(report);
  const classRows =
    classes.length > 1 ? classes.flatMap(({ event }) => rowsOf(event.id, CLASS_RANKS, { event: event.name })) : [];
  const ranks = Array.from({ length: Math.max(1, top) }, (_, r) => r + 1);
  const color = {
    field: 'rank',
    type: 'ordinal' as const,
    title: 'eigenvalue rank',
    scale: { domain: ranks, scheme: 'viridis' },
  };
  const y = {
    field: 'value',
    type: 'quantitative' as const,
    title: 'eigenvalue of C(i) (log)',
    scale: { type: 'log' as const },
  };
  const tooltip = [
    { field: 'rank', type: 'ordinal' as const },
    { field: 'step', type: 'quantitative' as const, title: 'step i' },
    { field: 'abar', type: 'quantitative' as const, format: '.4g' },
    { field: 'value', type: 'quantitative' as const, title: 'eigenvalue', format: '.4g' },
  ];
  const main = {
    width: WIDTH,
    height: HEIGHT,
    title: `${all.name} (solid, by rank)${noise ? ` and ${noise.name} (dashed grey)` : ''}`,
    layer: [
      {
        data: { values: noiseRows },
        mark: { type: 'line' as const, color: '#999', strokeDash: [4, 3], strokeWidth: 1 },
        encoding: { x: stepX(report), y, detail: { field: 'rank', type: 'ordinal' as const }, tooltip },
      },
      {
        data: { values: allRows },
        mark: { type: 'line' as const, strokeWidth: 1.5 },
        encoding: { x: stepX(report), y, color, tooltip },
      },
    ],
  };
  const title = {
    text: 'Eigenvalue spectra over the spectral steps',
    subtitle: `The ${top} largest eigenvalues kept per event; centring: ${report.centring}.`,
  };
  if (classRows.length === 0) {
    const { title: panelTitle, ...single } = main;
    return {
      $schema: VL_SCHEMA,
      config: CHART_CONFIG,
      title: { ...title, subtitle: [title.subtitle, panelTitle] },
      ...single,
    };
  }
  const panels = {
    data: { values: classRows },
    facet: {
      field: 'event',
      type: 'nominal' as const,
      title: `per class event (top ${CLASS_RANKS} ranks)`,
      sort: classes.map((c) => c.event.name),
      header: { labelLimit: 140 },
    },
    columns: 4,
    spec: {
      width: 120,
      height: 80,
      mark: { type: 'line' as const, strokeWidth: 1.2 },
      encoding: { x: stepX(report), y: { ...y, title: 'eigenvalue (log)' }, color, tooltip },
    },
  };
  const spec: TopLevelSpec = {
    $schema: VL_SCHEMA,
    config: CHART_CONFIG,
    title,
    vconcat: [main, panels],
    resolve: { scale: { color: 'shared' } },
  };
  return spec;
}

/** Heat map of classMergerMatrix (rows and columns = classes) with the merger step in each cell; null cells read "none". */
export function mergerMatrixChart(report: MergerReport): ChartSpec {
  const m = report.classMergerMatrix;
  const names = report.data.classNames;
  const K = names.length;
  if (K < 2) return { none: `The data has ${K} class, so there is no pair of classes to compare.` };
  if (m.length !== K || m.some((row) => row.length !== K))
    return { none: `classMergerMatrix is ${m.length} x ${m[0]?.length ?? 0} but there are ${K} classes.` };
  const rows = m.flatMap((row, i) =>
    row.map((v, j) => ({
      row: names[i],
      col: names[j],
      step: i === j ? null : v,
      abar: i === j || v === null ? null : abarAt(report, v),
      label: i === j ? '—' : v === null ? 'none' : String(v),
      kind: i === j ? 'diagonal' : v === null ? 'none' : 'merger',
    })),
  );
  const steps = rows.filter((r) => r.kind === 'merger').map((r) => r.step as number);
  const hi = steps.length ? Math.max(...steps) : 1;
  const lo = steps.length ? Math.min(...steps) : 0;
  const cell = Math.max(18, Math.min(48, Math.floor(480 / K)));
  const axis = { field: '', type: 'nominal' as const, sort: names, axis: { labelLimit: 160, labelAngle: 0 } };
  const spec: TopLevelSpec = {
    $schema: VL_SCHEMA,
    config: CHART_CONFIG,
    title: {
      text: 'Class merger matrix',
      subtitle: steps.length
        ? 'Merger step i* of each pair of classes (first step with d(i) <= eps); "none": no merger within the schedule.'
        : `No pair of classes merges within the schedule (T = ${report.schedule.T}): every cell is "none".`,
    },
    data: { values: rows },
    width: cell * K,
    height: cell * K,
    encoding: {
      x: { ...axis, field: 'col', title: 'class', axis: { ...axis.axis, labelAngle: K > 6 ? -45 : 0, orient: 'top' } },
      y: { ...axis, field: 'row', title: 'class' },
    },
    layer: [
      {
        transform: [{ filter: "datum.kind === 'merger'" }],
        mark: { type: 'rect' },
        encoding: {
          color: {
            field: 'step',
            type: 'quantitative',
            title: 'merger step i*',
            scale: { scheme: 'blues', domain: [Math.min(lo, hi - 1), hi] },
            // Without a merger cell a colour legend would show a made-up 0-1 range.
            ...(steps.length ? {} : { legend: null }),
          },
          tooltip: [
            { field: 'row', type: 'nominal', title: 'class a' },
            { field: 'col', type: 'nominal', title: 'class b' },
            { field: 'step', type: 'quantitative', title: 'merger step' },
            { field: 'abar', type: 'quantitative', format: '.4g' },
          ],
        },
      },
      { transform: [{ filter: "datum.kind !== 'merger'" }], mark: { type: 'rect', color: '#eeeeee' } },
      {
        mark: { type: 'text', fontSize: cell < 28 ? 8 : 10 },
        encoding: {
          text: { field: 'label', type: 'nominal' },
          color: {
            condition: { test: `datum.kind === 'merger' && datum.step > ${(lo + hi) / 2}`, value: 'white' },
            value: 'black',
          },
        },
      },
    ],
  };
  return spec;
}

/** One rule segment of the dendrogram drawing, in leaf-position (x) and merger-step (y) coordinates. */
export interface DendrogramSegment {
  merge: number;
  x: number;
  x2: number;
  y: number;
  y2: number;
}

/**
 * The U-shaped segments of report.dendrogram: leaves at x = position in `order`, height 0; the node
 * of merge r at x = mean of its children's x and y = its height. Three segments per merge (two
 * verticals and the bar). Throws when a merge names a cluster that does not exist yet.
 */
export function dendrogramSegments(report: MergerReport): DendrogramSegment[] {
  const { merges, order } = report.dendrogram;
  const K = order.length;
  const pos: { x: number; y: number }[] = [];
  order.forEach((cls, i) => (pos[cls] = { x: i, y: 0 }));
  const segs: DendrogramSegment[] = [];
  merges.forEach((m, r) => {
    const a = pos[m.a];
    const b = pos[m.b];
    if (!a || !b)
      throw new RangeError(
        `dendrogram.merges[${r}] joins clusters ${m.a} and ${m.b}; allowed: class ids < ${K} in order, or K + earlier rows < ${K + r}`,
      );
    segs.push({ merge: r, x: a.x, x2: a.x, y: a.y, y2: m.height });
    segs.push({ merge: r, x: b.x, x2: b.x, y: b.y, y2: m.height });
    segs.push({ merge: r, x: a.x, x2: b.x, y: m.height, y2: m.height });
    pos[K + r] = { x: (a.x + b.x) / 2, y: m.height };
  });
  return segs;
}

/** The class dendrogram as rule marks, class names under the leaves, y = merger step. */
export function dendrogramChart(report: MergerReport): ChartSpec {
  const { merges, order, linkage } = report.dendrogram;
  if (order.length < 2 || merges.length === 0)
    return {
      none:
        order.length < 2
          ? `The data has ${order.length} class: no dendrogram to draw.`
          : 'The dendrogram has no merges: nothing to draw.',
    };
  const segs = dendrogramSegments(report);
  const names = report.data.classNames;
  const K = order.length;
  const leaves = order.map((cls, i) => ({ x: i, y: 0, name: names[cls] ?? `class ${cls}` }));
  const top = Math.max(...merges.map((m) => m.height), 1);
  const tilt = K > 8;
  const x = {
    field: 'x',
    type: 'quantitative' as const,
    axis: null,
    scale: { domain: [-0.5, K - 0.5], nice: false, zero: false },
  };
  const spec: TopLevelSpec = {
    $schema: VL_SCHEMA,
    config: CHART_CONFIG,
    title: {
      text: 'Class dendrogram',
      subtitle: `${linkage} linkage on the class merger steps; ${merges.length} merges of ${K} classes.`,
    },
    width: Math.max(240, Math.min(WIDTH, 48 * K)),
    height: HEIGHT,
    layer: [
      {
        data: { values: segs },
        mark: { type: 'rule', strokeWidth: 1.5, color: '#1f4e79' },
        encoding: {
          x,
          x2: { field: 'x2' },
          y: { field: 'y', type: 'quantitative', title: 'merger step', scale: { domain: [0, top * 1.08], nice: true } },
          y2: { field: 'y2' },
          tooltip: [
            { field: 'merge', type: 'ordinal', title: 'merge row' },
            { field: 'y2', type: 'quantitative', title: 'height (step)' },
          ],
        },
      },
      ...(top > report.schedule.T
        ? [
            {
              data: {
                values: [
                  { y: report.schedule.T + 1, label: `no merger within T: placed at T + 1 = ${report.schedule.T + 1}` },
                ],
              },
              layer: [
                {
                  mark: { type: 'rule' as const, color: '#999', strokeDash: [4, 3] },
                  encoding: { y: { field: 'y', type: 'quantitative' as const } },
                },
                {
                  mark: {
                    type: 'text' as const,
                    align: 'left' as const,
                    baseline: 'bottom' as const,
                    dy: -2,
                    x: 0,
                    color: '#777',
                  },
                  encoding: {
                    y: { field: 'y', type: 'quantitative' as const },
                    text: { field: 'label', type: 'nominal' as const },
                  },
                },
              ],
            },
          ]
        : []),
      {
        data: { values: leaves },
        mark: tilt
          ? { type: 'text', angle: 315, align: 'right', baseline: 'middle', dy: 8, limit: 160 }
          : { type: 'text', align: 'center', baseline: 'top', dy: 6, limit: 160 },
        encoding: { x, y: { field: 'y', type: 'quantitative' }, text: { field: 'name', type: 'nominal' } },
      },
    ],
  };
  return spec;
}
