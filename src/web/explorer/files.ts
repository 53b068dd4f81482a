// Datasets from files the user drops on the explorer page: a .npy array (N, D) or (N, H, W) with a
// .npy labels file, or IDX images with an IDX (or .npy) labels file, either optionally gzipped
// (gunzipped with the browser's DecompressionStream). Parsing and the Dataset rules are the CLI's
// (src/data/parse.ts, dataset.ts: u8 pixels map to [-1, 1], other dtypes are used as stored).
import { makeDataset, AS_STORED, PIXEL_SCALE, type Dataset } from '../../data/dataset.js';
import { isGzip, parseIdx, parseNpy, type NumericArray } from '../../data/parse.js';

export interface DroppedFile {
  name: string;
  bytes: Uint8Array;
}

export const FILE_FORMATS =
  '.npy data (N, D) or (N, H, W) with a .npy labels file (N), or IDX images (*-idx3-ubyte) with IDX labels (*-idx1-ubyte); each may be .gz';

/** Decompresses gzip bytes (magic 1f 8b) with DecompressionStream; other bytes are returned as they are. */
export async function gunzipIfNeeded(f: DroppedFile): Promise<DroppedFile> {
  if (!isGzip(f.bytes)) return f;
  try {
    const stream = new Blob([f.bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'));
    return { name: f.name.replace(/\.gz$/i, ''), bytes: new Uint8Array(await new Response(stream).arrayBuffer()) };
  } catch (e) {
    throw new Error(`${f.name}: not a valid gzip file (${(e as Error).message})`);
  }
}

interface Parsed {
  file: DroppedFile;
  kind: 'npy' | 'idx';
  dtype: string;
  shape: number[];
  data: NumericArray;
}

const NPY_MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY

function parseAny(f: DroppedFile): Parsed {
  const b = f.bytes;
  if (NPY_MAGIC.every((v, i) => b[i] === v)) return { file: f, kind: 'npy', ...parseNpy(b, f.name) };
  if (b.length >= 4 && b[0] === 0 && b[1] === 0) return { file: f, kind: 'idx', ...parseIdx(b, f.name) };
  throw new Error(`${f.name}: neither a .npy nor an IDX file; supported: ${FILE_FORMATS}`);
}

const isLabels = (p: Parsed) => p.shape.length === 1 || (p.shape.length === 2 && p.shape[1] === 1);

/** Builds the Dataset from the (already gunzipped) data file and labels file, in any order. */
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
    const shapes = parsed.map((p) => `${p.file.name} (${p.shape.join(', ')})`).join(' and ');
    throw new Error(`need one data array (N, D) or (N, H, W) and one labels array (N); got ${shapes}`);
  }
  const d = data[0]!;
  const l = labels[0]!;
  if (d.shape.length > 3)
    throw new Error(`${d.file.name}: shape (${d.shape.join(', ')}); expected (N, D) or (N, H, W)`);
  const [rows, a, b] = d.shape as [number, number, number | undefined];
  const cols = b === undefined ? a : a * b;
  const u8 = d.dtype === 'u8' || d.dtype === 'u1';
  return makeDataset({
    name: d.file.name.replace(/\.(npy|idx\d?)$/i, '').replace(/-idx\d-ubyte$/i, ''),
    source: `${d.file.name} (labels ${l.file.name}), dropped on the page`,
    values: d.data,
    rows,
    cols,
    imageShape: b === undefined ? null : [a, b],
    scale: u8 ? PIXEL_SCALE : AS_STORED,
    labels: l.data,
    dataName: d.file.name,
    labelsName: l.file.name,
  });
}
