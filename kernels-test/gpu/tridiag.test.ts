// The two-stage symmetric eigenvalue reduction (src/kernels/tridiag.ts): stage 1 (shaders/band_panel.wgsl,
// band_w.wgsl and the trailing GEMMs) against the float64 unblocked reduction to band form, the
// eigenvalues (stage 2 on the host) against matrices with a known spectrum Q diag(lambda) Q^T at awkward
// orders (1, 2, 63, 64, 65, 257, 784, 1031), special matrices, batches, bad input.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { beginBatch, submit } from '../../src/runtime/dispatch.js';
import { readback } from '../../src/runtime/tensor.js';
import {
  disposeTridiagWork,
  eigvalshBatch,
  encodeTridiag,
  rowStride,
  stagedChunk,
  stagedEigenvalues,
  tridiagPlan,
  tridiagWork,
  TRIDIAG_BAND,
} from '../../src/kernels/tridiag.js';
import { bandReduceRef } from '../ref/band.js';
import { withSpectrum } from '../ref/eigh.js';
import { gaussian } from '../random.js';
import { expectClose } from '../compare.js';

const U = 2 ** -24;

function symmetricGaussian(n: number, seed: number): Float64Array {
  const g = gaussian(seed);
  const x = Float64Array.from({ length: n * n }, g);
  const a = new Float64Array(n * n);
  // f32-representable entries, so the reference sees exactly what the GPU sees.
  for (let i = 0; i < n; i++)
    for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = Math.fround(x[i * n + j]! + x[j * n + i]!);
  return a;
}

const frob = (a: ArrayLike<number>) => Math.sqrt(Array.from(a).reduce((s, v) => s + v * v, 0));

describeGpu('tridiag', (get) => {
  const B = TRIDIAG_BAND;
  for (const n of [1, 2, 3, 31, 32, 33, 63, 64, 65, 97, 130]) {
    it(`band form of a batch of 3 at n = ${n}: the float64 reduction's (first two panels), A's invariants`, async () => {
      const ctx = get();
      const mats = [0, 1, 2].map((b) => symmetricGaussian(n, 1000 * n + b));
      const plan = await tridiagPlan(ctx, n);
      const work = tridiagWork(ctx, n, 3);
      try {
        const ld = rowStride(n);
        const host = new Float32Array(3 * ld * ld);
        mats.forEach((m, b) => {
          for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) host[b * ld * ld + i * ld + j] = m[i * n + j]!;
        });
        ctx.device.queue.writeBuffer(work.a.buffer, 0, host);
        const batch = beginBatch(ctx, 'test');
        encodeTridiag(batch, plan, work, 3);
        submit(batch);
        const per = n * (B + 1);
        const band = await readback(ctx, work.band, 0, 3 * per);
        mats.forEach((m, b) => {
          const seed = 1000 * n + b;
          const got = band.subarray(b * per, (b + 1) * per);
          // Entries past the end of a column (j + r >= n) are not part of the band form.
          const inBand = (x: ArrayLike<number>) =>
            Array.from(x).map((v, q) => ((q % (B + 1)) + Math.floor(q / (B + 1)) < n ? v : 0));
          const atol = 4 * Math.max(n, 4) * U * frob(m);
          // Entry by entry for the first two panels (2 B columns): the band form is a well-conditioned
          // function of A only early in the reduction (later entries of a random matrix amplify earlier
          // rounding); there 4 n u ||A||_F bounds what a backward-stable f32 reduction can differ by. Both
          // sides choose reflector signs from alpha's sign (larfg), so the signs agree.
          const ref = bandReduceRef(m, n, B);
          const early = Math.min(n, 2 * B) * (B + 1);
          expectClose(inBand(got).slice(0, early), inBand(ref).slice(0, early), {
            atol,
            rtol: 0,
            seed,
            label: `band n=${n}`,
          });
          // Every n: the band form is Q^T A Q, so its trace and Frobenius norm are A's (backward error ~ n u ||A||_F).
          let trA = 0;
          for (let i = 0; i < n; i++) trA += m[i * n + i]!;
          let trT = 0;
          let ss = 0;
          inBand(got).forEach((v, q) => {
            const diagonal = q % (B + 1) === 0;
            if (diagonal) trT += v;
            ss += (diagonal ? 1 : 2) * v * v;
          });
          expect(Math.abs(trT - trA), `trace n=${n} (seed ${seed})`).toBeLessThanOrEqual(atol * Math.sqrt(n));
          expect(Math.abs(Math.sqrt(ss) - frob(m)), `||band||_F n=${n} (seed ${seed})`).toBeLessThanOrEqual(atol);
        });
      } finally {
        disposeTridiagWork(work);
      }
    });
  }

  const spectra: Record<string, (n: number) => number[]> = {
    decaying: (n) => Array.from({ length: n }, (_, i) => 10 * Math.exp(-i / Math.max(2, n / 8))),
    'indefinite, clustered': (n) =>
      Array.from({ length: n }, (_, i) => (i % 3 === 0 ? 2 : i % 3 === 1 ? 2 + 1e-6 * i : -1 - i / n)),
    'rank deficient': (n) => Array.from({ length: n }, (_, i) => (i < n / 4 ? 5 - i / n : 0)),
  };
  const orders: [number, string][] = [
    [1, 'decaying'],
    [2, 'indefinite, clustered'],
    [63, 'decaying'],
    [64, 'rank deficient'],
    [65, 'indefinite, clustered'],
    [257, 'decaying'],
    [784, 'rank deficient'],
    [1031, 'decaying'],
  ];
  for (const [n, kind] of orders) {
    it(`eigenvalues at n = ${n} (${kind}) within 1e-5 ||A||_2 of the known spectrum`, async () => {
      const seed = 7 * n + 1;
      const lambda = spectra[kind]!(n);
      // Q from 40 random reflectors: dense enough to mix every row, cheap to build at n = 1031.
      const a = withSpectrum(lambda, seed, Math.min(n, 40));
      const [got] = await eigvalshBatch(get(), [Float32Array.from(a)], n);
      const want = [...lambda].sort((x, y) => y - x);
      const norm = Math.max(...lambda.map(Math.abs));
      // Rounding A to f32 moves eigenvalues by at most ||fl(A) - A||_2 <= u ||A||_F <= u sqrt(n) ||A||_2
      // (2e-6 ||A||_2 at n = 1031), inside the 1e-5 the brief asks for.
      expectClose(got!, want, { atol: 1e-5 * norm, rtol: 0, seed, label: `eigenvalues n=${n}` });
    }, 60_000);
  }

  it('special matrices: zero, diagonal, a zero row and column', async () => {
    const n = 37;
    const zero = new Float64Array(n * n);
    const diag = new Float64Array(n * n);
    for (let i = 0; i < n; i++) diag[i * n + i] = Math.sin(i) * 3;
    const hole = symmetricGaussian(n, 5);
    for (let i = 0; i < n; i++) hole[i * n + 11] = hole[11 * n + i] = 0;
    const [z, dg, h] = await eigvalshBatch(get(), [zero, diag, hole], n);
    expectClose(z!, new Float64Array(n), { atol: 0, rtol: 0, label: 'zero matrix' });
    expectClose(
      dg!,
      Array.from({ length: n }, (_, i) => Math.sin(i) * 3).sort((x, y) => y - x),
      { atol: 1e-6, rtol: 0, label: 'diagonal' },
    );
    expect(h!.some((v) => Math.abs(v) < 1e-5)).toBe(true);
  });

  it('a batch gives the bits of one matrix at a time; more matrices than one panel width', async () => {
    const n = 2 * TRIDIAG_BAND + 3;
    const mats = Array.from({ length: 5 }, (_, b) => symmetricGaussian(n, 50 + b));
    const all = await eigvalshBatch(get(), mats, n);
    for (let b = 0; b < mats.length; b++) {
      const [one] = await eigvalshBatch(get(), [mats[b]!], n);
      expect(Array.from(one!)).toEqual(Array.from(all[b]!));
    }
  });

  it('chunks overlapping GPU and host give the bits of one chunk, in request order', async () => {
    const ctx = get();
    const n = TRIDIAG_BAND + 5;
    const ld = rowStride(n);
    const mats = Array.from({ length: 11 }, (_, b) => symmetricGaussian(n, 70 + b));
    const host = new Float32Array(mats.length * ld * ld);
    mats.forEach((m, b) => {
      for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) host[b * ld * ld + i * ld + j] = m[i * n + j]!;
    });
    const plan = await tridiagPlan(ctx, n);
    const work = tridiagWork(ctx, n, mats.length);
    try {
      const fill = (_batch: unknown, start: number, size: number) =>
        ctx.device.queue.writeBuffer(work.a.buffer, 0, host.buffer, start * ld * ld * 4, size * ld * ld * 4);
      const one = await stagedEigenvalues(ctx, plan, work, mats.length, mats.length, fill);
      for (const chunk of [1, 3, 4]) {
        const got = await stagedEigenvalues(ctx, plan, work, mats.length, chunk, fill);
        expect(got.map((v) => Array.from(v))).toEqual(one.map((v) => Array.from(v)));
      }
      await expect(stagedEigenvalues(ctx, plan, work, 3, 12, fill)).rejects.toThrow(/chunk must be an integer/);
    } finally {
      disposeTridiagWork(work);
    }
    // Four chunks when each keeps 8 matrices or more; never more than the work buffers hold.
    expect([1, 8, 33, 100, 400].map((c) => stagedChunk(c, 54))).toEqual([1, 8, 9, 25, 54]);
    expect(stagedChunk(20, 5)).toBe(5);
  });

  it('refuses bad input naming the matrix, row and column', async () => {
    const a = symmetricGaussian(9, 1);
    a[3 * 9 + 4] = NaN;
    await expect(eigvalshBatch(get(), [symmetricGaussian(9, 2), a], 9)).rejects.toThrow(/matrix 1.*row 3.*column 4/);
    await expect(eigvalshBatch(get(), [new Float64Array(10)], 3)).rejects.toThrow(/holds 10 values, not n \* n = 9/);
    await expect(eigvalshBatch(get(), [new Float64Array(1)], 5000)).rejects.toThrow(/n/);
  });
});
