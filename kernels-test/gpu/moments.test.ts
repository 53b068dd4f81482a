// Segmented moments and cross-moments on the GPU against the float64 two-pass reference: awkward D,
// K = 1, classes of 0, 1 and 2 samples, many chunks, streamed == in-memory, shard merges, offset data,
// and bad input.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import {
  crossMoments,
  crossMomentState,
  mergeCrossMoments,
  mergeMoments,
  momentState,
  moments,
  finalizeMoments,
} from '../../src/kernels/moments.js';
import { momentsRef, relFrobenius, type RefClass } from '../ref/moments.js';
import { expectClose } from '../compare.js';
import { randn, rng } from '../random.js';

/** x (N, D) f32: class mean k + offset, column scales 1 + d/D; labels with class K - 1 given `lastCount` rows when set. */
function data(N: number, D: number, K: number, seed: number, offset = 0, lastCount?: number) {
  const u = rng(seed);
  const labels = Int32Array.from({ length: N }, (_, i) =>
    lastCount !== undefined ? (i < lastCount ? K - 1 : Math.floor(u() * Math.max(1, K - 1))) : Math.floor(u() * K),
  );
  const z = randn(N * D, seed);
  const x = Float32Array.from(z, (v, i) => offset + labels[Math.floor(i / D)]! + v * (1 + (i % D) / D));
  return { x, labels };
}

/** Largest |diagonal| of a (D, D) matrix: the scale of its entries. */
const diagScale = (m: ArrayLike<number>, D: number) =>
  Math.max(...Array.from({ length: D }, (_, i) => Math.abs(m[i * D + i]!)));

// Tolerance of a (cross) covariance from f32 SYRK sums of n shifted rows: each entry's rounding is
// about eps * sqrt(n) * (sum of |terms|) <= 6e-8 * sqrt(n) * n * scale; divided by n - 1 and with
// n <= 4096 this stays below 4e-6 * scale, so atol = 1e-5 * scale (scale = largest diagonal).
function expectMoments(
  got: { count: number; mean: Float64Array | undefined; cov: Float64Array | undefined }[],
  ref: RefClass[],
  D: number,
  what: string,
  seed: number,
) {
  expect(
    got.map((c) => c.count),
    `${what}: counts`,
  ).toEqual(ref.map((c) => c.count));
  ref.forEach((r, k) => {
    if (r.count < 2) return;
    const cov = r.comoment.map((v) => v / (r.count - 1));
    // Means: shift + (float64 sum of f32 block sums of <= 64 shifted values) / n, error ~ eps * |x|.
    expectClose(got[k]!.mean!, r.meanX, {
      atol: 1e-6 * (1 + Math.abs(r.meanX[0]!)),
      rtol: 1e-6,
      label: `${what}: mean ${k}`,
      seed,
    });
    expectClose(got[k]!.cov!, cov, {
      atol: 1e-5 * diagScale(cov, D),
      rtol: 1e-5,
      label: `${what}: covariance ${k}`,
      seed,
    });
  });
}

describeGpu('moments', (get) => {
  // [N, D, K, chunkRows, rows of class K - 1]: D = 1, 5, 13, 33, 67 (not multiples of 4 or of the
  // 32/64 tile), 64 and 65; K = 1; a class of exactly 2 samples; chunks of 1, 17 and 64 rows.
  const cases: [number, number, number, number | undefined, number | undefined][] = [
    [2, 1, 1, undefined, undefined],
    [7, 5, 1, undefined, undefined],
    [63, 13, 3, undefined, 2],
    [65, 64, 5, undefined, undefined],
    [130, 67, 2, undefined, undefined],
    [200, 33, 4, 17, 2],
    [300, 65, 3, 64, undefined],
    [9, 3, 2, 1, undefined],
    [1009, 7, 10, 128, undefined],
  ];
  for (const [N, D, K, chunkRows, last] of cases) {
    it(`N ${N}, D ${D}, K ${K}${chunkRows ? `, chunks of ${chunkRows}` : ''}${last ? `, class ${K - 1} of ${last}` : ''}`, async () => {
      const seed = N * 31 + D;
      const { x, labels } = data(N, D, K, seed, 3, last);
      const got = await moments(get(), x, labels, [N, D], { classes: K, chunkRows, covariance: 'covariance' });
      expectMoments(got, momentsRef(x, N, D, K, labels), D, `[${N}, ${D}] K ${K}`, seed);
    });
  }

  it('rows already in class order (no permutation) give the same moments as shuffled rows', async () => {
    const [N, D, K] = [300, 11, 4];
    const seed = 5;
    const { x, labels } = data(N, D, K, seed, 2);
    const order = Array.from({ length: N }, (_, i) => i).sort((a, b) => labels[a]! - labels[b]! || a - b);
    const xs = new Float32Array(N * D);
    order.forEach((r, i) => xs.set(x.subarray(r * D, (r + 1) * D), i * D));
    const ls = Int32Array.from(order, (r) => labels[r]!);
    for (const chunkRows of [undefined, 70]) {
      const got = await moments(get(), xs, ls, [N, D], { classes: K, chunkRows, covariance: 'covariance' });
      expectMoments(got, momentsRef(x, N, D, K, labels), D, `sorted, chunks ${chunkRows ?? 'one'}`, seed);
    }
  });

  it('offset data (mean 1e3, unit variance): covariance within 1e-3 relative Frobenius of float64', async () => {
    const [N, D, K] = [6000, 31, 3];
    const seed = 7;
    const { x, labels } = data(N, D, K, seed, 1000);
    const ref = momentsRef(x, N, D, K, labels);
    for (const chunkRows of [undefined, 700]) {
      const got = await moments(get(), x, labels, [N, D], { classes: K, chunkRows, covariance: 'population' });
      const errs = ref.map((r, k) =>
        relFrobenius(
          got[k]!.cov!,
          r.comoment.map((v) => v / r.count),
        ),
      );
      console.log(
        `moments offset 1e3, chunks ${chunkRows ?? 'one'}: relative Frobenius errors ${errs.map((e) => e.toExponential(2)).join(', ')}`,
      );
      for (const e of errs) expect(e).toBeLessThan(1e-3);
      // What is reached is far better than asked: f32 sums of centred values.
      for (const e of errs) expect(e).toBeLessThan(1e-5);
    }
  });

  it('N large enough for several chunks: streamed == in memory', async () => {
    const [N, D, K] = [20_000, 50, 4];
    const seed = 11;
    const { x, labels } = data(N, D, K, seed, 10);
    const whole = await moments(get(), x, labels, [N, D], { classes: K, covariance: 'comoment' });
    const streamed = await moments(get(), x, labels, [N, D], { classes: K, chunkRows: 4096, covariance: 'comoment' });
    expectMoments(
      whole.map((c) => ({ ...c, cov: c.cov!.map((v) => v / (c.count - 1)) })),
      momentsRef(x, N, D, K, labels),
      D,
      'whole',
      seed,
    );
    // Both are f32 sums of ~5000 shifted terms per class, rounded differently: same bound as above.
    whole.forEach((w, k) => {
      expectClose(streamed[k]!.mean!, w.mean!, { atol: 1e-5, rtol: 1e-6, label: `mean ${k}`, seed });
      expectClose(streamed[k]!.cov!, w.cov!, {
        atol: 1e-5 * diagScale(w.cov!, D),
        rtol: 1e-5,
        label: `comoment ${k}`,
        seed,
      });
    });
  });

  it('merge(shard A, shard B) == whole, and `state` continues a stream', async () => {
    const [N, D, K] = [400, 19, 3];
    const seed = 13;
    const { x, labels } = data(N, D, K, seed, 50);
    const cut = 150;
    const a = await momentState(get(), x.subarray(0, cut * D), labels.subarray(0, cut), [cut, D], { classes: K });
    const b = await momentState(get(), x.subarray(cut * D), labels.subarray(cut), [N - cut, D], {
      classes: K,
      chunkRows: 60,
    });
    const ref = momentsRef(x, N, D, K, labels);
    const toCov = (s: typeof a) => finalizeMoments(s, 'covariance');
    expectMoments(toCov(mergeMoments(a, b)), ref, D, 'merged', seed);
    expectMoments(toCov(mergeMoments(b, a)), ref, D, 'merged b, a', seed);
    const continued = await momentState(get(), x.subarray(cut * D), labels.subarray(cut), [N - cut, D], {
      classes: K,
      state: a,
    });
    expectMoments(toCov(continued), ref, D, 'continued', seed);
    expect(a.count.reduce((s, n) => s + n, 0)).toBe(cut); // the given state is not modified
  });

  it('classes of 0 and 1 samples: an Error naming the class, or undefined when allowSmall', async () => {
    const x = Float32Array.from({ length: 6 * 3 }, (_, i) => Math.sin(i));
    const labels = Int32Array.of(0, 0, 2, 0, 3, 3); // class 1 empty, class 2 has one sample
    const opts = { classes: 4, covariance: 'covariance' } as const;
    await expect(moments(get(), x, labels, [6, 3], opts)).rejects.toThrow(
      /class 1 has 0 samples; a covariance needs at least 2/,
    );
    const got = await moments(get(), x, labels, [6, 3], { ...opts, allowSmall: true });
    expect(got.map((c) => c.count)).toEqual([3, 0, 1, 2]);
    expect(got[1]!.mean).toBeUndefined();
    expect(got[1]!.cov).toBeUndefined();
    expect(got[2]!.cov).toBeUndefined();
    expectClose(got[2]!.mean!, x.subarray(6, 9), { label: 'one-sample mean' });
    expectMoments(
      got.filter((_, k) => k === 0 || k === 3),
      momentsRef(x, 6, 3, 4, labels).filter((_, k) => k === 0 || k === 3),
      3,
      'present',
      0,
    );
  });

  it('bad input: errors name the first bad row and column, label index and value, and the range', async () => {
    const x = new Float32Array(12).fill(1);
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      [
        'NaN',
        () =>
          moments(
            get(),
            Float32Array.from(x, (v, i) => (i === 7 ? NaN : v)),
            Int32Array.of(0, 0, 1, 1),
            [4, 3],
            { classes: 2, covariance: 'comoment' },
          ),
        /non-finite value NaN at row 2, column 1/,
      ],
      [
        'Inf',
        () =>
          crossMoments(
            get(),
            x,
            Float32Array.from(x, (v, i) => (i === 4 ? Infinity : v)),
            [4, 3],
            { covariance: 'comoment' },
          ),
        /crossMoments: y: non-finite value Infinity at row 1, column 1/,
      ],
      [
        'label out of range',
        () => moments(get(), x, Int32Array.of(0, 2, 1, 1), [4, 3], { classes: 2, covariance: 'comoment' }),
        /labels\[1\] = 2 is outside the allowed range \[0, 1\]/,
      ],
      [
        'labels of the wrong length',
        () => moments(get(), x, Uint32Array.of(0, 1, 1), [4, 3], { classes: 2, covariance: 'comoment' }),
        /labels has 3 entries, expected one per row \(N = 4\)/,
      ],
      [
        'unknown mode',
        () => moments(get(), x, null, [4, 3], { classes: 1, covariance: 'unbiased' as never }),
        /covariance 'unbiased' is not one of comoment, covariance, population/,
      ],
      [
        'state of another shape',
        () =>
          momentState(get(), x, null, [4, 3], {
            classes: 1,
            state: { classes: 1, dim: 2, count: [0], mean: [], m2: [] },
          }),
        /state has 1 classes x D 2, but the data has 1 classes x D 3/,
      ],
      [
        'D x D beyond one binding',
        () => moments(get(), new Float32Array(6000), null, [1, 6000], { classes: 1, covariance: 'comoment' }),
        /a 6000 x 6000 co-moment \(144000000 bytes\) exceeds one storage binding .* use gram\(\)/,
      ],
      [
        'chunkRows',
        () => moments(get(), x, null, [4, 3], { classes: 1, chunkRows: 0, covariance: 'comoment' }),
        /chunkRows must be an integer in \[1, /,
      ],
    ];
    for (const [name, f, re] of cases) await expect(f(), name).rejects.toThrow(re);
  });

  it('cross-moments against the reference, with and without labels, streamed and merged', async () => {
    const [N, D, K] = [500, 21, 3];
    const seed = 17;
    const { x, labels } = data(N, D, K, seed, 1000);
    const eps = Float32Array.from(randn(N * D, seed + 1), (v, i) => v + 0.3 * (x[i]! - 1000));
    for (const [lab, k] of [
      [null, 1],
      [labels, K],
    ] as const) {
      const ref = momentsRef(x, N, D, k, lab ?? undefined, eps);
      for (const chunkRows of [undefined, 97]) {
        const got = await crossMoments(get(), x, eps, [N, D], {
          classes: k,
          labels: lab,
          chunkRows,
          covariance: 'covariance',
        });
        ref.forEach((r, c) => {
          const cov = r.comoment.map((v) => v / (r.count - 1));
          const tag = `cross K ${k} chunks ${chunkRows ?? 'one'} class ${c}`;
          expectClose(got[c]!.meanX!, r.meanX, { atol: 1e-3, rtol: 1e-6, label: `${tag} meanX`, seed });
          expectClose(got[c]!.meanY!, r.meanY, { atol: 1e-6, rtol: 1e-6, label: `${tag} meanY`, seed });
          // Same derivation as expectMoments; the scale is sqrt(var x * var y) ~ the largest entry.
          expectClose(got[c]!.cov!, cov, {
            atol: 1e-5 * Math.max(...cov.map(Math.abs)),
            rtol: 1e-5,
            label: `${tag} cov`,
            seed,
          });
          expect(relFrobenius(got[c]!.cov!, cov)).toBeLessThan(1e-5);
        });
      }
    }
    const cut = 201;
    const a = await crossMomentState(get(), x.subarray(0, cut * D), eps.subarray(0, cut * D), [cut, D], {
      classes: K,
      labels: labels.subarray(0, cut),
    });
    const b = await crossMomentState(get(), x.subarray(cut * D), eps.subarray(cut * D), [N - cut, D], {
      classes: K,
      labels: labels.subarray(cut),
    });
    const m = mergeCrossMoments(a, b);
    momentsRef(x, N, D, K, labels, eps).forEach((r, c) =>
      expect(relFrobenius(m.cxy[c]!, r.comoment)).toBeLessThan(1e-5),
    );
  });

  it('all-steps shortcut: cov(sqrt(abar) x0 + sqrt(1 - abar) eps) = abar A + (1 - abar) B + sqrt(abar (1 - abar)) (X + X^T)', async () => {
    const [N, D] = [800, 23];
    const seed = 19;
    const { x } = data(N, D, 1, seed, 100);
    const eps = Float32Array.from(randn(N * D, seed + 1), (v, i) => v + 0.2 * (x[i]! - 100));
    const opts = { covariance: 'covariance' } as const;
    const A = (await moments(get(), x, null, [N, D], { classes: 1, ...opts }))[0]!.cov!;
    const B = (await moments(get(), eps, null, [N, D], { classes: 1, ...opts }))[0]!.cov!;
    const X = (await crossMoments(get(), x, eps, [N, D], opts))[0]!.cov!;
    for (const abar of [0.9, 0.3]) {
      const [a, b] = [Math.sqrt(abar), Math.sqrt(1 - abar)];
      const xi = Float32Array.from(x, (v, i) => a * v + b * eps[i]!);
      const direct = (await moments(get(), xi, null, [N, D], { classes: 1, ...opts }))[0]!.cov!;
      const shortcut = A.map(
        (v, i) => abar * v + (1 - abar) * B[i]! + a * b * (X[i]! + X[(i % D) * D + Math.floor(i / D)]!),
      );
      // x_i is rounded to f32 (relative 6e-8 of |x_i| ~ 100, i.e. ~6e-6 absolute against unit spread),
      // which moves its covariance by ~1e-5 relative; the three GPU matrices carry ~1e-6 each.
      console.log(`shortcut abar ${abar}: ${relFrobenius(shortcut, direct).toExponential(2)}`);
      expect(relFrobenius(shortcut, direct), `abar ${abar}`).toBeLessThan(3e-5);
    }
  });

  it('a steady-state loop compiles nothing new', async () => {
    const ctx = get();
    const { x, labels } = data(40, 6, 2, 1);
    await moments(ctx, x, labels, [40, 6], { classes: 2, covariance: 'comoment' });
    const before = ctx.compiles;
    for (let i = 0; i < 3; i++)
      await moments(ctx, x, labels, [40, 6], { classes: 2, chunkRows: 10 + i, covariance: 'comoment' });
    expect(ctx.compiles).toBe(before);
  });
});
