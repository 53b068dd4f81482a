// The data diagnosed on the host before any GPU work (O(N D), one pass): shapes, labels, finite values,
// class sizes, and the degenerate cases that would otherwise surface as NaN after the whole analysis:
// every feature constant, a class whose rows are all the same (no fluctuations: refused), and constant
// columns (the data span fewer than D directions: accepted, named in a warning).
import { checkFinite } from '../runtime/check.js';
import type { Dataset } from '../data/gmm.js';
import type { MergerMethod } from '../formats/report-types.js';

/** Smallest class size each method accepts: a covariance needs two samples. */
export const MIN_CLASS_SAMPLES = 2;

export interface DataDiagnosis {
  /** Rows per class. */
  counts: number[];
  /** Columns (0-based) whose value is the same in every row; empty without rows. */
  constantColumns: number[];
}

/** The first row index of each class, or -1. */
function firstRows(labels: Int32Array, classes: number): number[] {
  const first = new Array<number>(classes).fill(-1);
  labels.forEach((l, r) => {
    if (first[l] === -1) first[l] = r;
  });
  return first;
}

/** Checks the dataset (see the header); `rowsGiven` false for moments read from shards (labels only). */
export function checkDataset(data: Dataset, method: MergerMethod, rowsGiven = true): DataDiagnosis {
  const [N, D] = data.shape;
  if (rowsGiven && data.x.length !== N * D)
    throw new Error(`data '${data.name}': x holds ${data.x.length} values, not N * D = ${N} * ${D}`);
  if (data.labels.length !== N) throw new Error(`data '${data.name}': ${data.labels.length} labels for ${N} rows`);
  if (rowsGiven) checkFinite(`data '${data.name}'`, data.x, D);
  const counts = new Array<number>(data.classes).fill(0);
  data.labels.forEach((l, r) => {
    if (!Number.isInteger(l) || l < 0 || l >= data.classes)
      throw new Error(`data '${data.name}': label ${l} at row ${r} is outside 0..${data.classes - 1}`);
    counts[l]!++;
  });
  const names = data.classNames ?? counts.map((_, k) => String(k));
  counts.forEach((c, k) => {
    if (c < MIN_CLASS_SAMPLES) {
      throw new Error(
        `data '${data.name}': class ${k} ('${names[k]}') has ${c} sample${c === 1 ? '' : 's'}; method '${method}' needs at least ${MIN_CLASS_SAMPLES} per class (a covariance)`,
      );
    }
  });
  if (!rowsGiven) return { counts, constantColumns: [] };
  const x = data.x;
  // One pass: does column c differ from row 0 anywhere; does row r differ from its class's first row.
  const varies = new Uint8Array(D);
  const first = firstRows(data.labels, data.classes);
  const spread = new Uint8Array(data.classes);
  for (let r = 1; r < N; r++) {
    const l = data.labels[r]!;
    const f = first[l]! * D;
    const o = r * D;
    let rowDiffers = spread[l]!;
    for (let c = 0; c < D; c++) {
      const v = x[o + c]!;
      if (v !== x[c]) varies[c] = 1;
      if (!rowDiffers && v !== x[f + c]) rowDiffers = 1;
    }
    spread[l] = rowDiffers;
  }
  const constantColumns: number[] = [];
  for (let c = 0; c < D; c++) if (!varies[c]) constantColumns.push(c);
  if (constantColumns.length === D)
    throw new Error(`data '${data.name}': all ${D} features are constant; there are no fluctuations to analyse`);
  const points = counts.map((_, k) => k).filter((k) => !spread[k]);
  if (points.length)
    throw new Error(
      `data '${data.name}': ${points.map((k) => `class '${names[k]}' (${counts[k]} rows)`).join(', ')}: every row of the class is the same, so it has no fluctuations to merge; remove the class or give it distinct rows`,
    );
  return { counts, constantColumns };
}

/** The report warning for constant columns, or null. Columns are named 0-based, at most 10 listed. */
export function constantColumnsWarning(data: Dataset, constantColumns: number[]): string | null {
  const n = constantColumns.length;
  if (!n) return null;
  const D = data.shape[1];
  const list = constantColumns.slice(0, 10).join(', ') + (n > 10 ? `, … (${n} in all)` : '');
  return `data '${data.name}': ${n} of ${D} columns are constant over all rows (column${n === 1 ? '' : 's'} ${list}); they carry no fluctuations, so the data span at most ${D - n} directions and the normality test uses only directions along which the data vary.`;
}

/** The device limit checkDimension reads (bindings larger than maxStorageBufferBindingSize are chunked). */
export interface BufferLimits {
  maxBufferSize: number;
}

/**
 * The analysis keeps D x D float32 covariances in single GPU buffers: refuses a D whose matrix does not
 * fit the adapter's largest buffer, before any GPU work, naming D, the sizes and the largest D that fits.
 */
export function checkDimension(limits: BufferLimits, data: Dataset): void {
  const D = data.shape[1];
  const max = limits.maxBufferSize;
  const bytes = 4 * D * D;
  if (bytes <= max) return;
  const gb = (b: number) => `${(b / 1e9).toFixed(b < 1e10 ? 2 : 1)} GB`;
  throw new Error(
    `data '${data.name}': D = ${D} features; the analysis keeps D x D covariances on the GPU (${gb(bytes)} each in float32), more than this adapter's largest buffer (${gb(max)}), so D can be at most ${Math.floor(Math.sqrt(max / 4))} here; reduce the dimension first (e.g. a PCA or pooling)`,
  );
}
