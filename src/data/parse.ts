// Pure parsers for dataset files (bytes or text in, arrays out; no file system): IDX, .npy (through
// npyjs) and numeric CSV (through csv-parse). Errors start with `name`, the file they came from.
import { parse as npyParse } from 'npyjs';
import { parse as csvParse } from 'csv-parse/sync';

export type NumericArray =
  | Uint8Array
  | Int8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export interface IdxArray {
  dtype: 'u8' | 'i8' | 'i16' | 'i32' | 'f32' | 'f64';
  shape: number[];
  /** Row-major values; u8 data is a view into the input bytes. */
  data: NumericArray;
}

// IDX type byte -> dtype and element size (http://yann.lecun.com/exdb/mnist/, "THE IDX FILE FORMAT").
const IDX_TYPES: Record<number, [IdxArray['dtype'], number]> = {
  0x08: ['u8', 1],
  0x09: ['i8', 1],
  0x0b: ['i16', 2],
  0x0c: ['i32', 4],
  0x0d: ['f32', 4],
  0x0e: ['f64', 8],
};

/** Parses an (uncompressed) IDX file: magic 00 00 <type> <ndim>, ndim big-endian u32 dims, data. */
export function parseIdx(bytes: Uint8Array, name = 'IDX data'): IdxArray {
  if (isGzip(bytes)) throw new Error(`${name}: is gzip-compressed; decompress it before parsing`);
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) {
    throw new Error(`${name}: not an IDX file (the first two bytes must be 00 00)`);
  }
  const type = IDX_TYPES[bytes[2]!];
  if (!type) throw new Error(`${name}: unknown IDX data type 0x${bytes[2]!.toString(16)} (allowed 08 09 0b 0c 0d 0e)`);
  const [dtype, size] = type;
  const ndim = bytes[3]!;
  const headerBytes = 4 + 4 * ndim;
  if (ndim < 1 || bytes.length < headerBytes)
    throw new Error(`${name}: truncated IDX header (${ndim} dimensions, ${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape = Array.from({ length: ndim }, (_, d) => view.getUint32(4 + 4 * d, false));
  const count = shape.reduce((a, b) => a * b, 1);
  if (bytes.length !== headerBytes + count * size) {
    throw new Error(
      `${name}: IDX header declares shape [${shape}] (${count * size} bytes of data) but the file has ${bytes.length - headerBytes}`,
    );
  }
  if (dtype === 'u8') return { dtype, shape, data: bytes.subarray(headerBytes) };
  const read: Record<string, [new (n: number) => NumericArray, (o: number) => number]> = {
    i8: [Int8Array, (o) => view.getInt8(o)],
    i16: [Int16Array, (o) => view.getInt16(o, false)],
    i32: [Int32Array, (o) => view.getInt32(o, false)],
    f32: [Float32Array, (o) => view.getFloat32(o, false)],
    f64: [Float64Array, (o) => view.getFloat64(o, false)],
  };
  const [Ctor, get] = read[dtype]!;
  const data = new Ctor(count);
  for (let i = 0; i < count; i++) data[i] = get(headerBytes + i * size);
  return { dtype, shape, data };
}

export interface NpyData {
  /** numpy dtype without the byte-order character, e.g. 'u1', 'f4', 'i8'. */
  dtype: string;
  shape: number[];
  /** Row-major (C order) values; 64-bit integers are converted to float64. */
  data: NumericArray;
}

const NPY_NUMERIC = ['u1', 'i1', 'u2', 'i2', 'u4', 'i4', 'u8', 'i8', 'f2', 'f4', 'f8'];

/** Parses a .npy file (any version) of a little-endian numeric dtype; Fortran order is transposed. */
export function parseNpy(bytes: Uint8Array, name = 'npy data'): NpyData {
  const descr = /'descr'\s*:\s*'([^']*)'/.exec(
    new TextDecoder('latin1').decode(bytes.subarray(0, Math.min(bytes.length, 4096))),
  )?.[1];
  if (descr !== undefined && !/^[<|]/.test(descr)) {
    throw new Error(`${name}: dtype '${descr}' is not supported (allowed little-endian ${NPY_NUMERIC.join(' ')})`);
  }
  // npyjs builds typed arrays at the data offset, so hand it an aligned copy starting at byte 0
  // (a copy through the constructor: Node's Buffer.slice would return a view into its pool).
  let arr;
  try {
    arr = npyParse(new Uint8Array(bytes).buffer);
  } catch (e) {
    throw new Error(`${name}: not a readable .npy file (${(e as Error).message})`);
  }
  const { shape } = arr;
  if (!NPY_NUMERIC.includes(arr.dtype)) {
    throw new Error(`${name}: dtype '${arr.dtype}' is not supported (allowed ${NPY_NUMERIC.join(' ')})`);
  }
  const count = shape.reduce((a, b) => a * b, 1);
  const raw = arr.data as unknown as ArrayLike<number | bigint> & { length: number };
  if (raw.length !== count) {
    throw new Error(
      `${name}: header declares shape (${shape.join(', ')}) = ${count} values but the file holds ${raw.length}`,
    );
  }
  let data: NumericArray;
  if (raw instanceof BigInt64Array || raw instanceof BigUint64Array) {
    data = Float64Array.from(raw, (v) => Number(v));
  } else {
    data = (raw as NumericArray).slice(0, count);
  }
  if (arr.fortranOrder && shape.length > 1) data = fortranToC(data, shape);
  return { dtype: arr.dtype, shape, data };
}

/** Reorders column-major (Fortran) values of `shape` to row-major. */
function fortranToC(src: NumericArray, shape: number[]): NumericArray {
  const out = new (src.constructor as new (n: number) => NumericArray)(src.length);
  const nd = shape.length;
  const idx = new Array<number>(nd).fill(0);
  const fstride = shape.map((_, d) => shape.slice(0, d).reduce((a, b) => a * b, 1));
  for (let i = 0; i < src.length; i++) {
    let f = 0;
    for (let d = 0; d < nd; d++) f += idx[d]! * fstride[d]!;
    out[i] = src[f]!;
    for (let d = nd - 1; d >= 0 && ++idx[d]! === shape[d]!; d--) idx[d] = 0;
  }
  return out;
}

export interface CsvTable {
  /** Column names when the first row is a header, else null. */
  header: string[] | null;
  rows: number;
  cols: number;
  /** (rows, cols) row-major values. */
  values: Float64Array;
  /** 1-based line number in the text of each row, for error messages. */
  lines: Int32Array;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(nan|inf|infinity)$/i;

function toNumber(cell: string): number {
  const c = cell.toLowerCase().replace(/^\+/, '');
  if (c === 'nan' || c === '-nan') return NaN;
  if (c === 'inf' || c === 'infinity') return Infinity;
  if (c === '-inf' || c === '-infinity') return -Infinity;
  return Number(cell);
}

/**
 * Parses comma-separated numeric text. The first row is a header when any of its cells is not a
 * number. Every row must have the same number of columns and numeric cells (NaN/Inf parse here and
 * are rejected later with their row and column).
 */
/** How the first CSV line is read: auto (names only: a header; numbers only: data; else refused), yes, no. */
export const CSV_HEADERS = ['auto', 'yes', 'no'] as const;
export type CsvHeader = (typeof CSV_HEADERS)[number];

export function parseCsv(text: string, name = 'CSV data', headerMode: CsvHeader = 'auto'): CsvTable {
  let records: { record: string[]; info: { lines: number } }[];
  try {
    records = csvParse(text, {
      info: true,
      relax_column_count: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
    }) as unknown as typeof records;
  } catch (e) {
    throw new Error(`${name}: ${(e as Error).message}`);
  }
  if (records.length === 0) throw new Error(`${name}: is empty`);
  const first = records[0]!.record;
  // A header is a first line of names only (a name may be the column's own number, 0- or 1-based, as
  // pandas writes integer column labels); a line mixing other numbers and text is neither, and is
  // refused rather than taken as a header (which would silently drop a data row).
  const numeric = first.map((c) => NUMBER.test(c));
  const header = headerMode === 'yes' || (headerMode === 'auto' && !numeric.every(Boolean)) ? first : null;
  const ownNumber = (base: number) => first.every((c, i) => !numeric[i] || toNumber(c) === i + base);
  if (headerMode === 'auto' && header && numeric.some(Boolean) && !ownNumber(0) && !ownNumber(1)) {
    const t = numeric.indexOf(false);
    const n = numeric.indexOf(true);
    throw new Error(
      `${name}: line ${records[0]!.info.lines} mixes text ('${first[t]}' in column ${t}) and numbers ('${first[n]}' in column ${n}): a header line holds only column names, a data line only numbers; pass --csv-header yes to read it as a header or --csv-header no to read it as data`,
    );
  }
  const body = header ? records.slice(1) : records;
  const cols = first.length;
  if (body.length === 0) throw new Error(`${name}: has a header but no data rows`);
  const values = new Float64Array(body.length * cols);
  const lines = new Int32Array(body.length);
  body.forEach(({ record, info }, r) => {
    // info.lines is the line the record ends on; records here never span lines (no quoted newlines).
    lines[r] = info.lines;
    if (record.length !== cols) {
      throw new Error(
        `${name}: line ${info.lines} has ${record.length} columns, expected ${cols} (as on line ${records[0]!.info.lines})`,
      );
    }
    record.forEach((cell, c) => {
      if (!NUMBER.test(cell)) throw new Error(`${name}: line ${info.lines}, column ${c}: '${cell}' is not a number`);
      values[r * cols + c] = toNumber(cell);
    });
  });
  return { header, rows: body.length, cols, values, lines };
}
