// float64 reference of DDPM ancestral sampling (Ho et al. 2020, Alg. 2) written from the update
// x_{t-1} = 1 / sqrt(alpha_t) (x_t - beta_t / sqrt(1 - abar_t) eps_hat) + sqrt(beta_t) z (z = 0 at the last
// step), with z from Philox counter (d / 4, row, step, stream) as the forward-noise reference.
import { epsBlock } from './forward_noise.js';

/** One step: returns x_{t-1} for x_t, eps_hat (rows, cols); beta and abar of the step taken. */
export function ddpmStepRef(
  x: ArrayLike<number>, epsHat: ArrayLike<number>, rows: number, cols: number, beta: number, abar: number,
  last: boolean, key: readonly [number, number], step: number, stream: number,
): Float64Array {
  const out = new Float64Array(rows * cols);
  const c1 = 1 / Math.sqrt(1 - beta);
  const c2 = beta / Math.sqrt(1 - abar);
  const sigma = last ? 0 : Math.sqrt(beta);
  for (let n = 0; n < rows; n++) {
    for (let q = 0; 4 * q < cols; q++) {
      const z = epsBlock(key, q, n, step, stream);
      for (let k = 0; k < 4 && 4 * q + k < cols; k++) {
        const j = n * cols + 4 * q + k;
        out[j] = c1 * (x[j]! - c2 * epsHat[j]!) + sigma * z[k]!;
      }
    }
  }
  return out;
}
