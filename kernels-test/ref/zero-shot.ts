// Float64 reference of the diffusion-classifier closed form, written from the maths with a plain
// Gauss–Jordan inverse (no eigendecomposition): for one Gaussian N(mu, Sigma) and S = abar Sigma +
// (1 - abar) I, E_eps ||eps - eps_hat(x_t)||² = tr((I - (1 - abar) S^-1)²) + abar (1 - abar) ||S^-1 (x0 - mu)||².

export function inverse(a: ArrayLike<number>, n: number): Float64Array {
  const m = new Float64Array(n * 2 * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) m[i * 2 * n + j] = a[i * n + j]!;
    m[i * 2 * n + n + i] = 1;
  }
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r * 2 * n + c]!) > Math.abs(m[p * 2 * n + c]!)) p = r;
    for (let j = 0; j < 2 * n; j++) [m[c * 2 * n + j], m[p * 2 * n + j]] = [m[p * 2 * n + j]!, m[c * 2 * n + j]!];
    const piv = m[c * 2 * n + c]!;
    for (let j = 0; j < 2 * n; j++) m[c * 2 * n + j]! /= piv;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r * 2 * n + c]!;
      for (let j = 0; j < 2 * n; j++) m[r * 2 * n + j]! -= f * m[c * 2 * n + j]!;
    }
  }
  const out = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) out[i * n + j] = m[i * 2 * n + n + j]!;
  return out;
}

/** E ||eps - eps_hat||² for clean x0 (D) under one Gaussian (mu (D), Sigma (D, D)) at abar. */
export function expectedErrorRef(
  mu: ArrayLike<number>,
  sigma: ArrayLike<number>,
  x0: ArrayLike<number>,
  D: number,
  abar: number,
): number {
  const S = new Float64Array(D * D);
  for (let i = 0; i < D * D; i++) S[i] = abar * sigma[i]!;
  for (let i = 0; i < D; i++) S[i * D + i]! += 1 - abar;
  const Si = inverse(S, D);
  // A = I - (1 - abar) S^-1; tr(A²) = sum_ij A_ij A_ji.
  let tr = 0;
  for (let i = 0; i < D; i++) {
    for (let j = 0; j < D; j++) {
      const aij = (i === j ? 1 : 0) - (1 - abar) * Si[i * D + j]!;
      const aji = (i === j ? 1 : 0) - (1 - abar) * Si[j * D + i]!;
      tr += aij * aji;
    }
  }
  let q = 0;
  for (let i = 0; i < D; i++) {
    let z = 0;
    for (let j = 0; j < D; j++) z += Si[i * D + j]! * (x0[j]! - mu[j]!);
    q += z * z;
  }
  return tr + abar * (1 - abar) * q;
}
