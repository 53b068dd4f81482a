// The tracker's per-step Ritz work (ritz-track.ts ritzBlocks + ritzAt) against explicit float64 matrices:
// the Ritz values are the eigenvalues of V^T C V, and each residual norm is ||C u - theta u|| computed from
// C = a A + b B + c S and u = V^T s directly.
import { describe, expect, it } from 'vitest';
import { gram, ritzAt, ritzBlocks } from '../../src/analysis/ritz-track.js';
import { orthonormaliseRows, symmetricEigen } from '../../src/linalg/eigh-cpu.js';
import { gaussian } from '../random.js';
import { symmRowsRef } from '../ref/symm_block.js';

function symmetric(D: number, g: () => number, diag: (i: number) => number): Float64Array {
  const M = new Float64Array(D * D);
  for (let i = 0; i < D; i++) for (let j = 0; j <= i; j++) M[i * D + j] = M[j * D + i] = g() + (i === j ? diag(i) : 0);
  return M;
}

describe('ritz-track ritzAt', () => {
  for (const [m, D, k] of [
    [2, 3, 1],
    [5, 37, 3],
    [12, 65, 6],
  ] as const) {
    it(`m = ${m}, D = ${D}: Ritz values and residual norms of C on span(V) as computed from C itself`, () => {
      const g = gaussian(7 * m + D);
      const mats = [symmetric(D, g, (i) => 30 / (1 + i)), symmetric(D, g, () => 2), symmetric(D, g, () => 0)];
      const V = Float64Array.from({ length: m * D }, g);
      orthonormaliseRows(V, m, D, () => Float64Array.from({ length: D }, g));
      const blocks = ritzBlocks(gram([V, ...mats.map((M) => symmRowsRef(M, V, m, D))], m, D), m);
      for (const coef of [
        [1, 0, 0],
        [0.3, 0.7, Math.sqrt(0.21)],
        [1e-3, 1 - 1e-3, Math.sqrt(1e-3 * (1 - 1e-3))],
      ] as const) {
        const C = new Float64Array(D * D);
        mats.forEach((M, p) => M.forEach((v, x) => (C[x] = C[x]! + coef[p]! * v)));
        const CV = symmRowsRef(C, V, m, D);
        const H = new Float64Array(m * m);
        for (let a = 0; a < m; a++)
          for (let b = 0; b < m; b++) for (let i = 0; i < D; i++) H[a * m + b] += V[a * D + i]! * CV[b * D + i]!;
        const eig = symmetricEigen(H, m, { vectors: true });
        const got = ritzAt(blocks, D, k, coef);
        const scale = Math.abs(eig.values[0]!) + Math.abs(eig.values[m - 1]!);
        for (let j = 0; j < k; j++) expect(Math.abs(got.values[j]! - eig.values[j]!)).toBeLessThan(1e-12 * scale);
        for (let j = 0; j < m; j++) {
          // u = V^T s, r = C u - theta u = (CV)^T s - theta u.
          let rr = 0;
          for (let i = 0; i < D; i++) {
            let cu = 0;
            let u = 0;
            for (let a = 0; a < m; a++) {
              cu += eig.vectors![j * m + a]! * CV[a * D + i]!;
              u += eig.vectors![j * m + a]! * V[a * D + i]!;
            }
            rr += (cu - eig.values[j]! * u) ** 2;
          }
          expect(Math.abs(got.residuals[j]! - Math.sqrt(rr))).toBeLessThan(1e-6 * scale);
        }
      }
    });
  }
});
