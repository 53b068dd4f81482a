// The fluctus explorer page: choose data and options, run the merger analysis on WebGPU with progress,
// then draw the report's charts, the spectrum slider, the reverse trajectories and the kernel profile.
// State for tests and embedding is published on window.__fluctus (see ExplorerState).
import type { AdapterSummary, Context } from '../../runtime/context.js';
import { resetProfile } from '../../runtime/profile.js';
import { resetTrace } from '../../runtime/trace.js';
import { analyzeMergers } from '../../analysis/analyze.js';
import type { Dataset } from '../../data/dataset.js';
import { applyQuery, readOptions, syncDataFields, wireFiles, writeOptions } from './form.js';
import { datasetFromFiles, gunzipIfNeeded, type DroppedFile } from './files.js';
import { acquireGpu, showAdapter, showNoWebGpu, showProfile } from './gpu-panel.js';
import {
  analyzeOptionsOf,
  builtinData,
  checkOptions,
  cliEquivalent,
  limitData,
  type ExplorerOptions,
} from './options.js';
import { showResults } from './results.js';
import type { ExplorerSummary } from './summary.js';
import { reverseTrajectories } from './trajectories.js';
import { drawTrajectories, type TrajectoryView } from './traj-view.js';

export interface ExplorerState {
  state: 'starting' | 'ready' | 'running' | 'done' | 'error' | 'no-webgpu';
  runs: number;
  adapter?: AdapterSummary;
  timestampQuery?: boolean;
  phase?: string;
  error?: string;
  /** The last finished run: data, merger steps, curve checksum (summary.ts) and trajectory outline. */
  result?: ExplorerSummary & {
    /** The options the run read from the form. */
    options: ExplorerOptions;
    data: { name: string; n: number; dim: number; classes: number; imageShape: [number, number] | null };
    trajectories: { n: number; frames: number; lateStep: number; view: 'images' | 'pca-scatter' } | null;
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
const progress = byId<HTMLProgressElement>('progress');
const status = byId('status');
let dropped: Dataset | null = null;
let trajView: TrajectoryView | null = null;

function say(text: string, err = false): void {
  status.textContent = text;
  status.className = err ? 'err' : '';
}

/** Phase progress: each phase of the analysis fills the bar once; the text names the phase. */
function onProgress(phase: string, done: number, total: number): void {
  state.phase = phase;
  progress.max = Math.max(1, total);
  progress.value = done;
  say(`${phase}: ${done} / ${total}`);
}

async function onFiles(files: DroppedFile[]): Promise<void> {
  const out = byId('file-status');
  try {
    dropped = datasetFromFiles(await Promise.all(files.map(gunzipIfNeeded)));
    const [N, D] = dropped.shape;
    out.className = 'note';
    out.textContent = `${dropped.source}: ${N} × ${D}${dropped.imageShape ? ` (${dropped.imageShape.join('×')} images)` : ''}, ${dropped.classes} classes, values ${dropped.scale}.`;
  } catch (e) {
    dropped = null;
    out.className = 'err';
    out.textContent = (e as Error).message;
  }
}

async function run(ctx: Context): Promise<void> {
  const t0 = performance.now();
  const opts = readOptions();
  checkOptions(opts);
  let data: Dataset;
  if (opts.data === 'file') {
    if (!dropped) throw new Error('data: choose or drop the data file and its labels file first');
    data = limitData(opts, dropped);
  } else {
    data = limitData(opts, builtinData(opts));
  }
  const aopts = analyzeOptionsOf(opts, data);
  trajView?.stop();
  byId('trajectories').replaceChildren(
    Object.assign(document.createElement('p'), { className: 'note', textContent: 'Computed after the analysis…' }),
  );
  resetProfile(ctx);
  resetTrace(ctx);
  const { report } = await analyzeMergers(ctx, data, { ...aopts, progress: onProgress, version: 'explorer' });
  say('drawing charts…');
  const tCharts = performance.now();
  const publish = (s: ExplorerSummary) => {
    if (state.result) state.result = { ...state.result, ...s };
  };
  const summary = await showResults(report, cliEquivalent(opts, data.name), publish);
  const [N, D] = data.shape;
  state.result = {
    ...summary,
    options: opts,
    data: { name: data.name, n: N, dim: D, classes: data.classes, imageShape: data.imageShape },
    trajectories: null,
    timings: { ...report.timings, charts: performance.now() - tCharts },
    ms: 0,
  };
  const tTraj = performance.now();
  const t = opts.trajectories;
  const lateStep = t.lateStart ?? report.dataNoise.mergerStep ?? Math.round(0.6 * report.schedule.T);
  state.phase = 'trajectories';
  const tr = await reverseTrajectories(ctx, data, aopts.schedule, {
    n: t.count,
    sampler: t.sampler,
    samplerSteps: t.samplerSteps,
    lateStep,
    rank: t.rank,
    seed: opts.seed,
    onStep: (d, total) => onProgress('trajectories', d, total),
  });
  trajView = drawTrajectories(byId('trajectories'), tr, data, aopts.schedule);
  if (t.lateStart === null && report.dataNoise.mergerStep === null) {
    byId('trajectories').prepend(
      Object.assign(document.createElement('p'), {
        className: 'warning',
        textContent: `No data–noise merger within T, so the late start uses s = ${lateStep} (0.6 T); set the late-start step to choose another.`,
      }),
    );
  }
  state.result.timings.trajectories = performance.now() - tTraj;
  showProfile(byId('profile'), ctx);
  state.result.trajectories = {
    n: tr.n,
    frames: trajView.frames.length,
    lateStep: tr.lateStep,
    view: data.imageShape ? 'images' : 'pca-scatter',
  };
  state.result.ms = performance.now() - t0;
  say(`done in ${(state.result.ms / 1000).toFixed(1)} s`);
}

async function main(): Promise<void> {
  writeOptions();
  const autorun = applyQuery(location.search);
  syncDataFields();
  document.querySelectorAll<HTMLInputElement>('input[name="data"]').forEach((r) => (r.onchange = syncDataFields));
  wireFiles((f) => void onFiles(f));
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
  const go = async () => {
    runButton.disabled = true;
    state.state = 'running';
    state.error = undefined;
    try {
      await run(ctx);
      state.state = 'done';
    } catch (e) {
      const msg = (e as Error).message;
      say(msg, true);
      state.state = 'error';
      state.error = msg;
    } finally {
      state.runs++;
      runButton.disabled = false;
      progress.value = 0;
    }
  };
  runButton.onclick = () => void go();
  if (autorun) await go();
}

main().catch((e: Error) => {
  state.state = 'error';
  state.error = e.message;
  say(e.message, true);
});
