// What the explorer page offers for download, as file contents: report.json and late-start.json as
// `fluctus analyze` writes them (src/formats/json.ts), the merger curves as CSV, and the built-in data
// as .npy files for the headless command (options.ts cliEquivalent). Pure: no DOM, no Node APIs.
import { jsonFileText } from '../../formats/json.js';
import type { LateStartFile } from '../../formats/late-start.js';
import type { MergerReport } from '../../formats/report-types.js';
import { pairLabel } from '../../report/charts-common.js';

/** report.json, byte for byte as the CLI writes it (throws on a non-finite number, as the CLI does). */
export function reportJson(report: MergerReport): string {
  return jsonFileText(report, 'report');
}

/** late-start.json, as the CLI writes it with --late-start. */
export function lateStartJson(file: LateStartFile): string {
  return jsonFileText(file, 'late-start');
}

/** One CSV cell (RFC 4180): quoted when it holds a comma, quote or line break. */
function cell(v: string | number | null): string {
  if (v === null) return '';
  const s = typeof v === 'number' ? String(v) : v;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The merger curves of every pair as CSV, one row per step of report.steps ∪ report.spectralSteps:
 * step, abar, then per pair M(i), M~(i) (blank where M is not given: mc gives it on the spectral
 * steps) and d(i) (blank off the spectral steps). Columns are named "M <pair>", "M~ <pair>", "d <pair>".
 */
export function curvesCsv(report: MergerReport): string {
  const steps = [...new Set([...report.steps, ...report.spectralSteps])].sort((a, b) => a - b);
  const mAt = new Map(report.steps.map((s, j) => [s, j]));
  const dAt = new Map(report.spectralSteps.map((s, j) => [s, j]));
  const labels = report.pairs.map((p) => pairLabel(report, p));
  const head = ['step', 'abar', ...labels.flatMap((l) => [`M ${l}`, `M~ ${l}`, `d ${l}`])];
  const lines = [head.map(cell).join(',')];
  for (const s of steps) {
    const j = mAt.get(s);
    const k = dAt.get(s);
    const row: (number | null)[] = [s, report.schedule.abar[s] ?? null];
    for (const p of report.pairs) {
      row.push(j === undefined ? null : p.M[j]!, j === undefined ? null : p.Mthr[j]!, k === undefined ? null : p.d[k]!);
    }
    lines.push(row.map(cell).join(','));
  }
  return `${lines.join('\n')}\n`;
}

const NPY_DESCR = { f4: '<f4', i4: '<i4' } as const;

/**
 * A .npy version 1.0 file (numpy NEP 1): magic, version, u16 header length, the header dict padded
 * with spaces to a multiple of 64 bytes and ending in '\n', then the little-endian data.
 */
export function npyFile(data: Float32Array | Int32Array, shape: number[]): Uint8Array {
  const count = shape.reduce((a, b) => a * b, 1);
  if (count !== data.length)
    throw new Error(`npyFile: shape (${shape.join(', ')}) holds ${count} values, data ${data.length}`);
  const descr = data instanceof Float32Array ? NPY_DESCR.f4 : NPY_DESCR.i4;
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  const dict = `{'descr': '${descr}', 'fortran_order': False, 'shape': ${shapeText}, }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  const header = `${dict.padEnd(total - 11, ' ')}\n`;
  const out = new Uint8Array(total + data.byteLength);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, header.length & 0xff, header.length >> 8]);
  out.set(new TextEncoder().encode(header), 10);
  // Typed arrays are in the platform's byte order; every WebGPU platform is little-endian.
  out.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), total);
  return out;
}
