// Node file readers for user datasets: .npy (+ labels), IDX(.gz) images (+ labels) and numeric CSV.
// Parsing lives in parse.ts (pure); this file reads, decompresses, picks labels and builds the Dataset.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { AS_STORED, PIXEL_SCALE, makeDataset, toFloat32, type Dataset, type Scale } from './dataset.js';
import { isGzip, parseCsv, parseIdx, parseNpy, type CsvHeader, type NumericArray } from './parse.js';

/** Reads a file, gunzipping it when its name ends in .gz or it starts with the gzip magic. */
export function readBytes(path: string): Uint8Array {
  if (!existsSync(path)) throw new Error(`${path}: file not found`);
  const raw = readFileSync(path);
  if (!isGzip(raw) && !/\.gz$/i.test(path)) return raw;
  try {
    return gunzipSync(raw);
  } catch (e) {
    throw new Error(`${path}: not a valid gzip file (${(e as Error).message})`);
  }
}

/** The file name without .gz and without its format extension. */
export function stem(path: string): string {
  return basename(path)
    .replace(/\.gz$/i, '')
    .replace(/\.(npy|csv|idx\d?)$/i, '');
}

export const isIdxPath = (path: string) => /(idx\d-ubyte|-ubyte|\.idx\d?)$/i.test(basename(path).replace(/\.gz$/i, ''));
export const isNpyPath = (path: string) => /\.npy(\.gz)?$/i.test(path);
export const isCsvPath = (path: string) => /\.csv(\.gz)?$/i.test(path);

/** Reads a labels file (.npy or IDX, optionally .gz) of shape (N) or (N, 1). */
export function readLabels(path: string): NumericArray {
  let shape: number[];
  let data: NumericArray;
  if (isNpyPath(path)) ({ shape, data } = parseNpy(readBytes(path), path));
  else if (isIdxPath(path)) ({ shape, data } = parseIdx(readBytes(path), path));
  else throw new Error(`${path}: labels must be a .npy or IDX file (*-ubyte, *.idx, optionally .gz)`);
  if (!(shape.length === 1 || (shape.length === 2 && shape[1] === 1))) {
    throw new Error(`${path}: labels must have shape (N) or (N, 1), got (${shape.join(', ')})`);
  }
  return data;
}

interface ArrayLoad {
  labels?: string;
  /** Known class names indexed by raw label value (built-ins). */
  names?: readonly string[];
  name?: string;
}

/** (N, D) or (N, H, W) array -> rows, cols, imageShape; throws otherwise. */
function rowsOf(
  path: string,
  shape: number[],
  what: string,
): { rows: number; cols: number; imageShape: [number, number] | null } {
  if (shape.length === 2) return { rows: shape[0]!, cols: shape[1]!, imageShape: null };
  if (shape.length === 3) return { rows: shape[0]!, cols: shape[1]! * shape[2]!, imageShape: [shape[1]!, shape[2]!] };
  throw new Error(`${path}: ${what} has shape (${shape.join(', ')}); expected (N, D) or (N, H, W)`);
}

/** A .npy array (N, D) or (N, H, W) with labels from a .npy (or IDX) file of N integers. */
export function loadNpy(path: string, opts: ArrayLoad = {}): Dataset {
  const { dtype, shape, data } = parseNpy(readBytes(path), path);
  const { rows, cols, imageShape } = rowsOf(path, shape, `array of dtype ${dtype}`);
  if (!opts.labels) throw new Error(`${path}: needs labels: pass --labels <file.npy> holding ${rows} integers`);
  return makeDataset({
    name: opts.name ?? stem(path),
    source: `${path} (labels ${opts.labels})`,
    values: data,
    rows,
    cols,
    imageShape,
    scale: dtype === 'u1' ? PIXEL_SCALE : AS_STORED,
    labels: readLabels(opts.labels),
    names: opts.names,
    dataName: path,
    labelsName: opts.labels,
  });
}

/** The labels file next to an images file, e.g. train-images-idx3-ubyte.gz -> train-labels-idx1-ubyte.gz. */
export function siblingLabels(path: string): string[] {
  const base = basename(path).replace(/\.gz$/i, '');
  const swapped = base.replace(/images([-.])idx3/i, 'labels$1idx1');
  if (swapped === base) return [];
  const gz = /\.gz$/i.test(path);
  return (gz ? [swapped + '.gz', swapped] : [swapped, swapped + '.gz']).map((b) => join(dirname(path), b));
}

/** IDX images (N, H, W) or vectors (N, D) with labels from opts.labels or the sibling labels file. */
export function loadIdx(path: string, opts: ArrayLoad = {}): Dataset {
  const { dtype, shape, data } = parseIdx(readBytes(path), path);
  if (shape.length === 1) {
    throw new Error(`${path}: is 1-D (a labels file?); pass the images file as the dataset and this one as --labels`);
  }
  const { rows, cols, imageShape } = rowsOf(path, shape, `IDX array of ${dtype}`);
  let labelsPath = opts.labels;
  if (!labelsPath) {
    const candidates = siblingLabels(path);
    labelsPath = candidates.find((c) => existsSync(c));
    if (!labelsPath) {
      const looked = candidates.length ? ` (looked for ${candidates.join(', ')})` : '';
      throw new Error(`${path}: needs labels: pass --labels <labels IDX or .npy file>${looked}`);
    }
  }
  return makeDataset({
    name: opts.name ?? stem(path),
    source: `${path} (labels ${labelsPath})`,
    values: data,
    rows,
    cols,
    imageShape,
    scale: dtype === 'u8' ? PIXEL_SCALE : AS_STORED,
    labels: readLabels(labelsPath),
    names: opts.names,
    dataName: path,
    labelsName: labelsPath,
  });
}

export interface CsvLoad {
  /** The label column: a header name or a 0-based column number. Default: a column named
   * `label` or `class` (any case) when there is a header, else the last column. */
  labels?: string;
  /** The first line: auto (default; see parseCsv), yes (a header), no (data). */
  header?: CsvHeader;
  names?: readonly string[];
  name?: string;
  scale?: Scale;
  imageShape?: [number, number] | null;
}

function labelColumn(path: string, header: string[] | null, cols: number, want?: string): number {
  if (want !== undefined) {
    const byName = header ? header.findIndex((h) => h === want) : -1;
    if (byName >= 0) return byName;
    const byLower = header ? header.findIndex((h) => h.toLowerCase() === want.toLowerCase()) : -1;
    if (byLower >= 0) return byLower;
    if (/^\d+$/.test(want) && Number(want) < cols) return Number(want);
    const allowed = header ? `a column name (${header.join(', ')}) or ` : '';
    throw new Error(`${path}: label column '${want}' not found; use ${allowed}a column number 0..${cols - 1}`);
  }
  const named = header ? header.findIndex((h) => /^(label|class)$/i.test(h)) : -1;
  return named >= 0 ? named : cols - 1;
}

/** A numeric CSV (optionally .gz): one row per sample, the label in one column (see CsvLoad). */
export function loadCsv(path: string, opts: CsvLoad = {}): Dataset {
  const t = parseCsv(new TextDecoder().decode(readBytes(path)), path, opts.header);
  if (t.cols < 2) throw new Error(`${path}: needs at least 2 columns (features and a label), got ${t.cols}`);
  const lc = labelColumn(path, t.header, t.cols, opts.labels);
  const colName = t.header ? `'${t.header[lc]}'` : String(lc);
  // Check every value (label column included) with its line and original column number.
  toFloat32(path, t.values, t.cols, AS_STORED, (r) => `line ${t.lines[r]}`);
  const D = t.cols - 1;
  const values = new Float64Array(t.rows * D);
  const raw = new Float64Array(t.rows);
  for (let r = 0; r < t.rows; r++) {
    const v = t.values[r * t.cols + lc]!;
    if (!Number.isSafeInteger(v))
      throw new Error(`${path}: line ${t.lines[r]}: label ${v} in column ${colName} is not an integer`);
    raw[r] = v;
    for (let c = 0, j = 0; c < t.cols; c++) if (c !== lc) values[r * D + j++] = t.values[r * t.cols + c]!;
  }
  return makeDataset({
    name: opts.name ?? stem(path),
    source: `${path} (labels: column ${colName})`,
    values,
    rows: t.rows,
    cols: D,
    imageShape: opts.imageShape ?? null,
    scale: opts.scale ?? AS_STORED,
    labels: raw,
    names: opts.names,
    dataName: path,
    labelsName: `${path} column ${colName}`,
    where: (r) => `line ${t.lines[r]}`,
  });
}
