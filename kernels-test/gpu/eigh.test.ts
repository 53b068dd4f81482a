// lambdaMax (power iteration), eighTop (subspace iteration + Rayleigh-Ritz) and eigh (float64 full
// spectrum) against the cyclic Jacobi reference on the same f32 matrices, with residuals checked in
// float64: d not a multiple of 4, repeated, near-zero and rank-deficient spectra, stacks, bad input.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { eigh, eighTop, lambdaMax } from '../../src/kernels/eigh.js';
import { eighTopMany } from '../../src/kernels/eigh_top.js';
import { createTensor, disposeTensor, upload } from '../../src/runtime/tensor.js';
import { jacobiEigen, maxResidual, sampleCovariance, spectralNorm, withSpectrum } from '../ref/eigh.js';
import { expectClose } from '../compare.js';

const U = 2 ** -24;
/** The brief's accuracy target for eigenvalues of well-conditioned matrices. */
const REL = 1e-4;

/** An f32 matrix and its exact float64 copy (the reference sees the same rounded entries). */
function f32(c: Float64Array): { c32: Float32Array; c64: Float64Array } {
  const c32 = Float32Array.from(c);
  return { c32, c64: Float64Array.from(c32) };
}

function frob(c: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < c.length; i++) s += c[i]! ** 2;
  return Math.sqrt(s);
}

const decay = (d: number, rate: number) => Array.from({ length: d }, (_, i) => 10 * Math.exp(-i / rate));
// Top eigenvalue 10 (twice, for eighTop) with the rest decaying: power iteration needs a gap.
const spectra: Record<string, (d: number) => number[]> = {
  decaying: (d) => decay(d, Math.max(2, d / 8)),
  'repeated top': (d) => decay(d, Math.max(2, d / 8)).map((v, i) => (i < 3 ? 10 : i < 5 ? 6 : v * 0.5)),
  'near zero tail': (d) => decay(d, Math.max(2, d / 8)).map((v, i) => (i >= d / 2 ? 1e-9 * i : v)),
};

describeGpu('eigh', (get) => {
  // Residual floor of an f32 product: |fl(C v) - C v| <= d 2^-24 |C| |v| per entry, so in 2-norm at most
  // d 2^-24 ||C||_F; checks of the float64 residual add this to the tolerance the solver stopped at.
  const floor = (d: number, c: ArrayLike<number>) => d * U * frob(c);

  for (const d of [1, 3, 63, 65, 130, 257]) {
    it(`lambdaMax, d = ${d}: value within ${REL} relative, float64 residual within the stopping rule`, async () => {
      const seed = 300 + d;
      const lambda = decay(d, Math.max(1, d / 8));
      const { c32, c64 } = f32(withSpectrum(lambda, seed, Math.min(d, 40)));
      const ref = jacobiEigen(c64, d);
      const got = await lambdaMax(get(), c32, d, { seed, tol: 1e-5 });
      expect(got.converged, `converged after ${got.iterations}`).toBe(true);
      expectClose([got.value], [ref.values[0]!], { atol: 0, rtol: REL, seed, label: `lambda_max d=${d}` });
      expect(got.residual).toBeLessThanOrEqual(1e-5 * Math.abs(got.value));
      expect(maxResidual(c64, d, [got.value], got.vector)).toBeLessThanOrEqual(
        1e-5 * Math.abs(got.value) + floor(d, c64),
      );
    });
  }

  const topCases: [number, number, string][] = [
    [1, 1, 'decaying'],
    [3, 1, 'decaying'],
    [3, 3, 'decaying'],
    [63, 5, 'decaying'],
    [65, 8, 'repeated top'],
    [130, 16, 'decaying'],
    [130, 7, 'repeated top'],
    [257, 16, 'decaying'],
    [101, 12, 'near zero tail'],
  ];
  for (const [d, k, kind] of topCases) {
    it(`eighTop k = ${k} of d = ${d}, ${kind}`, async () => {
      const seed = 17 * d + k;
      const { c32, c64 } = f32(withSpectrum(spectra[kind]!(d), seed, Math.min(d, 40)));
      const ref = jacobiEigen(c64, d);
      const got = await eighTop(get(), c32, d, { k, seed, tol: 1e-5 });
      expect(got.converged, `converged after ${got.iterations}`).toBe(true);
      const norm = spectralNorm(ref.values);
      // Eigenvalues: 1e-4 relative, plus the f32 product floor for those far below ||C||.
      expectClose(got.values, ref.values.slice(0, k), {
        atol: 4 * Math.sqrt(d) * U * norm,
        rtol: REL,
        seed,
        label: `top-${k} d=${d}`,
      });
      for (let r = 0; r < k; r++) expect(got.residuals[r]!).toBeLessThanOrEqual(1e-5 * got.norm);
      expect(maxResidual(c64, d, got.values, got.vectors)).toBeLessThanOrEqual(1e-5 * norm + floor(d, c64));
    });
  }

  it('eighTop on a rank-deficient covariance X^T X / N with N < D, and on one matrix of a GPU stack', async () => {
    const ctx = get();
    const [d, N, k] = [83, 12, 14]; // k > rank: the last two eigenvalues are 0
    const { c32, c64 } = f32(
      sampleCovariance(
        N,
        Array.from({ length: d }, (_, j) => 1 + Math.cos(j)),
        9,
      ),
    );
    const ref = jacobiEigen(c64, d);
    const stack = createTensor(ctx, [3, d, d]);
    try {
      upload(ctx, stack, c32, 2 * d * d);
      const got = await eighTop(ctx, stack, d, { k, offset: 2 * d * d, seed: 9 });
      const norm = spectralNorm(ref.values);
      expectClose(got.values, ref.values.slice(0, k), {
        atol: 4 * Math.sqrt(d) * U * norm,
        rtol: REL,
        label: 'rank 12 of 83',
      });
      expect(got.converged).toBe(true);
      expect(maxResidual(c64, d, got.values, got.vectors)).toBeLessThanOrEqual(1e-5 * norm + floor(d, c64));
      const lm = await lambdaMax(ctx, stack, d, { offset: 2 * d * d });
      expectClose([lm.value], [ref.values[0]!], { atol: 0, rtol: REL, label: 'lambdaMax in a stack' });
    } finally {
      disposeTensor(stack);
    }
  });

  it('eighTopMany: matrices of different orders, k and convergence iterated together give the bits of eighTop', async () => {
    const ctx = get();
    // Unaligned and aligned orders (scalar and vec4 builds), a slow spectrum that chains products and a
    // fast one that converges in a few rounds, one matrix from a GPU stack, one that stops at maxIter.
    const cases: [number, number, string][] = [
      [63, 5, 'decaying'],
      [1, 1, 'decaying'],
      [130, 7, 'repeated top'],
      [101, 12, 'near zero tail'],
      [40, 3, 'slow'],
      [44, 3, 'medium'],
    ];
    // With k = 3 the basis has 11 columns: decay rate 20 chains 8 products (ending in W), rate 7.5 chains
    // 3 (ending in V, copied to W).
    const rate: Record<string, number> = { slow: 20, medium: 7.5 };
    const mats = cases.map(([d, , kind], q) =>
      f32(withSpectrum(rate[kind] ? decay(d, rate[kind]) : spectra[kind]!(d), 31 + q, Math.min(d, 40))),
    );
    const stack = createTensor(ctx, [2, 130, 130]);
    try {
      upload(ctx, stack, mats[2]!.c32, 130 * 130);
      const items = cases.map(([d, k], q) => ({
        c: q === 2 ? stack : mats[q]!.c32,
        d,
        k,
        seed: q,
        offset: q === 2 ? 130 * 130 : 0,
      }));
      const many = await eighTopMany(ctx, items, { tol: 1e-6 });
      const chained = many.some((r) => r.iterations > r.rayleighRitzSteps);
      expect(chained, 'some matrix chains products').toBe(true);
      for (const [q, it] of items.entries()) {
        const alone = await eighTop(ctx, it.c, it.d, { k: it.k, seed: it.seed, offset: it.offset, tol: 1e-6 });
        const got = many[q]!;
        const label = `matrix ${q} (d = ${it.d}, k = ${it.k})`;
        expect([got.iterations, got.rayleighRitzSteps, got.converged], label).toEqual([
          alone.iterations,
          alone.rayleighRitzSteps,
          alone.converged,
        ]);
        expect(Array.from(got.values), label).toEqual(Array.from(alone.values));
        expect(Array.from(got.vectors), label).toEqual(Array.from(alone.vectors));
        const ref = jacobiEigen(mats[q]!.c64, it.d);
        expectClose(got.values, ref.values.slice(0, it.k), {
          atol: 4 * Math.sqrt(it.d) * U * spectralNorm(ref.values),
          rtol: REL,
          label,
        });
      }
      const stopped = await eighTopMany(ctx, items.slice(3), { maxIter: 2 });
      expect(stopped.map((r) => [r.iterations, r.converged])).toEqual(items.slice(3).map(() => [2, false]));
      expect(await eighTopMany(ctx, [])).toEqual([]);
    } finally {
      disposeTensor(stack);
    }
  });

  for (const [d, kind] of [
    [1, 'decaying'],
    [3, 'repeated top'],
    [65, 'near zero tail'],
    [130, 'decaying'],
    [257, 'repeated top'],
  ] as [number, string][]) {
    it(`eigh full spectrum, d = ${d}, ${kind}: float64 agreement with Jacobi, eigenpair residuals`, async () => {
      const ctx = get();
      const { c32, c64 } = f32(withSpectrum(spectra[kind]!(d), d, Math.min(d, 40)));
      const ref = jacobiEigen(c64, d);
      const norm = spectralNorm(ref.values);
      const t = createTensor(ctx, [d, d], { data: c32 });
      try {
        const got = await eigh(ctx, t, d, { vectors: true });
        // Both solvers are backward stable in float64 on the same matrix: ~d 2^-52 ||C|| apart.
        expectClose(got.values, ref.values, { atol: 1e-12 * norm, rtol: 0, label: `eigh d=${d}` });
        expect(maxResidual(c64, d, got.values, got.vectors!)).toBeLessThanOrEqual(1e-12 * norm);
        const top = await eigh(ctx, c32, d, { k: Math.min(d, 4) });
        expectClose(top.values, ref.values.slice(0, Math.min(d, 4)), { atol: 1e-12 * norm, rtol: 0, label: 'eigh k' });
        expect(top.vectors).toBeUndefined();
      } finally {
        disposeTensor(t);
      }
    });
  }

  it('lambdaMax with a repeated top eigenvalue, an explicit start, and an honest non-converged report', async () => {
    const d = 65;
    const { c32, c64 } = f32(withSpectrum(spectra['repeated top']!(d), 4, 40));
    const ref = jacobiEigen(c64, d);
    const got = await lambdaMax(get(), c32, d, { start: Array.from({ length: d }, (_, i) => 1 + (i % 5)) });
    expect(got.converged).toBe(true);
    expectClose([got.value], [ref.values[0]!], { atol: 0, rtol: REL, label: 'repeated lambda_max' });
    expect(maxResidual(c64, d, [got.value], got.vector)).toBeLessThanOrEqual(1e-5 * got.value + floor(d, c64));
    const short = await lambdaMax(get(), Float32Array.from(withSpectrum(decay(d, 30), 5, 40)), d, { maxIter: 3 });
    expect(short.iterations).toBe(3);
    expect(short.converged).toBe(false);
    expect(short.residual).toBeGreaterThan(1e-5 * short.value);
    const stuck = await eighTop(get(), Float32Array.from(withSpectrum(decay(d, 30), 5, 40)), d, { k: 4, maxIter: 2 });
    expect([stuck.iterations, stuck.converged]).toEqual([2, false]);
  });

  it('scale invariance: C * 1e30 and C * 1e-30 neither overflow nor underflow in f32', async () => {
    const d = 40;
    // A slowly decaying spectrum, so eighTop chains products between orthonormalisations.
    const base = withSpectrum(decay(d, 20), 6, 20);
    for (const f of [1e30, 1e-30]) {
      const { c32, c64 } = f32(base.map((v) => v * f));
      const ref = jacobiEigen(c64, d);
      const top = await eighTop(get(), c32, d, { k: 3, seed: 1 });
      expect(top.converged).toBe(true);
      expect(top.iterations).toBeGreaterThan(top.rayleighRitzSteps);
      expectClose(top.values, ref.values.slice(0, 3), { atol: 0, rtol: REL, label: `top-3 of C * ${f}` });
      const lm = await lambdaMax(get(), c32, d);
      expectClose([lm.value], [ref.values[0]!], { atol: 0, rtol: REL, label: `lambda_max of C * ${f}` });
    }
  });

  it('the zero matrix: eigenvalues 0, converged at once', async () => {
    const z = new Float32Array(25);
    expect((await lambdaMax(get(), z, 5)).value).toBe(0);
    const top = await eighTop(get(), z, 5, { k: 2 });
    expect(Array.from(top.values)).toEqual([0, 0]);
    expect(top.converged).toBe(true);
  });

  it('bad input: non-finite entries name the row and column; arguments name themselves', async () => {
    const ctx = get();
    const c = Float32Array.from(withSpectrum([3, 2, 1, 0.5], 1));
    c[2 * 4 + 1] = NaN;
    await expect(eigh(ctx, c, 4)).rejects.toThrow(/eigh: c: non-finite value NaN at row 2, column 1/);
    await expect(lambdaMax(ctx, c, 4)).rejects.toThrow(/non-finite value NaN at row 2, column 1/);
    const t = createTensor(ctx, [4, 4], { data: c });
    try {
      await expect(eighTop(ctx, t, 4, { k: 2 })).rejects.toThrow(/eighTop: c: non-finite value NaN at row 2, column 1/);
      await expect(lambdaMax(ctx, t, 4)).rejects.toThrow(/lambdaMax: c: non-finite value NaN at row 2, column 1/);
    } finally {
      disposeTensor(t);
    }
    const ok = new Float32Array(16).fill(1);
    await expect(eighTop(ctx, ok, 4, { k: 5 })).rejects.toThrow(/eighTop: k must be an integer in \[1, 4\], got 5/);
    await expect(eigh(ctx, ok, 3)).rejects.toThrow(/d \* d = 9 values for d = 3, got 16/);
    await expect(eigh(ctx, ok, 4, { k: 0 })).rejects.toThrow(/eigh: k must be an integer in \[1, 4\], got 0/);
    await expect(lambdaMax(ctx, ok, 4, { tol: 0 })).rejects.toThrow(/tol must be in \(0, 1\), got 0/);
  });
});
