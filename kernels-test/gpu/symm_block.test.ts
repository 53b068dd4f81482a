// symm_block.wgsl (W = scale * C V, C symmetric) against the float64 definition: d around the row
// block (WG * R = 256), odd numbers of vec4 column groups (CG = 2), offsets into stacks.
import { it } from 'vitest';
import { describeGpu } from './device.js';
import { encodeSymmBlock, symmBlockPipeline, SYMM_BLOCK_R, SYMM_BLOCK_WG } from '../../src/kernels/symm_block.js';
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

describeGpu('symm_block', (get) => {
  const cases: [number, number, number][] = [
    [1, 1, 1],
    [5, 1, 0.5],
    [ROWS - 1, 3, 1],
    [ROWS, 2, 1],
    [ROWS + 1, 5, -2],
    [63, 1, 1],
    [130, 7, 1e-3],
  ];
  for (const [d, q4, scale] of cases) {
    it(`d = ${d}, ${4 * q4} columns, scale ${scale}, at offsets`, async () => {
      const ctx = get();
      const seed = d * 10 + q4;
      const n = 4 * q4;
      const c = Float32Array.from(withSpectrum(Array.from(randn(d, seed)), seed, Math.min(d, 8)));
      const v = Float32Array.from(randn(d * n, seed + 1));
      const [cOff, vOff, wOff] = [d * d, 3 * q4, 2];
      const cT = createTensor(ctx, [2 * d * d]);
      const vT = createTensor(ctx, [d * n + 4 * vOff]);
      const wT = createTensor(ctx, [d * n + 4 * wOff]);
      try {
        upload(ctx, cT, c, cOff);
        upload(ctx, vT, v, 4 * vOff);
        const batch = beginBatch(ctx, 'symm_block test');
        encodeSymmBlock(batch, await symmBlockPipeline(ctx), {
          c: cT,
          cOffset: cOff,
          v: vT,
          vOffset: vOff,
          w: wT,
          wOffset: wOff,
          d,
          q4,
          scale,
        });
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
});
