// Float64 reference for GroupNorm over NHWC (n, hw, c) with G groups of c / G channels: mean and biased
// variance per (image, group), y = gamma (x - mean) / sqrt(var + eps) + beta; the backward by the chain
// rule through var and mean in stages (as in the batch-norm paper's derivation, Ioffe & Szegedy 2015),
// not the folded closed form the kernel uses. Checked by finite differences in pure/nn_image_ref.test.ts.

type Arr = ArrayLike<number>;

export interface GroupDims {
  n: number;
  hw: number;
  c: number;
  groups: number;
}

/** Element indices of (image n, group g). */
function members(d: GroupDims, n: number, g: number): number[] {
  const cpg = d.c / d.groups;
  const out: number[] = [];
  for (let p = 0; p < d.hw; p++) for (let j = 0; j < cpg; j++) out.push((n * d.hw + p) * d.c + g * cpg + j);
  return out;
}

export function groupNorm(
  x: Arr,
  gamma: Arr,
  beta: Arr,
  d: GroupDims,
  eps: number,
): { y: Float64Array; mean: Float64Array; rstd: Float64Array } {
  const y = new Float64Array(d.n * d.hw * d.c);
  const mean = new Float64Array(d.n * d.groups);
  const rstd = new Float64Array(d.n * d.groups);
  for (let n = 0; n < d.n; n++)
    for (let g = 0; g < d.groups; g++) {
      const idx = members(d, n, g);
      const mu = idx.reduce((s, i) => s + x[i]!, 0) / idx.length;
      const variance = idx.reduce((s, i) => s + (x[i]! - mu) ** 2, 0) / idx.length;
      const r = 1 / Math.sqrt(variance + eps);
      mean[n * d.groups + g] = mu;
      rstd[n * d.groups + g] = r;
      for (const i of idx) y[i] = gamma[i % d.c]! * (x[i]! - mu) * r + beta[i % d.c]!;
    }
  return { y, mean, rstd };
}

/** Gradients of sum(dy * groupNorm(x)) with respect to x, gamma and beta. */
export function groupNormBackward(
  x: Arr,
  gamma: Arr,
  dy: Arr,
  d: GroupDims,
  eps: number,
): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const dx = new Float64Array(d.n * d.hw * d.c);
  const dgamma = new Float64Array(d.c);
  const dbeta = new Float64Array(d.c);
  for (let n = 0; n < d.n; n++)
    for (let g = 0; g < d.groups; g++) {
      const idx = members(d, n, g);
      const M = idx.length;
      const mu = idx.reduce((s, i) => s + x[i]!, 0) / M;
      const variance = idx.reduce((s, i) => s + (x[i]! - mu) ** 2, 0) / M;
      const sigma = Math.sqrt(variance + eps);
      let dvar = 0;
      let dmu = 0;
      for (const i of idx) {
        const dxhat = dy[i]! * gamma[i % d.c]!;
        dgamma[i % d.c] += (dy[i]! * (x[i]! - mu)) / sigma;
        dbeta[i % d.c] += dy[i]!;
        dvar += dxhat * (x[i]! - mu) * -0.5 * sigma ** -3;
        dmu -= dxhat / sigma;
      }
      // d var / d mu = -2 / M sum (x - mu) = 0, so mu's gradient is the direct term only.
      for (const i of idx) dx[i] = (dy[i]! * gamma[i % d.c]!) / sigma + (dvar * 2 * (x[i]! - mu)) / M + dmu / M;
    }
  return { dx, dgamma, dbeta };
}
