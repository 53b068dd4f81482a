// syrk.wgsl (every registered build) and syrk_mirror.wgsl against the float64 reference: A^T A and
// the Gram product A A^T, upper triangle only (the lower one untouched), mirroring, accumulation with
// beta = 1 over row chunks, offsets and leading dimensions, streaming, autotune, bad input.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { GEMM_BUILDS, buildsFor } from '../../src/kernels/matmul.js';
import { encodeSyrk, syrk, syrkPlan } from '../../src/kernels/syrk.js';
import { beginBatch, submit } from '../../src/runtime/dispatch.js';
import { createTensor, disposeTensor, readback } from '../../src/runtime/tensor.js';
import { gemmBound, scaled } from '../ref/matmul.js';
import { mirrorUpperRef, syrkRef, type SyrkRefArgs } from '../ref/syrk.js';
import { expectClose, expectSameBits } from '../compare.js';
import { randn } from '../random.js';

const f32 = (n: number, seed: number) => Float32Array.from(randn(n, seed));

/**
 * Per-element bound gemmBound(k) * scale with k the reduction length (rows for A^T A, columns for
 * the Gram product) and scale the same product of |A| (ref/matmul.ts derives it).
 */
function expectSyrk(got: ArrayLike<number>, x: SyrkRefArgs, label: string, seed: number, mirror = false): void {
  const abs = (v: ArrayLike<number>) => Float64Array.from(v, Math.abs);
  let ref = syrkRef(x);
  let scale = syrkRef({ ...x, a: abs(x.a), c: abs(x.c), alpha: Math.abs(x.alpha ?? 1), beta: Math.abs(x.beta ?? 0) });
  if (mirror) {
    const n = x.gram ? x.rows : x.cols;
    ref = mirrorUpperRef(ref, n, x.offsetC, x.ldc);
    scale = mirrorUpperRef(scale, n, x.offsetC, x.ldc);
  }
  const [g, r] = scaled(got, ref, scale);
  expectClose(g, r, { atol: gemmBound(x.gram ? x.cols : x.rows), rtol: 0, label, seed });
}

// (rows N, cols D): 1; 2 samples; D not a multiple of 4 or of the tile; N < D and N > D; primes;
// D = 68 and 132 (multiples of 4, not of the tile) for the vec4 builds' vec4 path.
const SHAPES: [number, number][] = [
  [1, 1],
  [2, 3],
  [63, 65],
  [7, 131],
  [257, 97],
  [130, 5],
  [41, 68],
  [9, 132],
];

describeGpu('syrk', (get) => {
  for (const gram of [false, true]) {
    for (const build of buildsFor(!gram, gram)) {
      it(`build ${JSON.stringify(build)}, ${gram ? 'A A^T' : 'A^T A'}: upper triangle matches float64, lower untouched`, async () => {
        for (const [rows, cols] of SHAPES) {
          const seed = rows * 31 + cols;
          const a = f32(rows * cols, seed);
          const n = gram ? rows : cols;
          // C0 holds distinct values: the lower triangle must come back bit for bit, and beta = 0
          // must ignore the upper one.
          const c = f32(n * n, seed + 1);
          const got = await syrk(get(), a, [rows, cols], { gram, build, c, beta: 0, mirror: false });
          expectSyrk(got, { a, c, rows, cols, gram }, `(${rows}, ${cols})`, seed);
          for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) expect(got[i * n + j]).toBe(c[i * n + j]);
        }
      });
    }
  }

  it('mirror copies the upper triangle onto the lower one; every build gives the same bits', async () => {
    const [rows, cols] = [90, 76];
    const a = f32(rows * cols, 2);
    const outs = [];
    for (const build of GEMM_BUILDS) {
      const got = await syrk(get(), a, [rows, cols], { build });
      expectSyrk(
        got,
        { a, c: new Float64Array(cols * cols), rows, cols },
        `mirrored ${JSON.stringify(build)}`,
        2,
        true,
      );
      for (let i = 0; i < cols; i++) for (let j = 0; j < i; j++) expect(got[i * cols + j]).toBe(got[j * cols + i]);
      outs.push(got);
    }
    for (let i = 1; i < outs.length; i++) expectSameBits(outs[i]!, outs[0]!, `build ${JSON.stringify(GEMM_BUILDS[i])}`);
  });

  it('accumulates with beta = 1 over two row chunks (the moments pattern), with alpha', async () => {
    const ctx = get();
    const [rows, cols] = [101, 44];
    const a = f32(rows * cols, 3);
    for (const build of GEMM_BUILDS) {
      const plan = await syrkPlan(ctx, { rows, cols }, { build });
      // cols = 44 and offsetA = 60 * 44: aligned, so vec4 builds take their vec4 path.
      const A = createTensor(ctx, [rows, cols], { data: a });
      const C = createTensor(ctx, [cols, cols]);
      const batch = beginBatch(ctx, 'chunks');
      // rows [0, 60) then [60, 101): the second call reads the first's upper triangle (beta = 1).
      encodeSyrk(batch, plan, { a: A, c: C, rows: 60, cols, alpha: 0.5, beta: 0 });
      encodeSyrk(batch, plan, {
        a: A,
        c: C,
        rows: rows - 60,
        cols,
        offsetA: 60 * cols,
        alpha: 0.5,
        beta: 1,
        mirror: true,
      });
      submit(batch);
      const got = await readback(ctx, C);
      [A, C].forEach(disposeTensor);
      // Two sums of 60 and 41 terms and one addition: within the bound for k = rows + 1.
      expectSyrk(
        got,
        { a, c: new Float64Array(cols * cols), rows, cols, alpha: 0.5 },
        `two chunks ${JSON.stringify(build)}`,
        3,
        true,
      );
    }
  });

  it('offsets and leading dimensions: columns 5..35 of rows 7..66 into a block of a bigger C', async () => {
    const ctx = get();
    const [R, Cc] = [80, 40]; // offsetA = 7 * 40 + 5 is unaligned: vec4 plans fall back to scalar
    const big = f32(R * Cc, 4);
    const c0 = f32(64 * 66, 5);
    for (const gram of [false, true]) {
      const x: SyrkRefArgs = {
        a: big,
        c: c0,
        rows: 60,
        cols: 31,
        gram,
        alpha: -1.25,
        beta: 0.5,
        offsetA: 7 * Cc + 5,
        lda: Cc,
        offsetC: 3 * 66 + 2,
        ldc: 66,
      };
      const plan = await syrkPlan(
        ctx,
        { rows: 60, cols: 31, gram },
        { build: gram ? GEMM_BUILDS[1] : GEMM_BUILDS.find((b) => b.vec4) },
      );
      const A = createTensor(ctx, [R, Cc], { data: big });
      const C = createTensor(ctx, [64, 66], { data: c0 });
      const batch = beginBatch(ctx, 'sub');
      encodeSyrk(batch, plan, { ...x, a: A, c: C, gram, mirror: true });
      submit(batch);
      const got = await readback(ctx, C);
      [A, C].forEach(disposeTensor);
      expectSyrk(got, x, `sub-block gram=${gram}`, 4, true);
    }
  });

  it('streams x larger than the chunk limit in row chunks (beta = 1 accumulation inside syrk())', async () => {
    const [rows, cols] = [333, 29];
    const a = f32(rows * cols, 6);
    const got = await syrk(get(), a, [rows, cols], { maxChunkBytes: 4 * cols * 50, build: GEMM_BUILDS[0] });
    expectSyrk(got, { a, c: new Float64Array(cols * cols), rows, cols }, 'chunked', 6, true);
  });

  it('autotuned plan (no build given) gives the reference result', async () => {
    const [rows, cols] = [300, 70];
    const a = f32(rows * cols, 7);
    const got = await syrk(get(), a, [rows, cols]);
    expectSyrk(got, { a, c: new Float64Array(cols * cols), rows, cols }, 'autotuned', 7, true);
  });

  it('rejects bad input naming the argument', async () => {
    const ctx = get();
    const a = f32(12, 8);
    a[7] = NaN;
    await expect(syrk(ctx, a, [4, 3])).rejects.toThrow(/syrk: x: non-finite value NaN at row 2, column 1/);
    await expect(syrk(ctx, new Float32Array(5), [2, 3])).rejects.toThrow(
      /syrk: x: shape \[2, 3\] needs 6 values, got 5/,
    );
    await expect(syrk(ctx, new Float32Array(6), [2, 3], { c: new Float32Array(4) })).rejects.toThrow(
      /syrk: c must hold 3 \* 3 = 9 values, got 4/,
    );
    const plan = await syrkPlan(ctx, { rows: 4, cols: 3 }, { build: GEMM_BUILDS[0] });
    const t = createTensor(ctx, [12]);
    const batch = beginBatch(ctx, 'bad');
    expect(() => encodeSyrk(batch, plan, { a: t, c: t, rows: 4, cols: 3, gram: true })).toThrow(
      /gram=true but the plan was built for gram=false/,
    );
    expect(() => encodeSyrk(batch, plan, { a: t, c: t, rows: 5, cols: 3 })).toThrow(
      /syrk: A: elements \[0, 15\) exceed the tensor's 12 elements/,
    );
    disposeTensor(t);
  });
});
