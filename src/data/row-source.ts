// Where a pass over a dataset reads its rows (the merger analysis' moment pass): from memory here, or from
// a .npy file on disk row by row (npy-rows.ts, Node only), so data larger than memory streams through.
// Pure: no Node APIs (the analysis runs in browsers too).

export interface RowSource {
  rows: number;
  dim: number;
  /** Fills out (rows.length, ld) with the rows of those original indices (ascending); columns >= dim untouched. */
  read(rows: Int32Array, out: Float32Array, ld: number): void;
}

export function memoryRows(x: Float32Array, dim: number): RowSource {
  return {
    rows: x.length / dim,
    dim,
    read(rows, out, ld) {
      rows.forEach((r, q) => out.set(x.subarray(r * dim, (r + 1) * dim), q * ld));
    },
  };
}
