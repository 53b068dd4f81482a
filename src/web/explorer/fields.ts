// The explorer form's fields as one table: element id (also the URL query parameter), the label the
// page shows (used in error messages and in warnings instead of CLI flags), the `fluctus analyze` flag
// it mirrors, and how its text maps to and from ExplorerOptions. The form (form.ts), the shareable URL
// and the pure tests all go through this table. Pure: no DOM, no Node APIs.
import { EXPLORER_DEFAULTS, type ExplorerOptions } from './options.js';

export interface Field {
  /** Element id and URL query parameter. */
  id: string;
  /** The label on the page. */
  label: string;
  /** The `fluctus analyze` flag with the same meaning, if any. */
  cli?: string;
  /** 'radio': a radio group named id; 'checkbox': value 'on' or ''. */
  kind?: 'radio' | 'checkbox';
  get(o: ExplorerOptions): string;
  /** Parses the field's text into `o`; throws naming the field's label. */
  set(o: ExplorerOptions, text: string): void;
}

function num(label: string, raw: string): number {
  const t = raw.trim();
  const v = Number(t);
  if (t === '' || !Number.isFinite(v)) throw new Error(`${label}: '${raw}' is not a number`);
  return v;
}

const optNum = (label: string, raw: string): number | null => (raw.trim() === '' ? null : num(label, raw));
const str = (v: number | string | null) => (v === null ? '' : String(v));

/** A field whose value is a number (or null when `optional` and blank) at o[path...]. */
function numField(
  id: string,
  label: string,
  at: (o: ExplorerOptions) => Record<string, unknown>,
  key: string,
  extra: { cli?: string; optional?: boolean } = {},
): Field {
  return {
    id,
    label,
    cli: extra.cli,
    get: (o) => str(at(o)[key] as number | null),
    set: (o, t) => {
      at(o)[key] = extra.optional ? optNum(label, t) : num(label, t);
    },
  };
}

/** A field whose value is one string of `o` (a select or a text field, checked later by checkOptions). */
function textField(
  id: string,
  label: string,
  at: (o: ExplorerOptions) => Record<string, unknown>,
  key: string,
  cli?: string,
): Field {
  return { id, label, cli, get: (o) => String(at(o)[key]), set: (o, t) => void (at(o)[key] = t.trim()) };
}

const top = (o: ExplorerOptions) => o as unknown as Record<string, unknown>;
const gmm = (o: ExplorerOptions) => o.gmm as unknown as Record<string, unknown>;
const shapes = (o: ExplorerOptions) => o.shapes as unknown as Record<string, unknown>;
const csv = (o: ExplorerOptions) => o.csv as unknown as Record<string, unknown>;
const traj = (o: ExplorerOptions) => o.trajectories as unknown as Record<string, unknown>;

export const FIELDS: readonly Field[] = [
  { ...textField('data', 'data', top, 'data', '--data'), kind: 'radio' },
  numField('gmm-classes', 'classes', gmm, 'classes'),
  numField('gmm-dim', 'dimension D', gmm, 'dim'),
  numField('gmm-per-class', 'samples per class (mixture)', gmm, 'perClass'),
  numField('gmm-separation', 'mean separation', gmm, 'separation'),
  numField('shapes-classes', 'classes (images)', shapes, 'classes'),
  numField('shapes-per-class', 'images per class', shapes, 'perClass'),
  textField('csv-labels', 'CSV label column', csv, 'labels', '--labels'),
  textField('csv-header', 'CSV first line', csv, 'header', '--csv-header'),
  numField('samples-per-class', 'samples per class (max)', top, 'samplesPerClass', {
    cli: '--samples-per-class',
    optional: true,
  }),
  textField('schedule', 'schedule', top, 'schedule', '--schedule'),
  numField('steps', 'steps T', top, 'steps', { cli: '--steps' }),
  textField('method', 'method', top, 'method', '--method'),
  numField('eps-ratio', 'eps ratio', top, 'epsRatio', { cli: '--eps-ratio', optional: true }),
  numField('eps', 'eps, absolute', top, 'eps', { cli: '--eps', optional: true }),
  textField('centring', 'centring', top, 'centring', '--centring'),
  textField('linkage', 'linkage', top, 'linkage', '--linkage'),
  textField('groups', 'groups', top, 'groups', '--groups'),
  {
    id: 'spectral-steps',
    label: 'spectral steps',
    cli: '--spectral-steps',
    get: (o) => str(o.spectralSteps),
    set: (o, t) => {
      const v = t.trim();
      o.spectralSteps = v === '' ? null : v === 'all' ? 'all' : num('spectral steps', v);
    },
  },
  numField('noise-samples', 'noise samples', top, 'noiseSamples', { cli: '--noise-samples', optional: true }),
  numField('alpha', 'alpha (normality)', top, 'alpha', { cli: '--alpha' }),
  numField('seed', 'seed', top, 'seed', { cli: '--seed' }),
  textField('late-start-steps', 'late-start.json steps', top, 'lateStartSteps', '--late-start'),
  {
    id: 'compare',
    label: 'compare crn and exact',
    kind: 'checkbox',
    get: (o) => (o.compare ? 'on' : ''),
    set: (o, t) => void (o.compare = t === 'on' || t === '1' || t === 'true'),
  },
  {
    id: 'traj-auto',
    label: 'compute trajectories with the run',
    kind: 'checkbox',
    get: (o) => (o.trajectories.auto ? 'on' : ''),
    set: (o, t) => void (o.trajectories.auto = t === 'on' || t === '1' || t === 'true'),
  },
  numField('traj-count', 'trajectories per start', traj, 'count'),
  textField('traj-sampler', 'sampler', traj, 'sampler'),
  numField('traj-steps', 'sampler steps', traj, 'samplerSteps'),
  numField('late-start', 'late-start step s', traj, 'lateStart', { optional: true }),
  numField('late-rank', 'late-start rank r', traj, 'rank', { cli: '--late-rank' }),
];

const BY_ID = new Map(FIELDS.map((f) => [f.id, f]));

/** A deep copy of the defaults (options are nested records). */
export function defaultOptions(): ExplorerOptions {
  return structuredClone(EXPLORER_DEFAULTS);
}

/** Every field's text for these options. */
export function fieldValues(o: ExplorerOptions): Record<string, string> {
  return Object.fromEntries(FIELDS.map((f) => [f.id, f.get(o)]));
}

/** Options from field texts (missing ids keep their defaults); throws on the first field that does not parse. */
export function optionsFromValues(values: Record<string, string>): ExplorerOptions {
  const o = defaultOptions();
  for (const f of FIELDS) if (values[f.id] !== undefined) f.set(o, values[f.id]!);
  return o;
}

/**
 * The query string that reproduces a run: every field that differs from its default, and `run` (the
 * page runs on load) unless the data are the user's files, which a URL cannot carry.
 */
export function queryOf(o: ExplorerOptions): string {
  const def = fieldValues(EXPLORER_DEFAULTS);
  const q = new URLSearchParams();
  for (const f of FIELDS) {
    const v = f.get(o);
    if (v !== def[f.id]) q.set(f.id, v);
  }
  if (o.data !== 'file') q.set('run', '');
  return q.toString().replace(/run=$/, 'run');
}

/** Field texts named in a query string; `run`: whether ?run was given; `unknown`: parameters no field has. */
export function parseQuery(search: string): { values: Record<string, string>; run: boolean; unknown: string[] } {
  const q = new URLSearchParams(search);
  const values: Record<string, string> = {};
  const unknown: string[] = [];
  for (const [k, v] of q) {
    if (BY_ID.has(k)) values[k] = v;
    else if (k !== 'run') unknown.push(k);
  }
  return { values, run: q.has('run'), unknown };
}

/** The page's wording for a message that names `fluctus analyze` flags: each flag becomes its field's label. */
export function pageWording(text: string): string {
  return text.replace(/--([a-z][a-z-]*)/g, (flag) => {
    const f = FIELDS.find((x) => x.cli === flag);
    return f ? `“${f.label}”` : flag;
  });
}
