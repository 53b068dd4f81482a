// LS / ELS patch denoisers (src/models/patch-denoiser.ts) against the float64 reference at awkward image sizes,
// the full-coverage LS = empirical denoiser identity (float64 and the engine's GPU empirical denoiser), nearest
// neighbour as abar -> 1, the closed form of ELS with k = 1, class restriction, slab / row chunking, patch size
// rules, no recompiles in a loop, and bad input.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { createPatchDenoiser, type PatchDenoiser } from '../../src/models/patch-denoiser.js';
import { empiricalDenoiser, empiricalX0 } from '../../src/models/empirical-denoiser.js';
import { defaultPatchSize, fullPatchSize, type PatchMode } from '../../src/models/patch-layout.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import type { Context } from '../../src/runtime/context.js';
import { createTensor, disposeTensor, readback } from '../../src/runtime/tensor.js';
import { elsPixelTanh, empiricalDenoiserRef, patchDenoiserRef } from '../ref/patch-denoiser.js';
import { expectClose } from '../compare.js';
import { randn, rng } from '../random.js';

const schedule = makeSchedule('linear');
const abarOf = (step: number) => schedule.alphasCumprod[step - 1]!;

function uniformImages(count: number, d: number, seed: number): Float32Array {
  const u = rng(seed);
  return Float32Array.from({ length: count * d }, () => 2 * u() - 1);
}

/** x_t = sqrt(abar) y + sqrt(1 - abar) eps for fresh random images y. */
function noisy(n: number, d: number, step: number, seed: number): Float32Array {
  const y = uniformImages(n, d, seed);
  const e = randn(n * d, seed + 1);
  const a = abarOf(step);
  return Float32Array.from(y, (v, i) => Math.sqrt(a) * v + Math.sqrt(1 - a) * e[i]!);
}

async function predict(
  ctx: Context,
  d: PatchDenoiser,
  xt: Float32Array,
  n: number,
  step: number,
  classes: Int32Array | null,
  what: 'x0' | 'eps',
) {
  const x = createTensor(ctx, [n, d.dim], { data: xt });
  try {
    const out =
      what === 'x0' ? await d.predictX0(ctx, x, n, step, classes) : await d.predictEps(ctx, x, n, step, classes);
    try {
      return await readback(ctx, out);
    } finally {
      disposeTensor(out);
    }
  } finally {
    disposeTensor(x);
  }
}

// Tolerance: rounding in the f32 sum of k^2 C <= 75 squared differences grows like sqrt(k^2 C) 2^-24 (~5e-7
// relative), so a logit l = -d / (2 (1 - abar)) is off by ~5e-7 |l|; with pixels in [-1, 1] and these steps |l| <= ~150,
// i.e. ~8e-5. Weights w_u ∝ e^{l_u} then move by up to twice that relative, and x0_hat = sum w_u y_u (|y| <= 1) by
// <= ~1.6e-4. eps_hat = (x_t - a x0_hat) / sigma scales it by a / sigma <= 2 (step 150), so <= ~3.2e-4.
const X0_TOL = { atol: 3e-4, rtol: 0 };
const EPS_TOL = { atol: 5e-4, rtol: 1e-5 };

interface Case {
  mode: PatchMode;
  h: number;
  w: number;
  c: number;
  k: number;
  m: number;
  n: number;
  step: number;
}
const CASES: Case[] = [
  { mode: 'ls', h: 5, w: 7, c: 1, k: 3, m: 9, n: 3, step: 200 },
  { mode: 'ls', h: 8, w: 5, c: 3, k: 5, m: 7, n: 2, step: 300 },
  { mode: 'ls', h: 7, w: 7, c: 3, k: 1, m: 11, n: 2, step: 150 },
  { mode: 'ls', h: 8, w: 8, c: 1, k: 5, m: 70, n: 2, step: 400 },
  { mode: 'els', h: 5, w: 7, c: 3, k: 3, m: 4, n: 2, step: 300 },
  { mode: 'els', h: 7, w: 8, c: 1, k: 5, m: 3, n: 2, step: 200 },
  { mode: 'els', h: 8, w: 8, c: 3, k: 1, m: 3, n: 2, step: 150 },
  { mode: 'els', h: 5, w: 5, c: 1, k: 5, m: 5, n: 3, step: 500 },
  // Nearly pure noise: weights close to uniform, x0_hat near the mean centre pixel.
  { mode: 'ls', h: 7, w: 5, c: 3, k: 3, m: 6, n: 2, step: 1000 },
  { mode: 'els', h: 5, w: 8, c: 1, k: 3, m: 3, n: 2, step: 1000 },
];

describeGpu('patch denoiser', (get) => {
  for (const cs of CASES) {
    it(`${cs.mode} ${cs.h}x${cs.w}x${cs.c}, k = ${cs.k}, M = ${cs.m}: x0_hat and eps_hat match float64`, async () => {
      const ctx = get();
      const D = cs.h * cs.w * cs.c;
      const seed = cs.h * 1000 + cs.w * 100 + cs.c * 10 + cs.k;
      const train = uniformImages(cs.m, D, seed);
      const d = await createPatchDenoiser(
        ctx,
        { x: train, shape: [cs.m, D], imageShape: [cs.h, cs.w, cs.c] },
        { mode: cs.mode, schedule, patchSize: cs.k },
      );
      try {
        const xt = noisy(cs.n, D, cs.step, seed + 7);
        const ref = patchDenoiserRef({
          mode: cs.mode,
          train: { data: train, count: cs.m, h: cs.h, w: cs.w, c: cs.c },
          xt,
          n: cs.n,
          abar: abarOf(cs.step),
          k: cs.k,
        });
        expectClose(await predict(ctx, d, xt, cs.n, cs.step, null, 'x0'), ref.x0, { ...X0_TOL, seed, label: 'x0_hat' });
        expectClose(await predict(ctx, d, xt, cs.n, cs.step, null, 'eps'), ref.eps, {
          ...EPS_TOL,
          seed,
          label: 'eps_hat',
        });
      } finally {
        d.dispose();
      }
    });
  }

  // Centred zero-padded patches cover the whole image from every pixel iff k >= 2 max(H, W) - 1; then each LS
  // patch is the whole image plus zeros in both x_t and y, the distance is ||x_t - sqrt(abar) y||^2 and LS is the
  // ideal empirical denoiser. A larger k (99) adds only zero entries.
  const FULL: [number, number, number, number][] = [
    [5, 7, 3, 200],
    [8, 8, 1, 400],
    [7, 5, 1, 100],
  ];
  for (const [h, w, c, step] of FULL) {
    it(`LS with k >= 2 max(H, W) - 1 is the empirical denoiser (${h}x${w}x${c}, step ${step})`, async () => {
      const ctx = get();
      const D = h * w * c;
      const M = 12;
      const n = 3;
      const seed = 40 + h * w * c;
      const train = uniformImages(M, D, seed);
      const xt = noisy(n, D, step, seed + 1);
      const ref = empiricalDenoiserRef(train, M, D, xt, n, abarOf(step));
      expect(fullPatchSize(h, w)).toBe(2 * Math.max(h, w) - 1);
      for (const k of [fullPatchSize(h, w), 99]) {
        const d = await createPatchDenoiser(
          ctx,
          { x: train, shape: [M, D], imageShape: [h, w, c] },
          { mode: 'ls', schedule, patchSize: k },
        );
        try {
          expect(d.patchSize(step)).toBe(fullPatchSize(h, w));
          // Tolerance: as X0_TOL; the distance now sums H W C <= 105 terms, the same order as k^2 C above.
          expectClose(await predict(ctx, d, xt, n, step, null, 'x0'), ref, {
            ...X0_TOL,
            seed,
            label: `LS k = ${k} vs empirical`,
          });
        } finally {
          d.dispose();
        }
      }
      // The engine's GPU empirical denoiser agrees too (GEMM logits in the expanded form: both sit within X0_TOL of
      // float64 here, so within twice that of each other).
      const emp = empiricalDenoiser(ctx, train, [M, D], schedule, { imageShape: [h, w, c] });
      const full = await createPatchDenoiser(
        ctx,
        { x: train, shape: [M, D], imageShape: [h, w, c] },
        { mode: 'ls', schedule, patchSize: fullPatchSize(h, w) },
      );
      const xtT = createTensor(ctx, [n, D], { data: xt });
      try {
        const e = await empiricalX0(ctx, emp, xtT, n, step, null);
        const ours = await full.predictX0(ctx, xtT, n, step, null);
        const [eh, oh] = [await readback(ctx, e), await readback(ctx, ours)];
        disposeTensor(e);
        disposeTensor(ours);
        expectClose(oh, eh, {
          atol: 2 * X0_TOL.atol,
          rtol: 0,
          seed,
          label: 'LS full coverage vs GPU empirical denoiser',
        });
      } finally {
        disposeTensor(xtT);
        emp.dispose();
        full.dispose();
      }
      // One pixel short of full coverage differs: a corner patch misses the far corner.
      const short = await createPatchDenoiser(
        ctx,
        { x: train, shape: [M, D], imageShape: [h, w, c] },
        { mode: 'ls', schedule, patchSize: fullPatchSize(h, w) - 2 },
      );
      try {
        const got = await predict(ctx, short, xt, n, step, null, 'x0');
        expect(Math.max(...got.map((v, i) => Math.abs(v - ref[i]!)))).toBeGreaterThan(1e-3);
      } finally {
        short.dispose();
      }
    });
  }

  it('abar -> 1: the nearest patch, from the noised training image itself, takes all the weight (LS and ELS)', async () => {
    const ctx = get();
    const [h, w, c, M] = [6, 5, 3, 8];
    const D = h * w * c;
    const train = uniformImages(M, D, 31);
    const step = 1;
    const a = Math.sqrt(abarOf(step));
    const e = randn(2 * D, 32);
    // x_t from training images 3 and 6: noise sigma = 0.01, while other patches differ by O(1) per pixel, so logit
    // gaps are ~1e3 or more and the weights are one-hot in f32.
    const xt = Float32Array.from({ length: 2 * D }, (_, i) => a * train[(i < D ? 3 : 6) * D + (i % D)]! + 0.01 * e[i]!);
    const want = Float32Array.from({ length: 2 * D }, (_, i) => train[(i < D ? 3 : 6) * D + (i % D)]!);
    for (const mode of ['ls', 'els'] as const) {
      const d = await createPatchDenoiser(
        ctx,
        { x: train, shape: [M, D], imageShape: [h, w, c] },
        { mode, schedule, patchSize: 3 },
      );
      try {
        expectClose(await predict(ctx, d, xt, 2, step, null, 'x0'), want, {
          atol: 0,
          rtol: 0,
          label: `${mode} nearest neighbour`,
        });
      } finally {
        d.dispose();
      }
    }
  });

  it('ELS with k = 1 is a per-pixel mixture over all pixel values: tanh closed form for +-1 pixels', async () => {
    const ctx = get();
    const [h, w, M] = [7, 5, 6];
    const D = h * w;
    const u = rng(77);
    // About 30% of the pixels +1: nPlus / nMinus enters as a bias log(nPlus / nMinus) / 2.
    const train = Float32Array.from({ length: M * D }, () => (u() < 0.3 ? 1 : -1));
    const nPlus = train.filter((v) => v > 0).length;
    const nMinus = M * D - nPlus;
    const d = await createPatchDenoiser(
      ctx,
      { x: train, shape: [M, D], imageShape: [h, w] },
      { mode: 'els', schedule, patchSize: 1 },
    );
    try {
      const n = 2;
      const xt = Float32Array.from({ length: n * D }, (_, i) => -2.5 + (5 * i) / (n * D - 1));
      for (const step of [50, 300, 700]) {
        const want = Float64Array.from(xt, (x) => elsPixelTanh(x, abarOf(step), nPlus, nMinus));
        // Tolerance: one-term distances (x - a v)^2 with |logit| <= (2.5 + 1)^2 / (2 (1 - abar)) <= 63 at step 50:
        // f32 logits are off by ~63 * 2^-23 = 7.5e-6, so weights and x0 in [-1, 1] by about 1e-5.
        expectClose(await predict(ctx, d, xt, n, step, null, 'x0'), want, {
          atol: 2e-5,
          rtol: 0,
          label: `tanh at step ${step}`,
        });
      }
    } finally {
      d.dispose();
    }
  });

  // Binding limit shrunk for the second case so that training images split into several slabs and query rows into
  // chunks whose class groups cross chunk borders; rows run in class order and come back in the caller's order.
  const CLASS_CASES: { mode: PatchMode; binding: number | null }[] = [
    { mode: 'ls', binding: null },
    { mode: 'els', binding: null },
    { mode: 'ls', binding: 20_000 },
    { mode: 'els', binding: 20_000 },
  ];
  for (const { mode, binding } of CLASS_CASES) {
    it(`${mode}: a class label restricts the patches to that class${binding ? ' (slabs and row chunks)' : ''}`, async () => {
      const ctx = get();
      const [h, w, c, k, step] = [5, 7, 1, 3, 250];
      const D = h * w * c;
      const M = 100;
      const seed = 500 + (binding ? 1 : 0) + (mode === 'els' ? 2 : 0);
      const train = uniformImages(M, D, seed);
      const labels = Int32Array.from({ length: M }, (_, i) => (i * 7) % 3);
      const classes = Int32Array.from([2, -1, 0, 2, 1, 0, -1, 0]);
      const n = classes.length;
      const saved = ctx.limits.maxStorageBufferBindingSize;
      if (binding) ctx.limits.maxStorageBufferBindingSize = binding;
      let d: PatchDenoiser;
      try {
        d = await createPatchDenoiser(
          ctx,
          { x: train, shape: [M, D], imageShape: [h, w, c], labels, classes: 3 },
          { mode, schedule, patchSize: k },
        );
      } finally {
        ctx.limits.maxStorageBufferBindingSize = saved;
      }
      try {
        expect(d.numClasses).toBe(3);
        const xt = noisy(n, D, step, seed + 1);
        const allowed = (row: number) =>
          [...Array(M).keys()].filter((i) => classes[row] === -1 || labels[i] === classes[row]);
        const ref = patchDenoiserRef({
          mode,
          train: { data: train, count: M, h, w, c },
          allowed,
          xt,
          n,
          abar: abarOf(step),
          k,
        });
        expectClose(await predict(ctx, d, xt, n, step, classes, 'eps'), ref.eps, {
          ...EPS_TOL,
          seed,
          label: 'class-restricted eps_hat',
        });
      } finally {
        d.dispose();
      }
    });
  }

  it('patch size per step from an array or a callback; the default grows with the noise level', async () => {
    const ctx = get();
    const [h, w, c] = [8, 7, 1];
    const D = h * w * c;
    const M = 5;
    const train = uniformImages(M, D, 9);
    const ks = Array.from({ length: schedule.T }, (_, i) => (i < 300 ? 1 : i < 600 ? 3 : 5));
    const byArray = await createPatchDenoiser(
      ctx,
      { x: train, shape: [M, D], imageShape: [h, w, c] },
      { mode: 'els', schedule, patchSize: ks },
    );
    const byFn = await createPatchDenoiser(
      ctx,
      { x: train, shape: [M, D], imageShape: [h, w, c] },
      { mode: 'ls', schedule, patchSize: (step) => (step <= 300 ? 1 : 5) },
    );
    const byDefault = await createPatchDenoiser(
      ctx,
      { x: train, shape: [M, D], imageShape: [h, w, c] },
      { mode: 'ls', schedule },
    );
    try {
      expect([1, 300, 301, 600, 601, 1000].map((t) => byArray.patchSize(t))).toEqual([1, 1, 3, 3, 5, 5]);
      expect([300, 301].map((t) => byFn.patchSize(t))).toEqual([1, 5]);
      const sizes = [1, 100, 300, 600, 1000].map((t) => byDefault.patchSize(t));
      expect(sizes).toEqual([1, 100, 300, 600, 1000].map((t) => defaultPatchSize(h, w, abarOf(t))));
      expect(sizes[0]).toBe(3);
      expect(sizes[4]).toBeGreaterThanOrEqual(7);
      for (let i = 1; i < sizes.length; i++) expect(sizes[i]!).toBeGreaterThanOrEqual(sizes[i - 1]!);
      // Steps with different k in turn (the padded training copy is rebuilt for each k) match the reference.
      const n = 2;
      for (const step of [250, 450, 800, 450]) {
        const xt = noisy(n, D, step, step);
        const ref = patchDenoiserRef({
          mode: 'els',
          train: { data: train, count: M, h, w, c },
          xt,
          n,
          abar: abarOf(step),
          k: ks[step - 1]!,
        });
        expectClose(await predict(ctx, byArray, xt, n, step, null, 'x0'), ref.x0, { ...X0_TOL, label: `step ${step}` });
      }
    } finally {
      for (const d of [byArray, byFn, byDefault]) d.dispose();
    }
  });

  it('compiles nothing new in a steady-state loop', async () => {
    const ctx = get();
    const [h, w, c] = [5, 5, 3];
    const D = h * w * c;
    const d = await createPatchDenoiser(
      ctx,
      { x: uniformImages(4, D, 3), shape: [4, D], imageShape: [h, w, c] },
      { mode: 'els', schedule, patchSize: 3 },
    );
    try {
      const xt = noisy(2, D, 100, 4);
      await predict(ctx, d, xt, 2, 100, null, 'eps');
      const before = ctx.compiles;
      for (const step of [200, 300, 400]) await predict(ctx, d, xt, 2, step, null, 'eps');
      expect(ctx.compiles).toBe(before);
    } finally {
      d.dispose();
    }
  });

  it('refuses bad input with errors that name the problem', async () => {
    const ctx = get();
    const x = uniformImages(4, 12, 1);
    const base = { x, shape: [4, 12] as [number, number] };
    const opts = { mode: 'ls' as const, schedule, patchSize: 3 };
    await expect(createPatchDenoiser(ctx, { ...base, imageShape: null }, opts)).rejects.toThrow(
      /image shape \[H, W\] or \[H, W, C\] is needed/,
    );
    await expect(createPatchDenoiser(ctx, { ...base, imageShape: [3, 5] }, opts)).rejects.toThrow(
      /holds 15 values but rows have 12/,
    );
    await expect(createPatchDenoiser(ctx, { ...base, imageShape: [3, 4] }, { ...opts, patchSize: 4 })).rejects.toThrow(
      /odd integer >= 1, got 4/,
    );
    await expect(
      createPatchDenoiser(ctx, { ...base, imageShape: [3, 4] }, { ...opts, patchSize: (t) => (t > 500 ? 2 : 3) }),
    ).resolves.toBeDefined();
    await expect(
      createPatchDenoiser(ctx, { ...base, imageShape: [3, 4] }, { ...opts, patchSize: [3, 5] }),
    ).rejects.toThrow(/2 entries; expected one per step \(T = 1000\)/);
    await expect(
      createPatchDenoiser(ctx, { ...base, imageShape: [3, 4] }, { ...opts, mode: 'gls' as PatchMode }),
    ).rejects.toThrow(/unknown mode 'gls'; valid modes: ls, els/);
    await expect(
      createPatchDenoiser(ctx, { ...base, imageShape: [3, 4], labels: [0, 1, 5, 0], classes: 3 }, opts),
    ).rejects.toThrow(/label 5 of image 2 is outside 0..2/);
    const d = await createPatchDenoiser(
      ctx,
      { ...base, imageShape: [3, 4], labels: [0, 1, 0, 1], classes: 3 },
      { ...opts, patchSize: (t) => (t > 500 ? 2 : 3) },
    );
    const xt = createTensor(ctx, [2, 12], { data: uniformImages(2, 12, 2) });
    try {
      await expect(d.predictEps(ctx, xt, 2, 600, null)).rejects.toThrow(
        /patch size at step 600 must be an odd integer >= 1, got 2/,
      );
      await expect(d.predictEps(ctx, xt, 2, 100, Int32Array.from([0, 3]))).rejects.toThrow(
        /class label 3 at row 1 is outside the model's classes; valid: 0..2 or -1/,
      );
      await expect(d.predictEps(ctx, xt, 2, 100, Int32Array.from([2, 0]))).rejects.toThrow(
        /class 2 \(row 0\) has no training images/,
      );
      await expect(d.predictEps(ctx, xt, 3, 100, null)).rejects.toThrow(
        /x_t is f32 of shape \[2,12\], expected f32 \(N, D\) with N >= n = 3 and D = 12/,
      );
      await expect(d.predictEps(ctx, xt, 2, 0, null)).rejects.toThrow(/step must be an integer in \[1, 1000\], got 0/);
      d.dispose();
      await expect(d.predictEps(ctx, xt, 2, 100, null)).rejects.toThrow(/ls denoiser: it was disposed/);
    } finally {
      disposeTensor(xt);
      d.dispose();
    }
  });
});
