// The explorer form <-> ExplorerOptions through the field table (fields.ts): field ids are the URL's
// query parameters, so ?gmm-classes=3&method=exact presets a field and a finished run writes its
// options back into the address bar (queryOf) for a link that reproduces it. The data file and the
// labels file have their own pickers; a drop on the drop zone fills either or both.
import { FIELDS, fieldValues, optionsFromValues, parseQuery, queryOf } from './fields.js';
import { EXPLORER_DEFAULTS, type ExplorerOptions } from './options.js';
import type { DroppedFile } from './files.js';

const $ = <T extends HTMLElement = HTMLInputElement>(id: string) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`explorer page: element #${id} is missing`);
  return el as T;
};

function readField(id: string, kind: 'radio' | 'checkbox' | undefined): string {
  if (kind === 'radio') return (document.querySelector(`input[name="${id}"]:checked`) as HTMLInputElement).value;
  if (kind === 'checkbox') return $(id).checked ? 'on' : '';
  return $(id).value;
}

function writeField(id: string, kind: 'radio' | 'checkbox' | undefined, v: string): void {
  if (kind === 'radio') {
    const r = document.querySelector(`input[name="${id}"][value="${CSS.escape(v)}"]`) as HTMLInputElement | null;
    if (r) r.checked = true;
  } else if (kind === 'checkbox') $(id).checked = v === 'on' || v === '1' || v === 'true';
  else $(id).value = v;
}

/** The options in the form; throws naming the first field that does not parse. */
export function readOptions(): ExplorerOptions {
  return optionsFromValues(Object.fromEntries(FIELDS.map((f) => [f.id, readField(f.id, f.kind)])));
}

export function writeOptions(o: ExplorerOptions = EXPLORER_DEFAULTS): void {
  const values = fieldValues(o);
  for (const f of FIELDS) writeField(f.id, f.kind, values[f.id]!);
}

/** Applies ?id=value query parameters to the form; returns whether ?run was given and the parameters no field has. */
export function applyQuery(search: string): { run: boolean; unknown: string[] } {
  const { values, run, unknown } = parseQuery(search);
  for (const f of FIELDS) if (values[f.id] !== undefined) writeField(f.id, f.kind, values[f.id]!);
  return { run, unknown };
}

/** Writes the run's options into the address bar (no reload, no new history entry). */
export function writeUrl(o: ExplorerOptions): void {
  const q = queryOf(o);
  history.replaceState(null, '', `${location.pathname}${q ? `?${q}` : ''}${location.hash}`);
}

/** Shows only the fieldset of the chosen data source. */
export function syncDataFields(): void {
  const data = (document.querySelector('input[name="data"]:checked') as HTMLInputElement).value;
  for (const s of ['gmm', 'shapes', 'file']) $(`${s}-fields`).hidden = s !== data;
}

export type FileSlot = 'data' | 'labels' | 'any';

async function readList(list: FileList | null): Promise<DroppedFile[]> {
  if (!list || list.length === 0) return [];
  return Promise.all(
    Array.from(list).map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) })),
  );
}

/**
 * Wires the data-file and labels-file pickers and the drop zone; `onFiles` gets the raw files (not yet
 * gunzipped) and the slot they were chosen for ('any': dropped, to be told apart by shape).
 */
export function wireFiles(onFiles: (files: DroppedFile[], slot: FileSlot) => void): void {
  const zone = $<HTMLDivElement>('drop');
  const take = async (list: FileList | null, slot: FileSlot) => {
    const files = await readList(list);
    if (files.length === 0) return;
    (document.querySelector('input[name="data"][value="file"]') as HTMLInputElement).checked = true;
    syncDataFields();
    onFiles(files, slot);
  };
  for (const slot of ['data', 'labels'] as const) {
    const input = $(`${slot}-file`);
    input.onchange = () => void take(input.files, slot);
  }
  zone.ondragover = (e) => {
    e.preventDefault();
    zone.classList.add('over');
  };
  zone.ondragleave = () => zone.classList.remove('over');
  zone.ondrop = (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    void take(e.dataTransfer?.files ?? null, 'any');
  };
}
