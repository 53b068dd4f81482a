// frobenius.wgsl + frobenius_reduce.wgsl against the float64 definition, for many pairs in one
// dispatch at awkward sizes, long reductions (784 x 784), > 65,535 workgroups, and bad input.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import {
  disposeFrobenius,
  encodeFrobenius,
  encodeFrobeniusCross,
  FROBENIUS_BLOCK,
  frobeniusPairs,
  prepareFrobenius,
  prepareFrobeniusCross,
} from '../../src/kernels/frobenius.js';
import { beginBatch, submit } from '../../src/runtime/dispatch.js';
import { createTensor, disposeTensor, readback, type Tensor } from '../../src/runtime/tensor.js';
import { frobeniusRef } from '../ref/frobenius.js';
import { expectClose } from '../compare.js';
import { randn } from '../random.js';

// Tolerance per pair: each f32 product a*b is rounded once (<= 2^-24 |a b|); the Kahan sums and
// TwoSum combines carry the additions' errors in the low word, leaving O(2^-24) of the running sum
// plus O(n 2^-48) terms. So |got - ref| <= 2^-24 sum |a b| (products) + 2^-24 |sum| (final rounding
// of the compensated pair) + higher order; 4 * 2^-24 * sum |a b| covers it with room.
const U = 2 ** -24;

function allPairs(m: number): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < m; i++) for (let j = i; j < m; j++) out.push([i, j]);
  return out;
}

function check(
  got: Float64Array,
  a: Float32Array,
  b: Float32Array,
  len: number,
  pairs: [number, number][],
  seed: number,
) {
  const { value, absSum } = frobeniusRef(a, b, len, pairs);
  pairs.forEach((pr, p) => {
    expectClose([got[p]!], [value[p]!], {
      atol: 4 * U * absSum[p]! + 1e-30,
      rtol: 0,
      seed,
      label: `pair ${p} [${pr}] of ${len} elements`,
    });
  });
}

describeGpu('frobenius', (get) => {
  // len around the block size (WG * ITEMS = 4096) and dims not multiple of 4.
  const cases: [number, number, number][] = [
    [1, 1, 1],
    [3, 3, 5],
    [4, 63, 65],
    [2, 64, 64],
    [2, 1, FROBENIUS_BLOCK - 1],
    [2, 1, FROBENIUS_BLOCK + 1],
    [5, 130, 130],
    [3, 257, 257],
    [3, 784, 784],
  ];
  for (const [count, rows, cols] of cases) {
    it(`all pairs of ${count} matrices of ${rows} x ${cols}`, async () => {
      const ctx = get();
      const len = rows * cols;
      const seed = count * 7919 + rows * 31 + cols;
      // Offset data (mean 3) so norms and products are far from zero, plus one near-orthogonal pair.
      const a = Float32Array.from(randn(count * len, seed), (v, i) => v + (i % 3 === 0 ? 3 : 0));
      const t = createTensor(ctx, [count, rows, cols], { data: a });
      try {
        const pairs = allPairs(count);
        const got = await frobeniusPairs(ctx, t, count, rows, cols, pairs);
        check(got, a, a, len, pairs, seed);
      } finally {
        disposeTensor(t);
      }
    });
  }

  it('pairs across two stacks, repeated and reversed pairs', async () => {
    const ctx = get();
    const [rows, cols, ca, cb] = [37, 41, 3, 4];
    const len = rows * cols;
    const a = Float32Array.from(randn(ca * len, 11));
    const b = Float32Array.from(randn(cb * len, 12), (v) => 1e3 * v);
    const ta = createTensor(ctx, [ca, rows, cols], { data: a });
    const tb = createTensor(ctx, [cb, rows, cols], { data: b });
    try {
      const pairs: [number, number][] = [
        [0, 3],
        [2, 0],
        [1, 1],
        [0, 3],
        [2, 2],
      ];
      const got = await frobeniusPairs(ctx, ta, ca, rows, cols, pairs, { other: tb });
      check(got, a, b, len, pairs, 11);
    } finally {
      disposeTensor(ta);
      disposeTensor(tb);
    }
  });

  it('compensation: a long sum of a large value and many small ones is kept to f32-product accuracy', async () => {
    const ctx = get();
    // ||x||^2 with x = 4096 at the first element of every 4096-element block and sqrt(1/2) elsewhere:
    // the invocation that adds 2^24 then meets 31 products of 1/2, each below half an ulp of 2^24, so
    // a plain f32 sum drops 15.5 per block (9e-7 relative, 8x the tolerance); compensation keeps them.
    const len = 784 * 784;
    const x = new Float32Array(len).fill(Math.SQRT1_2);
    for (let e = 0; e < len; e += 4096) x[e] = 4096;
    const t = createTensor(ctx, [1, 784, 784], { data: x });
    try {
      const [got] = await frobeniusPairs(ctx, t, 1, 784, 784, [[0, 0]]);
      const { value } = frobeniusRef(x, x, len, [[0, 0]]);
      expectClose([got!], [value[0]!], { atol: 0, rtol: 2 * U, label: 'mixed-scale norm' });
    } finally {
      disposeTensor(t);
    }
  });

  it('465 pairs of 30 matrices of 784 x 784 in one dispatch (70,215 workgroups > 65,535)', async () => {
    const ctx = get();
    const [count, d] = [30, 784];
    const len = d * d;
    const pairs = allPairs(count);
    expect(pairs.length * Math.ceil(len / FROBENIUS_BLOCK)).toBeGreaterThan(65_535);
    const a = new Float32Array(count * len);
    const g = randn(len, 5);
    for (let m = 0; m < count; m++) for (let e = 0; e < len; e++) a[m * len + e] = g[(e * (m + 1)) % len]! + 0.1 * m;
    const t = createTensor(ctx, [count, d, d], { data: a });
    try {
      const got = await frobeniusPairs(ctx, t, count, d, d, pairs);
      check(got, a, a, len, pairs, 5);
    } finally {
      disposeTensor(t);
    }
  });

  it('encode variant: (hi, lo) pairs in a GPU tensor, hi the f32 rounding of hi + lo, reusable plan', async () => {
    const ctx = get();
    const [count, rows, cols] = [4, 50, 90];
    const len = rows * cols;
    const a = Float32Array.from(randn(count * len, 21), (v) => v + 0.5);
    const t = createTensor(ctx, [count, rows, cols], { data: a });
    const pairs: [number, number][] = [
      [0, 1],
      [3, 3],
      [2, 1],
    ];
    const plan = await prepareFrobenius(ctx, t, count, rows, cols, pairs);
    const out = createTensor(ctx, [pairs.length, 2]);
    try {
      for (let rep = 0; rep < 2; rep++) {
        const batch = beginBatch(ctx, 'frobenius test');
        encodeFrobenius(batch, plan, out);
        submit(batch);
        const hl = await readback(ctx, out);
        const got = Float64Array.from(pairs, (_, p) => hl[2 * p]! + hl[2 * p + 1]!);
        check(got, a, a, len, pairs, 21);
        pairs.forEach((_, p) => expect(hl[2 * p]).toBe(Math.fround(hl[2 * p]! + hl[2 * p + 1]!)));
      }
    } finally {
      disposeFrobenius(plan);
      disposeTensor(out);
      disposeTensor(t);
    }
  });

  // frobenius_cross: the 9 products of two triples in one pass, at lengths around its block (64 * 64).
  for (const len of [1, 5, 4095, 4096, 4097, 784 * 784 + 3]) {
    it(`cross: the 9 products of two triples of ${len} elements, and of one triple with itself`, async () => {
      const ctx = get();
      const seed = len % 9973;
      const a = Float32Array.from(randn(3 * len, seed), (v, i) => v + (i % 5 === 0 ? 2 : 0));
      const b = Float32Array.from(randn(3 * len, seed + 1), (v, i) => v - (i % 7 === 0 ? 1 : 0));
      const mats = (x: Float32Array) =>
        [0, 1, 2].map((i) => createTensor(ctx, [len], { data: x.subarray(i * len, (i + 1) * len) })) as [
          Tensor,
          Tensor,
          Tensor,
        ];
      const P = mats(a);
      const Q = mats(b);
      const plan = await prepareFrobeniusCross(ctx, len);
      const outs = [createTensor(ctx, [9, 2]), createTensor(ctx, [9, 2])];
      try {
        // Two encodes sharing the plan's partial sums, in one batch.
        const batch = beginBatch(ctx, 'cross');
        encodeFrobeniusCross(batch, plan, P, Q, outs[0]!);
        encodeFrobeniusCross(batch, plan, P, P, outs[1]!);
        submit(batch);
        const pairs = [0, 1, 2].flatMap((i) => [0, 1, 2].map((j) => [i, j] as [number, number]));
        for (const [o, other] of [
          [outs[0]!, b],
          [outs[1]!, a],
        ] as const) {
          const hl = await readback(ctx, o);
          const got = Float64Array.from({ length: 9 }, (_, p) => hl[2 * p]! + hl[2 * p + 1]!);
          check(got, a, other, len, pairs, seed);
        }
      } finally {
        [...P, ...Q, ...outs, plan.partial].forEach(disposeTensor);
      }
    });
  }

  it('cross: compensation keeps a long mixed-scale sum to f32-product accuracy', async () => {
    const ctx = get();
    // As the frobenius case above, at the cross kernel's block (64 * 64 elements).
    const len = 784 * 784;
    const x = new Float32Array(len).fill(Math.SQRT1_2);
    for (let e = 0; e < len; e += 4096) x[e] = 4096;
    const t = createTensor(ctx, [len], { data: x });
    const plan = await prepareFrobeniusCross(ctx, len);
    const out = createTensor(ctx, [9, 2]);
    try {
      const batch = beginBatch(ctx, 'cross');
      encodeFrobeniusCross(batch, plan, [t, t, t], [t, t, t], out);
      submit(batch);
      const hl = await readback(ctx, out);
      const { value } = frobeniusRef(x, x, len, [[0, 0]]);
      for (let p = 0; p < 9; p++)
        expectClose([hl[2 * p]! + hl[2 * p + 1]!], [value[0]!], { atol: 0, rtol: 2 * U, label: `pair ${p}` });
    } finally {
      [t, out, plan.partial].forEach(disposeTensor);
    }
  });

  it('bad input names the argument', async () => {
    const ctx = get();
    const t = createTensor(ctx, [2, 3, 3], { data: new Float32Array(18).fill(1) });
    try {
      await expect(frobeniusPairs(ctx, t, 2, 3, 3, [[0, 2]])).rejects.toThrow(
        /pairs\[0\]\[1\] must be an integer in \[0, 1\], got 2/,
      );
      await expect(frobeniusPairs(ctx, t, 3, 3, 3, [[0, 0]])).rejects.toThrow(
        /holds 18 elements, fewer than 3 matrices of 9/,
      );
      await expect(frobeniusPairs(ctx, t, 2, 3, 3, [])).rejects.toThrow(/non-empty list/);
      await expect(frobeniusPairs(ctx, t, 2, 0, 3, [[0, 0]])).rejects.toThrow(/rows must be an integer/);
    } finally {
      disposeTensor(t);
    }
  });
});
