// Gram path against the float64 reference: centred Gram and cross-Gram entries, the same non-zero
// spectrum as the D x D co-moment (checked through traces: tr G = tr C and ||G||_F = ||C||_F, the sums
// of the eigenvalues and of their squares), Frobenius products from cross-Grams, column streaming,
// and bad input.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { crossGram, frobeniusFromCrossGram, gram } from '../../src/kernels/gram.js';
import { moments } from '../../src/kernels/moments.js';
import { comomentRef, crossGramRef, frobeniusDot, trace } from '../ref/gram.js';
import { momentsRef, relFrobenius } from '../ref/moments.js';
import { expectClose } from '../compare.js';
import { randn } from '../random.js';

const sample = (n: number, D: number, seed: number, offset: number) =>
  Float32Array.from(randn(n * D, seed), (v, i) => offset + (i % D) / D + v * (1 + ((i * 7) % D) / D));
const frob = (m: ArrayLike<number>) => Math.sqrt(frobeniusDot(m, m));
const rel = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

// Entries of X~_1 X~_2^T are sums of D products of f32 shifted values (|y| ~ 1): rounding about
// eps * sqrt(D) * D <= 6e-8 * 16 * D for D <= 256, below 1e-5 * (largest diagonal ~ D).
const gramTol = (g: ArrayLike<number>) => ({ atol: 1e-5 * Math.max(...Array.from(g, Math.abs)), rtol: 1e-5 });

describeGpu('gram', (get) => {
  // [N, D, offset]: N < D (the path's purpose), N = 1, 2, D not a multiple of 4 or of the tile.
  const cases: [number, number, number][] = [
    [1, 3, 0],
    [2, 5, 0],
    [7, 13, 1000],
    [31, 67, 1000],
    [64, 100, 5],
    [65, 129, 1000],
    [40, 33, 0],
  ];
  for (const [n, D, offset] of cases) {
    it(`N ${n}, D ${D}, offset ${offset}: entries, mean, and the spectrum of the co-moment through traces`, async () => {
      const seed = n * 100 + D;
      const x = sample(n, D, seed, offset);
      const r = await gram(get(), x, [n, D]);
      const ref = crossGramRef(x, n, x, n, D);
      expect(r.count).toBe(n);
      expectClose(r.gram, ref, { ...gramTol(ref), label: 'gram', seed });
      expectClose(r.mean, momentsRef(x, n, D, 1)[0]!.meanX, {
        atol: 1e-6 * (1 + offset),
        rtol: 1e-6,
        label: 'mean',
        seed,
      });
      if (n < 2) return;
      const c = comomentRef(x, n, D);
      // tr G = sum of eigenvalues, ||G||_F^2 = sum of their squares: the same for G and C.
      expect(rel(trace(r.gram, n), trace(c, D))).toBeLessThan(1e-5);
      expect(rel(frob(r.gram), frob(c))).toBeLessThan(1e-5);
    });
  }

  it('Gram and GPU co-moment (moments()) share tr and ||.||_F; offset 1e3 stays accurate', async () => {
    const [n, D] = [50, 90];
    const x = sample(n, D, 3, 1000);
    const g = (await gram(get(), x, [n, D])).gram;
    const c = (await moments(get(), x, null, [n, D], { classes: 1, covariance: 'comoment' }))[0]!.cov!;
    const ref = crossGramRef(x, n, x, n, D);
    console.log(
      `gram offset 1e3: relative Frobenius error ${relFrobenius(g, ref).toExponential(2)}; tr ${rel(trace(g, n), trace(c, D)).toExponential(2)}, ||.||_F ${rel(frob(g), frob(c)).toExponential(2)} against moments()`,
    );
    expect(relFrobenius(g, ref)).toBeLessThan(1e-5);
    expect(rel(trace(g, n), trace(c, D))).toBeLessThan(1e-5);
    expect(rel(frob(g), frob(c))).toBeLessThan(1e-5);
  });

  it('cross-Gram entries, and <C_1, C_2>_F = ||X~_1 X~_2^T||_F^2 / (N_1 N_2) against the D x D product', async () => {
    for (const [n1, n2, D] of [
      [3, 5, 7],
      [20, 33, 65],
      [1, 4, 6],
    ] as const) {
      const seed = n1 + n2 + D;
      const x1 = sample(n1, D, seed, 1000);
      const x2 = Float32Array.from(sample(n2, D, seed + 1, 1000), (v, i) => v + 0.5 * Math.sin(i % D));
      const g = await crossGram(get(), x1, [n1, D], x2, [n2, D]);
      const ref = crossGramRef(x1, n1, x2, n2, D);
      expectClose(g, ref, { ...gramTol(ref), label: `cross-Gram ${n1} x ${n2}`, seed });
      if (n1 < 2) continue;
      // C_k = X~_k^T X~_k / N_k (population covariance, ddof = 0).
      const c1 = comomentRef(x1, n1, D).map((v) => v / n1);
      const c2 = comomentRef(x2, n2, D).map((v) => v / n2);
      expect(rel(frobeniusFromCrossGram(g, n1, n2), frobeniusDot(c1, c2))).toBeLessThan(1e-5);
    }
  });

  it('streaming the columns in blocks gives the same result as one pass', async () => {
    const [n, D] = [30, 101];
    const x = sample(n, D, 9, 1000);
    const y = sample(12, D, 10, 999);
    const whole = await gram(get(), x, [n, D]);
    const ref = crossGramRef(x, n, x, n, D);
    for (const chunkCols of [1, 7, 64]) {
      const part = await gram(get(), x, [n, D], { chunkCols });
      expectClose(part.gram, ref, { ...gramTol(ref), label: `gram, ${chunkCols} columns a block` });
      expectClose(part.mean, whole.mean, { atol: 1e-4, rtol: 1e-7, label: 'mean' });
      const cg = await crossGram(get(), x, [n, D], y, [12, D], { chunkCols });
      const cref = crossGramRef(x, n, y, 12, D);
      expectClose(cg, cref, { ...gramTol(cref), label: `cross-Gram, ${chunkCols} columns a block` });
    }
  });

  it('bad input: names the argument, the value and what is allowed', async () => {
    const x = new Float32Array(12).fill(2);
    const cases: [string, () => Promise<unknown>, RegExp][] = [
      [
        'NaN',
        () =>
          gram(
            get(),
            Float32Array.from(x, (v, i) => (i === 5 ? NaN : v)),
            [3, 4],
          ),
        /gram: x: non-finite value NaN at row 1, column 1/,
      ],
      [
        'Inf in x2',
        () => crossGram(get(), x, [3, 4], Float32Array.of(1, 2, 3, -Infinity), [1, 4]),
        /crossGram: x2: non-finite value -Infinity at row 0, column 3/,
      ],
      ['D mismatch', () => crossGram(get(), x, [3, 4], x, [4, 3]), /x1 has 4 columns and x2 has 3/],
      ['shape', () => gram(get(), x, [5, 4]), /gram: x: shape \[5, 4\] needs 20 values, got 12/],
      ['chunkCols', () => gram(get(), x, [3, 4], { chunkCols: 0 }), /chunkCols must be an integer in \[1, /],
      [
        'too large',
        () => gram(get(), new Float32Array(6000), [6000, 1]),
        /a 6000 x 6000 Gram matrix \(144000000 bytes\) exceeds one storage binding/,
      ],
    ];
    for (const [name, f, re] of cases) await expect(f(), name).rejects.toThrow(re);
  });
});
