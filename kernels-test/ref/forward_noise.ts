// float64 reference of forward noising, written from DESIGN.md §1 and the eps definition
// (counter (d / 4, row, step, stream), key = the seed's two words; four normals per Philox block:
// Box-Muller on words (0, 1) for dims 4q, 4q+1 and on words (2, 3) for dims 4q+2, 4q+3).
import { boxMuller64, philox4x32_10 } from './philox.js';

export function epsBlock(
  key: readonly [number, number],
  q: number,
  row: number,
  step: number,
  stream: number,
): Float64Array {
  const bits = philox4x32_10([q, row, step, stream], [key[0], key[1]]);
  return boxMuller64(bits);
}

/** (S, rows, cols) in float64: sqrt(abar_s) x0 + sqrt(1 - abar_s) eps(row, step_s, d). */
export function forwardNoiseRef(
  x0: ArrayLike<number>,
  rows: number,
  cols: number,
  steps: ArrayLike<number>,
  abar: ArrayLike<number>,
  key: readonly [number, number],
  stream = 0,
  rowList: readonly number[] = Array.from({ length: rows }, (_, i) => i),
): Float64Array {
  const out = new Float64Array(steps.length * rowList.length * cols);
  for (let s = 0; s < steps.length; s++) {
    for (const [j, n] of rowList.entries()) {
      for (let q = 0; 4 * q < cols; q++) {
        const eps = epsBlock(key, q, n, steps[s]!, stream);
        for (let k = 0; k < 4 && 4 * q + k < cols; k++) {
          const d = 4 * q + k;
          out[(s * rowList.length + j) * cols + d] =
            Math.sqrt(abar[s]!) * x0[n * cols + d]! + Math.sqrt(1 - abar[s]!) * eps[k]!;
        }
      }
    }
  }
  return out;
}
