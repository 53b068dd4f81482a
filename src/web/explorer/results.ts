// Draws a finished merger analysis on the explorer page: headline steps, warnings, the report's charts
// from the shared Vega-Lite specs (src/report/charts*.ts), a pair picker for the merger curves and
// the spectrum slider. Returns the summary the page publishes for its test.
import type { MergerReport } from '../../formats/report-types.js';
import { defaultCurvePairs, mergerCurvesChart } from '../../report/charts.js';
import { pairLabel } from '../../report/charts-common.js';
import { dendrogramChart, mergerMatrixChart, spectraChart } from '../../report/charts-structure.js';
import { normalityChart, stepsChart } from '../../report/charts-steps.js';
import { drawChart, setSignal } from './vega-view.js';
import { STEP_SIGNAL, spectrumAtStepChart } from './spectrum-step.js';
import { explorerSummary, type ExplorerSummary } from './summary.js';

const byId = (id: string) => document.getElementById(id)!;

function stepText(r: MergerReport, s: number | null): string {
  return s === null ? `none within T = ${r.schedule.T}` : `${s} (abar ${r.schedule.abar[s]!.toPrecision(3)})`;
}

function clusterName(r: MergerReport, id: number): string {
  const K = r.data.classNames.length;
  if (id < K) return r.data.classNames[id]!;
  const m = r.dendrogram.merges[id - K]!;
  return `(${clusterName(r, m.a)} ${clusterName(r, m.b)})`;
}

function headline(r: MergerReport): void {
  const items = [
    `data: ${r.data.name}, ${r.data.n} × ${r.data.dim}, ${r.data.classNames.length} classes; ${r.schedule.name} schedule, T = ${r.schedule.T}; method ${r.method}; eps = ${r.eps.value.toPrecision(3)}`,
    `data–noise merger step: ${stepText(r, r.dataNoise.mergerStep)} — reverse sampling only needs to start here`,
    `normality no longer rejected (alpha ${r.dataNoise.normality.alpha}) from step: ${stepText(r, r.dataNoise.normalityStep)}`,
    `speciation step: ${stepText(r, r.speciationStep)} (Lambda = ${r.speciation.lambdaMax.toPrecision(4)})`,
    `class–rest merger steps: ${r.data.classNames.map((n, k) => `${n}: ${r.classRestMerger[k] ?? 'none'}`).join(', ')}`,
    `first class merges: ${
      r.dendrogram.merges
        .slice(0, 3)
        .map(
          (m) =>
            `${clusterName(r, m.a)} + ${clusterName(r, m.b)} at ${Number.isInteger(m.height) ? m.height : m.height.toFixed(1)}`,
        )
        .join('; ') || 'none'
    }`,
  ];
  const ul = byId('headline');
  ul.replaceChildren(...items.map((t) => Object.assign(document.createElement('li'), { textContent: t })));
  byId('warnings').replaceChildren(
    ...r.warnings.map((w) => Object.assign(document.createElement('p'), { className: 'warning', textContent: w })),
  );
}

/** Checkboxes for every pair (default: the report's default curve pairs); `onChange` gets the chosen indices. */
function pairPicker(r: MergerReport, chosen: number[], onChange: (idx: number[]) => void): void {
  const el = byId('pair-picker');
  el.replaceChildren();
  const boxes = r.pairs.map((p, i) => {
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = chosen.includes(i);
    box.dataset.pair = String(i);
    label.append(box, ` ${pairLabel(r, p)} (${p.mergerStep ?? 'none'})`);
    el.append(label);
    return box;
  });
  el.onchange = () => onChange(boxes.flatMap((b, i) => (b.checked ? [i] : [])));
}

/** Draws everything; the merger curves first (the summary comes from the spec actually drawn). */
export async function showResults(
  r: MergerReport,
  cli: string,
  onCurves: (s: ExplorerSummary) => void,
): Promise<ExplorerSummary> {
  byId('results').hidden = false;
  headline(r);
  byId('cli').textContent = cli;
  const drawCurves = async (idx: number[]) => {
    const spec = mergerCurvesChart(r, idx.length ? idx : undefined);
    await drawChart(byId('chart-curves'), spec);
    const s = explorerSummary(r, spec);
    onCurves(s);
    return s;
  };
  const defaults = defaultCurvePairs(r);
  pairPicker(r, defaults, (idx) => void drawCurves(idx));
  // The default pairs are drawn through mergerCurvesChart(r) (no selection), as in the HTML report.
  const spec = mergerCurvesChart(r);
  await drawChart(byId('chart-curves'), spec);
  const summary = explorerSummary(r, spec);
  await drawChart(byId('chart-steps'), stepsChart(r));
  await drawChart(byId('chart-spectra'), spectraChart(r));
  await drawChart(byId('chart-matrix'), mergerMatrixChart(r));
  await drawChart(byId('chart-dendrogram'), dendrogramChart(r));
  await drawChart(byId('chart-normality'), normalityChart(r));
  await spectrumSlider(r);
  return summary;
}

async function spectrumSlider(r: MergerReport): Promise<void> {
  const slider = byId('spectrum-slider') as HTMLInputElement;
  const label = byId('spectrum-label');
  const view = await drawChart(byId('chart-spectrum-step'), spectrumAtStepChart(r));
  const steps = r.spectralSteps;
  slider.max = String(steps.length - 1);
  // Start at the data (step 0), where the events' spectra differ most; the label marks the merger step.
  const m = r.dataNoise.mergerStep;
  const show = async (j: number) => {
    slider.value = String(j);
    const s = steps[j]!;
    label.textContent = `step i = ${s} (abar ${r.schedule.abar[s]!.toPrecision(3)})${m === null ? '' : s < m ? ` — ${m - s} steps before the data–noise merger (i = ${m})` : s === m ? ' — the data–noise merger step' : ' — after the data–noise merger'}`;
    if (view) await setSignal(view, STEP_SIGNAL, j);
  };
  slider.oninput = () => void show(Number(slider.value));
  await show(0);
}
