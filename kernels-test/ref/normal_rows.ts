// The normals shaders/normal_rows.wgsl writes, in float64 from the Philox and Box-Muller references:
// out[i * ldo + c] = component c % 4 of the draw for counter (c / 4, rows[i], tag, stream), 0 past cols;
// with `lower`, 0 right of the diagonal and diag[i] on it.
import { boxMuller64, philox4x32_10 } from './philox.js';

export function normalRowsRef(a: {
  rows: ArrayLike<number>;
  cols: number;
  ldo: number;
  key: readonly [number, number];
  stream: number;
  tag: number;
  diag?: ArrayLike<number>;
}): Float64Array {
  const out = new Float64Array(a.rows.length * a.ldo);
  for (let i = 0; i < a.rows.length; i++) {
    for (let q = 0; 4 * q < a.cols; q++) {
      const z = boxMuller64(philox4x32_10([q, a.rows[i]!, a.tag, a.stream], a.key));
      for (let k = 0; k < 4 && 4 * q + k < a.cols; k++) out[i * a.ldo + 4 * q + k] = z[k]!;
    }
    if (a.diag) {
      for (let c = i + 1; c < a.ldo; c++) out[i * a.ldo + c] = 0;
      if (i < a.cols) out[i * a.ldo + i] = a.diag[i]!;
    }
  }
  return out;
}
