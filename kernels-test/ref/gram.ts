// Float64 references for the Gram path, from the definitions: centre each class by its two-pass mean,
// X~_k = X_k - 1 m_k^T (N_k, D), then G = X~_1 X~_2^T (N_1, N_2) and the D x D co-moment X~^T X~.

/** X~ (rows, cols): rows of x minus their column means. */
export function centredRef(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const mean = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let d = 0; d < cols; d++) mean[d]! += x[i * cols + d]! / rows;
  const out = new Float64Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let d = 0; d < cols; d++) out[i * cols + d] = x[i * cols + d]! - mean[d]!;
  return out;
}

/** X~_1 X~_2^T (n1, n2) for x1 (n1, cols), x2 (n2, cols); the centred Gram matrix when x2 = x1. */
export function crossGramRef(
  x1: ArrayLike<number>,
  n1: number,
  x2: ArrayLike<number>,
  n2: number,
  cols: number,
): Float64Array {
  const a = centredRef(x1, n1, cols);
  const b = centredRef(x2, n2, cols);
  const g = new Float64Array(n1 * n2);
  for (let i = 0; i < n1; i++) {
    for (let j = 0; j < n2; j++) {
      let s = 0;
      for (let d = 0; d < cols; d++) s += a[i * cols + d]! * b[j * cols + d]!;
      g[i * n2 + j] = s;
    }
  }
  return g;
}

/** The (cols, cols) co-moment X~^T X~ of x (rows, cols). */
export function comomentRef(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const a = centredRef(x, rows, cols);
  const c = new Float64Array(cols * cols);
  for (let i = 0; i < rows; i++)
    for (let p = 0; p < cols; p++)
      for (let q = 0; q < cols; q++) c[p * cols + q]! += a[i * cols + p]! * a[i * cols + q]!;
  return c;
}

export const trace = (m: ArrayLike<number>, n: number) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += m[i * n + i]!;
  return s;
};

/** <A, B>_F = sum_ij A_ij B_ij. */
export function frobeniusDot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
