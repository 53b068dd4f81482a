// nn_dense bias + activation (forward, backward with column sums, in place and not), SiLU, add, time
// embedding and class embedding against the float64 references (whose gradients are checked by finite
// differences in kernels-test/pure/nn_dense_fd.test.ts), at awkward sizes, plus argument errors.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import {
  columnBlocks,
  encodeAdd,
  encodeBiasAct,
  encodeBiasActBackward,
  encodeColumnSum,
  encodeEmbeddingBackward,
  encodeEmbeddingGather,
  encodeSilu,
  encodeSiluBackward,
  encodeTimeEmbedding,
  nnDenseKernels,
  type Act,
} from '../../src/kernels/nn_dense.js';
import { beginBatch } from '../../src/runtime/dispatch.js';
import { readback } from '../../src/runtime/tensor.js';
import { add, biasAct, biasActBackward, embeddingBackward, embeddingGather, timeEmbedding } from '../ref/nn_dense.js';
import { expectClose, expectSameBits } from '../compare.js';
import { randn, rng } from '../random.js';
import { encodeRun, f32, sumBound, tensorPool, U } from './nn_dense_harness.js';

const ROWS = [1, 7, 64, 65, 257];
const COLS = [1, 3, 33, 130];
const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);
/** Largest column sum of |a| over a (rows, cols) matrix, plus |extra[c]|. */
function maxColAbs(a: ArrayLike<number>, cols: number, extra?: ArrayLike<number>): number {
  const s = Float64Array.from({ length: cols }, (_, c) => Math.abs(extra?.[c] ?? 0));
  for (let i = 0; i < a.length; i++) s[i % cols] += Math.abs(a[i]!);
  return maxAbs(s);
}

/**
 * Elementwise error of silu and silu' in f32: exp within 3 + 2|v| ulp (WGSL's bound), then a few
 * roundings; silu'(v) = s (1 + v (1 - s)) loses |v| ulp of 1 in 1 - s for large v. So |err| <=
 * |dy| (2 |v| + 8) 2^-24 (1 + |v|) bounds both, relative to values of size ~1.
 */
const siluAtol = (dy: number, v: number) => dy * (2 * v + 8) * (1 + v) * U;

describeGpu('nn_dense activations and embeddings', (get) => {
  for (const act of ['none', 'silu'] as Act[]) {
    for (const rows of ROWS) {
      for (const cols of COLS) {
        it(`bias + ${act} forward and backward (${rows}, ${cols}), dx separate and in place`, async () => {
          const ctx = get();
          const seed = rows * 1000 + cols + (act === 'silu' ? 7 : 0);
          const x = f32(randn(rows * cols, seed).map((v) => 3 * v));
          const b = f32(randn(cols, seed + 1));
          const dy = f32(randn(rows * cols, seed + 2));
          const db0 = f32(randn(cols, seed + 3));
          const p = tensorPool(ctx);
          try {
            const [tx, tb, tdy, ty, tdx, tdb, tdb2] = [
              p.f32(x),
              p.f32(b),
              p.f32(dy),
              p.f32(rows * cols),
              p.f32(rows * cols),
              p.f32(db0),
              p.f32(db0),
            ];
            const tg = p.f32(dy);
            await encodeRun(ctx, (batch, k) => {
              encodeBiasAct(batch, k, { x: tx, b: tb, y: ty, rows, cols, act });
              encodeBiasActBackward(batch, k, { x: tx, b: tb, dy: tdy, dx: tdx, db: tdb, rows, cols, act });
              encodeBiasActBackward(batch, k, { x: tx, b: tb, dy: tg, dx: tg, db: tdb2, rows, cols, act });
            });
            const v = maxAbs(x) + maxAbs(b);
            const elAtol = act === 'silu' ? siluAtol(maxAbs(dy), v) : 0;
            expectClose(await readback(ctx, ty), biasAct(x, b, rows, cols, act), {
              atol: 1e-6 + elAtol,
              seed,
              label: 'y',
            });
            const ref = biasActBackward(x, b, dy, rows, cols, act);
            const dx = await readback(ctx, tdx);
            expectClose(dx, ref.dx, { atol: 1e-6 + elAtol, seed, label: 'dx' });
            expectSameBits(await readback(ctx, tg), dx, 'dx in place vs separate');
            // db = db0 + sum of `rows` dx terms each within elAtol: see sumBound.
            const colAbs = maxColAbs(ref.dx, cols, db0);
            const dbRef = ref.db.map((d, c) => d + db0[c]!);
            const dbTol = { atol: sumBound(colAbs, rows + 1, 2) + rows * elAtol, rtol: 0, seed };
            expectClose(await readback(ctx, tdb), dbRef, { ...dbTol, label: 'db' });
            expectClose(await readback(ctx, tdb2), dbRef, { ...dbTol, label: 'db (in place)' });
          } finally {
            p.dispose();
          }
        });
      }
    }
  }

  const tall: [number, number][] = [
    [4099, 130],
    [2049, 700],
    [3, 70_000],
  ];
  for (const [rows, cols] of tall) {
    it(`column sums over row blocks: (${rows}, ${cols}), ${columnBlocks(rows, cols).blocks} blocks`, async () => {
      const ctx = get();
      const x = f32(randn(rows * cols, rows + cols));
      const p = tensorPool(ctx);
      try {
        const tx = p.f32(x);
        const ty = p.f32(cols);
        await encodeRun(ctx, (batch, k) => encodeColumnSum(batch, k, { x: tx, y: ty, rows, cols }));
        const ref = biasActBackward(x, null, x, rows, cols, 'none').db;
        const colAbs = maxColAbs(x, cols);
        expectClose(await readback(ctx, ty), ref, { atol: sumBound(colAbs, rows), rtol: 0, label: 'column sums' });
        expectSameBits(await readback(ctx, tx), x, 'x unchanged');
      } finally {
        p.dispose();
      }
    });
  }

  it('silu without bias at n = 1, 255, 257 and 4.2 M (strided loops of 128 elements per invocation)', async () => {
    const ctx = get();
    for (const n of [1, 255, 257, 64 * 65_536 + 3]) {
      const x = Float32Array.from({ length: n }, (_, i) => ((i * 7919) % 2001) / 100 - 10);
      const dy = Float32Array.from({ length: n }, (_, i) => ((i * 104_729) % 1999) / 1000 - 1);
      const p = tensorPool(ctx);
      try {
        const [tx, ty, tdy, tdx] = [p.f32(x), p.f32(n), p.f32(dy), p.f32(n)];
        await encodeRun(ctx, (batch, k) => {
          encodeSilu(batch, k, { x: tx, y: ty, n });
          encodeSiluBackward(batch, k, { x: tx, dy: tdy, dx: tdx, n });
        });
        const elAtol = siluAtol(1, 10);
        expectClose(await readback(ctx, ty), biasAct(x, null, 1, n, 'silu'), {
          atol: 1e-6 + elAtol,
          label: `silu n=${n}`,
        });
        expectClose(await readback(ctx, tdx), biasActBackward(x, null, dy, 1, n, 'silu').dx, {
          atol: 1e-6 + elAtol,
          label: `silu' n=${n}`,
        });
      } finally {
        p.dispose();
      }
    }
  });

  it('add: y = alpha a + beta b, separate, y = a, y = b, a = b = y', async () => {
    const ctx = get();
    // n a multiple of 4 (4, 256, 4108) runs the vec4 builds.
    for (const n of [1, 4, 255, 256, 257, 1009, 4108]) {
      const a = f32(randn(n, n));
      const b = f32(randn(n, n + 1));
      const p = tensorPool(ctx);
      try {
        const [ta, tb, ty, ta2, tb2, tc] = [p.f32(a), p.f32(b), p.f32(n), p.f32(a), p.f32(b), p.f32(a)];
        await encodeRun(ctx, (batch, k) => {
          encodeAdd(batch, k, { a: ta, b: tb, y: ty, n, alpha: 0.5, beta: -2 });
          encodeAdd(batch, k, { a: ta2, b: tb, y: ta2, n });
          encodeAdd(batch, k, { a: ta, b: tb2, y: tb2, n, alpha: 3, beta: 0.25 });
          encodeAdd(batch, k, { a: tc, b: tc, y: tc, n, alpha: 1.5, beta: 2 });
        });
        expectClose(await readback(ctx, ty), add(a, b, 0.5, -2), { label: `separate n=${n}` });
        expectClose(await readback(ctx, ta2), add(a, b, 1, 1), { label: `y = a n=${n}` });
        expectClose(await readback(ctx, tb2), add(a, b, 3, 0.25), { label: `y = b n=${n}` });
        expectClose(await readback(ctx, tc), add(a, a, 1.5, 2), { label: `a = b = y n=${n}` });
      } finally {
        p.dispose();
      }
    }
  });

  // 13 listed steps, and 300 random ones (more invocations than columns: the strided loop wraps rows).
  const listed = [0, 1, 2, 3, 17, 499, 500, 998, 999, 1000, 64, 777, 250];
  const u = rng(1);
  const many = Array.from({ length: 300 }, () => Math.floor(u() * 1001));
  const embedCases: [number, number[]][] = [
    [1, listed],
    [2, listed],
    [3, listed],
    [33, listed],
    [128, listed],
    [130, listed],
    [33, many],
    [1, many],
  ];
  for (const [dim, steps] of embedCases) {
    it(`time embedding dim ${dim} at ${steps.length} steps in 0..1000 (diffusers convention)`, async () => {
      const ctx = get();
      const T = 1000;
      const p = tensorPool(ctx);
      try {
        const ty = p.f32(steps.length * dim);
        await encodeRun(ctx, (batch, k) =>
          encodeTimeEmbedding(batch, k, { steps: p.u32(steps), y: ty, rows: steps.length, dim, T }),
        );
        // The argument t f_j is formed in f32: f_j within 3 ulp (exp) + 1 (its argument) and the product
        // rounded once, so |d arg| <= 5 t 2^-24 with f_j <= 1; sin and cos after the exact reduction add a
        // few 2^-24 on lavapipe (WGSL only promises 2^-11, far looser than any driver we run).
        expectClose(await readback(ctx, ty), timeEmbedding(steps, dim), {
          atol: 5 * T * U + 8 * U,
          rtol: 0,
          label: `dim ${dim}`,
        });
      } finally {
        p.dispose();
      }
    });
  }

  const classCases: [number, number, number][] = [
    [1, 1, 0],
    [7, 3, 2],
    [65, 33, 10],
    [257, 130, 10],
    [64, 16, 1],
  ];
  for (const [rows, E, K] of classCases) {
    it(`class embedding gather and backward: ${rows} labels, E = ${E}, ${K} classes + null`, async () => {
      const ctx = get();
      const seed = rows * 31 + E;
      const u = rng(seed);
      const labels = Int32Array.from({ length: rows }, () => Math.floor(u() * (K + 1)) - 1);
      const table = f32(randn((K + 1) * E, seed));
      const dy = f32(randn(rows * E, seed + 1));
      const dt0 = f32(randn((K + 1) * E, seed + 2));
      const p = tensorPool(ctx);
      try {
        const [tt, tl, ty, tdy, tdt] = [p.f32(table), p.i32(labels), p.f32(rows * E), p.f32(dy), p.f32(dt0)];
        await encodeRun(ctx, (batch, k) => {
          encodeEmbeddingGather(batch, k, { table: tt, labels: tl, y: ty, rows, E, numClasses: K });
          encodeEmbeddingBackward(batch, k, { labels: tl, dy: tdy, dtable: tdt, rows, E, numClasses: K });
        });
        expectSameBits(await readback(ctx, ty), f32(embeddingGather(table, labels, E, K)), 'gathered rows');
        const ref = embeddingBackward(labels, dy, E, K).map((v, i) => v + dt0[i]!);
        // Each entry sums at most rows + 1 terms of size <= max |dy|, |dt0|.
        const atol = sumBound((rows + 1) * Math.max(maxAbs(dy), maxAbs(dt0)), rows + 1);
        expectClose(await readback(ctx, tdt), ref, { atol, rtol: 0, seed, label: 'dtable' });
      } finally {
        p.dispose();
      }
    });
  }

  it('class embedding: labels outside -1..K-1 give NaN rows and no gradient', async () => {
    const ctx = get();
    const [K, E] = [3, 2];
    const labels = [0, 3, -2, -1, 7];
    const p = tensorPool(ctx);
    try {
      const table = [1, 2, 3, 4, 5, 6, 7, 8];
      const [ty, tdt, tl] = [p.f32(labels.length * E), p.f32((K + 1) * E), p.i32(labels)];
      await encodeRun(ctx, (batch, k) => {
        encodeEmbeddingGather(batch, k, {
          table: p.f32(table),
          labels: tl,
          y: ty,
          rows: labels.length,
          E,
          numClasses: K,
        });
        encodeEmbeddingBackward(batch, k, {
          labels: tl,
          dy: p.f32(new Array(labels.length * E).fill(1)),
          dtable: tdt,
          rows: labels.length,
          E,
          numClasses: K,
        });
      });
      expect(Array.from(await readback(ctx, ty))).toEqual([1, 2, NaN, NaN, NaN, NaN, 7, 8, NaN, NaN]);
      expect(Array.from(await readback(ctx, tdt))).toEqual([1, 1, 0, 0, 0, 0, 1, 1]);
    } finally {
      p.dispose();
    }
  });

  it('bad arguments name the argument; a steady-state loop compiles nothing new', async () => {
    const ctx = get();
    const k = await nnDenseKernels(ctx);
    expect(await nnDenseKernels(ctx)).toBe(k);
    const p = tensorPool(ctx);
    const batch = beginBatch(ctx, 'errors');
    try {
      const [x, y, b, db] = [p.f32(12), p.f32(12), p.f32(4), p.f32(4)];
      expect(() => encodeBiasAct(batch, k, { x, b, y, rows: 3, cols: 4, act: 'relu' as Act })).toThrow(
        /act must be one of 'none', 'silu', got relu/,
      );
      expect(() => encodeBiasAct(batch, k, { x, b, y, rows: 4, cols: 4, act: 'none' })).toThrow(
        /x holds 12 elements, needs 16/,
      );
      expect(() => encodeBiasAct(batch, k, { x, b: p.f32(3), y, rows: 3, cols: 4, act: 'none' })).toThrow(
        /b holds 3 elements, needs 4/,
      );
      expect(() => encodeBiasAct(batch, k, { x, b, y: x, rows: 3, cols: 4, act: 'silu' })).toThrow(
        /x and y must be different tensors/,
      );
      expect(() => encodeBiasActBackward(batch, k, { x, dy: y, dx: x, rows: 3, cols: 4, act: 'silu' })).toThrow(
        /x and dx must be different/,
      );
      expect(() => encodeBiasActBackward(batch, k, { dy: y, dx: y, rows: 3, cols: 4, act: 'silu' })).toThrow(
        /x must be a Tensor/,
      );
      expect(() =>
        encodeEmbeddingGather(batch, k, { table: x, labels: p.f32(3), y, rows: 3, E: 4, numClasses: 2 }),
      ).toThrow(/labels must be a i32 tensor, got f32/);
      expect(() => encodeTimeEmbedding(batch, k, { steps: p.u32([1]), y, rows: 1, dim: 0, T: 10 })).toThrow(
        /dim must be an integer in \[1/,
      );
      expect(() => encodeAdd(batch, k, { a: x, b: y, y, n: 12, alpha: NaN })).toThrow(/alpha must be a finite number/);
      const before = ctx.compiles;
      for (let rep = 0; rep < 3; rep++) {
        await encodeRun(ctx, (bt, kk) => {
          encodeBiasAct(bt, kk, { x, b, y, rows: 3, cols: 4, act: 'silu' });
          encodeBiasActBackward(bt, kk, { x, b, dy: y, dx: y, db, rows: 3, cols: 4, act: 'silu' });
        });
      }
      await readback(ctx, y);
      expect(ctx.compiles).toBe(before);
    } finally {
      p.dispose();
    }
  });
});
