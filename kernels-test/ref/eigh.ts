// Symmetric eigenproblems in float64 by the cyclic Jacobi method (Golub & Van Loan, Alg. 8.5.3),
// deliberately a different algorithm from src/linalg/eigh-cpu.ts (Householder + implicit QL), and
// test matrices with a known spectrum, Q diag(lambda) Q^T, Q a product of random reflectors.
import { gaussian } from '../random.js';

/** Eigenvalues (descending) and eigenvectors (rows) of symmetric a (n, n) row-major. */
export function jacobiEigen(a: ArrayLike<number>, n: number): { values: Float64Array; vectors: Float64Array } {
  const A = Float64Array.from(a as ArrayLike<number>);
  const V = new Float64Array(n * n);
  for (let i = 0; i < n; i++) V[i * n + i] = 1;
  let frob = 0;
  for (let i = 0; i < n * n; i++) frob += A[i]! * A[i]!;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) off += 2 * A[p * n + q]! ** 2;
    if (off <= 1e-30 * frob || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = A[p * n + q]!;
        if (apq === 0) continue;
        // Rotation J(p, q) with tan from the 2x2 symmetric Schur decomposition (G&VL 8.5.2).
        const tau = (A[q * n + q]! - A[p * n + p]!) / (2 * apq);
        const t = tau >= 0 ? 1 / (tau + Math.sqrt(1 + tau * tau)) : -1 / (-tau + Math.sqrt(1 + tau * tau));
        const c = 1 / Math.sqrt(1 + t * t);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          // A <- A J (columns p, q), V <- V J
          const akp = A[k * n + p]!;
          const akq = A[k * n + q]!;
          A[k * n + p] = c * akp - s * akq;
          A[k * n + q] = s * akp + c * akq;
          const vkp = V[k * n + p]!;
          const vkq = V[k * n + q]!;
          V[k * n + p] = c * vkp - s * vkq;
          V[k * n + q] = s * vkp + c * vkq;
        }
        for (let k = 0; k < n; k++) {
          // A <- J^T A (rows p, q)
          const apk = A[p * n + k]!;
          const aqk = A[q * n + k]!;
          A[p * n + k] = c * apk - s * aqk;
          A[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => A[y * n + y]! - A[x * n + x]!);
  const values = Float64Array.from(order, (i) => A[i * n + i]!);
  const vectors = new Float64Array(n * n);
  order.forEach((src, dst) => {
    for (let k = 0; k < n; k++) vectors[dst * n + k] = V[k * n + src]!;
  });
  return { values, vectors };
}

/** Random orthogonal (n, n): the product of `reflectors` Householder reflections of Gaussian vectors. */
export function randomOrthogonal(n: number, seed: number, reflectors = n): Float64Array {
  const g = gaussian(seed);
  const Q = new Float64Array(n * n);
  for (let i = 0; i < n; i++) Q[i * n + i] = 1;
  const v = new Float64Array(n);
  for (let r = 0; r < reflectors; r++) {
    let vv = 0;
    for (let i = 0; i < n; i++) {
      v[i] = g();
      vv += v[i]! * v[i]!;
    }
    // Q <- Q (I - 2 v v^T / v^T v), row by row.
    for (let i = 0; i < n; i++) {
      let dot = 0;
      for (let j = 0; j < n; j++) dot += Q[i * n + j]! * v[j]!;
      const f = (2 * dot) / vv;
      for (let j = 0; j < n; j++) Q[i * n + j] = Q[i * n + j]! - f * v[j]!;
    }
  }
  return Q;
}

/** Q diag(lambda) Q^T in float64 for a random orthogonal Q. */
export function withSpectrum(lambda: ArrayLike<number>, seed: number, reflectors?: number): Float64Array {
  const n = lambda.length;
  const Q = randomOrthogonal(n, seed, reflectors);
  const C = new Float64Array(n * n);
  const row = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    for (let k = 0; k < n; k++) row[k] = Q[i * n + k]! * lambda[k]!;
    for (let j = i; j < n; j++) {
      let s = 0;
      for (let k = 0; k < n; k++) s += row[k]! * Q[j * n + k]!;
      C[i * n + j] = s;
      C[j * n + i] = s;
    }
  }
  return C;
}

/** X^T X / N for X (N, D) Gaussian with column scales `scale[j]`: rank min(N, D). */
export function sampleCovariance(N: number, scale: ArrayLike<number>, seed: number): Float64Array {
  const D = scale.length;
  const g = gaussian(seed);
  const X = Float64Array.from({ length: N * D }, (_, i) => g() * scale[i % D]!);
  const C = new Float64Array(D * D);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < D; i++) {
      const xi = X[n * D + i]! / N;
      if (xi === 0) continue;
      for (let j = 0; j < D; j++) C[i * D + j] = C[i * D + j]! + xi * X[n * D + j]!;
    }
  }
  return C;
}

/** max over rows i of ||A v_i - lambda_i v_i||_2 for eigenvector rows v_i, in float64. */
export function maxResidual(
  a: ArrayLike<number>,
  n: number,
  values: ArrayLike<number>,
  vectors: ArrayLike<number>,
  count = values.length,
): number {
  let worst = 0;
  for (let r = 0; r < count; r++) {
    let ss = 0;
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let j = 0; j < n; j++) s += a[i * n + j]! * vectors[r * n + j]!;
      ss += (s - values[r]! * vectors[r * n + i]!) ** 2;
    }
    worst = Math.max(worst, Math.sqrt(ss));
  }
  return worst;
}

/** ||A||_2 for symmetric A as max |lambda| of a given spectrum. */
export function spectralNorm(values: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < values.length; i++) m = Math.max(m, Math.abs(values[i]!));
  return m;
}
