// The blocked Cholesky definiteness test (src/kernels/chol.ts, shaders/chol_panel.wgsl): the factor U of
// shift I + A against the float64 reference at awkward orders (1, 2, 3, 31, 32, 33, 63, 65, 130, 257),
// batches with different shifts; the verdict against float64 eigenvalues on both sides of the smallest
// one (shift I - C for a known spectrum: definite iff shift > lambda_max(C)); bad input.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { beginBatch, submit } from '../../src/runtime/dispatch.js';
import { readback, upload } from '../../src/runtime/tensor.js';
import {
  CHOL_B,
  cholPlan,
  cholWork,
  definiteBatch,
  disposeCholWork,
  encodeChol,
  readCholFlags,
} from '../../src/kernels/chol.js';
import { rowStride } from '../../src/kernels/tridiag.js';
import { cholRef } from '../ref/chol.js';
import { withSpectrum } from '../ref/eigh.js';
import { gaussian } from '../random.js';
import { expectClose } from '../compare.js';

const U = 2 ** -24;

/** Symmetric (n, n) with spectrum in [1, 3] plus f32 rounding: well conditioned, so U is well defined. */
function spd(n: number, seed: number): Float64Array {
  const g = gaussian(seed);
  const lambda = Array.from({ length: n }, () => 2 + Math.tanh(g()));
  const a = withSpectrum(lambda, seed, Math.min(n, 8));
  for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = Math.fround(a[i * n + j]!);
  return a;
}

describeGpu('chol', (get) => {
  for (const n of [1, 2, 3, 31, 32, 33, 63, 65, 130, 257]) {
    it(`U of shift I + A for a batch of 3 at n = ${n} (shifts 0, 0.25, -0.5): the float64 factor's`, async () => {
      const ctx = get();
      const shifts = [0, 0.25, -0.5];
      const mats = shifts.map((_, b) => spd(n, 100 * n + b));
      const plan = await cholPlan(ctx, n);
      const work = cholWork(ctx, n, 3);
      try {
        const ld = rowStride(n);
        const host = new Float32Array(3 * ld * ld);
        mats.forEach((m, b) => {
          for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) host[b * ld * ld + i * ld + j] = m[i * n + j]!;
        });
        upload(ctx, work.a, host);
        upload(ctx, work.shift, shifts);
        const batch = beginBatch(ctx, 'chol test');
        encodeChol(batch, plan, work, 3);
        submit(batch);
        const flags = await readCholFlags(ctx, work, 3);
        const got = (await readback(ctx, work.a, 0, 3 * ld * ld)) as Float32Array;
        mats.forEach((m, b) => {
          const ref = cholRef(m, n, shifts[b]!);
          expect(flags[b]).toBe(ref.flag);
          expect(ref.flag).toBe(0);
          const upper = (x: ArrayLike<number>, stride: number, o: number) =>
            Float64Array.from({ length: (n * (n + 1)) / 2 }, (_, q) => {
              let i = 0;
              let r = q;
              while (r >= n - i) r -= n - i++;
              return x[o + i * stride + i + r]!;
            });
          // Backward stable: U^T U = M + E with |E| <= c n 2^-24 |U^T| |U|; the entries of U (of order
          // sqrt(lambda) <= 2) are then within about n 2^-24 kappa of the float64 factor's.
          expectClose(upper(got, ld, b * ld * ld), upper(ref.u, n, 0), {
            atol: 16 * (n + 4) * U,
            rtol: 0,
            seed: b,
            label: `U (n ${n}, shift ${shifts[b]})`,
          });
        });
      } finally {
        disposeCholWork(work);
      }
    });
  }

  // C with a known spectrum: shift I - C is definite iff shift > lambda_max(C). Shifts a margin above and
  // below, margins far above the f32 rounding (n 2^-24 ||C||): the verdicts are exact. A failed test names
  // a column, and the panel boundaries are crossed (n > B).
  for (const n of [2, 33, 64, 97, 257]) {
    it(`definite iff shift > lambda_max at n = ${n} (margins +-1e-3 ||C||)`, async () => {
      const ctx = get();
      const g = gaussian(n);
      const lambda = Array.from({ length: n }, () => 1 + 0.5 * g() ** 2);
      const top = Math.max(...lambda);
      const c = withSpectrum(lambda, 7 * n, Math.min(n, 6));
      const minusC = Float64Array.from(c, (v) => -v);
      const margin = 1e-3 * top;
      const flags = await definiteBatch(ctx, [minusC, minusC, minusC], n, [top + margin, top - margin, 0.5]);
      expect(flags[0]).toBe(0);
      expect(flags[1]).toBeGreaterThan(0);
      expect(flags[1]).toBeLessThanOrEqual(n);
      expect(flags[2]).toBe(1);
    });
  }

  it('a batch of more than one chunk and a NaN-free fail path: every verdict independent of its neighbours', async () => {
    const ctx = get();
    const n = CHOL_B + 5;
    const a = spd(n, 3);
    // Shifts around -lambda_min(A) ~ -1: definite above, not below; alternate them across the batch.
    const shifts = Array.from({ length: 9 }, (_, b) => (b % 2 ? -4 : 0.5));
    const flags = await definiteBatch(
      ctx,
      shifts.map(() => a),
      n,
      shifts,
    );
    flags.forEach((f, b) => (b % 2 ? expect(f).toBeGreaterThan(0) : expect(f).toBe(0)));
  });

  it('bad input: sizes, counts and non-finite values name the problem', async () => {
    const ctx = get();
    await expect(definiteBatch(ctx, [new Float64Array(3)], 2, [0])).rejects.toThrow(
      /matrix 0 holds 3 values, not n \* n = 4/,
    );
    await expect(definiteBatch(ctx, [new Float64Array(4)], 2, [0, 1])).rejects.toThrow(/2 shifts for 1 matrices/);
    await expect(definiteBatch(ctx, [new Float64Array([1, Number.NaN, 0, 1])], 2, [0])).rejects.toThrow(
      /matrix 0: non-finite value NaN at row 0, column 1/,
    );
    await expect(definiteBatch(ctx, [new Float64Array(4)], 2, [Number.POSITIVE_INFINITY])).rejects.toThrow(
      /shift 0 is Infinity/,
    );
    const plan = await cholPlan(ctx, 5);
    const work = cholWork(ctx, 6, 1);
    try {
      expect(() => encodeChol(beginBatch(ctx, 'bad'), plan, work, 1)).toThrow(
        /plan is for n = 5, the work buffers for n = 6/,
      );
    } finally {
      disposeCholWork(work);
    }
  });
});
