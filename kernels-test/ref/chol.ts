// Float64 reference of chol_panel.wgsl's factorisation (src/kernels/chol.ts): unblocked right-looking
// Cholesky of shift I + A on the upper triangle, U^T U = shift I + A. A pivot that is not positive records
// its 1-based column in `flag` (the first one) and is replaced by 1, as the kernel does.
export function cholRef(a: ArrayLike<number>, n: number, shift: number): { u: Float64Array; flag: number } {
  const m = Float64Array.from(a);
  for (let i = 0; i < n; i++) m[i * n + i]! += shift;
  let flag = 0;
  for (let j = 0; j < n; j++) {
    const piv = m[j * n + j]!;
    const ok = piv > 0;
    if (!ok && flag === 0) flag = j + 1;
    const r = ok ? Math.sqrt(piv) : 1;
    m[j * n + j] = r;
    for (let c = j + 1; c < n; c++) m[j * n + c]! /= r;
    for (let i = j + 1; i < n; i++) for (let c = i; c < n; c++) m[i * n + c]! -= m[j * n + i]! * m[j * n + c]!;
  }
  const u = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let c = i; c < n; c++) u[i * n + c] = m[i * n + c]!;
  return { u, flag };
}
