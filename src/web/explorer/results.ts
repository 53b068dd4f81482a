// Draws a finished merger analysis on the explorer page: headline steps with robustness flags, warnings
// in the page's words, the report's charts from the shared Vega-Lite specs (src/report/charts*.ts), a
// pair picker for the merger curves (one fixed colour per pair) and the spectrum slider. Returns the
// summary the page publishes for its test.
import type { MergerReport } from '../../formats/report-types.js';
import { defaultCurvePairs, mergerCurvesChart } from '../../report/charts.js';
import { pairLabel, TABLEAU10, type ChartSpec } from '../../report/charts-common.js';
import { dendrogramChart, mergerMatrixChart, spectraChart } from '../../report/charts-structure.js';
import { normalityChart, stepsChart } from '../../report/charts-steps.js';
import { drawChart, setSignal } from './vega-view.js';
import { STEP_SIGNAL, spectrumAtStepChart } from './spectrum-step.js';
import { explorerSummary, type ExplorerSummary } from './summary.js';
import { classPair, flagText, fragilePairs, pairFlags } from './flags.js';
import { pageWording } from './fields.js';
import { esc } from './gpu-panel.js';
import { comparisonText, type MethodComparison } from './compare.js';

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

/** A dendrogram merge in words: its height is a merger step, or T + 1 for clusters that never merge within T. */
function mergeText(r: MergerReport, m: MergerReport['dendrogram']['merges'][number]): string {
  const T = r.schedule.T;
  const names = `${clusterName(r, m.a)} + ${clusterName(r, m.b)}`;
  if (m.height > T) return `${names}: no merger within T = ${T}`;
  const h = Number.isInteger(m.height) ? String(m.height) : m.height.toFixed(1);
  const K = r.data.classNames.length;
  const p = m.a < K && m.b < K ? classPair(r, m.a, m.b) : undefined;
  const flags = p ? flagText(pairFlags(r, p)) : '';
  return `${names} at ${h}${flags ? ` (⚠ ${flags})` : ''}`;
}

type Item = string | { text: string; cls: string };

function headlineItems(r: MergerReport): Item[] {
  const dn = r.pairs.find((p) => p.kind === 'data-noise')!;
  const dnFlags = flagText(pairFlags(r, dn));
  const fragile = fragilePairs(r);
  const items: Item[] = [
    `data: ${r.data.name}, ${r.data.n} × ${r.data.dim}, ${r.data.classNames.length} classes; ${r.schedule.name} schedule, T = ${r.schedule.T}; method ${r.method}; eps = ${r.eps.value.toPrecision(3)}`,
    `data–noise merger step: ${stepText(r, r.dataNoise.mergerStep)} — reverse sampling only needs to start here${dnFlags ? ` (⚠ ${dnFlags})` : ''}`,
    r.dataNoise.normality.directions === 0
      ? 'normality: not computed'
      : `normality no longer rejected (alpha ${r.dataNoise.normality.alpha}) from step: ${stepText(r, r.dataNoise.normalityStep)}`,
    `speciation step: ${stepText(r, r.speciationStep)} (Lambda = ${r.speciation.lambdaMax.toPrecision(4)})`,
    `class–rest merger steps: ${r.data.classNames.map((n, k) => `${n}: ${r.classRestMerger[k] ?? 'none'}`).join(', ')}`,
    `first class merges: ${
      r.dendrogram.merges
        .slice(0, 3)
        .map((m) => mergeText(r, m))
        .join('; ') || 'none'
    }`,
  ];
  if (fragile.length) {
    const remedy =
      r.method === 'exact'
        ? 'd is not monotone here even without sampling noise; read the curves before quoting a step.'
        : `With method ${r.method} these steps move with the seed and the sample size; method exact (no finite-sample floor) or more samples per class give steps that do not.`;
    items.push({
      cls: 'fragile',
      text: `⚠ ${fragile.length} of ${r.pairs.length} merger steps are fragile: ${fragile.map((f) => `${f.label} ${f.mergerStep === null ? 'never merges' : `at ${f.mergerStep}`} (${flagText(f)})`).join('; ')}. ${remedy}`,
    });
  }
  return items;
}

function headline(r: MergerReport): void {
  const ul = byId('headline');
  ul.replaceChildren(
    ...headlineItems(r).map((t) =>
      Object.assign(
        document.createElement('li'),
        typeof t === 'string' ? { textContent: t } : { textContent: t.text, className: t.cls },
      ),
    ),
  );
  byId('warnings').replaceChildren(
    ...r.warnings.map((w) =>
      Object.assign(document.createElement('p'), { className: 'warning', textContent: pageWording(w) }),
    ),
  );
}

// Tableau 10, then the light Tableau 20 tones: one colour per pair, fixed for the run.
const PAIR_COLOURS = [
  ...TABLEAU10,
  '#9ecae9',
  '#ffbf79',
  '#88d27a',
  '#f2cf5b',
  '#83bcb6',
  '#ff9d98',
  '#d6a5c9',
  '#d8b5a5',
  '#79706e',
  '#fcbfd2',
];

/** The colour of each pair label: the default pairs take the first colours (as in the CLI's report), then the rest. */
export function pairColours(r: MergerReport): Map<string, string> {
  const order = [...defaultCurvePairs(r), ...r.pairs.map((_, i) => i)];
  const out = new Map<string, string>();
  for (const i of order) {
    const label = pairLabel(r, r.pairs[i]!);
    if (!out.has(label)) out.set(label, PAIR_COLOURS[out.size % PAIR_COLOURS.length]!);
  }
  return out;
}

/** Sets the range of every `pair` colour scale in a spec to the pairs' fixed colours (in place). */
function pinColours(node: unknown, colours: Map<string, string>): void {
  if (Array.isArray(node)) for (const n of node) pinColours(n, colours);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    const scale = o.scale as { domain?: unknown; range?: unknown } | undefined;
    if (o.field === 'pair' && scale && Array.isArray(scale.domain))
      scale.range = scale.domain.map((l) => colours.get(String(l)) ?? '#000');
    for (const [k, v] of Object.entries(o)) if (k !== 'data' && typeof v === 'object') pinColours(v, colours);
  }
}

/** Checkboxes for every pair (default: the report's default curve pairs); `onChange` gets the ticked indices. */
function pairPicker(
  r: MergerReport,
  chosen: number[],
  colours: Map<string, string>,
  onChange: (idx: number[]) => void,
) {
  const el = byId('pair-picker');
  el.replaceChildren();
  const boxes = r.pairs.map((p, i) => {
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.checked = chosen.includes(i);
    box.dataset.pair = String(i);
    const swatch = document.createElement('span');
    swatch.className = 'swatch';
    swatch.style.background = colours.get(pairLabel(r, p)) ?? '#000';
    const f = flagText(pairFlags(r, p));
    label.append(box, swatch, ` ${pairLabel(r, p)} (${p.mergerStep ?? 'none'}${f ? ' ⚠' : ''})`);
    if (f) label.title = f;
    el.append(label);
    return box;
  });
  el.onchange = () => onChange(boxes.flatMap((b, i) => (b.checked ? [i] : [])));
}

/** The merger steps of both methods as a table under the headline, and a headline line saying where they disagree. */
export function showComparison(c: MethodComparison, T: number): void {
  const el = byId('compare');
  const [ma, mb] = c.methods;
  const head = `<thead><tr><th>pair</th><th>${ma}</th><th>${mb}</th><th>apart</th></tr></thead>`;
  const body = c.rows
    .map(
      (r) =>
        `<tr class="${r.disagree ? 'disagree' : ''}"><td>${esc(r.label)}</td><td>${r.a ?? 'none'}</td><td>${r.b ?? 'none'}</td><td>${r.gap > T ? 'one never merges' : r.gap}</td></tr>`,
    )
    .join('');
  el.innerHTML = `<details${c.disagreements ? ' open' : ''}><summary>Merger steps under ${ma} and ${mb} (same data, seed and eps rule)</summary><table class="num" id="compare-table">${head}<tbody>${body}</tbody></table></details>`;
  const li = Object.assign(document.createElement('li'), {
    textContent: `${c.disagreements ? '⚠ ' : ''}${comparisonText(c, T)}`,
    className: c.disagreements ? 'fragile' : '',
    id: 'compare-line',
  });
  byId('headline').append(li);
}

/** The charts the page draws, by element id, with the file stem their export takes (the CLI report's chart ids). */
export const PAGE_CHARTS: { el: string; file: string }[] = [
  { el: 'chart-steps', file: 'steps' },
  { el: 'chart-curves', file: 'merger-curves' },
  { el: 'chart-spectra', file: 'spectra' },
  { el: 'chart-spectrum-step', file: 'spectrum-at-step' },
  { el: 'chart-matrix', file: 'merger-matrix' },
  { el: 'chart-dendrogram', file: 'dendrogram' },
  { el: 'chart-normality', file: 'normality' },
];

/**
 * Draws everything; the merger curves first (the summary comes from the spec actually drawn).
 * `tick(done, total)` follows the charts; it may throw to stop (the page's cancel).
 */
export async function showResults(
  r: MergerReport,
  onCurves: (s: ExplorerSummary) => void,
  tick: (done: number, total: number) => void = () => {},
): Promise<ExplorerSummary> {
  byId('results').hidden = false;
  byId('compare').replaceChildren();
  headline(r);
  const colours = pairColours(r);
  const curves = (idx?: number[]): ChartSpec => {
    if (idx?.length === 0) return { none: 'No pair is ticked: tick one or more pairs above to draw their curves.' };
    const spec = mergerCurvesChart(r, idx);
    pinColours(spec, colours);
    return spec;
  };
  const drawCurves = async (idx: number[]) => {
    const spec = curves(idx);
    await drawChart(byId('chart-curves'), spec);
    const s = explorerSummary(r, spec);
    onCurves(s);
    return s;
  };
  pairPicker(r, defaultCurvePairs(r), colours, (idx) => void drawCurves(idx));
  const total = PAGE_CHARTS.length;
  let done = 0;
  tick(done, total);
  // The default pairs are drawn through mergerCurvesChart(r) (no selection), as in the HTML report.
  const spec = curves();
  await drawChart(byId('chart-curves'), spec);
  tick(++done, total);
  const summary = explorerSummary(r, spec);
  for (const [id, build] of [
    ['chart-steps', stepsChart],
    ['chart-spectra', spectraChart],
    ['chart-matrix', mergerMatrixChart],
    ['chart-dendrogram', dendrogramChart],
    ['chart-normality', normalityChart],
  ] as const) {
    await drawChart(byId(id), build(r));
    tick(++done, total);
  }
  await spectrumSlider(r);
  tick(++done, total);
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
