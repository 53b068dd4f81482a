// Reduction of a symmetric matrix to band form of half-bandwidth b in float64, unblocked, written from
// the maths (Bischof, Lang & Sun 2000, one reflector at a time; Golub & Van Loan §5.2 for the Householder
// QR): for each panel of b columns starting at k0, column k0 + t is reflected below row k0 + b + t by
// H = I - tau v v^T with LAPACK's larfg convention (beta = -sign(alpha) ||x||, v_1 = 1), and A <- H A H.
// The GPU's blocked form (shaders/band_panel.wgsl, band_w.wgsl and the trailing GEMMs) applies the same
// reflectors in compact WY form, so the band entries are comparable entry by entry while rounding allows.

/** Lower band (n, b + 1) of the band form of symmetric a (n, n) row-major: out[j * (b + 1) + r] = B[j + r, j]. */
export function bandReduceRef(a: ArrayLike<number>, n: number, b: number): Float64Array {
  const A = Float64Array.from(a as ArrayLike<number>);
  const v = new Float64Array(n);
  const w = new Float64Array(n);
  for (let k0 = 0; k0 < n; k0 += b) {
    for (let t = 0; t < b && k0 + t < n; t++) {
      const col = k0 + t;
      const j = k0 + b + t;
      if (j >= n) break;
      const alpha = A[j * n + col]!;
      let sigma2 = 0;
      for (let i = j + 1; i < n; i++) sigma2 += A[i * n + col]! ** 2;
      if (sigma2 === 0) continue;
      const norm = Math.sqrt(alpha * alpha + sigma2);
      const beta = alpha >= 0 ? -norm : norm;
      const tau = (beta - alpha) / beta;
      v.fill(0);
      v[j] = 1;
      for (let i = j + 1; i < n; i++) v[i] = A[i * n + col]! / (alpha - beta);
      // A <- H A H = A - v w^T - w v^T with p = tau A v, w = p - (tau / 2)(p^T v) v (the whole matrix:
      // rows and columns < j are touched only through the panel's columns, where A v is non-zero).
      let pv = 0;
      for (let i = 0; i < n; i++) {
        let s = 0;
        for (let l = j; l < n; l++) s += A[i * n + l]! * v[l]!;
        w[i] = tau * s;
        pv += w[i]! * v[i]!;
      }
      for (let i = 0; i < n; i++) w[i] = w[i]! - 0.5 * tau * pv * v[i]!;
      for (let i = 0; i < n; i++)
        for (let l = 0; l < n; l++) A[i * n + l] = A[i * n + l]! - v[i]! * w[l]! - w[i]! * v[l]!;
    }
  }
  const out = new Float64Array(n * (b + 1));
  for (let j = 0; j < n; j++) for (let r = 0; r <= b && j + r < n; r++) out[j * (b + 1) + r] = A[(j + r) * n + j]!;
  return out;
}
