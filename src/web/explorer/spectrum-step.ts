// A Vega-Lite spec of the eigenvalue spectrum at one spectral step, chosen by the page's slider through
// the top-level param `stepIndex` (view.signal('stepIndex', j)): eigenvalue against rank for the
// all-data event, the noise event and each class. Complements the report's spectraChart (eigenvalues
// over steps), which the page draws from the shared spec. Pure: no DOM, no Node APIs.
import type { TopLevelSpec } from 'vega-lite';
import type { MergerReport } from '../../formats/report-types.js';
import {
  CHART_CONFIG,
  HEIGHT,
  VL_SCHEMA,
  WIDTH,
  classEvents,
  positiveFinite,
  shortNumber,
  type ChartSpec,
} from '../../report/charts-common.js';

export const STEP_SIGNAL = 'stepIndex';

export function spectrumAtStepChart(report: MergerReport): ChartSpec {
  const { values } = report.spectra;
  const all = report.events.find((e) => e.kind === 'all');
  const noise = report.events.find((e) => e.kind === 'noise');
  if (!all || !values[all.id]?.length) return { none: 'The report holds no spectrum of the all-data event.' };
  const shown = [all, ...(noise && noise.count > 0 ? [noise] : []), ...classEvents(report).map((c) => c.event)];
  const rows: { event: string; j: number; step: number; rank: number; value: number }[] = [];
  for (const e of shown) {
    report.spectralSteps.forEach((step, j) => {
      (values[e.id]?.[j] ?? []).forEach((v, r) => {
        if (positiveFinite(v)) rows.push({ event: e.name, j, step, rank: r + 1, value: v });
      });
    });
  }
  const names = shown.map((e) => e.name);
  // A fixed y range over all steps, so the axis holds still while the slider moves.
  const lo = rows.reduce((m, r) => Math.min(m, r.value), Infinity);
  const hi = rows.reduce((m, r) => Math.max(m, r.value), 0);
  const eps = report.eps.value;
  const spec: TopLevelSpec = {
    $schema: VL_SCHEMA,
    config: CHART_CONFIG,
    title: {
      text: 'Spectrum at the selected step',
      subtitle: `The ${report.spectra.top} largest eigenvalues of C(i) per event (log axis); eps = ${shortNumber(eps)}. Move the slider to scan the spectral steps.`,
    },
    params: [{ name: STEP_SIGNAL, value: 0 }],
    width: WIDTH,
    height: HEIGHT,
    data: { values: rows },
    transform: [{ filter: `datum.j === ${STEP_SIGNAL}` }],
    mark: { type: 'line', point: { size: 30 }, strokeWidth: 1.5 },
    encoding: {
      x: {
        field: 'rank',
        type: 'quantitative',
        title: 'eigenvalue rank',
        scale: { domain: [1, report.spectra.top], nice: false },
        axis: { tickMinStep: 1 },
      },
      y: { field: 'value', type: 'quantitative', title: 'eigenvalue (log)', scale: { type: 'log', domain: [lo, hi] } },
      color: { field: 'event', type: 'nominal', title: 'event', scale: { domain: names } },
      tooltip: [
        { field: 'event', type: 'nominal' },
        { field: 'step', type: 'quantitative', title: 'step i' },
        { field: 'rank', type: 'quantitative' },
        { field: 'value', type: 'quantitative', title: 'eigenvalue', format: '.4g' },
      ],
    },
  };
  return spec;
}
