// Float64 reference for SYRK: C = alpha * A^T A + beta * C0 (A (rows, cols), C (cols, cols)) or the Gram
// product alpha * A A^T + beta * C0 (C (rows, rows)), upper triangle only, and the mirror copy.

export interface SyrkRefArgs {
  a: ArrayLike<number>;
  c: ArrayLike<number>;
  rows: number;
  cols: number;
  gram?: boolean;
  alpha?: number;
  beta?: number;
  offsetA?: number;
  lda?: number;
  offsetC?: number;
  ldc?: number;
}

/** Writes only C[i, j] for j >= i of the block; everything else of C0 is copied through. */
export function syrkRef(x: SyrkRefArgs): Float64Array {
  const lda = x.lda ?? x.cols;
  const oa = x.offsetA ?? 0;
  const n = x.gram ? x.rows : x.cols;
  const len = x.gram ? x.cols : x.rows;
  const ldc = x.ldc ?? n;
  const oc = x.offsetC ?? 0;
  const alpha = x.alpha ?? 1;
  const beta = x.beta ?? 0;
  const A = (r: number, col: number) => x.a[oa + r * lda + col]!;
  const out = Float64Array.from(x.c);
  for (let i = 0; i < n; i++) {
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let l = 0; l < len; l++) s += x.gram ? A(i, l) * A(j, l) : A(l, i) * A(l, j);
      const at = oc + i * ldc + j;
      out[at] = alpha * s + (beta !== 0 ? beta * x.c[at]! : 0);
    }
  }
  return out;
}

/** C[j, i] = C[i, j] for j < i on the (n, n) block at offsetC. */
export function mirrorUpperRef(c: ArrayLike<number>, n: number, offsetC = 0, ldc = n): Float64Array {
  const out = Float64Array.from(c);
  for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) out[offsetC + i * ldc + j] = out[offsetC + j * ldc + i]!;
  return out;
}
