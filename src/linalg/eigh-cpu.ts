// Dense symmetric eigensolver in float64 on the CPU: Householder tridiagonalisation followed by the
// implicit QL method with Wilkinson-type shifts (EISPACK tred2/tql2, Golub & Van Loan §8.3), plus
// modified Gram-Schmidt orthonormalisation. Used for the full spectrum (d up to ~1024) and for the
// small Rayleigh-Ritz problems of the subspace iteration. Row-major storage throughout, with
// eigenvectors kept as rows so that every inner loop runs over contiguous memory.

export interface DenseEigen {
  /** Eigenvalues, descending. */
  values: Float64Array;
  /** Eigenvectors as rows (n, n): row i belongs to values[i]; absent when not asked for. */
  vectors?: Float64Array;
}

/** The outputs of tridiagonalise (d, e, beta) and its scratch vector p, each of length n. */
interface Tridiagonal {
  d: Float64Array;
  e: Float64Array;
  beta: Float64Array;
  p: Float64Array;
}

const tridiagonalArrays = (n: number): Tridiagonal => ({
  d: new Float64Array(n),
  e: new Float64Array(n),
  beta: new Float64Array(n),
  p: new Float64Array(n),
});

/**
 * Reduces symmetric a (n, n), overwritten, to tridiagonal T = Q^T A Q: diagonal d, off-diagonal e
 * (e[i] couples i and i + 1, e[n - 1] = 0). Only the lower triangle of `a` is read and kept up to
 * date (symmetric matvec and rank-2 update on it: (4/3) n^3 flops). Reflector k, H_k = I - beta_k v v^T
 * acting on indices k + 1 .. n - 1, is left in the upper part of row k (v) and in beta[k];
 * Q = H_0 H_1 ... H_{n-3}.
 */
export function tridiagonalise(
  a: Float64Array,
  n: number,
  out: Tridiagonal = tridiagonalArrays(n),
): { d: Float64Array; e: Float64Array; beta: Float64Array } {
  const { d, e, beta, p } = out;
  for (let k = 0; k < n - 2; k++) {
    const row = k * n;
    // x = column k below the diagonal (lower triangle), gathered into row k's upper part.
    let scale = 0;
    for (let i = k + 1; i < n; i++) {
      const x = a[i * n + k]!;
      a[row + i] = x;
      scale = Math.max(scale, Math.abs(x));
    }
    d[k] = a[row + k]!;
    if (scale === 0) {
      e[k] = 0;
      beta[k] = 0;
      continue;
    }
    // v = x - alpha e_1 with alpha = -sign(x_0) ||x|| (no cancellation); computed on x / scale.
    let ss = 0;
    for (let i = k + 1; i < n; i++) {
      const x = a[row + i]! / scale;
      a[row + i] = x;
      ss += x * x;
    }
    const x0 = a[row + k + 1]!;
    const alpha = x0 >= 0 ? -Math.sqrt(ss) : Math.sqrt(ss);
    a[row + k + 1] = x0 - alpha;
    const vtv = ss - x0 * x0 + (x0 - alpha) * (x0 - alpha);
    const b = 2 / vtv;
    beta[k] = b;
    e[k] = alpha * scale;
    // p = beta S v from S's lower triangle: row i contributes S_ij v_j to p_i and S_ij v_i to p_j.
    p.fill(0, k + 1, n);
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const vi = a[row + i]!;
      let s = 0;
      for (let j = k + 1; j < i; j++) {
        const sij = a[ri + j]!;
        s += sij * a[row + j]!;
        p[j] = p[j]! + sij * vi;
      }
      p[i] = p[i]! + s + a[ri + i]! * vi;
    }
    let vp = 0;
    for (let i = k + 1; i < n; i++) {
      p[i] = b * p[i]!;
      vp += a[row + i]! * p[i]!;
    }
    // w = p - K v with K = beta / 2 v^T p; S -= v w^T + w v^T on the lower triangle.
    const K = (b / 2) * vp;
    for (let i = k + 1; i < n; i++) p[i] = p[i]! - K * a[row + i]!;
    for (let i = k + 1; i < n; i++) {
      const ri = i * n;
      const vi = a[row + i]!;
      const wi = p[i]!;
      for (let j = k + 1; j <= i; j++) a[ri + j] = a[ri + j]! - vi * p[j]! - wi * a[row + j]!;
    }
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + n - 2]!;
    e[n - 2] = a[(n - 1) * n + n - 2]!;
  }
  d[n - 1] = a[n * n - 1]!;
  e[n - 1] = 0;
  return { d, e, beta };
}

/**
 * Implicit QL on the tridiagonal (d, e), in place: d becomes the eigenvalues (unsorted). With `zt`
 * (n, n), rows are rotated along, so rows of an identity become the tridiagonal's eigenvectors.
 */
export function tridiagonalQl(d: Float64Array, e: Float64Array, n: number, zt?: Float64Array): void {
  const eps = 2 ** -52;
  let f = 0;
  let tst1 = 0;
  let budget = 60 * n + 60;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]!) + Math.abs(e[l]!));
    let m = l;
    while (m < n - 1 && Math.abs(e[m]!) > eps * tst1) m++;
    if (m > l) {
      do {
        if (--budget < 0) throw new Error(`eigh: implicit QL did not converge for eigenvalue ${l} of ${n}`);
        let g = d[l]!;
        let p = (d[l + 1]! - g) / (2 * e[l]!);
        // sqrt rather than Math.hypot (3x faster in V8); p is huge only when e[l] is negligible.
        let r = Math.abs(p) > 1e100 ? Math.abs(p) : Math.sqrt(p * p + 1);
        if (p < 0) r = -r;
        d[l] = e[l]! / (p + r);
        d[l + 1] = e[l]! * (p + r);
        const dl1 = d[l + 1]!;
        let h = g - d[l]!;
        for (let i = l + 2; i < n; i++) d[i] = d[i]! - h;
        f += h;
        p = d[m]!;
        let c = 1;
        let c2 = 1;
        let c3 = 1;
        const el1 = e[l + 1]!;
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i]!;
          h = c * p;
          r = Math.sqrt(p * p + e[i]! * e[i]!);
          e[i + 1] = s * r;
          s = e[i]! / r;
          c = p / r;
          p = c * d[i]! - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]!);
          if (zt) {
            const r0 = i * n;
            const r1 = r0 + n;
            for (let k = 0; k < n; k++) {
              const z1 = zt[r1 + k]!;
              const z0 = zt[r0 + k]!;
              zt[r1 + k] = s * z0 + c * z1;
              zt[r0 + k] = c * z0 - s * z1;
            }
          }
        }
        p = (-s * s2 * c3 * el1 * e[l]!) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]!) > eps * tst1);
    }
    d[l] = d[l]! + f;
    e[l] = 0;
  }
}

/**
 * Eigenvalues (unsorted) of the tridiagonal (d, e) in place, by root-free QL on the squared off-diagonal
 * (the rational QL of EISPACK's tqlrat; Reinsch 1973): no square root in the inner loop, about 1.8x faster
 * than tridiagonalQl at n = 784, which matters at 259 spectra per analysis. (d, e) are first scaled by a
 * power of two (exact) so that the squares neither overflow nor underflow. e is destroyed. Self-contained
 * (band-pool's workers run its source).
 */
export function tridiagonalEigenvalues(d: Float64Array, e: Float64Array, n: number): void {
  if (n <= 1) return;
  let norm = 0;
  for (let i = 0; i < n; i++) norm = Math.max(norm, Math.abs(d[i]!), i + 1 < n ? Math.abs(e[i]!) : 0);
  if (!Number.isFinite(norm)) throw new Error('eigh: the tridiagonal holds a non-finite value');
  if (norm === 0) return;
  const scale = 2 ** -Math.round(Math.log2(norm));
  const e2 = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    d[i] = d[i]! * scale;
    e2[i] = i + 1 < n ? (e[i]! * scale) ** 2 : 0;
  }
  const eps = 2 ** -52;
  let f = 0;
  let t = 0;
  let b = 0;
  let c = 0;
  for (let l = 0; l < n; l++) {
    // Split where the squared coupling is below (eps * largest |d| + |e| so far)^2.
    const h0 = Math.abs(d[l]!) + Math.sqrt(e2[l]!);
    if (h0 > t) {
      t = h0;
      b = eps * t;
      c = b * b;
    }
    let m = l;
    while (e2[m]! > c) m++;
    let iter = 0;
    while (m > l) {
      if (++iter > 60) throw new Error(`eigh: root-free QL did not converge for eigenvalue ${l} of ${n}`);
      // Shift from the leading 2 x 2 block, applied to the whole remaining diagonal.
      let s = Math.sqrt(e2[l]!);
      let g = d[l]!;
      let p = (d[l + 1]! - g) / (2 * s);
      let r = Math.sqrt(p * p + 1);
      d[l] = s / (p + (p < 0 ? -r : r));
      let h = g - d[l]!;
      for (let i = l + 1; i < n; i++) d[i] = d[i]! - h;
      f += h;
      // The QL sweep from m - 1 up to l on squares (g = 0 is replaced by b to avoid dividing by it).
      g = d[m]! || b;
      h = g;
      s = 0;
      for (let i = m - 1; i >= l; i--) {
        p = g * h;
        r = p + e2[i]!;
        e2[i + 1] = s * r;
        s = e2[i]! / r;
        d[i + 1] = h + s * (h + d[i]!);
        g = d[i]! - e2[i]! / g || b;
        h = (g * p) / r;
      }
      e2[l] = s * g;
      d[l] = h;
      // Converged when the new coupling is negligible (tested as e2 <= c / h to avoid underflow).
      if (h === 0 || Math.abs(e2[l]!) <= Math.abs(c / h)) break;
      e2[l] = h * e2[l]!;
      if (e2[l] === 0) break;
    }
    d[l] = d[l]! + f;
  }
  for (let i = 0; i < n; i++) d[i] = d[i]! / scale;
}

/**
 * Working arrays of symmetricEigen for one order n. eigenInto fills them in place, so that a caller solving
 * many small problems of one order (the Ritz tracker: 12 x 12, tens of thousands per analysis) allocates
 * nothing per problem; symmetricEigen uses a fresh set and returns its arrays.
 */
export interface EigenWorkspace extends Tridiagonal {
  n: number;
  /** The symmetrised input, then the reflectors (tridiagonalise). */
  w: Float64Array;
  zt: Float64Array;
  order: number[];
  /** Results: eigenvalues descending, eigenvectors as rows (when asked for). */
  values: Float64Array;
  vectors: Float64Array;
}

/** A workspace for order n; with vectors false it has no room for eigenvectors (n^2 floats twice). */
export function eigenWorkspace(n: number, vectors = true): EigenWorkspace {
  const nn = vectors ? n * n : 0;
  return {
    n,
    ...tridiagonalArrays(n),
    w: new Float64Array(n * n),
    zt: new Float64Array(nn),
    order: Array.from({ length: n }, (_, i) => i),
    values: new Float64Array(n),
    vectors: new Float64Array(nn),
  };
}

/** symmetricEigen into ws (ws.values, and ws.vectors when `vectors`); a (n, n) is not modified. */
export function eigenInto(a: ArrayLike<number>, ws: EigenWorkspace, vectors: boolean): void {
  const { n, w, d, beta, zt, order } = ws;
  if (vectors && ws.vectors.length !== n * n) throw new Error('eigenInto: the workspace has no room for vectors');
  // Symmetrise: (A + A^T) / 2, so that inputs off by rounding still give a symmetric problem.
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) w[i * n + j] = 0.5 * (a[i * n + j]! + a[j * n + i]!);
  tridiagonalise(w, n, ws);
  if (vectors) {
    zt.fill(0);
    for (let i = 0; i < n; i++) zt[i * n + i] = 1;
  }
  tridiagonalQl(d, ws.e, n, vectors ? zt : undefined);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((x, y) => d[y]! - d[x]!);
  for (let i = 0; i < n; i++) ws.values[i] = d[order[i]!]!;
  if (!vectors) return;
  // Eigenvectors of A: Q z = H_0 (H_1 (... H_{n-3} z)) for each tridiagonal eigenvector z (a row).
  const out = ws.vectors;
  order.forEach((src, dst) => out.set(zt.subarray(src * n, src * n + n), dst * n));
  for (let r = 0; r < n; r++) {
    const z = r * n;
    for (let k = n - 3; k >= 0; k--) {
      const b = beta[k]!;
      if (b === 0) continue;
      const v = k * n;
      let dot = 0;
      for (let j = k + 1; j < n; j++) dot += w[v + j]! * out[z + j]!;
      dot *= b;
      for (let j = k + 1; j < n; j++) out[z + j] = out[z + j]! - dot * w[v + j]!;
    }
  }
}

/** Eigen-decomposition of symmetric a (n, n) row-major (not modified), values descending. */
export function symmetricEigen(a: ArrayLike<number>, n: number, opts: { vectors?: boolean } = {}): DenseEigen {
  const ws = eigenWorkspace(n, Boolean(opts.vectors));
  eigenInto(a, ws, Boolean(opts.vectors));
  return opts.vectors ? { values: ws.values, vectors: ws.vectors } : { values: ws.values };
}

/**
 * Orthonormalises the m rows of x (m, n) in place by modified Gram-Schmidt applied twice ("twice is
 * enough", Giraud et al. 2005). A row that vanishes (dependent input) is replaced by `fill(i)` and
 * orthogonalised again (up to three times, then an Error).
 */
export function orthonormaliseRows(x: Float64Array, m: number, n: number, fill: (row: number) => Float64Array): void {
  for (let i = 0; i < m; i++) {
    const ri = i * n;
    for (let attempt = 0; ; attempt++) {
      let before = 0;
      for (let k = 0; k < n; k++) before += x[ri + k]! * x[ri + k]!;
      for (let pass = 0; pass < 2; pass++) {
        for (let j = 0; j < i; j++) {
          const rj = j * n;
          let dot = 0;
          for (let k = 0; k < n; k++) dot += x[rj + k]! * x[ri + k]!;
          for (let k = 0; k < n; k++) x[ri + k] = x[ri + k]! - dot * x[rj + k]!;
        }
      }
      let after = 0;
      for (let k = 0; k < n; k++) after += x[ri + k]! * x[ri + k]!;
      if (after > 1e-24 * before && after > 0) {
        const inv = 1 / Math.sqrt(after);
        for (let k = 0; k < n; k++) x[ri + k] = x[ri + k]! * inv;
        break;
      }
      if (attempt === 3) throw new Error(`eigh: cannot extend the basis past ${i} vectors in dimension ${n}`);
      x.set(fill(i), ri);
    }
  }
}
