// The fluctus explorer page: choose data and options, run the merger analysis on WebGPU with progress
// per phase and a cancel button, draw the report's charts and the spectrum slider, offer the run's
// files for download with the headless command that repeats it, write the run into the URL, and
// compute the reverse trajectories when asked (they take most of a run's time on a software adapter).
// State for tests and embedding is published on window.__fluctus (see ExplorerState).
import type { AdapterSummary, Context } from '../../runtime/context.js';
import { resetProfile } from '../../runtime/profile.js';
import { resetTrace } from '../../runtime/trace.js';
import { analyzeMergers } from '../../analysis/analyze.js';
import type { Dataset } from '../../data/dataset.js';
import type { MergerReport } from '../../formats/report-types.js';
import type { Schedule } from '../../schedule/schedules.js';
import { applyQuery, readOptions, syncDataFields, wireFiles, writeUrl, writeOptions, type FileSlot } from './form.js';
import {
  checkDataFile,
  checkLabelsFile,
  datasetFromCsv,
  datasetFromParsed,
  gunzipIfNeeded,
  isLabels,
  readChoice,
  type DataChoice,
  type DroppedFile,
  type Parsed,
} from './files.js';
import { acquireGpu, showAdapter, showNoWebGpu, showProfile } from './gpu-panel.js';
import {
  analyzeOptionsOf,
  builtinData,
  checkOptions,
  limitData,
  type DataFiles,
  type ExplorerOptions,
} from './options.js';
import { showComparison, showResults } from './results.js';
import { COMPARE_MAX_DIM, compareMethods } from './compare.js';
import type { ExplorerSummary } from './summary.js';
import { reverseTrajectories } from './trajectories.js';
import { drawTrajectories, type TrajectoryView } from './traj-view.js';
import { showExports } from './export-panel.js';
import { phaseList, type PhaseList, type PhaseRow } from './phases.js';
import { pageWording } from './fields.js';

export interface ExplorerState {
  state: 'starting' | 'ready' | 'running' | 'done' | 'error' | 'cancelled' | 'no-webgpu';
  runs: number;
  adapter?: AdapterSummary;
  timestampQuery?: boolean;
  phase?: string;
  /** The phases of the last run (or trajectory computation), with their counts and times. */
  phases?: PhaseRow[];
  error?: string;
  /** The data files the page holds (file data): names and shapes, or the last file error. */
  files?: { data: string | null; labels: string | null; error: string | null };
  /** The last finished run: data, merger steps, curve checksum (summary.ts) and trajectory outline. */
  result?: ExplorerSummary & {
    /** The options the run read from the form. */
    options: ExplorerOptions;
    data: { name: string; n: number; dim: number; classes: number; imageShape: [number, number] | null };
    /** The command line that repeats the run headless. */
    command: string;
    trajectories: { n: number; frames: number; lateStep: number; view: 'images' | 'pca-scatter' } | null;
    /** The other method's merger steps (report.pairs order) when the run compared crn and exact. */
    comparison?: { method: string; steps: (number | null)[]; disagreements: number };
    /** Wall time of the analysis phases (report.timings), the charts and the trajectories, ms. */
    timings: Record<string, number>;
    ms: number;
  };
}

declare global {
  interface Window {
    __fluctus: ExplorerState;
  }
}

const state: ExplorerState = { state: 'starting', runs: 0 };
window.__fluctus = state;
const byId = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const runButton = byId<HTMLButtonElement>('run');
const cancelButton = byId<HTMLButtonElement>('cancel');
const trajButton = byId<HTMLButtonElement>('traj-run');
const status = byId('status');
let trajView: TrajectoryView | null = null;

function say(text: string, err = false): void {
  status.textContent = text;
  status.className = err ? 'err' : '';
}

class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** Set by the cancel button; every progress report checks it and stops the run by throwing. */
let cancelRequested = false;
let phases: PhaseList | null = null;

function onProgress(phase: string, done: number, total: number): void {
  if (cancelRequested) throw new Cancelled();
  state.phase = phase;
  phases?.update(phase, done, total);
  state.phases = phases?.rows;
  say(`${phase}…`);
}

// ---- files: a data file and a labels file, picked separately or dropped together ----

const chosen: { data: DataChoice | null; labels: Parsed | null } = { data: null, labels: null };
/** The dataset of the chosen files with the CSV options of the form at the time (built again at each run). */
let dropped: { data: Dataset; files: DataFiles } | null = null;

const nameOf = (c: { file: DroppedFile }) => c.file.original ?? c.file.name;

function describe(c: DataChoice): string {
  if (c.kind === 'csv') return `${nameOf(c)}: CSV, labels in a column`;
  if (c.kind === 'png-zip')
    return `${nameOf(c)}: folder ${c.layout.root}, ${c.layout.images.length} PNG images in ${c.layout.classes.length} class folders`;
  return `${nameOf(c)}: (${c.shape.join(', ')}) ${c.dtype}`;
}

/** The dataset of the chosen files, or null while one is missing; throws what is wrong with them. */
function filesDataset(csv: ExplorerOptions['csv']): { data: Dataset; files: DataFiles } | null {
  const d = chosen.data;
  if (!d) return null;
  if (d.kind === 'csv') return { data: datasetFromCsv(d, csv), files: { data: nameOf(d), labels: null } };
  if (d.kind === 'png-zip') {
    const zip = nameOf(d);
    const before = d.layout.rootInZip ? `unzip ${zip}` : `unzip ${zip} -d ${d.layout.root}`;
    return { data: d.data, files: { data: d.layout.root, labels: null, before } };
  }
  if (!chosen.labels) return null;
  return { data: datasetFromParsed(d, chosen.labels), files: { data: nameOf(d), labels: nameOf(chosen.labels) } };
}

function showFiles(error: string | null): void {
  state.files = {
    data: chosen.data ? nameOf(chosen.data) : null,
    labels: chosen.labels ? nameOf(chosen.labels) : null,
    error,
  };
  const csvData = chosen.data?.kind === 'csv' || chosen.data?.kind === 'png-zip';
  byId('data-file-status').textContent = chosen.data ? describe(chosen.data) : 'no data file yet';
  byId('labels-file-status').textContent = csvData
    ? `not needed: ${chosen.data?.kind === 'csv' ? 'the CSV holds its labels (“CSV label column”)' : 'the class folders are the labels'}${chosen.labels ? `; ${nameOf(chosen.labels)} is not used` : ''}`
    : chosen.labels
      ? describe(chosen.labels)
      : 'no labels file yet';
  const err = byId('file-error');
  err.hidden = error === null;
  err.textContent = error ?? '';
  const out = byId('file-status');
  if (dropped) {
    const d = dropped.data;
    const [N, D] = d.shape;
    out.textContent = `Ready: ${N} × ${D}${d.imageShape ? ` (${d.imageShape.join('×')} images)` : ''}, ${d.classes} classes, values ${d.scale}.`;
  } else
    out.textContent = error
      ? ''
      : 'Choose the data file and its labels file (a CSV or a zip of PNG class folders holds both).';
}

function labelsOnly(c: DataChoice): Parsed {
  if (c.kind === 'csv') throw new Error(`${nameOf(c)}: a CSV holds its labels in a column; choose it as the data file`);
  if (c.kind === 'png-zip')
    throw new Error(`${nameOf(c)}: a zip of PNG class folders holds its labels; choose it as the data file`);
  checkLabelsFile(c);
  return c;
}

function dataOnly(c: DataChoice): DataChoice {
  if (c.kind !== 'csv' && c.kind !== 'png-zip') checkDataFile(c);
  return c;
}

async function onFiles(files: DroppedFile[], slot: FileSlot): Promise<void> {
  try {
    byId('file-status').textContent = 'Reading…';
    const got = await Promise.all(files.map(async (f) => readChoice(await gunzipIfNeeded(f))));
    if (slot === 'any') {
      if (got.length > 2) throw new Error(`drop at most two files, the data and its labels (${got.length} given)`);
      const labels = got.filter((c) => c.kind !== 'csv' && c.kind !== 'png-zip' && isLabels(c));
      const data = got.filter((c) => !labels.includes(c));
      if (labels.length > 1 || data.length > 1) {
        const what = got.map((c) => describe(c)).join(' and ');
        throw new Error(`need one data file and one labels array (N); got ${what}`);
      }
      const d = data[0] ? dataOnly(data[0]) : null;
      const l = labels[0] ? labelsOnly(labels[0]) : null;
      chosen.data = d ?? chosen.data;
      chosen.labels = l ?? chosen.labels;
    } else {
      if (got.length !== 1) throw new Error(`choose one ${slot} file (${got.length} given)`);
      if (slot === 'data') chosen.data = dataOnly(got[0]!);
      else chosen.labels = labelsOnly(got[0]!);
    }
  } catch (e) {
    // The files already accepted stay; the message names what was wrong with the new one.
    showFiles(pageWording((e as Error).message));
    return;
  }
  dropped = null;
  let error: string | null = null;
  try {
    dropped = filesDataset(readOptions().csv);
  } catch (e) {
    error = pageWording((e as Error).message);
  }
  showFiles(error);
}

// ---- a run ----

/** What the trajectories need from the last finished run. */
let last: { data: Dataset; schedule: Schedule; report: MergerReport; options: ExplorerOptions } | null = null;

async function run(ctx: Context): Promise<void> {
  const t0 = performance.now();
  const opts = readOptions();
  checkOptions(opts);
  phases = phaseList(byId('phases'));
  onProgress('data', 0, 1);
  let full: Dataset;
  let files: DataFiles | null = null;
  if (opts.data === 'file') {
    // Built again: the CSV options may have changed since the files were chosen.
    dropped = filesDataset(opts.csv);
    if (!dropped) throw new Error('data: choose the data file and its labels file first (under “your files”)');
    showFiles(null);
    full = dropped.data;
    files = dropped.files;
  } else {
    full = builtinData(opts);
  }
  const data = limitData(opts, full);
  const aopts = analyzeOptionsOf(opts, data);
  trajView?.stop();
  last = null;
  trajButton.disabled = true;
  byId('trajectories').replaceChildren(
    Object.assign(document.createElement('p'), {
      className: 'note',
      textContent:
        'Computed on request (the button above), or with the run when “compute trajectories with the run” is ticked.',
    }),
  );
  resetProfile(ctx);
  resetTrace(ctx);
  const { report, lateStart } = await analyzeMergers(ctx, data, {
    ...aopts,
    progress: onProgress,
    version: 'explorer',
  });
  const tCharts = performance.now();
  const publish = (s: ExplorerSummary) => {
    if (state.result) state.result = { ...state.result, ...s };
  };
  const summary = await showResults(report, publish, (d, t) => onProgress('charts', d, t));
  // The analysis' kernels (report.json's profile); the comparison and the trajectories reset it.
  showProfile(byId('profile'), ctx);
  byId('profile-what').textContent = `Kernels of the analysis (${report.method}), as in report.json's profile.`;
  const command = showExports({ report, lateStart, options: opts, data: full, files });
  const [N, D] = data.shape;
  state.result = {
    ...summary,
    options: opts,
    data: { name: data.name, n: N, dim: D, classes: data.classes, imageShape: data.imageShape },
    command,
    trajectories: null,
    timings: { ...report.timings, charts: performance.now() - tCharts },
    ms: 0,
  };
  showSummaryBar(report);
  writeUrl(opts);
  if (opts.compare && D <= COMPARE_MAX_DIM && opts.method !== 'mc') {
    const other = opts.method === 'crn' ? 'exact' : 'crn';
    const tOther = performance.now();
    const { report: b } = await analyzeMergers(ctx, data, {
      ...aopts,
      method: other,
      progress: (p, d, t) => onProgress(`${other}: ${p}`, d, t),
      version: 'explorer',
    });
    const c = compareMethods(report, b);
    showComparison(c, report.schedule.T);
    state.result.comparison = {
      method: other,
      steps: b.pairs.map((p) => p.mergerStep),
      disagreements: c.disagreements,
    };
    state.result.timings.compare = performance.now() - tOther;
  }
  last = { data, schedule: aopts.schedule, report, options: opts };
  trajButton.disabled = false;
  if (opts.trajectories.auto) await trajectories(ctx, opts.trajectories);
  phases.end('done');
  state.phases = phases.rows;
  state.result.ms = performance.now() - t0;
}

/** One line that stays on screen: the headline steps of the last run. */
function showSummaryBar(r: MergerReport): void {
  const m = r.dendrogram.merges[0];
  const first = m && m.height <= r.schedule.T ? `first class merge at ${m.height}` : 'no class merger within T';
  byId('summary-line').textContent =
    `${r.data.name} ${r.data.n} × ${r.data.dim}, ${r.method}: data–noise merger ${r.dataNoise.mergerStep ?? 'none'}, ${first}, normality from ${r.dataNoise.normalityStep ?? 'none'}`;
}

/** The reverse trajectories of the last run's data with trajectory options `t`. */
async function trajectories(ctx: Context, t: ExplorerOptions['trajectories']): Promise<void> {
  if (!last || !state.result) throw new Error('trajectories: run the analysis first');
  const { data, schedule, report, options: opts } = last;
  const tTraj = performance.now();
  const lateStep = t.lateStart ?? report.dataNoise.mergerStep ?? Math.round(0.6 * report.schedule.T);
  onProgress('trajectories', 0, 1);
  resetProfile(ctx);
  const tr = await reverseTrajectories(ctx, data, schedule, {
    n: t.count,
    sampler: t.sampler,
    samplerSteps: t.samplerSteps,
    lateStep,
    rank: t.rank,
    seed: opts.seed,
    onStep: (d, total) => onProgress('trajectories', d, total),
  });
  trajView = drawTrajectories(byId('trajectories'), tr, data, schedule);
  if (t.lateStart === null && report.dataNoise.mergerStep === null) {
    byId('trajectories').prepend(
      Object.assign(document.createElement('p'), {
        className: 'warning',
        textContent: `No data–noise merger within T, so the late start uses s = ${lateStep} (0.6 T); set “late-start step s” to choose another.`,
      }),
    );
  }
  state.result.timings.trajectories = performance.now() - tTraj;
  showProfile(byId('profile'), ctx);
  byId('profile-what').textContent = 'Kernels of the reverse trajectories.';
  state.result.trajectories = {
    n: tr.n,
    frames: trajView.frames.length,
    lateStep: tr.lateStep,
    view: data.imageShape ? 'images' : 'pca-scatter',
  };
}

async function main(): Promise<void> {
  writeOptions();
  const query = applyQuery(location.search);
  syncDataFields();
  showFiles(null);
  if (query.unknown.length) say(`ignored URL parameters that name no field: ${query.unknown.join(', ')}`, true);
  document.querySelectorAll<HTMLInputElement>('input[name="data"]').forEach((r) => (r.onchange = syncDataFields));
  wireFiles((f, slot) => void onFiles(f, slot));
  const gpu = await acquireGpu();
  if (!gpu.ok) {
    showNoWebGpu(byId('no-webgpu'), gpu.detail);
    byId('gpu').textContent = 'No WebGPU adapter: the analysis cannot run here (see above).';
    state.state = 'no-webgpu';
    state.error = gpu.detail;
    return;
  }
  const ctx = gpu.ctx;
  showAdapter(byId('gpu'), ctx);
  state.adapter = ctx.adapterInfo;
  state.timestampQuery = ctx.features.timestampQuery;
  state.state = 'ready';
  runButton.disabled = false;
  /** Runs `work` with the buttons locked and cancel armed; says how it ended. */
  const guarded = async (what: string, work: () => Promise<void>) => {
    const box = byId<HTMLDetailsElement>('progress-box');
    box.open = true;
    byId('progress-summary').textContent = `${what}: running…`;
    runButton.disabled = true;
    trajButton.disabled = true;
    cancelButton.disabled = false;
    cancelRequested = false;
    state.state = 'running';
    state.error = undefined;
    const t0 = performance.now();
    try {
      await work();
      state.state = 'done';
      say(`${what} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    } catch (e) {
      phases?.end('stopped');
      if (e instanceof Cancelled) {
        state.state = 'cancelled';
        say(
          `${what} cancelled after ${((performance.now() - t0) / 1000).toFixed(1)} s (at the end of the GPU step that was running)`,
        );
      } else {
        // Messages from the shared loaders and analysis name CLI flags; the page names its fields.
        const msg = pageWording((e as Error).message);
        say(msg, true);
        state.state = 'error';
        state.error = msg;
      }
    } finally {
      // A finished run folds its phases into one line (open it to see them); a stopped one stays open.
      const rows = phases?.rows ?? [];
      const total = rows.reduce((t, r) => t + r.ms, 0);
      byId('progress-summary').textContent =
        `${what}: ${state.state}, ${rows.length} phase${rows.length === 1 ? '' : 's'} in ${(total / 1000).toFixed(1)} s`;
      box.open = state.state !== 'done';
      state.phases = phases?.rows;
      state.runs++;
      runButton.disabled = false;
      cancelButton.disabled = true;
      trajButton.disabled = last === null;
    }
  };
  runButton.onclick = () => void guarded('run', () => run(ctx));
  cancelButton.onclick = () => {
    cancelRequested = true;
    cancelButton.disabled = true;
    say('cancelling: the GPU step that is running finishes first…');
  };
  trajButton.onclick = () =>
    void guarded('trajectories', async () => {
      // The trajectory fields as they are now, on the last run's data and schedule.
      const now = readOptions();
      checkOptions({ ...last!.options, trajectories: now.trajectories });
      phases = phaseList(byId('phases'), true);
      await trajectories(ctx, now.trajectories);
      phases.end('done');
    });
  if (query.run) await guarded('run', () => run(ctx));
}

main().catch((e: Error) => {
  state.state = 'error';
  state.error = e.message;
  say(e.message, true);
});
