// W = scale * C V in float64 from the definition (C (d, d), V and W (d, n) row-major), with
// sum_j |C_ij V_jc| per output (the scale of any f32 summation error) for tolerances.
export function symmBlockRef(
  c: ArrayLike<number>,
  v: ArrayLike<number>,
  d: number,
  n: number,
  scale = 1,
): { w: Float64Array; abs: Float64Array } {
  const w = new Float64Array(d * n);
  const abs = new Float64Array(d * n);
  for (let i = 0; i < d; i++) {
    for (let col = 0; col < n; col++) {
      let s = 0;
      let t = 0;
      for (let j = 0; j < d; j++) {
        const x = c[i * d + j]! * v[j * n + col]!;
        s += x;
        t += Math.abs(x);
      }
      w[i * n + col] = scale * s;
      abs[i * n + col] = Math.abs(scale) * t;
    }
  }
  return { w, abs };
}
