// Host side of the exact denoisers (no GPU): covariance helpers, the prepared mixture (eigendecomposition
// reconstructs Sigma, components sorted by class), the per-step tables against a direct log-determinant,
// chunk planning of the posterior stream, and parameter errors.
import { describe, expect, it } from 'vitest';
import {
  diagonalCovariances,
  gmmStepTables,
  isotropicCovariances,
  prepareGmm,
  type GmmParams,
} from '../../src/models/gmm-model.js';
import { chunksOf, type Slab, type StreamSource } from '../../src/models/posterior-stream.js';
import type { Tensor } from '../../src/runtime/tensor.js';
import { expectClose } from '../compare.js';
import { gaussian } from '../random.js';

function mixture(K: number, D: number, seed: number, classOf?: number[]): GmmParams {
  const g = gaussian(seed);
  const covs = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) {
    const A = Float64Array.from({ length: D * D }, () => g());
    for (let i = 0; i < D; i++)
      for (let j = 0; j < D; j++) {
        let s = 0;
        for (let r = 0; r < D; r++) s += A[i * D + r]! * A[j * D + r]!;
        covs[(k * D + i) * D + j] = s / D;
      }
  }
  return {
    K,
    D,
    means: Float64Array.from({ length: K * D }, () => g()),
    covs,
    weights: Float64Array.from({ length: K }, (_, k) => k + 1),
    ...(classOf ? { classOf } : {}),
  };
}

describe('gmm model', () => {
  it('diagonal and isotropic helpers build full (K, D, D) covariances', () => {
    const d = diagonalCovariances([1, 2, 3, 4], 2, 2);
    expect(Array.from(d)).toEqual([1, 0, 0, 2, 3, 0, 0, 4]);
    expect(Array.from(isotropicCovariances(0.5, 2, 2))).toEqual([0.5, 0, 0, 0.5, 0.5, 0, 0, 0.5]);
    expect(Array.from(isotropicCovariances([1, 3], 2, 1))).toEqual([1, 3]);
    expect(() => diagonalCovariances([1, 2, 3], 2, 2)).toThrow(/variances must hold K \* D = 4 values, got 3/);
    expect(() => isotropicCovariances([1, 2, 3], 2, 2)).toThrow(
      /variance must be a number or hold K = 2 values, got 3/,
    );
  });

  it('prepareGmm: U diag(s) U^T reconstructs Sigma, U^T mu projects the mean, components sorted by class', () => {
    const p = mixture(4, 5, 3, [2, 0, 1, 0]);
    const m = prepareGmm(p);
    expect(Array.from(m.order)).toEqual([1, 3, 2, 0]);
    expect(Array.from(m.classOf)).toEqual([0, 0, 1, 2]);
    expect(Array.from(m.classStart)).toEqual([0, 2, 3, 4]);
    expect(m.numClasses).toBe(3);
    const D = 5;
    for (let s = 0; s < 4; s++) {
      const k = m.order[s]!;
      const rec = new Float64Array(D * D);
      for (let i = 0; i < D; i++)
        for (let j = 0; j < D; j++) {
          for (let e = 0; e < D; e++)
            rec[i * D + j]! +=
              m.eigvecs[(s * D + e) * D + i]! * m.eigvals[s * D + e]! * m.eigvecs[(s * D + e) * D + j]!;
        }
      // Eigenvectors are stored in f32: reconstruction within a few f32 ulps of the O(1) entries.
      expectClose(rec, Array.from(p.covs).slice(k * D * D, (k + 1) * D * D), {
        atol: 1e-6,
        rtol: 1e-6,
        label: `Sigma ${k}`,
      });
      expect(m.logWeights[s]).toBeCloseTo(Math.log((k + 1) / 10), 14);
    }
    expect(prepareGmm({ ...p, classOf: null }).numClasses).toBe(0);
  });

  it('gmmStepTables: constants are log pi - log det(S) / 2 - D log(2 pi) / 2 minus their maximum', () => {
    const p = mixture(3, 4, 7);
    const m = prepareGmm(p);
    const abar = 0.3;
    const t = gmmStepTables(m, abar);
    const D = 4;
    const want: number[] = [];
    for (let k = 0; k < 3; k++) {
      // log det(abar Sigma + (1 - abar) I) by Gaussian elimination in float64.
      const S = Array.from(
        { length: D * D },
        (_, i) => abar * p.covs[k * D * D + i]! + (i % (D + 1) === 0 ? 1 - abar : 0),
      );
      let logdet = 0;
      for (let c = 0; c < D; c++) {
        logdet += Math.log(S[c * D + c]!);
        for (let r = c + 1; r < D; r++) {
          const f = S[r * D + c]! / S[c * D + c]!;
          for (let j = c; j < D; j++) S[r * D + j]! -= f * S[c * D + j]!;
        }
      }
      want.push(Math.log((k + 1) / 6) - logdet / 2 - (D / 2) * Math.log(2 * Math.PI));
    }
    const shift = Math.max(...want);
    expect(t.shift).toBeCloseTo(shift, 12);
    // f32 constants of magnitude <= a few units.
    expectClose(
      t.cconst,
      want.map((w) => w - shift),
      { atol: 1e-6, rtol: 1e-6, label: 'cconst' },
    );
    expect(() => gmmStepTables(m, 0)).toThrow(/abar must be in \(0, 1\], got 0/);
  });

  it('chunksOf breaks at slab ends, class starts and every chunkUnits units', () => {
    const slab = (firstUnit: number, units: number): Slab => ({ v: {} as Tensor, firstUnit, units });
    const src = {
      name: 't',
      dim: 1,
      rowsPerUnit: 1,
      slabs: [slab(0, 10), slab(10, 10), slab(20, 3)],
      range: () => [0, 23],
      breaks: [4, 12],
      chunkUnits: 5,
      gemm: {},
    } as StreamSource;
    const got = chunksOf(src, 0, 23).map((c) => [c.unit, c.units, c.slab.firstUnit, c.index]);
    expect(got).toEqual([
      [0, 4, 0, 0],
      [4, 5, 0, 1],
      [9, 1, 0, 2],
      [10, 2, 10, 3],
      [12, 5, 10, 4],
      [17, 3, 10, 5],
      [20, 3, 20, 6],
    ]);
    expect(chunksOf(src, 12, 14).map((c) => [c.unit, c.units])).toEqual([[12, 2]]);
  });

  it('bad parameters name the argument, the value and the rule', () => {
    const p = mixture(2, 3, 9);
    expect(() => prepareGmm({ ...p, K: 0 })).toThrow(/gmm: K must be an integer in \[1, 1048576\], got 0/);
    expect(() => prepareGmm({ ...p, covs: new Float64Array(17) })).toThrow(
      /covs must hold K \* D \* D = 18 values, got 17/,
    );
    expect(() => prepareGmm({ ...p, means: [0, 0, NaN, 0, 0, 0] })).toThrow(
      /means: non-finite value NaN at row 0, column 2/,
    );
    expect(() => prepareGmm({ ...p, weights: [1] })).toThrow(/weights must hold K = 2 values, got 1/);
    expect(() => prepareGmm({ ...p, weights: [1, 0] })).toThrow(/weights\[1\] must be finite and > 0, got 0/);
    expect(() => prepareGmm({ ...p, classOf: [0, 1.5] })).toThrow(/classOf\[1\] must be an integer >= 0, got 1.5/);
    expect(() => prepareGmm({ ...p, classOf: [0] })).toThrow(/classOf must hold K = 2 labels, got 1/);
    // A covariance with zero variance is allowed (semi-definite) but singular at abar = 1.
    const m = prepareGmm({ ...p, covs: new Float64Array(18) });
    expect(() => gmmStepTables(m, 1)).toThrow(/component 0 is singular at abar = 1/);
  });
});
