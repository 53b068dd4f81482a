// Mixed power sums per column and block of rows in float64, from the definition: for the orders (m, n),
// 1 <= m + n <= 4, in MIXED_ORDERS' order, sum over the block's rows of (x - shift)^m e^n, with the sum of
// absolute terms (the scale of any summation order's rounding error) for tolerances.

/** (blocks, orders, cols) sums and absolute sums; x, e (rows, cols) row-major, shift (cols). */
export function mixedMomentsRef(
  x: ArrayLike<number>,
  e: ArrayLike<number>,
  shift: ArrayLike<number>,
  rows: number,
  cols: number,
  block: number,
  orders: readonly (readonly [number, number])[],
): { sums: Float64Array; absSums: Float64Array } {
  const blocks = Math.ceil(rows / block);
  const K = orders.length;
  const sums = new Float64Array(blocks * K * cols);
  const absSums = new Float64Array(blocks * K * cols);
  for (let r = 0; r < rows; r++) {
    const b = Math.floor(r / block);
    for (let c = 0; c < cols; c++) {
      const dx = x[r * cols + c]! - shift[c]!;
      const de = e[r * cols + c]!;
      orders.forEach(([m, n], t) => {
        const v = dx ** m * de ** n;
        sums[(b * K + t) * cols + c]! += v;
        absSums[(b * K + t) * cols + c]! += Math.abs(v);
      });
    }
  }
  return { sums, absSums };
}
