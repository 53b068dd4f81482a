// Datasets from files the user picks or drops on the explorer page: a .npy array (N, D) or (N, H, W)
// with a .npy labels file, or IDX images with an IDX (or .npy) labels file, either optionally gzipped
// (gunzipped with the browser's DecompressionStream). Parsing and the Dataset rules are the CLI's
// (src/data/parse.ts, dataset.ts: u8 pixels map to [-1, 1], other dtypes are used as stored), and so
// are the dataset's name and source (src/data/files.ts: loadNpy, loadIdx), so that the page's
// report.json equals the one `fluctus analyze --data <file> --labels <file>` writes.
import { makeDataset, AS_STORED, PIXEL_SCALE, type Dataset } from '../../data/dataset.js';
import { isGzip, parseIdx, parseNpy, type CsvHeader, type NumericArray } from '../../data/parse.js';
import { csvDataset } from '../../data/csv-dataset.js';
import { datasetFromPngZip, decodePngInBrowser, type DecodedPng, type PngLayout } from './png-zip.js';
import { isZip } from './zip.js';

export interface DroppedFile {
  /** The name as chosen (gunzipIfNeeded drops a .gz; `original` keeps it). */
  name: string;
  bytes: Uint8Array;
  /** The name before gunzipping, as the command line names the file. */
  original?: string;
}

/** The file's base name without .gz and without its format extension (src/data/files.ts stem()). */
export function fileStem(name: string): string {
  return name
    .replace(/^.*[\\/]/, '')
    .replace(/\.gz$/i, '')
    .replace(/\.(npy|csv|idx\d?)$/i, '');
}

export const FILE_FORMATS =
  '.npy data (N, D) or (N, H, W) with a .npy labels file (N), IDX images (*-idx3-ubyte) with IDX labels (*-idx1-ubyte), a .csv with its labels in a column (each may be .gz), or a .zip of a folder of class subfolders of .png images';

/** Decompresses gzip bytes (magic 1f 8b) with DecompressionStream; other bytes are returned as they are. */
export async function gunzipIfNeeded(f: DroppedFile): Promise<DroppedFile> {
  if (!isGzip(f.bytes)) return f;
  try {
    const stream = new Blob([f.bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    return {
      name: f.name.replace(/\.gz$/i, ''),
      bytes: new Uint8Array(await new Response(stream).arrayBuffer()),
      original: f.original ?? f.name,
    };
  } catch (e) {
    throw new Error(`${f.name}: not a valid gzip file (${(e as Error).message})`);
  }
}

export interface Parsed {
  file: DroppedFile;
  kind: 'npy' | 'idx';
  dtype: string;
  shape: number[];
  data: NumericArray;
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

/** Parses a (gunzipped) .npy or IDX file; throws naming the file and the formats accepted. */
export function parseAny(f: DroppedFile): Parsed {
  const b = f.bytes;
  if (NPY_MAGIC.every((v, i) => b[i] === v)) return { file: f, kind: 'npy', ...parseNpy(b, f.name) };
  if (b.length >= 4 && b[0] === 0 && b[1] === 0) return { file: f, kind: 'idx', ...parseIdx(b, f.name) };
  throw new Error(`${f.name}: neither a .npy nor an IDX file; supported: ${FILE_FORMATS}`);
}

/** A labels array: shape (N) or (N, 1). */
export const isLabels = (p: Parsed) => p.shape.length === 1 || (p.shape.length === 2 && p.shape[1] === 1);

const shapeText = (p: Parsed) => `(${p.shape.join(', ')})`;

/** Checks that a parsed file can be the data array (N, D) or (N, H, W); throws saying what it is instead. */
export function checkDataFile(p: Parsed): void {
  if (isLabels(p))
    throw new Error(
      `${p.file.name}: shape ${shapeText(p)} is a labels array; choose it as the labels file and an (N, D) or (N, H, W) array as the data file`,
    );
  if (p.shape.length > 3) throw new Error(`${p.file.name}: shape ${shapeText(p)}; expected (N, D) or (N, H, W)`);
}

/** Checks that a parsed file can be the labels array (N) or (N, 1). */
export function checkLabelsFile(p: Parsed): void {
  if (!isLabels(p))
    throw new Error(
      `${p.file.name}: shape ${shapeText(p)} is not a labels array (N) or (N, 1); choose it as the data file`,
    );
}

/** The Dataset from a parsed data file and labels file, named and sourced as the CLI names them. */
export function datasetFromParsed(d: Parsed, l: Parsed): Dataset {
  checkDataFile(d);
  checkLabelsFile(l);
  const [rows, a, b] = d.shape as [number, number, number | undefined];
  const cols = b === undefined ? a : a * b;
  const u8 = d.dtype === 'u8' || d.dtype === 'u1';
  const dataName = d.file.original ?? d.file.name;
  const labelsName = l.file.original ?? l.file.name;
  return makeDataset({
    name: fileStem(dataName),
    source: `${dataName} (labels ${labelsName})`,
    values: d.data,
    rows,
    cols,
    imageShape: b === undefined ? null : [a, b],
    scale: u8 ? PIXEL_SCALE : AS_STORED,
    labels: l.data,
    dataName,
    labelsName,
  });
}

/** Builds the Dataset from the (already gunzipped) data file and labels file, in any order (a drop of two files). */
export function datasetFromFiles(files: DroppedFile[]): Dataset {
  if (files.length !== 2) {
    throw new Error(
      `drop two files, the data and its labels (${files.length} given: ${files.map((f) => f.name).join(', ') || 'none'}); supported: ${FILE_FORMATS}`,
    );
  }
  const parsed = files.map(parseAny);
  const labels = parsed.filter(isLabels);
  const data = parsed.filter((p) => !isLabels(p));
  if (labels.length !== 1 || data.length !== 1) {
    const shapes = parsed.map((p) => `${p.file.name} ${shapeText(p)}`).join(' and ');
    throw new Error(`need one data array (N, D) or (N, H, W) and one labels array (N); got ${shapes}`);
  }
  return datasetFromParsed(data[0]!, labels[0]!);
}

/** A CSV data file: its text, parsed at run time with the page's CSV options (the label column may change). */
export interface CsvChoice {
  kind: 'csv';
  file: DroppedFile;
  text: string;
}

/** A zipped folder of class subfolders of PNG images, decoded when chosen. */
export interface PngZipChoice {
  kind: 'png-zip';
  file: DroppedFile;
  data: Dataset;
  layout: PngLayout;
}

/** What the data picker holds: a parsed array, a CSV text or a decoded PNG folder. */
export type DataChoice = Parsed | CsvChoice | PngZipChoice;

/**
 * A (gunzipped) file as a data or labels choice: a zip of PNG class folders (decoded by `decode`), a CSV
 * by its name (.csv, as the CLI tells), else .npy or IDX.
 */
export async function readChoice(
  f: DroppedFile,
  decode: (png: Uint8Array, path: string) => Promise<DecodedPng> = decodePngInBrowser,
): Promise<DataChoice> {
  if (isZip(f.bytes) || /\.zip$/i.test(f.name)) {
    const { data, layout } = await datasetFromPngZip(f.bytes, f.original ?? f.name, decode);
    return { kind: 'png-zip', file: f, data, layout };
  }
  if (/\.csv$/i.test(f.name)) return { kind: 'csv', file: f, text: new TextDecoder().decode(f.bytes) };
  return parseAny(f);
}

/** The dataset of a CSV choice, named and sourced as `fluctus analyze --data <file>` names it. */
export function datasetFromCsv(c: CsvChoice, o: { labels: string; header: CsvHeader }): Dataset {
  const name = c.file.original ?? c.file.name;
  return csvDataset(c.text, name, { labels: o.labels.trim() || undefined, header: o.header, name: fileStem(name) });
}
