// Empirical optimal denoiser against the float64 definition (ref/empirical-denoiser.ts): x0_hat and eps_hat
// at awkward sizes with chunks smaller than M and not dividing it (streaming with the online log-sum-exp),
// class restriction with mixed labels in one batch, the class posterior; the oracles of DESIGN.md §6
// (nearest neighbour as abar -> 1, dataset mean as abar -> 0); Y spread over several storage bindings;
// bad input.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { GEMM_BUILDS } from '../../src/kernels/matmul.js';
import {
  empiricalClassPosterior,
  empiricalDenoiser,
  empiricalX0,
  type EmpiricalDenoiser,
} from '../../src/models/empirical-denoiser.js';
import { predictEpsHost } from '../../src/models/denoiser.js';
import type { Context } from '../../src/runtime/context.js';
import { createTensor, disposeTensor, readback } from '../../src/runtime/tensor.js';
import { empiricalRef } from '../ref/empirical-denoiser.js';
import { expectClose } from '../compare.js';
import { gaussian, rng } from '../random.js';
import { abarSchedule } from '../denoiser-fixtures.js';

const gemm = { build: GEMM_BUILDS[0] };
/** Tolerances are SAFETY times the reference's first-order bounds (second-order terms neglected there). */
const SAFETY = 4;

/** Training rows y ~ N(0, 2 / D) per coordinate (|y|^2 ~ 2 whatever D, so weights mix at moderate abar). */
function trainingSet(M: number, D: number, C: number, seed: number): { y: Float32Array; labels: Int32Array | null } {
  const g = gaussian(seed);
  const y = Float32Array.from({ length: M * D }, () => Math.sqrt(2 / D) * g());
  const u = rng(seed + 1);
  return { y, labels: C ? Int32Array.from({ length: M }, (_, j) => (j < C ? j : Math.floor(u() * C))) : null };
}

/** n rows sqrt(abar) y_j + sqrt(1 - abar) eps for random j. */
function noised(y: Float32Array, M: number, D: number, abar: number, n: number, seed: number): Float32Array {
  const g = gaussian(seed);
  const u = rng(seed + 2);
  const x = new Float32Array(n * D);
  for (let i = 0; i < n; i++) {
    const j = Math.floor(u() * M);
    for (let d = 0; d < D; d++) x[i * D + d] = Math.sqrt(abar) * y[j * D + d]! + Math.sqrt(1 - abar) * g();
  }
  return x;
}

async function x0Host(
  ctx: Context,
  den: EmpiricalDenoiser,
  x: Float32Array,
  n: number,
  step: number,
  classes: Int32Array | null = null,
): Promise<Float32Array> {
  const xt = createTensor(ctx, [n, den.dim], { data: x });
  const out = await empiricalX0(ctx, den, xt, n, step, classes);
  const r = await readback(ctx, out);
  [xt, out].forEach(disposeTensor);
  return r as Float32Array;
}

function expectBounded(
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
  bound: ArrayLike<number>,
  label: string,
  seed: number,
): void {
  const b = (i: number) => SAFETY * Math.max(bound[i]!, 1e-30);
  expectClose(
    Float64Array.from(got, (v, i) => v / b(i)),
    Float64Array.from(ref, (v, i) => v / b(i)),
    { atol: 1, rtol: 0, label, seed },
  );
}

// (M, D, classes, chunkRows): one row; chunks smaller than M and not dividing it (and smaller than a
// class, so classes span chunks); D not a multiple of 4; an unlabelled set with the default chunk.
const CASES: [number, number, number, number | undefined][] = [
  [1, 1, 0, undefined],
  [37, 5, 3, 8],
  [130, 33, 4, 16],
  [61, 17, 0, 9],
  [200, 3, 2, undefined],
];
const ABARS = [0.99, 0.7, 0.2];

describeGpu('empirical denoiser', (get) => {
  for (const [M, D, C, chunkRows] of CASES) {
    it(`M = ${M}, D = ${D}, ${C} classes, chunk ${chunkRows ?? 'default'}: x0_hat, eps_hat (unconditional and per class) and p(c | x_t) match float64`, async () => {
      const ctx = get();
      const seed = M * 17 + D;
      const { y, labels } = trainingSet(M, D, C, seed);
      const sched = abarSchedule(ABARS);
      const den = empiricalDenoiser(ctx, y, [M, D], sched, { labels, gemm, ...(chunkRows ? { chunkRows } : {}) });
      const chunk = Math.min(chunkRows ?? M, M);
      // Chunks of the unconditional range: at most ceil(M / chunk) plus one more per class start.
      const chunks = Math.ceil(M / chunk) + C;
      try {
        for (let step = 1; step <= ABARS.length; step++) {
          const abar = ABARS[step - 1]!;
          const n = 7;
          const x = noised(y, M, D, abar, n, seed + step);
          const classes = C ? Int32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -1 : i % C)) : null;
          for (const cls of C ? [null, classes] : [null]) {
            const ref = empiricalRef(y, M, D, labels, C, abar, x, n, cls, chunk, chunks);
            const tag = `abar=${abar} ${cls ? 'classes' : 'unconditional'}`;
            expectBounded(await x0Host(ctx, den, x, n, step, cls), ref.x0, ref.x0Bound, `x0 ${tag}`, seed);
            expectBounded(await predictEpsHost(ctx, den, x, n, step, cls), ref.eps, ref.epsBound, `eps ${tag}`, seed);
          }
          if (C) {
            const xt = createTensor(ctx, [n, D], { data: x });
            const post = await empiricalClassPosterior(ctx, den, xt, n, step);
            disposeTensor(xt);
            const ref = empiricalRef(y, M, D, labels, C, abar, x, n, null, chunk, chunks);
            // |dp_c| <= p_c (rho + gamma) per row (ref/empirical-denoiser.ts), plus 1e-12 for exact zeros.
            expectBounded(
              post,
              ref.classPosterior,
              Float64Array.from(ref.classPosterior, (p, i) => p * ref.weightRel[Math.floor(i / C)]! + 1e-12),
              `p(c|x) abar=${abar}`,
              seed,
            );
          }
        }
      } finally {
        den.dispose();
      }
    });
  }

  it('every GEMM build (vec4 ones on the A^T B product, the other product autotuned) gives the reference result', async () => {
    const ctx = get();
    for (const D of [12, 5]) {
      const [M, C] = [70, 2];
      const { y, labels } = trainingSet(M, D, C, 121 + D);
      const x = noised(y, M, D, 0.6, 9, 122);
      const ref = empiricalRef(y, M, D, labels, C, 0.6, x, 9, null, 20, Math.ceil(M / 20) + C);
      for (const build of GEMM_BUILDS) {
        const den = empiricalDenoiser(ctx, y, [M, D], abarSchedule([0.6]), { labels, gemm: { build }, chunkRows: 20 });
        expectBounded(
          await predictEpsHost(ctx, den, x, 9, 1),
          ref.eps,
          ref.epsBound,
          `D=${D} ${JSON.stringify(build)}`,
          121,
        );
        den.dispose();
      }
    }
  });

  it("abar -> 1: x0_hat is the nearest training row (of the row's class when labelled), eps_hat the scaled residual", async () => {
    const ctx = get();
    const [M, D, C] = [50, 12, 2];
    const { y, labels } = trainingSet(M, D, C, 71);
    const abar = 1 - 1e-7;
    const den = empiricalDenoiser(ctx, y, [M, D], abarSchedule([abar]), { labels, gemm, chunkRows: 16 });
    const g = gaussian(72);
    const n = 6;
    const near = [0, 7, 13, 29, 41, 49];
    const x = new Float32Array(n * D);
    near.forEach((j, i) => {
      for (let d = 0; d < D; d++) x[i * D + d] = Math.sqrt(abar) * y[j * D + d]! + 1e-4 * g();
    });
    const x0 = await x0Host(ctx, den, x, n, 1);
    // Other weights are exp(-(gap) / (2e-7)) = 0 in f32: x0_hat is the row itself, to the GEMM's one rounding.
    const want = new Float64Array(n * D);
    near.forEach((j, i) => want.set(y.subarray(j * D, (j + 1) * D), i * D));
    expectClose(x0, want, { atol: 0, rtol: 2 ** -23, label: 'nearest neighbour' });
    const eps = await predictEpsHost(ctx, den, x, n, 1);
    const s = Math.sqrt(1 - abar);
    // (x - sqrt(abar) y_j) / sqrt(1 - abar) with f32 operands: 2 roundings of |x| + |y| magnified by 1 / s.
    const wantEps = Float64Array.from(x, (v, i) => (v - Math.sqrt(abar) * want[i]!) / s);
    const tol = Float64Array.from(x, (v, i) => (2 ** -22 * (Math.abs(v) + Math.abs(want[i]!))) / s);
    expectBounded(eps, wantEps, tol, 'residual', 72);
    // Labelled the other class: the nearest row of that class instead.
    const other = Int32Array.from(near, (j) => 1 - labels![j]!);
    const x0c = await x0Host(ctx, den, x, n, 1, other);
    for (let i = 0; i < n; i++) {
      let best = -1;
      let bd = Infinity;
      for (let j = 0; j < M; j++) {
        if (labels![j] !== other[i]) continue;
        let dd = 0;
        for (let d = 0; d < D; d++) dd += (x[i * D + d]! - Math.sqrt(abar) * y[j * D + d]!) ** 2;
        if (dd < bd) [bd, best] = [dd, j];
      }
      expectClose(x0c.subarray(i * D, (i + 1) * D), y.subarray(best * D, (best + 1) * D), {
        atol: 0,
        rtol: 2 ** -23,
        label: `nearest of class ${other[i]}`,
      });
    }
    den.dispose();
  });

  it('abar -> 0: x0_hat is the dataset mean (of the class when labelled)', async () => {
    const ctx = get();
    const [M, D, C] = [90, 10, 3];
    const { y, labels } = trainingSet(M, D, C, 81);
    const abar = 1e-10;
    const den = empiricalDenoiser(ctx, y, [M, D], abarSchedule([abar]), { labels, gemm, chunkRows: 32 });
    const n = 4;
    const g = gaussian(83);
    const x = Float32Array.from({ length: n * D }, () => g());
    for (const cls of [null, Int32Array.from([0, 1, 2, -1])]) {
      const x0 = await x0Host(ctx, den, x, n, 1, cls);
      for (let i = 0; i < n; i++) {
        const rows = Array.from({ length: M }, (_, j) => j).filter((j) => !cls || cls[i]! < 0 || labels![j] === cls[i]);
        // l_j = (sqrt(abar) x . y_j - abar |y_j|^2 / 2) / (1 - abar); with spread Delta = max_j |l_j - l_1| the weights
        // are within a factor e^{+-Delta} of 1 / |rows|: |x0 - mean|_d <= (e^{2 Delta} - 1) max|y_d|, plus f32 sums.
        const l = rows.map((j) => {
          let dot = 0;
          let yy = 0;
          for (let d = 0; d < D; d++) [dot, yy] = [dot + x[i * D + d]! * y[j * D + d]!, yy + y[j * D + d]! ** 2];
          return (Math.sqrt(abar) * dot - (abar * yy) / 2) / (1 - abar);
        });
        const spread = Math.max(...l) - Math.min(...l);
        for (let d = 0; d < D; d++) {
          const col = rows.map((j) => y[j * D + d]!);
          const mean = col.reduce((s, v) => s + v, 0) / rows.length;
          const ymax = Math.max(...col.map(Math.abs));
          const tol = (Math.expm1(2 * spread) + (rows.length + 8) * 2 ** -24) * ymax;
          expect(
            Math.abs(x0[i * D + d]! - mean),
            `row ${i} dim ${d} class ${cls ? cls[i] : 'none'}`,
          ).toBeLessThanOrEqual(tol);
        }
      }
    }
    den.dispose();
  });

  it('bad input: shapes, labels, steps, classes (outside or empty), contexts and disposal give clear errors', async () => {
    const ctx = get();
    const { y, labels } = trainingSet(20, 4, 2, 91);
    const sched = abarSchedule([0.5, 0.9]);
    expect(() => empiricalDenoiser(ctx, y, [20, 5], sched)).toThrow(/y: shape \[20, 5\] needs 100 values, got 80/);
    expect(() => empiricalDenoiser(ctx, y, [20, 4], sched, { labels: labels!.subarray(0, 19) })).toThrow(
      /labels has 19 entries for 20 rows/,
    );
    expect(() =>
      empiricalDenoiser(ctx, y, [20, 4], sched, { labels: Int32Array.from(labels!, (c, j) => (j === 3 ? -2 : c)) }),
    ).toThrow(/labels\[3\] must be an integer >= 0, got -2/);
    const nan = y.slice();
    nan[9] = NaN;
    expect(() => empiricalDenoiser(ctx, nan, [20, 4], sched)).toThrow(/non-finite value NaN at row 2, column 1/);
    expect(() => empiricalDenoiser(ctx, y, [20, 4], sched, { chunkRows: 0 })).toThrow(/chunkRows must be an integer/);
    const den = empiricalDenoiser(ctx, y, [20, 4], sched, { labels, numClasses: 3, gemm });
    expect(den.numClasses).toBe(3);
    const x = new Float32Array(3 * 4).fill(0.5);
    await expect(predictEpsHost(ctx, den, x, 3, 3)).rejects.toThrow(
      /empirical denoiser: step must be an integer in \[1, 2\], got 3/,
    );
    await expect(predictEpsHost(ctx, den, x, 3, 1, Int32Array.from([0, 3, 1]))).rejects.toThrow(
      /class label 3 at row 1 is outside the model's classes; valid: 0..2 or -1/,
    );
    await expect(predictEpsHost(ctx, den, x, 3, 1, Int32Array.from([0, 2, 1]))).rejects.toThrow(
      /class 2 has no training rows/,
    );
    const wrong = createTensor(ctx, [3, 5]);
    await expect(den.predictEps(ctx, wrong, 3, 1, null)).rejects.toThrow(
      /x_t has shape \[3,5\], expected \(N, D\) with N >= n = 3 and D = 4/,
    );
    disposeTensor(wrong);
    const uncond = empiricalDenoiser(ctx, y, [20, 4], sched, { gemm });
    await expect(predictEpsHost(ctx, uncond, x, 3, 1, Int32Array.from([-1, 0, -1]))).rejects.toThrow(
      /only the null class -1 \(the model is unconditional\)/,
    );
    const xt = createTensor(ctx, [3, 4], { data: x });
    await expect(empiricalClassPosterior(ctx, uncond, xt, 3, 1)).rejects.toThrow(/class posterior needs labels/);
    disposeTensor(xt);
    uncond.dispose();
    den.dispose();
    await expect(predictEpsHost(ctx, den, x, 3, 1)).rejects.toThrow(/empirical denoiser: it was disposed/);
  });
});

// Small storage bindings (the limit the engine plans with, lowered on this context) force what Fashion-MNIST
// does at 188 MB: Y in several slabs, query rows in several passes, bindings as windows of bigger buffers.
describeGpu('empirical denoiser: Y over several storage bindings', (get) => {
  it('4 KiB bindings: slabs of 31 rows, passes of 31 query rows, windows of x_t; same result as the reference', async () => {
    const ctx = get();
    ctx.limits.maxStorageBufferBindingSize = 4096;
    const [M, D, C] = [100, 33, 3];
    const { y, labels } = trainingSet(M, D, C, 101);
    const abar = 0.8;
    const den = empiricalDenoiser(ctx, y, [M, D], abarSchedule([abar]), { labels, gemm, chunkRows: 24 });
    const n = 40;
    const x = noised(y, M, D, abar, n, 102);
    const classes = Int32Array.from({ length: n }, (_, i) => (i % 4) - 1);
    for (const cls of [null, classes]) {
      const ref = empiricalRef(y, M, D, labels, C, abar, x, n, cls, 24, Math.ceil(M / 24) + C + 4);
      expectBounded(
        await predictEpsHost(ctx, den, x, n, 1, cls),
        ref.eps,
        ref.epsBound,
        `eps ${cls ? 'classes' : 'unconditional'}`,
        101,
      );
    }
    den.dispose();
  });
});
