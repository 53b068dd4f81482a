// Frobenius inner products in float64, from the definition <A, B>_F = sum_rc A[r, c] B[r, c], with
// sum |A B| (the scale of the rounding error of any summation order) for tolerances.

/** a, b: stacks of matrices of `len` elements each. Returns per pair [value, sum |a b|]. */
export function frobeniusRef(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  len: number,
  pairs: readonly (readonly [number, number])[],
): { value: Float64Array; absSum: Float64Array } {
  const value = new Float64Array(pairs.length);
  const absSum = new Float64Array(pairs.length);
  pairs.forEach(([i, j], p) => {
    let s = 0;
    let t = 0;
    for (let e = 0; e < len; e++) {
      const x = a[i * len + e]! * b[j * len + e]!;
      s += x;
      t += Math.abs(x);
    }
    value[p] = s;
    absSum[p] = t;
  });
  return { value, absSum };
}
