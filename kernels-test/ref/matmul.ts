// Float64 reference for matmul: C = alpha * op(A) op(B) + beta * C0, row-major with offsets and leading
// dimensions, written from the definition (sum over k of op(A)[i, k] op(B)[k, j]).

export interface GemmRefArgs {
  a: ArrayLike<number>;
  b: ArrayLike<number>;
  /** Initial C (its elements outside the (m, n) block are copied through unchanged). */
  c: ArrayLike<number>;
  m: number;
  n: number;
  k: number;
  transA?: boolean;
  transB?: boolean;
  alpha?: number;
  beta?: number;
  offsetA?: number;
  offsetB?: number;
  offsetC?: number;
  lda?: number;
  ldb?: number;
  ldc?: number;
  /** Only j >= i of the block is written (SYRK's upper triangle). */
  upper?: boolean;
}

export function matmulRef(x: GemmRefArgs): Float64Array {
  const { m, n, k } = x;
  const lda = x.lda ?? (x.transA ? m : k);
  const ldb = x.ldb ?? (x.transB ? k : n);
  const ldc = x.ldc ?? n;
  const [oa, ob, oc] = [x.offsetA ?? 0, x.offsetB ?? 0, x.offsetC ?? 0];
  const alpha = x.alpha ?? 1;
  const beta = x.beta ?? 0;
  const opA = (i: number, l: number) => x.a[oa + (x.transA ? l * lda + i : i * lda + l)]!;
  const opB = (l: number, j: number) => x.b[ob + (x.transB ? j * ldb + l : l * ldb + j)]!;
  const out = Float64Array.from(x.c);
  for (let i = 0; i < m; i++) {
    for (let j = x.upper ? i : 0; j < n; j++) {
      let s = 0;
      for (let l = 0; l < k; l++) s += opA(i, l) * opB(l, j);
      const at = oc + i * ldc + j;
      out[at] = alpha * s + (beta !== 0 ? beta * x.c[at]! : 0);
    }
  }
  return out;
}

/** Per-element scale sum_k |op(A)[i, k]| |op(B)[k, j]| (times |alpha|) plus |beta C0|, for tolerances. */
export function matmulAbsRef(x: GemmRefArgs): Float64Array {
  const abs = (v: ArrayLike<number>) => Float64Array.from(v, Math.abs);
  return matmulRef({
    ...x,
    a: abs(x.a),
    b: abs(x.b),
    c: abs(x.c),
    alpha: Math.abs(x.alpha ?? 1),
    beta: Math.abs(x.beta ?? 0),
  });
}

/**
 * Error bound for f32 GEMM: each output is a length-k FMA recursion, |fl(s) - s| <= gamma_k sum|a||b|
 * with gamma_k = k u / (1 - k u), u = 2^-24 (Higham, Accuracy and Stability, eq. 3.5 / 3.11), plus one
 * rounding each for alpha * s and the beta * C0 FMA: bound_ij = (k + 2) u / (1 - (k + 2) u) * scale_ij,
 * scale = |alpha| sum|a||b| + |beta C0| (matmulAbsRef). Inputs are f32 values, exact in float64.
 */
export function gemmBound(k: number): number {
  const ku = (k + 2) * 2 ** -24;
  return ku / (1 - ku);
}

/** got and ref divided element-wise by the scale (1 where the scale is 0), for expectClose with atol = gemmBound. */
export function scaled(
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
  scale: ArrayLike<number>,
): [Float64Array, Float64Array] {
  const s = (i: number) => (scale[i]! > 0 ? scale[i]! : 1);
  return [Float64Array.from(got, (v, i) => v / s(i)), Float64Array.from(ref, (v, i) => v / s(i))];
}
