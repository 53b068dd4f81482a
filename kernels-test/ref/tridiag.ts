// Householder tridiagonalisation T = Q^T A Q in float64, unblocked, written from the maths (Golub & Van
// Loan Alg. 8.3.1) with LAPACK's reflector convention (larfg: beta = -sign(alpha) ||x||, v_1 = 1), so
// that d and e are comparable entry by entry with the GPU's blocked reduction (shaders/tridiag_panel.wgsl).

/** d (n) and e (n, e[n - 1] = 0) of the tridiagonal form of symmetric a (n, n) row-major (not modified). */
export function tridiagonalRef(a: ArrayLike<number>, n: number): { d: Float64Array; e: Float64Array } {
  const A = Float64Array.from(a as ArrayLike<number>);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  for (let j = 0; j < n; j++) {
    d[j] = A[j * n + j]!;
    if (j + 1 >= n) break;
    const alpha = A[(j + 1) * n + j]!;
    let sigma2 = 0;
    for (let i = j + 2; i < n; i++) sigma2 += A[i * n + j]! ** 2;
    if (sigma2 === 0) {
      e[j] = alpha;
      continue;
    }
    const norm = Math.sqrt(alpha * alpha + sigma2);
    const beta = alpha >= 0 ? -norm : norm;
    const tau = (beta - alpha) / beta;
    e[j] = beta;
    v[j + 1] = 1;
    for (let i = j + 2; i < n; i++) v[i] = A[i * n + j]! / (alpha - beta);
    // A22 <- H A22 H with H = I - tau v v^T: p = tau A22 v, w = p - (tau/2)(p^T v) v, A22 -= v w^T + w v^T.
    let pv = 0;
    for (let i = j + 1; i < n; i++) {
      let s = 0;
      for (let l = j + 1; l < n; l++) s += A[i * n + l]! * v[l]!;
      p[i] = tau * s;
      pv += p[i]! * v[i]!;
    }
    for (let i = j + 1; i < n; i++) p[i] = p[i]! - 0.5 * tau * pv * v[i]!;
    for (let i = j + 1; i < n; i++) {
      for (let l = j + 1; l < n; l++) A[i * n + l] = A[i * n + l]! - v[i]! * p[l]! - p[i]! * v[l]!;
    }
  }
  return { d, e };
}
