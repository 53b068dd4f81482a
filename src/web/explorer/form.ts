// The explorer form <-> ExplorerOptions. Field ids are the option names; a blank optional field is
// null (the CLI's default). Query parameters with a field id preset that field (?gmm-classes=3&method=exact),
// so a configuration can be linked.
import { EXPLORER_DEFAULTS, type DataSource, type ExplorerOptions } from './options.js';
import type { DroppedFile } from './files.js';

const $ = <T extends HTMLElement = HTMLInputElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`explorer page: element #${id} is missing`);
  return el as T;
};

function num(id: string): number {
  const raw = $(id).value.trim();
  const v = Number(raw);
  if (raw === '' || !Number.isFinite(v)) throw new Error(`${id.replace(/-/g, ' ')}: '${raw}' is not a number`);
  return v;
}

function optNum(id: string): number | null {
  return $(id).value.trim() === '' ? null : num(id);
}

function select<T extends string>(id: string): T {
  return $<HTMLSelectElement>(id).value as T;
}

export function readOptions(): ExplorerOptions {
  const data = (document.querySelector('input[name="data"]:checked') as HTMLInputElement | null)?.value as
    | DataSource
    | undefined;
  const spectral = $('spectral-steps').value.trim();
  return {
    data: data ?? 'gmm',
    gmm: {
      classes: num('gmm-classes'),
      dim: num('gmm-dim'),
      perClass: num('gmm-per-class'),
      separation: num('gmm-separation'),
    },
    shapes: { classes: num('shapes-classes'), perClass: num('shapes-per-class') },
    samplesPerClass: optNum('samples-per-class'),
    schedule: select('schedule'),
    steps: num('steps'),
    method: select('method'),
    centring: select('centring'),
    linkage: select('linkage'),
    epsRatio: optNum('eps-ratio'),
    eps: optNum('eps'),
    spectralSteps: spectral === '' ? null : spectral === 'all' ? 'all' : num('spectral-steps'),
    noiseSamples: optNum('noise-samples'),
    alpha: num('alpha'),
    groups: $('groups').value,
    seed: num('seed'),
    trajectories: {
      count: num('traj-count'),
      sampler: select('traj-sampler'),
      samplerSteps: num('traj-steps'),
      lateStart: optNum('late-start'),
      rank: num('late-rank'),
    },
  };
}

export function writeOptions(o: ExplorerOptions = EXPLORER_DEFAULTS): void {
  const set = (id: string, v: string | number | null) => ($(id).value = v === null ? '' : String(v));
  (document.querySelector(`input[name="data"][value="${o.data}"]`) as HTMLInputElement).checked = true;
  set('gmm-classes', o.gmm.classes);
  set('gmm-dim', o.gmm.dim);
  set('gmm-per-class', o.gmm.perClass);
  set('gmm-separation', o.gmm.separation);
  set('shapes-classes', o.shapes.classes);
  set('shapes-per-class', o.shapes.perClass);
  set('samples-per-class', o.samplesPerClass);
  for (const id of ['schedule', 'method', 'centring', 'linkage'] as const) set(id, o[id]);
  set('steps', o.steps);
  set('eps-ratio', o.epsRatio);
  set('eps', o.eps);
  set('spectral-steps', o.spectralSteps);
  set('noise-samples', o.noiseSamples);
  set('alpha', o.alpha);
  set('groups', o.groups);
  set('seed', o.seed);
  set('traj-count', o.trajectories.count);
  set('traj-sampler', o.trajectories.sampler);
  set('traj-steps', o.trajectories.samplerSteps);
  set('late-start', o.trajectories.lateStart);
  set('late-rank', o.trajectories.rank);
}

/** Applies ?id=value query parameters to the form; returns whether ?run was given. */
export function applyQuery(search: string): boolean {
  const q = new URLSearchParams(search);
  for (const [k, v] of q) {
    if (k === 'data') {
      const r = document.querySelector(`input[name="data"][value="${CSS.escape(v)}"]`) as HTMLInputElement | null;
      if (r) r.checked = true;
      continue;
    }
    const el = document.getElementById(k) as HTMLInputElement | HTMLSelectElement | null;
    if (el && 'value' in el && el.id !== 'files') el.value = v;
  }
  return q.has('run');
}

/** Shows only the fieldset of the chosen data source. */
export function syncDataFields(): void {
  const data = (document.querySelector('input[name="data"]:checked') as HTMLInputElement).value;
  for (const s of ['gmm', 'shapes', 'file']) $(`${s}-fields`).hidden = s !== data;
}

/** Wires the file input and the drop zone; `onFiles` gets the raw files (not yet gunzipped). */
export function wireFiles(onFiles: (files: DroppedFile[]) => void): void {
  const input = $('files');
  const zone = $<HTMLDivElement>('drop');
  const take = async (list: FileList | null) => {
    if (!list || list.length === 0) return;
    const files = await Promise.all(
      Array.from(list).map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
    );
    (document.querySelector('input[name="data"][value="file"]') as HTMLInputElement).checked = true;
    syncDataFields();
    onFiles(files);
  };
  input.onchange = () => void take(input.files);
  zone.ondragover = (e) => {
    e.preventDefault();
    zone.classList.add('over');
  };
  zone.ondragleave = () => zone.classList.remove('over');
  zone.ondrop = (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    void take(e.dataTransfer?.files ?? null);
  };
}
