// nn_dense MSE and softmax cross-entropy (loss through the two-level reduction, and gradients) against
// the float64 references (gradients checked by finite differences in kernels-test/pure/nn_dense_fd.test.ts),
// at awkward sizes, with several reductions sharing the scratch tensor in one batch, and bad input.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import {
  encodeCrossEntropy,
  encodeMseLoss,
  encodeSumSquares,
  nnDenseKernels,
  NN_MAX_PARTS,
  NN_MIN_ITEMS,
} from '../../src/kernels/nn_dense.js';
import { beginBatch } from '../../src/runtime/dispatch.js';
import { readback } from '../../src/runtime/tensor.js';
import { crossEntropy, mseLoss, sumSquares } from '../ref/nn_dense.js';
import { expectClose } from '../compare.js';
import { randn, rng } from '../random.js';
import { encodeRun, f32, reductionBound, tensorPool, U } from './nn_dense_harness.js';

const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/** Per-row cross-entropy errors: logsumexp sums `classes` exps (each within 3 + 2|x| ulp, weighted by
 * its probability so <= 3 + 2/e), WGSL's log is within 2^-21 absolute on [0.5, 2] and 3 ulp beyond, and
 * m + log s - logit rounds twice on values <= max |logit| + log classes. */
const ceRowErr = (classes: number, maxLogit: number) => (classes + 16 + 3 * (maxLogit + Math.log(classes))) * U;

describeGpu('nn_dense losses', (get) => {
  const mseShapes: [number, number][] = [
    [1, 1],
    [1, 3],
    [7, 33],
    [64, 130],
    [65, 1],
    [257, 33],
    [1000, 784],
  ];
  for (const [rows, cols] of mseShapes) {
    it(`MSE loss and gradient (${rows}, ${cols})`, async () => {
      const ctx = get();
      const n = rows * cols;
      const seed = rows * 7 + cols;
      const pred = f32(randn(n, seed));
      const target = f32(randn(n, seed + 1).map((v) => 0.5 * v + 0.2));
      const p = tensorPool(ctx);
      try {
        const [tp, tt, td, tl] = [p.f32(pred), p.f32(target), p.f32(n), p.f32([7, 7, 7])];
        await encodeRun(ctx, (batch, k) =>
          encodeMseLoss(batch, k, { pred: tp, target: tt, dpred: td, loss: tl, lossIndex: 1, rows, cols }),
        );
        const ref = mseLoss(pred, target);
        const loss = await readback(ctx, tl);
        // Each square carries 3 roundings (difference, product); the sum is the two-level reduction.
        expectClose([loss[1]!], [ref.loss], { atol: reductionBound(ref.loss, n, 3), rtol: 0, seed, label: 'loss' });
        expect([loss[0], loss[2]]).toEqual([7, 7]);
        // dpred = (2 / n) (pred - target): 3 roundings.
        expectClose(await readback(ctx, td), ref.dpred, { atol: 1e-30, rtol: 3 * U, seed, label: 'dpred' });
      } finally {
        p.dispose();
      }
    });
  }

  const ceShapes: [number, number][] = [
    [1, 1],
    [1, 3],
    [7, 10],
    [64, 33],
    [65, 3],
    [257, 10],
    [257, 130],
    [Math.ceil((NN_MAX_PARTS * NN_MIN_ITEMS) / 10) + 3, 10],
  ];
  for (const [rows, classes] of ceShapes) {
    it(`cross-entropy loss and gradient (${rows}, ${classes})`, async () => {
      const ctx = get();
      const seed = rows * 13 + classes;
      const u = rng(seed);
      // Logits of spread 4 around 100, where exp without the max shift overflows f32 (e^88.7);
      // labels uniform over the classes.
      const logits = f32(randn(rows * classes, seed).map((v) => 4 * v + 100));
      const labels = Int32Array.from({ length: rows }, () => Math.floor(u() * classes));
      const p = tensorPool(ctx);
      try {
        const [tl, tlab, td, tloss] = [p.f32(logits), p.i32(labels), p.f32(rows * classes), p.f32(1)];
        await encodeRun(ctx, (batch, k) =>
          encodeCrossEntropy(batch, k, { logits: tl, labels: tlab, dlogits: td, loss: tloss, rows, classes }),
        );
        const ref = crossEntropy(logits, labels, rows, classes);
        const rowErr = ceRowErr(classes, maxAbs(logits));
        const [loss] = await readback(ctx, tloss);
        expectClose([loss!], [ref.loss], {
          atol: rowErr + reductionBound(ref.loss, rows, 0),
          rtol: 0,
          seed,
          label: 'loss',
        });
        // softmax_c within (3 + 2|x| + classes + 2) ulp of p_c (p |x| <= 1/e), minus the one-hot, / rows.
        expectClose(await readback(ctx, td), ref.dlogits, {
          atol: ((classes + 8) * U) / rows,
          rtol: 0,
          seed,
          label: 'dlogits',
        });
      } finally {
        p.dispose();
      }
    });
  }

  it('cross-entropy: an out-of-range label gives NaN for its row and the loss, other rows are exact', async () => {
    const ctx = get();
    const [rows, classes] = [3, 4];
    const logits = f32(randn(rows * classes, 3));
    const p = tensorPool(ctx);
    try {
      const [td, tloss] = [p.f32(rows * classes), p.f32(1)];
      await encodeRun(ctx, (batch, k) =>
        encodeCrossEntropy(batch, k, {
          logits: p.f32(logits),
          labels: p.i32([1, 4, 0]),
          dlogits: td,
          loss: tloss,
          rows,
          classes,
        }),
      );
      const d = await readback(ctx, td);
      expect(Number.isNaN((await readback(ctx, tloss))[0])).toBe(true);
      expect(Array.from(d.subarray(4, 8)).every(Number.isNaN)).toBe(true);
      const ref = crossEntropy(logits, [1, 0, 0], rows, classes).dlogits;
      expectClose([...d.subarray(0, 4), ...d.subarray(8)], [...ref.subarray(0, 4), ...ref.subarray(8)], {
        atol: (12 * U) / rows,
        rtol: 0,
      });
    } finally {
      p.dispose();
    }
  });

  it('several reductions in one batch share the scratch tensor in order', async () => {
    const ctx = get();
    const n = 50_000;
    const a = f32(randn(n, 1));
    const b = f32(randn(n, 2));
    const logits = f32(randn(700 * 10, 3));
    const labels = Int32Array.from({ length: 700 }, (_, i) => i % 10);
    const p = tensorPool(ctx);
    try {
      const [ta, tb, td, tdl, out] = [p.f32(a), p.f32(b), p.f32(n), p.f32(7000), p.f32(4)];
      await encodeRun(ctx, (batch, k) => {
        encodeMseLoss(batch, k, { pred: ta, target: tb, dpred: td, loss: out, lossIndex: 0, rows: 100, cols: 500 });
        encodeSumSquares(batch, k, { x: ta, n, out, outIndex: 1 });
        encodeCrossEntropy(batch, k, {
          logits: p.f32(logits),
          labels: p.i32(labels),
          dlogits: tdl,
          loss: out,
          lossIndex: 2,
          rows: 700,
          classes: 10,
        });
        encodeSumSquares(batch, k, { x: tb, n: n - 1, offset: 1, out, outIndex: 3 });
      });
      const got = await readback(ctx, out);
      const ssa = sumSquares(a);
      const ssb = sumSquares(b.subarray(1));
      const ce = crossEntropy(logits, labels, 700, 10).loss;
      const mse = mseLoss(a, b).loss;
      expectClose(got, [mse, ssa, ce, ssb], {
        atol: reductionBound(Math.max(ssa, ssb, n * mse), n, 3),
        rtol: 0,
        label: 'mse, |a|^2, ce, |b[1:]|^2',
      });
    } finally {
      p.dispose();
    }
  });

  it('bad arguments name the argument', async () => {
    const ctx = get();
    const k = await nnDenseKernels(ctx);
    const p = tensorPool(ctx);
    const batch = beginBatch(ctx, 'errors');
    try {
      const [x, y, l] = [p.f32(12), p.f32(12), p.f32(2)];
      expect(() => encodeMseLoss(batch, k, { pred: x, target: y, dpred: x, loss: l, rows: 3, cols: 4 })).toThrow(
        /pred and dpred must be different/,
      );
      expect(() =>
        encodeMseLoss(batch, k, { pred: x, target: y, dpred: p.f32(12), loss: l, lossIndex: 2, rows: 3, cols: 4 }),
      ).toThrow(/loss holds 2 elements, needs 3/);
      expect(() =>
        encodeMseLoss(batch, k, { pred: x, target: y, dpred: p.f32(12), loss: l, rows: 0, cols: 4 }),
      ).toThrow(/rows must be an integer in \[1/);
      expect(() =>
        encodeCrossEntropy(batch, k, { logits: x, labels: p.u32([0, 1, 2]), dlogits: y, loss: l, rows: 3, classes: 4 }),
      ).toThrow(/labels must be a i32 tensor, got u32/);
    } finally {
      p.dispose();
    }
  });
});
