// The two small kernels of the crn moment pass against their float64 references at awkward sizes:
// normal_rows (Philox normals for a list of original rows, optionally a Bartlett lower triangle) and
// rank_update (beta out + alpha x + w u v^T, and the symmetric alpha (x + x^T)).
import { expect, it } from 'vitest';
import { encodeNormalRows, normalRowsPipeline } from '../../src/kernels/normal_rows.js';
import { disposeRankUpdatePlan, encodeRankUpdate, rankUpdatePlan } from '../../src/kernels/rank_update.js';
import { beginBatch, submit } from '../../src/runtime/dispatch.js';
import { createTensor, disposeTensor, readback } from '../../src/runtime/tensor.js';
import { expectClose } from '../compare.js';
import { normalRowsRef } from '../ref/normal_rows.js';
import { rankUpdateRef } from '../ref/rank_update.js';
import { randn, rng } from '../random.js';
import { describeGpu } from './device.js';

describeGpu('normal_rows', (get) => {
  // cols 1, 3 (partial quad), 5, 67 and 129; rows in scrambled order with large indices.
  for (const [count, cols, ldo] of [
    [1, 1, 4],
    [3, 3, 8],
    [17, 5, 8],
    [65, 67, 72],
    [7, 129, 132],
  ] as const) {
    for (const lower of [false, true]) {
      it(`${count} rows x ${cols} cols, row stride ${ldo}${lower ? ', lower triangle' : ''}`, async () => {
        const ctx = get();
        const r = rng(count * 1000 + cols);
        const rows = Uint32Array.from({ length: count }, () => Math.floor(r() * 2 ** 31));
        const diag = Float32Array.from({ length: count }, () => 1 + r());
        const key = [0x1234567, 0x89abcdef] as const;
        const rowsT = createTensor(ctx, [count], { dtype: 'u32', data: rows, label: 'test.rows' });
        const diagT = createTensor(ctx, [count + 3], {
          data: Float32Array.from([0, 0, 0, ...diag]),
          label: 'test.diag',
        });
        const out = createTensor(ctx, [8 + count * ldo], { label: 'test.out' });
        try {
          const batch = beginBatch(ctx, 'test');
          encodeNormalRows(batch, await normalRowsPipeline(ctx), {
            rows: rowsT,
            count,
            cols,
            ldo,
            out,
            outOffset: 8,
            key,
            stream: 5,
            tag: 3,
            lower: lower ? { diag: diagT, diagOffset: 3 } : undefined,
          });
          submit(batch);
          const got = await readback(ctx, out, 8, count * ldo);
          const ref = normalRowsRef({ rows, cols, ldo, key, stream: 5, tag: 3, diag: lower ? diag : undefined });
          // f32 Box-Muller against float64: a few ulps of the tail values.
          expectClose(got, ref, { atol: 2e-6, rtol: 2e-6, label: 'normal_rows' });
        } finally {
          for (const t of [rowsT, diagT, out]) disposeTensor(t);
        }
      });
    }
  }

  it('refuses misaligned strides and offsets, and overruns', async () => {
    const ctx = get();
    const rows = createTensor(ctx, [4], { dtype: 'u32', label: 'test.rows' });
    const out = createTensor(ctx, [32], { label: 'test.out' });
    const p = await normalRowsPipeline(ctx);
    const batch = beginBatch(ctx, 'test');
    const a = { rows, count: 4, cols: 5, ldo: 8, out, key: [1, 2] as const, stream: 0 };
    expect(() => encodeNormalRows(batch, p, { ...a, ldo: 6 })).toThrow(/ldo 6 is not a multiple of 4/);
    expect(() => encodeNormalRows(batch, p, { ...a, outOffset: 2 })).toThrow(/outOffset 2 is not a multiple of 4/);
    expect(() => encodeNormalRows(batch, p, { ...a, outOffset: 4 })).toThrow(/exceed the output's 32 elements/);
    submit(batch);
    disposeTensor(rows);
    disposeTensor(out);
  });
});

describeGpu('rank_update', (get) => {
  for (const [rows, cols] of [
    [1, 1],
    [5, 7],
    [33, 33],
    [67, 61],
  ] as const) {
    for (const mode of ['x and outer', 'outer only', 'symmetric x'] as const) {
      if (mode === 'symmetric x' && rows !== cols) continue;
      it(`${rows} x ${cols}, ${mode}`, async () => {
        const ctx = get();
        const seed = rows * 100 + cols;
        const ldo = 4 * Math.ceil(cols / 4) + 4;
        const ldx = mode === 'symmetric x' ? cols + 3 : 4 * Math.ceil(cols / 4) + 8;
        const out0 = Float32Array.from(randn(rows * ldo, seed));
        const x = Float32Array.from(randn(rows * ldx + ldx, seed + 1));
        const u = Float32Array.from(randn(rows + 1, seed + 2));
        const v = Float32Array.from(randn(ldo + 4, seed + 3));
        const outT = createTensor(ctx, [4 + rows * ldo], { data: Float32Array.from([0, 0, 0, 0, ...out0]) });
        const xT = createTensor(ctx, [x.length], { data: x });
        const uT = createTensor(ctx, [u.length], { data: u });
        const vT = createTensor(ctx, [v.length], { data: v });
        const plan = await rankUpdatePlan(ctx);
        try {
          const beta = mode === 'outer only' ? 0 : 0.75;
          const useX = mode !== 'outer only';
          const symmetric = mode === 'symmetric x';
          const batch = beginBatch(ctx, 'test');
          encodeRankUpdate(batch, plan, {
            out: outT,
            outOffset: 4,
            rows,
            cols,
            ldo,
            beta,
            x: useX ? { t: xT, offset: symmetric ? 0 : 0, ld: ldx, alpha: -1.25, symmetric } : undefined,
            outer: mode === 'symmetric x' ? undefined : { u: uT, uOffset: 1, v: vT, vOffset: 4, w: 2.5 },
          });
          submit(batch);
          const got = await readback(ctx, outT, 4, rows * ldo);
          const ref = rankUpdateRef({
            rows,
            cols,
            out: out0,
            ldo,
            beta,
            x: useX ? { data: x, ld: ldx, alpha: -1.25, symmetric } : undefined,
            outer: mode === 'symmetric x' ? undefined : { u: u.subarray(1), v: v.subarray(4), w: 2.5 },
          });
          // Compare the block; columns past cols within the last quad are the kernel's to write.
          const pick = (a: ArrayLike<number>) =>
            Float64Array.from({ length: rows * cols }, (_, k) => a[Math.floor(k / cols) * ldo + (k % cols)]!);
          expectClose(pick(got), pick(ref), { atol: 1e-5, rtol: 1e-5, seed, label: 'rank_update' });
          // Whole quads past the block stay untouched.
          const q = 4 * Math.ceil(cols / 4);
          for (let i = 0; i < rows; i++) for (let j = q; j < ldo; j++) expect(got[i * ldo + j]).toBe(out0[i * ldo + j]);
        } finally {
          for (const t of [outT, xT, uT, vT]) disposeTensor(t);
          disposeRankUpdatePlan(plan);
        }
      });
    }
  }

  it('beta = 0 does not read the output (NaN there does not leak)', async () => {
    const ctx = get();
    const outT = createTensor(ctx, [8], { data: new Float32Array(8).fill(Number.NaN) });
    const uT = createTensor(ctx, [2], { data: Float32Array.from([2, 3]) });
    const vT = createTensor(ctx, [4], { data: Float32Array.from([1, 2, 3, 4]) });
    const plan = await rankUpdatePlan(ctx);
    const batch = beginBatch(ctx, 'test');
    encodeRankUpdate(batch, plan, { out: outT, rows: 2, cols: 4, ldo: 4, outer: { u: uT, v: vT, w: 1 } });
    submit(batch);
    expect(Array.from(await readback(ctx, outT))).toEqual([2, 4, 6, 8, 3, 6, 9, 12]);
    expect(() =>
      encodeRankUpdate(beginBatch(ctx, 'bad'), plan, {
        out: outT,
        rows: 2,
        cols: 3,
        ldo: 4,
        x: { t: outT, ld: 4, symmetric: true },
      }),
    ).toThrow(/x \+ x\^T needs a square block, got 2 x 3/);
    for (const t of [outT, uT, vT]) disposeTensor(t);
    disposeRankUpdatePlan(plan);
  });
});
