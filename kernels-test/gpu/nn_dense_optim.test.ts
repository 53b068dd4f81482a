// nn_dense optimiser kernels against the float64 references: sums of squares into slots, the GPU clip
// scale and non-finite counter, AdamW (clip scale from a tensor or a number, skipped steps), EMA, fill
// (every dtype, 16.8 M elements), and one whole optimiser step encoded in a single batch.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import {
  CLIP_STATE_SIZE,
  encodeAdamW,
  encodeAdd,
  encodeClipScale,
  encodeEma,
  encodeFill,
  encodeSumSquares,
  nnDenseKernels,
  NN_SMALL_SUM,
} from '../../src/kernels/nn_dense.js';
import { beginBatch } from '../../src/runtime/dispatch.js';
import { readback, upload } from '../../src/runtime/tensor.js';
import { adamW, clipScale, ema, sumSquares } from '../ref/nn_dense.js';
import { expectClose, expectSameBits } from '../compare.js';
import { randn } from '../random.js';
import { encodeRun, f32, reductionBound, tensorPool, U } from './nn_dense_harness.js';

const HP = { lr: 0.05, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.1 };
const maxAbs = (a: ArrayLike<number>) => Array.from(a).reduce((m, v) => Math.max(m, Math.abs(v)), 0);

/**
 * AdamW per element: p (1 - lr wd) rounds twice and the final subtraction once (<= 3 ulp of |p|); the
 * update u = step_size m / (sqrt(v) c + eps) passes through ~12 roundings (moments 3 each, sqrt, scale,
 * eps, division, step size) with sqrt within 2.5 ulp in WGSL: 16 ulp of max |u| covers it.
 */
function adamTol(p: ArrayLike<number>, next: ArrayLike<number>): number {
  const u = Math.max(...Array.from(next, (v, i) => Math.abs(v - p[i]!)));
  return 3 * U * Math.max(maxAbs(p), maxAbs(next)) + 16 * U * u;
}

describeGpu('nn_dense optimiser', (get) => {
  it('sums of squares into slots: direct (n <= 4096) and two-level, with offsets', async () => {
    const ctx = get();
    const sizes = [1, 7, 64, 65, NN_SMALL_SUM, NN_SMALL_SUM + 1, 65_537, 1_000_003];
    const p = tensorPool(ctx);
    try {
      const data = sizes.map((n, i) => f32(randn(n + 3, i).map((v) => v + (i % 2))));
      const out = p.f32(sizes.length);
      const ts = data.map((d) => p.f32(d));
      await encodeRun(ctx, (batch, k) =>
        sizes.forEach((n, i) => encodeSumSquares(batch, k, { x: ts[i]!, n, offset: 3, out, outIndex: i })),
      );
      const got = await readback(ctx, out);
      sizes.forEach((n, i) => {
        const ref = sumSquares(data[i]!.subarray(3));
        // Squares round once; the sum is the reduction's (direct for n <= NN_SMALL_SUM).
        expectClose([got[i]!], [ref], {
          atol: reductionBound(ref, n, 1, n <= NN_SMALL_SUM),
          rtol: 0,
          label: `n = ${n}`,
        });
      });
    } finally {
      p.dispose();
    }
  });

  it('clip scale from the slots: clipping, no clipping, Infinity, and the sticky non-finite count', async () => {
    const ctx = get();
    const p = tensorPool(ctx);
    try {
      const slots = [4, 9, 0.25, 3];
      const ts = p.f32(slots);
      const bad = p.f32([1, NaN, 2]);
      const inf = p.f32([1, Infinity]);
      const outs = [p.f32(CLIP_STATE_SIZE), p.f32(CLIP_STATE_SIZE), p.f32(CLIP_STATE_SIZE), p.f32([5, 5, 2])];
      await encodeRun(ctx, (batch, k) => {
        encodeClipScale(batch, k, { sumSquares: ts, count: 4, maxNorm: 1, out: outs[0]! });
        encodeClipScale(batch, k, { sumSquares: ts, count: 3, maxNorm: 100, out: outs[1]! });
        encodeClipScale(batch, k, { sumSquares: ts, count: 4, maxNorm: Infinity, out: outs[2]! });
        encodeClipScale(batch, k, { sumSquares: bad, count: 3, maxNorm: 1, out: outs[3]! });
        encodeClipScale(batch, k, { sumSquares: inf, count: 2, maxNorm: 1, out: outs[3]! });
        encodeClipScale(batch, k, { sumSquares: bad, count: 1, maxNorm: 0.5, out: outs[3]! });
      });
      // A sum of <= 4 slots, a sqrt and a division: within 8 ulp.
      const tol = { atol: 0, rtol: 8 * U };
      const [s0, n0] = clipScale(slots, 1);
      expectClose(await readback(ctx, outs[0]!), [s0, n0, 0], { ...tol, label: 'clipped' });
      expectClose(await readback(ctx, outs[1]!), [1, clipScale(slots.slice(0, 3), 100)[1], 0], {
        ...tol,
        label: 'not clipped',
      });
      expectClose(await readback(ctx, outs[2]!), [1, n0, 0], { ...tol, label: 'maxNorm = Infinity' });
      // Two non-finite norms add 2 to the count of 2; the last (finite) call leaves the count alone.
      expectClose(await readback(ctx, outs[3]!), [0.5 / (1 + 1e-6), 1, 4], { ...tol, label: 'non-finite count' });
    } finally {
      p.dispose();
    }
  });

  for (const n of [1, 7, 255, 257, 4099]) {
    it(`AdamW steps on ${n} weights: clip scale from a tensor and as a number, with an offset`, async () => {
      const ctx = get();
      const off = 5;
      const p = tensorPool(ctx);
      try {
        let state = {
          param: randn(n, n),
          m: randn(n, n + 1).map((v) => 0.1 * v),
          v: randn(n, n + 2).map((v) => 0.01 * v * v),
        };
        const pad = (a: ArrayLike<number>) => f32([...new Array(off).fill(9), ...Array.from(a)]);
        const [tp, tm, tv, tg, clip] = [
          p.f32(pad(state.param)),
          p.f32(pad(state.m)),
          p.f32(pad(state.v)),
          p.f32(pad(new Array(n).fill(0))),
          p.f32([0.5, 0.25]),
        ];
        for (let step = 1; step <= 3; step++) {
          const grad = f32(randn(n, 100 * step + n));
          const clipScale = step === 2 ? 0.75 : clip;
          const scale = step === 2 ? 0.75 : step === 1 ? 0.5 : 0.25;
          upload(ctx, tg, grad, off);
          await encodeRun(ctx, (batch, k) => {
            encodeAdamW(batch, k, {
              param: tp,
              grad: tg,
              m: tm,
              v: tv,
              n,
              offset: off,
              ...HP,
              step,
              clipScale,
              clipIndex: step === 3 ? 1 : 0,
            });
          });
          const next = adamW(
            { param: Float64Array.from(state.param), m: Float64Array.from(state.m), v: Float64Array.from(state.v) },
            grad,
            { ...HP, step, scale },
          );
          const [gp, gm, gv] = [await readback(ctx, tp), await readback(ctx, tm), await readback(ctx, tv)];
          for (const g of [gp, gm, gv]) expect(Array.from(g.subarray(0, off))).toEqual(new Array(off).fill(9));
          expectClose(gp.subarray(off), next.param, {
            atol: adamTol(state.param, next.param),
            rtol: 0,
            label: `param, step ${step}`,
          });
          // m and v: two products and a sum (which may cancel), plus the f32 rounding of b (<= 1 ulp of
          // b m): 4 ulp of the larger term; g s and g^2 add 2 more ulp to v's second term.
          const terms = (b: number, old: ArrayLike<number>, add: (i: number) => number) =>
            Math.max(...Array.from(old, (o, i) => Math.abs(b * o) + Math.abs((1 - b) * add(i))));
          const mTol = 4 * U * terms(HP.beta1, state.m, (i) => scale * grad[i]!);
          const vTol = 6 * U * terms(HP.beta2, state.v, (i) => (scale * grad[i]!) ** 2);
          expectClose(gm.subarray(off), next.m, { atol: mTol, rtol: 0, label: `m, step ${step}` });
          expectClose(gv.subarray(off), next.v, { atol: vTol, rtol: 0, label: `v, step ${step}` });
          // Continue from the GPU's state, so each step is checked on its own.
          state = {
            param: Float64Array.from(gp.subarray(off)),
            m: Float64Array.from(gm.subarray(off)),
            v: Float64Array.from(gv.subarray(off)),
          };
        }
      } finally {
        p.dispose();
      }
    });
  }

  it('AdamW skips the step (same bits) when the scale is 0, NaN, negative or infinite', async () => {
    const ctx = get();
    const n = 300;
    const init = [f32(randn(n, 1)), f32(randn(n, 2)), f32(randn(n, 3).map((v) => v * v))];
    const p = tensorPool(ctx);
    try {
      const [tp, tm, tv, tg] = [p.f32(init[0]!), p.f32(init[1]!), p.f32(init[2]!), p.f32(randn(n, 4))];
      const clip = p.f32([0, NaN, -1, Infinity]);
      await encodeRun(ctx, (batch, k) => {
        for (let i = 0; i < 4; i++)
          encodeAdamW(batch, k, {
            param: tp,
            grad: tg,
            m: tm,
            v: tv,
            n,
            ...HP,
            step: 1,
            clipScale: clip,
            clipIndex: i,
          });
        encodeAdamW(batch, k, { param: tp, grad: tg, m: tm, v: tv, n, ...HP, step: 1, clipScale: 0 });
      });
      expectSameBits(await readback(ctx, tp), init[0]!, 'param');
      expectSameBits(await readback(ctx, tm), init[1]!, 'm');
      expectSameBits(await readback(ctx, tv), init[2]!, 'v');
    } finally {
      p.dispose();
    }
  });

  it('one optimiser step in one batch: zero grads, sums of squares, clip scale, AdamW and EMA per tensor', async () => {
    const ctx = get();
    const sizes = [3, 130 * 33, 65_537];
    const p = tensorPool(ctx);
    try {
      const params = sizes.map((n, i) => f32(randn(n, 10 + i)));
      const grads = sizes.map((n, i) => f32(randn(n, 20 + i).map((v) => 2 * v)));
      const emas = sizes.map((n, i) => f32(randn(n, 30 + i)));
      const [tp, tg, tm, tv, te] = [
        params.map((x) => p.f32(x)),
        sizes.map((n) => p.f32(n)),
        sizes.map((n) => p.f32(n)),
        sizes.map((n) => p.f32(n)),
        emas.map((x) => p.f32(x)),
      ];
      const src = grads.map((x) => p.f32(x));
      const [slots, clip] = [p.f32(sizes.length), p.f32(CLIP_STATE_SIZE)];
      const maxNorm = 10;
      await encodeRun(ctx, (batch, k) => {
        encodeFill(batch, k, { x: clip, n: CLIP_STATE_SIZE, value: 0 });
        sizes.forEach((n, i) => encodeFill(batch, k, { x: tg[i]!, n, value: 0 }));
        // The backward pass accumulates here: grads += g (add in place).
        sizes.forEach((n, i) => encodeAdd(batch, k, { a: tg[i]!, b: src[i]!, y: tg[i]!, n }));
        sizes.forEach((n, i) => encodeSumSquares(batch, k, { x: tg[i]!, n, out: slots, outIndex: i }));
        encodeClipScale(batch, k, { sumSquares: slots, count: sizes.length, maxNorm, out: clip });
        sizes.forEach((n, i) =>
          encodeAdamW(batch, k, {
            param: tp[i]!,
            grad: tg[i]!,
            m: tm[i]!,
            v: tv[i]!,
            n,
            ...HP,
            step: 1,
            clipScale: clip,
          }),
        );
        sizes.forEach((n, i) => encodeEma(batch, k, { ema: te[i]!, param: tp[i]!, n, decay: 0.99 }));
      });
      const [scale, norm, bad] = await readback(ctx, clip);
      const [refScale, refNorm] = clipScale(grads.map(sumSquares), maxNorm);
      // The norm's sum of squares is a reduction over 65,537 + ... values.
      expectClose([norm!], [refNorm], { atol: reductionBound(refNorm, 65_537, 1), rtol: 0, label: 'norm' });
      expectClose([scale!], [refScale], { atol: 0, rtol: 1e-5, label: 'scale' });
      expect(bad).toBe(0);
      for (let i = 0; i < sizes.length; i++) {
        const n = sizes[i]!;
        const next = adamW(
          { param: Float64Array.from(params[i]!), m: new Float64Array(n), v: new Float64Array(n) },
          grads[i]!,
          { ...HP, step: 1, scale: scale! },
        );
        const gp = await readback(ctx, tp[i]!);
        expectClose(gp, next.param, { atol: adamTol(params[i]!, next.param), rtol: 0, label: `param ${i}` });
        // EMA: a + w (p - a) rounds 3 times on values of size max(|a|, |p|).
        expectClose(await readback(ctx, te[i]!), ema(emas[i]!, gp, 0.99), {
          atol: 3 * U * Math.max(maxAbs(emas[i]!), maxAbs(gp)),
          rtol: 0,
          label: `ema ${i}`,
        });
      }
    } finally {
      p.dispose();
    }
  });

  it('fill: f32, i32 and u32 values with an offset, and 16.8 M elements (2^18 invocations of 64 each)', async () => {
    const ctx = get();
    const p = tensorPool(ctx);
    try {
      const [a, b, c] = [p.f32([1, 2, 3, 4, 5]), p.i32([1, 2, 3, 4, 5]), p.u32([1, 2, 3, 4, 5])];
      const big = 256 * 65_536 + 5;
      const tb = p.f32(big);
      await encodeRun(ctx, (batch, k) => {
        encodeFill(batch, k, { x: a, n: 3, offset: 1, value: -0.1 });
        encodeFill(batch, k, { x: b, n: 2, offset: 3, value: -7 });
        encodeFill(batch, k, { x: c, n: 5, value: 0xfffffffe });
        encodeFill(batch, k, { x: tb, n: big, value: 1.5 });
      });
      expectSameBits(await readback(ctx, a), f32([1, -0.1, -0.1, -0.1, 5]), 'f32');
      expect(Array.from(await readback(ctx, b))).toEqual([1, 2, 3, -7, -7]);
      expect(Array.from(await readback(ctx, c))).toEqual(new Array(5).fill(0xfffffffe));
      const got = await readback(ctx, tb);
      expect(got.every((v) => v === 1.5)).toBe(true);
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
      const [x, g, m, v] = [p.f32(8), p.f32(8), p.f32(8), p.f32(8)];
      const base = { param: x, grad: g, m, v, n: 8, ...HP, step: 1, clipScale: 1 };
      expect(() => encodeAdamW(batch, k, { ...base, step: 0 })).toThrow(/step must be an integer in \[1/);
      expect(() => encodeAdamW(batch, k, { ...base, beta2: 1 })).toThrow(/beta1 and beta2 must be below 1/);
      expect(() => encodeAdamW(batch, k, { ...base, m: x })).toThrow(/param and m must be different/);
      expect(() => encodeAdamW(batch, k, { ...base, offset: 1 })).toThrow(/param holds 8 elements, needs 9/);
      expect(() => encodeAdamW(batch, k, { ...base, clipScale: p.f32(1), clipIndex: 1 })).toThrow(
        /clipScale holds 1 elements, needs 2/,
      );
      expect(() => encodeClipScale(batch, k, { sumSquares: g, count: 8, maxNorm: 0, out: x })).toThrow(
        /maxNorm must be a finite number/,
      );
      expect(() => encodeClipScale(batch, k, { sumSquares: g, count: 8, maxNorm: 1, out: p.f32(2) })).toThrow(
        /out holds 2 elements, needs 3/,
      );
      expect(() => encodeSumSquares(batch, k, { x, n: 8, out: x, outIndex: 0 })).toThrow(/x and out must be different/);
      expect(() => encodeEma(batch, k, { ema: x, param: g, n: 8, decay: 1.5 })).toThrow(
        /decay must be a finite number in \[0, 1\]/,
      );
      expect(() => encodeFill(batch, k, { x: p.u32([1]), n: 1, value: -1 })).toThrow(
        /value must be a finite number in \[0, 4294967295\]/,
      );
      expect(() => encodeFill(batch, k, { x: p.i32([1]), n: 1, value: 0.5 })).toThrow(
        /value must be an integer for a i32 tensor/,
      );
    } finally {
      p.dispose();
    }
  });
});
