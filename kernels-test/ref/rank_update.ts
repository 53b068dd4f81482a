// shaders/rank_update.wgsl in float64 on a rows x cols block: beta out + alpha x + w u v^T, or with
// `symmetric` alpha (x + x^T) in place of alpha x. Row strides ldo (out) and ldx (x).
export function rankUpdateRef(a: {
  rows: number;
  cols: number;
  out: ArrayLike<number>;
  ldo: number;
  beta: number;
  x?: { data: ArrayLike<number>; ld: number; alpha: number; symmetric?: boolean };
  outer?: { u: ArrayLike<number>; v: ArrayLike<number>; w: number };
}): Float64Array {
  const res = Float64Array.from(a.out);
  for (let i = 0; i < a.rows; i++) {
    for (let j = 0; j < a.cols; j++) {
      let y = a.beta === 0 ? 0 : a.beta * a.out[i * a.ldo + j]!;
      if (a.x) {
        const xij = a.x.data[i * a.x.ld + j]!;
        y += a.x.alpha * (a.x.symmetric ? xij + a.x.data[j * a.x.ld + i]! : xij);
      }
      if (a.outer) y += a.outer.w * a.outer.u[i]! * a.outer.v[j]!;
      res[i * a.ldo + j] = y;
    }
  }
  return res;
}
