// A Vega-Lite spec of the eigenvalue spectra at one spectral step, chosen by the page's slider through
// the top-level param `stepIndex` (view.signal('stepIndex', j)): for the all-data event and each class,
// lambda_j(C(i)) - lambda_j(noise) against rank j, i.e. the terms whose largest absolute value is the
// spectral distance d(i) to the noise event (rank-paired, DESIGN §1). Near the merger every spectrum is
// within eps of the noise spectrum, so the eigenvalues themselves are a flat line at 1 on any shared
// axis; their differences on a symlog axis (linear within eps, logarithmic beyond) show what decides
// the merger. Complements the report's spectraChart (eigenvalues over steps). Pure: no DOM, no Node APIs.
import type { TopLevelSpec } from 'vega-lite';
import type { MergerReport } from '../../formats/report-types.js';
import {
  CHART_CONFIG,
  HEIGHT,
  VL_SCHEMA,
  WIDTH,
  classEvents,
  shortNumber,
  type ChartSpec,
} from '../../report/charts-common.js';

export const STEP_SIGNAL = 'stepIndex';

/**
 * Ticks of a symlog axis over [lo, hi] (lo < 0 < hi): 0, +-eps, the powers of ten beyond 3 eps on each
 * side, and an end of the axis (one significant digit, towards 0) when it lies 3x past the last tick.
 */
export function symlogTicks(lo: number, hi: number, eps: number): number[] {
  const out = [0, eps, -eps];
  for (let k = Math.ceil(Math.log10(3 * eps)); 10 ** k <= Math.max(hi, -lo); k++) {
    if (10 ** k <= hi) out.push(10 ** k);
    if (-(10 ** k) >= lo) out.push(-(10 ** k));
  }
  for (const v of [lo, hi]) {
    const a = Math.abs(v);
    const p = 10 ** Math.floor(Math.log10(a));
    const e = Number((Math.trunc(a / p) * p).toPrecision(1));
    const last = Math.max(...out.filter((t) => Math.sign(t) === Math.sign(v)).map(Math.abs));
    if (e >= 3 * last * (1 - 1e-9)) out.push(Math.sign(v) * e);
  }
  return out.sort((x, y) => x - y);
}

export function spectrumAtStepChart(report: MergerReport): ChartSpec {
  const { values } = report.spectra;
  const all = report.events.find((e) => e.kind === 'all');
  const noise = report.events.find((e) => e.kind === 'noise');
  if (!all || !values[all.id]?.length) return { none: 'The report holds no spectrum of the all-data event.' };
  // exact has no noise sample: the noise event is N(0, I) itself, every eigenvalue 1.
  const noiseSample = noise && noise.count > 0 && values[noise.id]?.length ? values[noise.id]! : null;
  const noiseAt = (j: number, r: number) => (noiseSample ? noiseSample[j]?.[r] : 1);
  const shown = [all, ...classEvents(report).map((c) => c.event)];
  const rows: { event: string; j: number; step: number; rank: number; value: number; noise: number; diff: number }[] =
    [];
  for (const e of shown) {
    report.spectralSteps.forEach((step, j) => {
      (values[e.id]?.[j] ?? []).forEach((v, r) => {
        const n = noiseAt(j, r);
        if (Number.isFinite(v) && n !== undefined && Number.isFinite(n))
          rows.push({ event: e.name, j, step, rank: r + 1, value: v, noise: n, diff: v - n });
      });
    });
  }
  const names = shown.map((e) => e.name);
  const eps = report.eps.value;
  // A fixed y range over all steps (and at least +-2 eps), so the axis holds still while the slider moves.
  const lo = rows.reduce((m, r) => Math.min(m, r.diff), -2 * eps);
  const hi = rows.reduce((m, r) => Math.max(m, r.diff), 2 * eps);
  const band = [
    { y: eps, label: `+eps = ${shortNumber(eps)}` },
    { y: -eps, label: '-eps' },
  ];
  const spec: TopLevelSpec = {
    $schema: VL_SCHEMA,
    config: CHART_CONFIG,
    title: {
      text: 'Spectrum at the selected step, relative to the noise',
      subtitle: [
        `lambda_j(C(i)) - lambda_j(noise) for the ${report.spectra.top} largest eigenvalues (${noiseSample ? 'noise: the N(0, I) sample of the analysis' : 'noise: N(0, I), every eigenvalue 1'}).`,
        'The all-data event has merged with the noise where every rank lies between the dashed lines (|difference| <= eps).',
        'Axis: linear within eps, logarithmic beyond (symlog). Move the slider to scan the spectral steps.',
      ],
    },
    params: [{ name: STEP_SIGNAL, value: 0 }],
    width: WIDTH,
    height: HEIGHT,
    layer: [
      {
        data: { values: rows },
        transform: [{ filter: `datum.j === ${STEP_SIGNAL}` }],
        mark: { type: 'line', point: { size: 30 }, strokeWidth: 1.5 },
        encoding: {
          x: {
            field: 'rank',
            type: 'quantitative',
            title: 'eigenvalue rank j',
            scale: { domain: [1, report.spectra.top], nice: false },
            axis: { tickMinStep: 1 },
          },
          y: {
            field: 'diff',
            type: 'quantitative',
            title: 'lambda_j - lambda_j(noise) (symlog)',
            scale: { type: 'symlog', constant: eps, domain: [lo, hi] },
            axis: { values: symlogTicks(lo, hi, eps), format: '~g' },
          },
          color: { field: 'event', type: 'nominal', title: 'event', scale: { domain: names } },
          tooltip: [
            { field: 'event', type: 'nominal' },
            { field: 'step', type: 'quantitative', title: 'step i' },
            { field: 'rank', type: 'quantitative' },
            { field: 'value', type: 'quantitative', title: 'eigenvalue', format: '.5g' },
            { field: 'noise', type: 'quantitative', title: 'noise eigenvalue', format: '.5g' },
            { field: 'diff', type: 'quantitative', title: 'difference', format: '.3g' },
          ],
        },
      },
      {
        data: { values: band },
        layer: [
          {
            mark: { type: 'rule', color: '#444', strokeDash: [6, 3] },
            encoding: { y: { field: 'y', type: 'quantitative' } },
          },
          {
            mark: { type: 'text', align: 'right', baseline: 'bottom', dy: -2, x: 'width', color: '#444' },
            encoding: { y: { field: 'y', type: 'quantitative' }, text: { field: 'label', type: 'nominal' } },
          },
        ],
      },
    ],
  };
  return spec;
}
