// symm_block.wgsl (W = scale * C V, C symmetric) against the float64 definition, both builds: d around
// the row blocks (WG * R = 256 scalar, 512 vec4), numbers of vec4 column groups around CG (2 and 3),
// offsets into stacks (multiples of 4 for the vec4 build).
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import {
  encodeSymmBlock,
  encodeSymmBlockPower,
  symmBlockPipeline,
  SYMM_BLOCK_R,
  SYMM_BLOCK_VEC_R,
  SYMM_BLOCK_WG,
} from '../../src/kernels/symm_block.js';
import { beginBatch, submit } from '../../src/runtime/dispatch.js';
import { createTensor, disposeTensor, readback, upload } from '../../src/runtime/tensor.js';
import { symmBlockRef } from '../ref/symm_block.js';
import { withSpectrum } from '../ref/eigh.js';
import { expectClose } from '../compare.js';
import { randn } from '../random.js';

// Each output is an f32 dot product of length d: |err| <= d 2^-24 sum_j |C_ij V_jc| (Higham 3.1, first
// order) plus the rounding of the scale product; compared after dividing by that sum (rtol 0).
const U = 2 ** -24;
const ROWS = SYMM_BLOCK_WG * SYMM_BLOCK_R;
const VEC_ROWS = SYMM_BLOCK_WG * SYMM_BLOCK_VEC_R;

describeGpu('symm_block', (get) => {
  const cases: [number, number, number, 'scalar' | 'vec'][] = [
    [1, 1, 1, 'scalar'],
    [5, 1, 0.5, 'scalar'],
    [ROWS - 1, 3, 1, 'scalar'],
    [ROWS, 2, 1, 'scalar'],
    [ROWS + 1, 5, -2, 'scalar'],
    [63, 1, 1, 'scalar'],
    [130, 7, 1e-3, 'scalar'],
    [4, 1, 1, 'vec'],
    [12, 3, 0.5, 'vec'],
    [68, 4, 1, 'vec'],
    [VEC_ROWS - 4, 3, 1, 'vec'],
    [VEC_ROWS, 2, -1, 'vec'],
    [VEC_ROWS + 4, 7, 1e-3, 'vec'],
    [VEC_ROWS + 12, 6, 2, 'vec'],
  ];
  for (const [d, q4, scale, build] of cases) {
    it(`d = ${d}, ${4 * q4} columns, scale ${scale}, at offsets, ${build} build`, async () => {
      const ctx = get();
      const seed = d * 10 + q4;
      const n = 4 * q4;
      const c = Float32Array.from(withSpectrum(Array.from(randn(d, seed)), seed, Math.min(d, 8)));
      const v = Float32Array.from(randn(d * n, seed + 1));
      const [cOff, vOff, wOff] = [4 * d * d, 3 * q4, 2];
      const cT = createTensor(ctx, [5 * d * d]);
      const vT = createTensor(ctx, [d * n + 4 * vOff]);
      const wT = createTensor(ctx, [d * n + 4 * wOff]);
      try {
        upload(ctx, cT, c, cOff);
        upload(ctx, vT, v, 4 * vOff);
        const batch = beginBatch(ctx, 'symm_block test');
        encodeSymmBlock(
          batch,
          await symmBlockPipeline(ctx),
          {
            c: cT,
            cOffset: cOff,
            v: vT,
            vOffset: vOff,
            w: wT,
            wOffset: wOff,
            d,
            q4,
            scale,
          },
          build,
        );
        submit(batch);
        const got = await readback(ctx, wT, 4 * wOff, d * n);
        const ref = symmBlockRef(c, v, d, n, scale);
        const norm = (x: ArrayLike<number>) => Float64Array.from(ref.abs, (a, i) => x[i]! / (a || 1));
        expectClose(norm(got), norm(ref.w), { atol: (d + 2) * U, rtol: 0, seed, label: `W (${d}, ${n})` });
      } finally {
        for (const t of [cT, vT, wT]) disposeTensor(t);
      }
    });
  }

  // W = (scale C)^count V: products alternate between the blocks (their offsets swapped) and an even count
  // is copied back into W's block. Each product adds at most (d + 2) 2^-24 of |scale| |C| times the entries'
  // magnitudes so far, so `count` products stay within count (d + 2) 2^-24 of |scale C|^count |V|.
  for (const [d, q4, count] of [
    [7, 1, 1],
    [65, 2, 2],
    [68, 3, 3],
    [130, 1, 4],
  ] as [number, number, number][]) {
    it(`power: (scale C)^${count} V, d = ${d}, ${4 * q4} columns, V and W at different offsets`, async () => {
      const ctx = get();
      const seed = 7 * d + count;
      const n = 4 * q4;
      const c = Float32Array.from(withSpectrum(Array.from(randn(d, seed)), seed, Math.min(d, 8)));
      const v = Float32Array.from(randn(d * n, seed + 1));
      const scale = 1 / Math.max(...Array.from(c, Math.abs)) / Math.sqrt(d);
      const [vOff, wOff] = [5, 2 * d * q4 + 1];
      const vT = createTensor(ctx, [4 * vOff + d * n]);
      const wT = createTensor(ctx, [4 * wOff + d * n]);
      const cT = createTensor(ctx, [d * d], { data: c });
      try {
        upload(ctx, vT, v, 4 * vOff);
        upload(
          ctx,
          wT,
          Float32Array.from({ length: d * n }, () => Number.NaN),
          4 * wOff,
        );
        const batch = beginBatch(ctx, 'symm_block power test');
        const args = { c: cT, v: vT, vOffset: vOff, w: wT, wOffset: wOff, d, q4, scale };
        encodeSymmBlockPower(batch, await symmBlockPipeline(ctx), args, count);
        submit(batch);
        const got = await readback(ctx, wT, 4 * wOff, d * n);
        let w: ArrayLike<number> = v;
        let abs: ArrayLike<number> = Float64Array.from(v, Math.abs);
        for (let j = 0; j < count; j++) {
          w = symmBlockRef(c, w, d, n, scale).w;
          abs = symmBlockRef(Float64Array.from(c, Math.abs), abs, d, n, Math.abs(scale)).w;
        }
        const norm = (x: ArrayLike<number>) => Float64Array.from(abs, (a, i) => x[i]! / (a || 1));
        expectClose(norm(got), norm(w), { atol: count * (d + 2) * U, rtol: 0, seed, label: `power ${count}` });
      } finally {
        for (const t of [cT, vT, wT]) disposeTensor(t);
      }
    });
  }

  it('the vec4 build refuses unaligned d and offsets; unaligned calls take the scalar build', async () => {
    const ctx = get();
    const t = createTensor(ctx, [64]);
    const p = await symmBlockPipeline(ctx);
    const batch = beginBatch(ctx, 'symm_block bad');
    expect(() => encodeSymmBlock(batch, p, { c: t, v: t, w: t, d: 6, q4: 1 }, 'vec')).toThrow(
      /vec4 build needs d \(6\) and cOffset \(0\) multiples of 4/,
    );
    expect(() => encodeSymmBlock(batch, p, { c: t, cOffset: 2, v: t, w: t, d: 4, q4: 1 }, 'vec')).toThrow(
      /cOffset \(2\)/,
    );
    submit(batch);
    disposeTensor(t);
  });
});
