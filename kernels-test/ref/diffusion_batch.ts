// float64 reference of the eps-prediction training batch, from its definition: per row, Philox words
// (w0, w1) of counter (0, row, iter, streamRows) give the step 1 + floor(w0 T / 2^32) and the dropout
// (label -> -1 when floor(w1 / 256) / 2^24 < pUncond); eps from counter (d / 4, row, iter, streamEps)
// as the forward-noise reference; x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps.
import { philox4x32_10 } from './philox.js';
import { epsBlock } from './forward_noise.js';

export interface DiffusionBatchRef {
  xt: Float64Array;
  eps: Float64Array;
  steps: Int32Array;
  labels: Int32Array;
}

export function diffusionBatchRef(
  x0: ArrayLike<number>,
  labelsIn: ArrayLike<number>,
  rows: number,
  cols: number,
  abar: ArrayLike<number>,
  key: readonly [number, number],
  iter: number,
  pUncond: number,
  streamEps: number,
  streamRows: number,
  rowOffset = 0,
): DiffusionBatchRef {
  const T = abar.length;
  const out: DiffusionBatchRef = {
    xt: new Float64Array(rows * cols),
    eps: new Float64Array(rows * cols),
    steps: new Int32Array(rows),
    labels: new Int32Array(rows),
  };
  for (let n = 0; n < rows; n++) {
    const row = rowOffset + n;
    const [w0, w1] = philox4x32_10([0, row, iter, streamRows], key);
    const t = 1 + Math.floor((w0 * T) / 2 ** 32);
    out.steps[n] = t;
    out.labels[n] = Math.floor(w1 / 256) / 2 ** 24 < pUncond ? -1 : labelsIn[n]!;
    const a = abar[t - 1]!;
    for (let q = 0; 4 * q < cols; q++) {
      const e = epsBlock(key, q, row, iter, streamEps);
      for (let k = 0; k < 4 && 4 * q + k < cols; k++) {
        const j = n * cols + 4 * q + k;
        out.eps[j] = e[k]!;
        out.xt[j] = Math.sqrt(a) * x0[j]! + Math.sqrt(1 - a) * e[k]!;
      }
    }
  }
  return out;
}
