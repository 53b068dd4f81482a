// Vega-Lite specs for the merger report (report.json, src/formats/report-types.ts). Pure functions
// of a MergerReport with no Node APIs: report-html.ts renders them to SVG in Node and browser pages
// can hand the same specs to vega-embed. A builder returns { none: why } when there is nothing to plot.
// Split: charts-common.ts (shared helpers), charts-steps.ts (steps, normality), charts-structure.ts
// (spectra, merger matrix, dendrogram); this file has the merger curves and the page order.
import type { TopLevelSpec } from 'vega-lite';
import type { MergerReport } from '../formats/report-types.js';
import {
  CHART_CONFIG,
  HEIGHT,
  VL_SCHEMA,
  WIDTH,
  abarAt,
  abarTopAxis,
  pairLabel,
  positiveFinite,
  shortNumber,
  stepX,
  type ChartSpec,
} from './charts-common.js';
import { normalityChart, stepsChart } from './charts-steps.js';
import { dendrogramChart, mergerMatrixChart, spectraChart } from './charts-structure.js';

export { isNoChart, type ChartSpec, type NoChart } from './charts-common.js';
export { normalityChart, stepsChart } from './charts-steps.js';
export { dendrogramChart, dendrogramSegments, mergerMatrixChart, spectraChart } from './charts-structure.js';

const CURVE_M = 'M(i)';
const CURVE_MTHR = 'M~(i) (thresholded)';

/**
 * Pairs the merger-curves chart shows by default: the data-noise pair, every class-rest pair and every
 * group pair. With two classes there is no rest event (the rest of one class is the other), so the
 * single class-class pair stands in for the class-rest pairs.
 */
export function defaultCurvePairs(report: MergerReport): number[] {
  const kinds = report.pairs.some((p) => p.kind === 'class-rest') ? ['class-rest', 'group'] : ['class-class', 'group'];
  const idx: number[] = [];
  report.pairs.forEach((p, i) => {
    if (p.kind === 'data-noise') idx.unshift(i);
    else if (kinds.includes(p.kind) && (p.kind !== 'class-class' || report.data.classNames.length === 2)) idx.push(i);
  });
  return idx;
}

/**
 * M(i) and M~(i) against step i (top panel) and d(i) on a log axis with the eps line (bottom panel),
 * one colour per pair, a dotted rule at each pair's merger step. pairIndices index report.pairs
 * (default: defaultCurvePairs). Class-class pairs (K(K-1)/2 of them) are shown only when asked for;
 * their merger steps are in mergerMatrixChart.
 */
export function mergerCurvesChart(report: MergerReport, pairIndices?: number[]): ChartSpec {
  const idx = pairIndices ?? defaultCurvePairs(report);
  for (const i of idx) {
    if (!Number.isInteger(i) || i < 0 || i >= report.pairs.length)
      throw new RangeError(
        `mergerCurvesChart: pairIndices contains ${i}; allowed: integers in [0, ${report.pairs.length - 1}]`,
      );
  }
  if (idx.length === 0) return { none: 'The report has no data-noise or class-rest pair to plot.' };
  const pairs = idx.map((i) => ({ p: report.pairs[i], label: pairLabel(report, report.pairs[i]) }));
  const labels = pairs.map((q) => q.label);
  const mRows: { pair: string; curve: string; step: number; abar: number | null; value: number }[] = [];
  const dRows: { pair: string; step: number; abar: number | null; d: number }[] = [];
  const mergers: { pair: string; step: number; abar: number | null }[] = [];
  for (const { p, label } of pairs) {
    report.steps.forEach((s, j) => {
      const abar = abarAt(report, s);
      if (Number.isFinite(p.M[j])) mRows.push({ pair: label, curve: CURVE_M, step: s, abar, value: p.M[j] });
      if (Number.isFinite(p.Mthr[j])) mRows.push({ pair: label, curve: CURVE_MTHR, step: s, abar, value: p.Mthr[j] });
    });
    report.spectralSteps.forEach((s, j) => {
      if (positiveFinite(p.d[j])) dRows.push({ pair: label, step: s, abar: abarAt(report, s), d: p.d[j] });
    });
    if (p.mergerStep !== null) mergers.push({ pair: label, step: p.mergerStep, abar: p.mergerAbar });
  }
  const classClass = report.pairs.filter((p) => p.kind === 'class-class').length;
  const shownCC = pairs.filter((q) => q.p.kind === 'class-class').length;
  const subtitle = [
    `Dotted vertical rules: merger step i* (first step with d(i) <= eps); eps = ${shortNumber(report.eps.value)}.`,
    pairIndices !== undefined
      ? `Showing ${pairs.length} selected pairs (${shownCC} of ${classClass} class-class).`
      : classClass > shownCC
        ? `Showing the data-noise, class-rest and group pairs; the ${classClass} class-class pairs are in the merger matrix.`
        : `Showing all ${pairs.length} pairs.`,
  ];
  const color = { field: 'pair', type: 'nominal' as const, title: 'event pair', scale: { domain: labels } };
  const tipStep = [
    { field: 'pair', type: 'nominal' as const },
    { field: 'step', type: 'quantitative' as const, title: 'step i' },
    { field: 'abar', type: 'quantitative' as const, title: 'abar', format: '.4g' },
  ];
  const mergerLayer = {
    data: { values: mergers },
    mark: { type: 'rule' as const, strokeDash: [2, 2], strokeWidth: 1.5 },
    encoding: {
      x: abarTopAxis(report, 'step'),
      color,
      tooltip: [
        ...tipStep.slice(0, 2),
        { field: 'abar', type: 'quantitative' as const, title: 'abar at i*', format: '.4g' },
      ],
    },
  };
  const spec: TopLevelSpec = {
    $schema: VL_SCHEMA,
    config: CHART_CONFIG,
    title: { text: 'Cross-fluctuation M(i) and spectral distance d(i) per event pair', subtitle },
    vconcat: [
      {
        width: WIDTH,
        height: HEIGHT,
        layer: [
          {
            data: { values: mRows },
            mark: { type: 'line', strokeWidth: 1.5, clip: true },
            encoding: {
              x: stepX(report),
              y: { field: 'value', type: 'quantitative', title: 'M(i) and M~(i)', scale: { domain: [0, 1] } },
              color,
              strokeDash: {
                field: 'curve',
                type: 'nominal',
                title: 'curve',
                scale: {
                  domain: [CURVE_M, CURVE_MTHR],
                  range: [
                    [1, 0],
                    [5, 3],
                  ],
                },
              },
              tooltip: [
                ...tipStep,
                { field: 'curve', type: 'nominal' },
                { field: 'value', type: 'quantitative', title: 'value', format: '.4f' },
              ],
            },
          },
          mergerLayer,
        ],
        resolve: { axis: { x: 'independent' } },
      },
      {
        width: WIDTH,
        height: HEIGHT,
        layer: [
          {
            data: { values: dRows },
            mark: { type: 'line', strokeWidth: 1.5, point: dRows.length <= 200 ? { size: 12 } : false },
            encoding: {
              x: stepX(report),
              y: { field: 'd', type: 'quantitative', title: 'd(i), log scale', scale: { type: 'log' } },
              color,
              tooltip: [...tipStep, { field: 'd', type: 'quantitative', title: 'd(i)', format: '.4g' }],
            },
          },
          {
            data: { values: [{ eps: report.eps.value, label: `eps = ${shortNumber(report.eps.value)}` }] },
            layer: [
              {
                mark: { type: 'rule', color: 'black', strokeDash: [6, 3] },
                encoding: { y: { field: 'eps', type: 'quantitative' } },
              },
              {
                mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -2, x: 'width' },
                encoding: { y: { field: 'eps', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
              },
            ],
          },
          { ...mergerLayer, encoding: { x: stepX(report), color, tooltip: mergerLayer.encoding.tooltip } },
        ],
      },
    ],
    resolve: { scale: { color: 'shared' } },
  };
  return spec;
}

/** The report's charts in page order, with a caption saying how to read each. */
export const REPORT_CHARTS: { id: string; title: string; caption: string; build: (r: MergerReport) => ChartSpec }[] = [
  {
    id: 'steps',
    title: 'Headline steps',
    caption:
      'The schedule abar_i (fraction of the signal left at step i) with vertical rules at the speciation step (Biroli et al.: abar_i <= 1/Lambda), the data-noise merger step (from there on the noised data is spectrally indistinguishable from N(0, I)), the normality step, and, in grey, each class’s merger with the rest of the data. Reverse sampling only needs to start at the data-noise merger step.',
    build: stepsChart,
  },
  {
    id: 'merger-curves',
    title: 'Merger curves',
    caption:
      'Top: M(i), the absolute normalised Frobenius product of the two events’ covariances (1 = same shape), and M~(i), equal to M(i) while the spectra differ by more than eps and 1 after. Bottom: d(i), the largest rank-paired eigenvalue difference, on a log axis; the pair merges at the first step where d(i) falls under the dashed eps line (dotted rules). The top axis gives abar_i at the marked steps.',
    build: (r) => mergerCurvesChart(r),
  },
  {
    id: 'spectra',
    title: 'Spectra',
    caption:
      'The largest eigenvalues of the all-data covariance C(i) over the spectral steps (log axis), one line per rank; dashed grey: the noise event (N(0, I) stays at eigenvalue 1 up to sampling error). Eigenvalues move from the data spectrum at i = 0 towards 1; with two or more classes, small panels below show the top ranks of each class.',
    build: spectraChart,
  },
  {
    id: 'merger-matrix',
    title: 'Class merger matrix',
    caption:
      'Merger step of each pair of classes (the first step where their spectra are within eps). Small numbers: the classes become indistinguishable after little noise, so they are close; "none": no merger within the schedule.',
    build: mergerMatrixChart,
  },
  {
    id: 'dendrogram',
    title: 'Class dendrogram',
    caption:
      'Agglomerative clustering of the classes on the merger matrix; a horizontal bar joins two clusters at the height of their linkage merger step. Classes joined low merge early in the forward process (they are alike).',
    build: dendrogramChart,
  },
  {
    id: 'normality',
    title: 'Normality test',
    caption:
      "Top: D'Agostino-Pearson K² of the noised data projected on each top principal direction (log axis); dashed lines are the chi-squared(2) critical values at alpha and with the Bonferroni correction over directions: the normality step is the first step from which every direction stays under the corrected line. Bottom: fraction of the coordinates whose test rejects normality at alpha (the dashed line at alpha is what Gaussian data gives by chance).",
    build: normalityChart,
  },
];
