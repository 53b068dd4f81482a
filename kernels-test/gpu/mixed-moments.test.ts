// mixed_moments.wgsl against its float64 reference (ref/mixed_moments.ts) per block; and noisedMoments (the
// kernel, the noise drawn on the GPU, the projections) end to end against float64: the
// central mixed moments of (x0, eps) per column from columnMixedMoments over the same eps read back
// (standardNormals, the draw it must reproduce), and x0 v, eps v as float64 products. Awkward sizes: 9
// rows (the analysis needs 8), D not a multiple of 4 or of the workgroup, blocks and row chunks with partial ends, a constant
// column, a column of rare spikes (kurtosis ~ N), an offset far from 0 (centring).
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import {
  centredMixedMoments,
  encodeMixedMoments,
  MIXED_BLOCK,
  MIXED_ORDERS,
  mixedMomentsPipeline,
  noisedMoments,
} from '../../src/kernels/mixed_moments.js';
import { beginBatch, submit } from '../../src/runtime/dispatch.js';
import { createTensor, disposeTensor, readback } from '../../src/runtime/tensor.js';
import { mixedMomentsRef } from '../ref/mixed_moments.js';
import { standardNormals } from '../../src/kernels/forward_noise.js';
import { columnMixedMoments } from '../../src/analysis/normality-steps.js';
import { expectClose } from '../compare.js';
import { randn } from '../random.js';

/** x0 (N, D): 3 + 0.5 z, column 0 constant, column 1 zero but for a spike every 97 rows. */
function data(N: number, D: number, seed: number): Float32Array {
  const z = randn(N * D, seed);
  const x = Float32Array.from(z, (v) => 3 + 0.5 * v);
  for (let i = 0; i < N; i++) {
    x[i * D] = 2.5;
    if (D > 1) x[i * D + 1] = i % 97 === 5 ? 4 : 0;
  }
  return x;
}

const project = (x: ArrayLike<number>, v: ArrayLike<number>, N: number, D: number, r: number, abs = false) => {
  const out = new Float64Array(N * r);
  for (let i = 0; i < N; i++)
    for (let j = 0; j < r; j++) {
      let s = 0;
      for (let c = 0; c < D; c++) s += abs ? Math.abs(x[i * D + c]! * v[c * r + j]!) : x[i * D + c]! * v[c * r + j]!;
      out[i * r + j] = s;
    }
  return out;
};

describeGpu('mixed moments (normality inputs)', (get) => {
  const cases: [number, number, number][] = [
    [9, 5, 1],
    [MIXED_BLOCK + 3, 37, 3],
    [2 * MIXED_BLOCK + 700, 66, 4],
  ];
  for (const [N, D, r] of cases) {
    for (const small of [false, true]) {
      it(`N = ${N}, D = ${D}, r = ${r}${small ? ', one block per row chunk' : ''}: moments and projections match float64`, async () => {
        const ctx = get();
        const seed = N + D;
        const x = data(N, D, seed);
        const v = Float32Array.from(randn(D * r, seed + 1));
        const opts = { seed: 11, stream: 5, step: 2 };
        const saved = ctx.limits.maxStorageBufferBindingSize;
        // Row chunks of one block each: the sums and projections of several chunks merge.
        if (small) ctx.limits.maxStorageBufferBindingSize = 4 * D * MIXED_BLOCK;
        let got: Awaited<ReturnType<typeof noisedMoments>>;
        try {
          got = await noisedMoments(ctx, x, N, D, v, r, opts);
        } finally {
          ctx.limits.maxStorageBufferBindingSize = saved;
        }
        const e = await standardNormals(ctx, N, D, opts);
        const ref = columnMixedMoments(x, e, N, D);
        for (let c = 0; c < D; c++) {
          const mu = ref[c]!;
          for (const [m, n] of MIXED_ORDERS) {
            if (m + n < 2) continue;
            // Relative to the moment itself or its scale sqrt(mu20^m mu02^n) (a constant column: 0).
            const scale = Math.abs(mu[m]![n]!) + Math.sqrt(mu[2]![0]! ** m * mu[0]![2]! ** n);
            const tol = 1e-6 * scale + (m > 0 && mu[2]![0]! === 0 ? 1e-12 : 0);
            const g = got.coords[c]![m]![n]!;
            if (!(Math.abs(g - mu[m]![n]!) <= tol))
              throw new Error(`column ${c} (${m}, ${n}): got ${g}, float64 ${mu[m]![n]}, tolerance ${tol}`);
          }
        }
        for (const [name, have, src] of [
          ['x0 v', got.px, x],
          ['eps v', got.pe, e],
        ] as const) {
          const want = project(src, v, N, D, r);
          const bound = project(src, v, N, D, r, true);
          expectClose(
            Float64Array.from(have, (g, i) => g / (bound[i]! || 1)),
            Float64Array.from(want, (w, i) => w / (bound[i]! || 1)),
            { atol: (D + 2) * 2 ** -24, rtol: 0, label: name, seed },
          );
        }
      });
    }
  }

  // The kernel alone: per block and order, the compensated sums against float64 sums of the same f32 terms.
  for (const [rows, cols] of [
    [1, 1],
    [MIXED_BLOCK - 1, 3],
    [MIXED_BLOCK + 1, 65],
    [2 * MIXED_BLOCK + 17, 130],
  ] as const) {
    it(`kernel: per-block sums of ${rows} x ${cols} match float64 (every order, partial last block)`, async () => {
      const ctx = get();
      const seed = rows * 7 + cols;
      const x = Float32Array.from(randn(rows * cols, seed), (v, i) => v * 2 + (i % cols) * 0.1 + 5);
      const e = Float32Array.from(randn(rows * cols, seed + 1));
      const shift = Float32Array.from({ length: cols }, (_, c) => 5 + c * 0.1 + 0.01);
      const blocks = Math.ceil(rows / MIXED_BLOCK);
      const t = [
        createTensor(ctx, [rows, cols], { data: x }),
        createTensor(ctx, [rows, cols], { data: e }),
        createTensor(ctx, [cols], { data: shift }),
        createTensor(ctx, [blocks, 14, cols, 2]),
      ];
      try {
        const batch = beginBatch(ctx, 'mixed');
        encodeMixedMoments(batch, await mixedMomentsPipeline(ctx), {
          x: t[0]!,
          e: t[1]!,
          shift: t[2]!,
          out: t[3]!,
          rows,
          cols,
        });
        submit(batch);
        const hl = await readback(ctx, t[3]!);
        const got = Float64Array.from({ length: blocks * 14 * cols }, (_, i) => hl[2 * i]! + hl[2 * i + 1]!);
        // The f32 shift subtraction and products round each term (a few 2^-24 of it); the compensated
        // sums add ~2^-24 of the sum: 8 * 2^-24 * sum |term| bounds both.
        const ref = mixedMomentsRef(x, e, shift, rows, cols, MIXED_BLOCK, MIXED_ORDERS);
        const u = 2 ** -24;
        expectClose(
          Float64Array.from(got, (g, i) => g / (ref.absSums[i]! || 1)),
          Float64Array.from(ref.sums, (r, i) => r / (ref.absSums[i]! || 1)),
          { atol: 8 * u, rtol: 0, label: `${rows} x ${cols}`, seed },
        );
      } finally {
        t.forEach(disposeTensor);
      }
    });
  }

  it('centredMixedMoments: moments about the mean from sums about any shift', () => {
    // Two columns of 5 rows, sums about shifts 10 and -3: the central moments do not depend on them.
    const N = 5;
    const xs = [
      [1, 2, 4, 8, 16],
      [-1, 0, 0, 2, 5],
    ];
    const es = [
      [0.5, -1, 2, 0, 1],
      [3, 1, -2, 0.25, 0],
    ];
    const shifts = [10, -3];
    const sums = new Float64Array(2 * 14);
    for (let c = 0; c < 2; c++)
      MIXED_ORDERS.forEach(([m, n], t) => {
        for (let i = 0; i < N; i++) sums[c * 14 + t]! += (xs[c]![i]! - shifts[c]!) ** m * es[c]![i]! ** n;
      });
    const got = centredMixedMoments(sums, N, 2);
    const x = new Float64Array(N * 2);
    const e = new Float64Array(N * 2);
    for (let i = 0; i < N; i++)
      for (let c = 0; c < 2; c++) {
        x[i * 2 + c] = xs[c]![i]!;
        e[i * 2 + c] = es[c]![i]!;
      }
    const want = columnMixedMoments(x, e, N, 2);
    for (let c = 0; c < 2; c++) expectClose(got[c]!.flat(), want[c]!.flat(), { atol: 1e-9, rtol: 1e-12 });
  });

  it('rejects bad input naming the argument', async () => {
    const ctx = get();
    await expect(
      noisedMoments(ctx, new Float32Array(10), 3, 4, new Float32Array(4), 1, { seed: 0, stream: 0 }),
    ).rejects.toThrow(/x holds 10 values, not N \* D = 12/);
    await expect(
      noisedMoments(ctx, new Float32Array(12), 3, 4, new Float32Array(3), 1, { seed: 0, stream: 0 }),
    ).rejects.toThrow(/v holds 3 values, not D \* r = 4/);
  });
});
