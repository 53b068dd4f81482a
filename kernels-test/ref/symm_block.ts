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

/** The same product for V given as m rows (m, d): the rows of (C V^T)^T, i.e. out[r, i] = sum_j C_ij v_r[j]. */
export function symmRowsRef(c: ArrayLike<number>, v: ArrayLike<number>, m: number, d: number): Float64Array {
  const out = new Float64Array(m * d);
  for (let r = 0; r < m; r++)
    for (let i = 0; i < d; i++) {
      let s = 0;
      for (let j = 0; j < d; j++) s += c[i * d + j]! * v[r * d + j]!;
      out[r * d + i] = s;
    }
  return out;
}
