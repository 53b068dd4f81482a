// The Dataset record every loader returns, and the pure steps shared by all loaders: checking and
// converting values to f32 (with a scale), remapping integer labels to 0..K-1, and a per-class limit.
// No Node imports: the web page reuses these.

/** A labelled dataset: x is (N, D) row-major f32, labels (N) in 0..classes-1. */
export interface Dataset {
  name: string;
  x: Float32Array;
  labels: Int32Array;
  /** [N, D] */
  shape: [number, number];
  classes: number;
  /** Name of class k (the original label value as a string unless the names are known). */
  classNames: string[];
  /** [H, W] when each row is an image (D = H * W), else null. */
  imageShape: [number, number] | null;
  /** Path(s) the data came from, or a provenance line for generated data. */
  source: string;
  /** How raw values were mapped to x, e.g. "pixels / 127.5 - 1" or "as stored". */
  scale: string;
  /** Warnings about how the data were read (e.g. negative labels taken as classes); the CLI prints them. */
  notes?: string[];
}

const F32_MAX = 3.4028234663852886e38;

/** Mapping of 8-bit pixels 0..255 to [-1, 1]. */
export const PIXEL_SCALE = { text: 'pixels / 127.5 - 1', map: (v: number) => v / 127.5 - 1 };
export const AS_STORED = { text: 'as stored', map: (v: number) => v };
export type Scale = typeof AS_STORED;

/**
 * Converts (rows, cols) row-major values to f32 through `scale`, throwing on the first value that is
 * NaN/Inf or does not fit in f32. `where(row)` names the row in errors (default "row r").
 */
export function toFloat32(
  name: string,
  values: ArrayLike<number>,
  cols: number,
  scale: Scale = AS_STORED,
  where: (row: number) => string = (r) => `row ${r}`,
): Float32Array {
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = scale.map(values[i]!);
    if (!Number.isFinite(v) || Math.abs(v) > F32_MAX) {
      const what = Number.isFinite(v) ? `value ${values[i]} does not fit in float32` : `non-finite value ${values[i]}`;
      throw new Error(`${name}: ${what} at ${where(Math.floor(i / cols))}, column ${i % cols}`);
    }
    out[i] = v;
  }
  return out;
}

/**
 * Remaps integer labels to 0..K-1 in sorted order of the distinct values. classNames are the
 * original values as strings, or names[value] when `names` is given (values must then be in range).
 */
export function remapLabels(
  name: string,
  raw: ArrayLike<number>,
  names?: readonly string[],
): { labels: Int32Array; classNames: string[] } {
  const distinct = new Set<number>();
  for (let i = 0; i < raw.length; i++) {
    const v = raw[i]!;
    if (!Number.isSafeInteger(v)) throw new Error(`${name}: label at index ${i} is ${v}; labels must be integers`);
    if (names && (v < 0 || v >= names.length)) {
      throw new Error(`${name}: label at index ${i} is ${v}; expected 0..${names.length - 1}`);
    }
    distinct.add(v);
  }
  const sorted = [...distinct].sort((a, b) => a - b);
  const index = new Map(sorted.map((v, k) => [v, k]));
  const labels = new Int32Array(raw.length);
  for (let i = 0; i < raw.length; i++) labels[i] = index.get(raw[i]!)!;
  return { labels, classNames: sorted.map((v) => (names ? names[v]! : String(v))) };
}

/** Throws unless the label source has exactly one entry per data row. */
export function checkLabelCount(labelsName: string, count: number, dataName: string, rows: number): void {
  if (count !== rows) throw new Error(`${labelsName} has ${count} entries but ${dataName} has ${rows} rows`);
}

/** Rows of a dataset: the first counts[k] rows of each class k, in their original order. */
export function takePerClass(ds: Dataset, counts: readonly number[], name = ds.name): Dataset {
  const [N, D] = ds.shape;
  if (counts.length !== ds.classes) throw new Error(`takePerClass: ${counts.length} counts for ${ds.classes} classes`);
  const seen = new Array<number>(ds.classes).fill(0);
  const rows: number[] = [];
  for (let i = 0; i < N; i++) {
    const c = ds.labels[i]!;
    if (seen[c]!++ < counts[c]!) rows.push(i);
  }
  const x = new Float32Array(rows.length * D);
  const labels = new Int32Array(rows.length);
  rows.forEach((r, j) => {
    x.set(ds.x.subarray(r * D, (r + 1) * D), j * D);
    labels[j] = ds.labels[r]!;
  });
  return { ...ds, name, x, labels, shape: [rows.length, D] };
}

/** Keeps the first `limit` rows of each class, in their original order. */
export function limitPerClass(ds: Dataset, limit: number): Dataset {
  const counts = new Array<number>(ds.classes).fill(0);
  for (let i = 0; i < ds.shape[0]; i++) counts[ds.labels[i]!]!++;
  if (counts.every((c) => c <= limit)) return ds;
  return takePerClass(
    ds,
    counts.map(() => limit),
  );
}

export interface DatasetParts {
  name: string;
  source: string;
  /** Raw (rows, cols) row-major values, converted with `scale`. */
  values: ArrayLike<number>;
  rows: number;
  cols: number;
  scale?: Scale;
  imageShape?: [number, number] | null;
  /** Raw integer labels, one per row. */
  labels: ArrayLike<number>;
  /** Known class names indexed by raw label value. */
  names?: readonly string[];
  /** Names of the files for error messages. */
  dataName: string;
  labelsName: string;
  where?: (row: number) => string;
}

/** Builds a Dataset from raw parts: checks label count, converts values, remaps labels. */
export function makeDataset(p: DatasetParts): Dataset {
  if (p.rows < 1 || p.cols < 1) throw new Error(`${p.dataName}: no data (shape [${p.rows}, ${p.cols}])`);
  checkLabelCount(p.labelsName, p.labels.length, p.dataName, p.rows);
  const scale = p.scale ?? AS_STORED;
  const x = toFloat32(p.dataName, p.values, p.cols, scale, p.where);
  const { labels, classNames } = remapLabels(p.labelsName, p.labels, p.names);
  const notes: string[] = [];
  const negative = new Map<number, number>();
  for (let i = 0; i < p.labels.length; i++) {
    const v = p.labels[i]!;
    if (v < 0) negative.set(v, (negative.get(v) ?? 0) + 1);
  }
  if (negative.size)
    notes.push(
      `${p.labelsName}: negative labels (${[...negative].map(([v, n]) => `${v}: ${n} row${n === 1 ? '' : 's'}`).join(', ')}) are read as classes of their own; if a negative label marks unlabelled rows, remove those rows first`,
    );
  return {
    name: p.name,
    x,
    labels,
    shape: [p.rows, p.cols],
    classes: classNames.length,
    classNames,
    imageShape: p.imageShape ?? null,
    source: p.source,
    scale: scale.text,
    ...(notes.length ? { notes } : {}),
  };
}
