// Node file readers for user datasets: .npy (+ labels), IDX(.gz) images (+ labels) and numeric CSV.
// Parsing lives in parse.ts (pure); this file reads, decompresses, picks labels and builds the Dataset.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { AS_STORED, PIXEL_SCALE, makeDataset, type Dataset } from './dataset.js';
import { isGzip, parseIdx, parseNpy, type NumericArray } from './parse.js';
import { csvDataset, type CsvLoad } from './csv-dataset.js';

export type { CsvLoad } from './csv-dataset.js';

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

/** A numeric CSV (optionally .gz): one row per sample, the label in one column (see CsvLoad). */
export function loadCsv(path: string, opts: CsvLoad = {}): Dataset {
  return csvDataset(new TextDecoder().decode(readBytes(path)), path, { ...opts, name: opts.name ?? stem(path) });
}
