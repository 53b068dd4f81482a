// Vega-Lite charts of the critical-window experiment: every signal normalised to [0, 1] on one step axis with
// the merger / speciation / late-start marks and the critical-time estimates as vertical rules, and the raw
// correlation lengths. Pure: no Node APIs.
import type { TopLevelSpec } from 'vega-lite';
import { CHART_CONFIG, VL_SCHEMA } from '../report/charts-common.js';
import type { PowerSpectrumSteps } from '../analysis/spectrum.js';
import type { ExperimentChart } from './types.js';
import { normaliseCurve, type NamedStep } from './critical-common.js';

export interface Mark {
  what: string;
  step: number | null;
}

/** Each curve min-max normalised; marks dashed grey rules, estimates solid coloured rules. */
export function curvesChart(
  curves: { signal: string; steps: ArrayLike<number>; values: ArrayLike<number> }[],
  marks: Mark[],
  estimates: NamedStep[],
): ExperimentChart {
  const values = curves.flatMap((c) => {
    const v = normaliseCurve(c.values);
    return Array.from(c.steps, (st, i) => ({ step: st, value: v[i], signal: c.signal })).filter(
      (p) => p.value !== null,
    );
  });
  const rules = [
    ...marks.filter((m) => m.step !== null).map((m) => ({ step: m.step, label: m.what, kind: 'mark' })),
    ...estimates.filter((e) => e.step !== null).map((e) => ({ step: e.step, label: e.name, kind: 'estimate' })),
  ];
  const spec = {
    $schema: VL_SCHEMA,
    width: 640,
    height: 300,
    config: CHART_CONFIG,
    layer: [
      {
        data: { values },
        mark: { type: 'line', point: { size: 14 } },
        encoding: {
          x: { field: 'step', type: 'quantitative', title: 'step t (noisier →)' },
          y: { field: 'value', type: 'quantitative', title: 'signal, min–max normalised' },
          color: { field: 'signal', type: 'nominal', title: 'signal' },
        },
      },
      {
        data: { values: rules.filter((x) => x.kind === 'mark') },
        mark: { type: 'rule', strokeDash: [4, 3], color: '#555' },
        encoding: { x: { field: 'step', type: 'quantitative' }, tooltip: [{ field: 'label' }, { field: 'step' }] },
      },
      {
        data: { values: rules.filter((x) => x.kind === 'mark') },
        mark: { type: 'text', angle: 270, align: 'right', dx: -3, dy: -4, fontSize: 9, color: '#333' },
        encoding: { x: { field: 'step', type: 'quantitative' }, y: { value: 0 }, text: { field: 'label' } },
      },
      {
        data: { values: rules.filter((x) => x.kind === 'estimate') },
        mark: { type: 'rule', strokeWidth: 2, opacity: 0.6 },
        encoding: {
          x: { field: 'step', type: 'quantitative' },
          color: { field: 'label', type: 'nominal', title: 'critical-time estimate', scale: { scheme: 'dark2' } },
        },
      },
    ],
    resolve: { scale: { color: 'independent' } },
  } as TopLevelSpec;
  return {
    id: 'signals',
    title: 'Every signal against the step axis',
    caption:
      'Curves: each signal min–max normalised over the steps shown. Dashed grey rules: the merger analysis (data–noise merger, median class–rest merger, speciation) and the best late-start step. Solid coloured rules: the critical-time estimates.',
    spec,
  };
}

/** Raw correlation lengths of x_t and x0_hat in pixels (Infinity left out). */
export function xiChart(steps: number[], spec: PowerSpectrumSteps): ExperimentChart {
  const values = [
    ...steps.map((st, i) => ({ step: st, xi: spec.xt.xi[i]!, of: 'x_t' })),
    ...(spec.x0hat ? steps.map((st, i) => ({ step: st, xi: spec.x0hat!.xi[i]!, of: 'x0_hat' })) : []),
  ].filter((p) => Number.isFinite(p.xi));
  const chart = {
    $schema: VL_SCHEMA,
    width: 560,
    height: 220,
    config: CHART_CONFIG,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'step', type: 'quantitative', title: 'step t' },
      y: { field: 'xi', type: 'quantitative', title: 'correlation length xi (pixels)' },
      color: { field: 'of', type: 'nominal', title: null },
    },
  } as TopLevelSpec;
  return {
    id: 'xi',
    title: 'Correlation length xi(t)',
    caption: `First radius where the radially averaged autocorrelation of the batch-centred ${spec.imageShape[0]} x ${spec.imageShape[1]} images drops below 1/e (linear interpolation between radial bins), ${spec.rows} rows.`,
    spec: chart,
  };
}
