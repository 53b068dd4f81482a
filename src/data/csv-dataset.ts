// A Dataset from CSV text (the label in one column), shared by the CLI's loader (files.ts loadCsv, which
// reads and gunzips the file) and the explorer page (which gets the text from a file the user picks).
// Pure: no Node APIs.
import { AS_STORED, makeDataset, toFloat32, type Dataset, type Scale } from './dataset.js';
import { parseCsv, type CsvHeader } from './parse.js';

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

/**
 * The Dataset of a numeric CSV text: one row per sample, the label in one column (see CsvLoad). `path`
 * names the file in messages and in the dataset's source; the name defaults to `path`.
 */
export function csvDataset(text: string, path: string, opts: CsvLoad = {}): Dataset {
  const t = parseCsv(text, path, opts.header);
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
    name: opts.name ?? path,
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
