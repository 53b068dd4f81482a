// Report charts over the noise schedule: the headline steps on abar_i, and the D'Agostino-Pearson
// normality test of the noised data. Pure (no Node APIs); see charts.ts for the page order.
import type { TopLevelSpec } from 'vega-lite';
import type { MergerReport } from '../formats/report-types.js';
import {
  CHART_CONFIG,
  HEIGHT,
  VL_SCHEMA,
  WIDTH,
  abarAt,
  positiveFinite,
  stepRules,
  stepX,
  type ChartSpec,
} from './charts-common.js';

/** K² per top direction over the test steps (log) with chi-squared critical values, and the rejected fraction of coordinates. */
export function normalityChart(report: MergerReport): ChartSpec {
  const n = report.dataNoise.normality;
  if (n.steps.length === 0 || n.directions === 0) return { none: 'The normality test was not evaluated at any step.' };
  const rows: { direction: number; step: number; abar: number | null; k2: number; p: number }[] = [];
  n.steps.forEach((s, j) => {
    (n.k2[j] ?? []).forEach((k2, d) => {
      if (positiveFinite(k2))
        rows.push({ direction: d + 1, step: s, abar: abarAt(report, s), k2, p: n.pValue[j]?.[d] ?? NaN });
    });
  });
  const frac = n.steps
    .map((s, j) => ({ step: s, abar: abarAt(report, s), fraction: n.rejectedFraction[j] }))
    .filter((r) => Number.isFinite(r.fraction));
  // chi-squared with 2 degrees of freedom: P(K² > c) = exp(-c/2), so c = -2 ln(alpha).
  const crit = [
    { label: `chi2(2) critical at alpha = ${n.alpha}`, k2: -2 * Math.log(n.alpha) },
    { label: `Bonferroni over ${n.directions} directions`, k2: -2 * Math.log(n.alpha / n.directions) },
  ];
  const rules = stepRules(report, [
    { label: 'normality step', step: report.dataNoise.normalityStep },
    { label: 'data-noise merger', step: report.dataNoise.mergerStep },
  ]);
  const x = stepX(report);
  const vrules = {
    data: { values: rules },
    layer: [
      {
        mark: { type: 'rule' as const, strokeDash: [2, 2], color: '#444' },
        encoding: { x: { field: 'step', type: 'quantitative' as const } },
      },
      {
        mark: {
          type: 'text' as const,
          angle: 270,
          align: 'right' as const,
          baseline: 'bottom' as const,
          dx: -4,
          y: 0,
          color: '#444',
        },
        encoding: {
          x: { field: 'step', type: 'quantitative' as const },
          text: { field: 'label', type: 'nominal' as const },
        },
      },
    ],
  };
  const spec: TopLevelSpec = {
    $schema: VL_SCHEMA,
    config: CHART_CONFIG,
    title: {
      text: "D'Agostino-Pearson normality of the noised data",
      // The critical values are named here, not on the plot, where their labels would cross the curves.
      subtitle: [
        `Top: K² along the top ${n.directions} principal directions of the data; dashed: ${crit[0]!.label} (K² = ${crit[0]!.k2.toFixed(2)}) and ${crit[1]!.label} (K² = ${crit[1]!.k2.toFixed(2)}); above them, normality is rejected.`,
        `Bottom: the fraction of the coordinates whose own test rejects normality at alpha; dashed: alpha, what Gaussian data reject by chance.`,
      ],
    },
    vconcat: [
      {
        width: WIDTH,
        height: HEIGHT,
        layer: [
          {
            data: { values: rows },
            mark: { type: 'line', point: rows.length <= 300 ? { size: 12 } : false },
            encoding: {
              x,
              y: { field: 'k2', type: 'quantitative', title: 'K², log scale', scale: { type: 'log' } },
              color: {
                field: 'direction',
                type: 'ordinal',
                title: 'principal direction',
                scale: { scheme: 'viridis' },
              },
              tooltip: [
                { field: 'direction', type: 'ordinal' },
                { field: 'step', type: 'quantitative', title: 'step i' },
                { field: 'abar', type: 'quantitative', format: '.4g' },
                { field: 'k2', type: 'quantitative', title: 'K²', format: '.4g' },
                { field: 'p', type: 'quantitative', title: 'p-value', format: '.3g' },
              ],
            },
          },
          {
            data: { values: crit },
            mark: { type: 'rule', color: 'black', strokeDash: [6, 3] },
            encoding: { y: { field: 'k2', type: 'quantitative' } },
          },
          vrules,
        ],
      },
      {
        width: WIDTH,
        height: HEIGHT * 0.7,
        layer: [
          {
            data: { values: frac },
            mark: {
              type: 'line',
              color: '#b03a2e',
              point: frac.length <= 200 ? { size: 12, color: '#b03a2e' } : false,
            },
            encoding: {
              x,
              y: { field: 'fraction', type: 'quantitative', title: 'rejected fraction', scale: { domain: [0, 1] } },
              tooltip: [
                { field: 'step', type: 'quantitative', title: 'step i' },
                { field: 'abar', type: 'quantitative', format: '.4g' },
                { field: 'fraction', type: 'quantitative', format: '.3f' },
              ],
            },
          },
          {
            data: { values: [{ alpha: n.alpha }] },
            mark: { type: 'rule', color: 'black', strokeDash: [6, 3] },
            encoding: { y: { field: 'alpha', type: 'quantitative' } },
          },
          vrules,
        ],
      },
    ],
  };
  return spec;
}

/** abar_i over the schedule with vertical rules at the headline steps and each class's merger with the rest. */
export function stepsChart(report: MergerReport): ChartSpec {
  const abar = report.schedule.abar.map((a, i) => ({ step: i, abar: a })).filter((r) => Number.isFinite(r.abar));
  if (abar.length === 0) return { none: 'The schedule has no abar values.' };
  const headline = stepRules(report, [
    { label: 'speciation', step: report.speciationStep },
    { label: 'data-noise merger', step: report.dataNoise.mergerStep },
    { label: 'normality', step: report.dataNoise.normalityStep },
  ]).map((r) => ({ ...r, kind: r.label, text: `${r.label} (i = ${r.step})` }));
  const rest = stepRules(
    report,
    report.classRestMerger.map((s, k) => ({ label: report.data.classNames[k] ?? `class ${k}`, step: s })),
  ).map((r) => ({ ...r, kind: 'class-rest merger', text: r.label }));
  const kinds = ['speciation', 'data-noise merger', 'normality', 'class-rest merger'];
  const x = stepX(report);
  const spec: TopLevelSpec = {
    $schema: VL_SCHEMA,
    config: CHART_CONFIG,
    title: {
      text: 'Headline steps on the noise schedule',
      subtitle: `abar_i of the ${report.schedule.name} schedule (T = ${report.schedule.T}); rules mark where each event of the analysis happens.`,
    },
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: abar },
        mark: { type: 'line', color: '#333' },
        encoding: {
          x,
          y: { field: 'abar', type: 'quantitative', title: 'abar_i (signal fraction)', scale: { domain: [0, 1] } },
          tooltip: [
            { field: 'step', type: 'quantitative', title: 'step i' },
            { field: 'abar', type: 'quantitative', format: '.4g' },
          ],
        },
      },
      {
        data: { values: [...rest, ...headline] },
        mark: { type: 'rule', strokeWidth: 1.5 },
        encoding: {
          x: { field: 'step', type: 'quantitative' },
          color: {
            field: 'kind',
            type: 'nominal',
            title: 'step',
            scale: { domain: kinds, range: ['#1f77b4', '#d62728', '#2ca02c', '#bbbbbb'] },
          },
          tooltip: [
            { field: 'text', type: 'nominal', title: 'event' },
            { field: 'step', type: 'quantitative' },
            { field: 'abar', type: 'quantitative', format: '.4g' },
          ],
        },
      },
      {
        data: { values: headline },
        mark: { type: 'text', angle: 270, align: 'right', baseline: 'bottom', dx: -4, y: 0 },
        encoding: { x: { field: 'step', type: 'quantitative' }, text: { field: 'text', type: 'nominal' } },
      },
    ],
  };
  return spec;
}
