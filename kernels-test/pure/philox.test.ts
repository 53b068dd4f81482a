// RNG references without a GPU: Philox4x32-10 against the Random123 known-answer vectors, the float64
// Box-Muller mapping, the generated normal tables being current, and the KS helper.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { boxMuller64, philox4x32_10 } from '../ref/philox.js';
import { kolmogorovQ, ksNormal, normalCdf } from '../ref/stats.js';
import { NORMAL_TABLES_PATH, normalTables, normalTablesWgsl } from '../../scripts/gen-normal-tables.js';
import { randomWords, rng } from '../random.js';

type Quad = [number, number, number, number];

describe('philox4x32_10: Random123 known-answer vectors (kat_vectors, philox4x32 R=10)', () => {
  const cases: [string, Quad, [number, number], Quad][] = [
    ['zeros', [0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]],
    [
      'all ones',
      [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
      [0xffffffff, 0xffffffff],
      [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
    ],
    [
      'pi digits',
      [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
      [0xa4093822, 0x299f31d0],
      [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
    ],
  ];
  for (const [name, ctr, key, want] of cases) it(name, () => expect(philox4x32_10(ctr, key)).toEqual(want));

  it('consecutive counters give unrelated words (no word repeats over 4096 blocks)', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 4096; i++) for (const w of philox4x32_10([i, 0, 0, 0], [1, 2])) seen.add(w);
    expect(seen.size).toBe(4 * 4096);
  });
});

describe('boxMuller64: mapping of words to (U1, U2)', () => {
  const cases: [string, [number, number], [number, number]][] = [
    // U1 = (0 | 1) / 2^32, the largest radius sqrt(64 ln 2); U2 = 0 -> angle 0.
    ['a = 0, b = 0', [0, 0], [Math.sqrt(64 * Math.LN2), 0]],
    // a | 1 = 2^31 + 1, U1 = 1/2 + 2^-32; U2 = 1/4 -> angle pi/2: (r cos, r sin) = (~0, r).
    ['a = 2^31, b = 2^30', [0x80000000, 0x40000000], [0, Math.sqrt(-2 * Math.log(0.5 + 2 ** -32))]],
    // U1 = (2^32 - 1) / 2^32: r = sqrt(-2 ln(1 - 2^-32)) ~ 2^-15.5; U2 = 1/2 -> (-r, ~0).
    ['a = 0xffffffff, b = 2^31', [0xffffffff, 0x80000000], [-Math.sqrt(-2 * Math.log1p(-(2 ** -32))), 0]],
  ];
  for (const [name, words, want] of cases) {
    it(name, () => {
      const z = boxMuller64(words);
      expect(z[0]).toBeCloseTo(want[0], 12);
      expect(z[1]).toBeCloseTo(want[1], 12);
    });
  }
  it('rejects an odd number of words', () => expect(() => boxMuller64([1, 2, 3])).toThrow(/even number/));
});

describe('shaders/lib/normal_tables.wgsl', () => {
  it('matches what scripts/gen-normal-tables.ts generates (run it after changing the generator)', () => {
    expect(readFileSync(NORMAL_TABLES_PATH, 'utf8')).toBe(normalTablesWgsl());
  });
  it('entries satisfy r_j >= 1/c_j (so w >= 0) and -ln r_j in [0, ln 2)', () => {
    const t = normalTables();
    t.recipQ31.forEach((r, j) => {
      expect(r * (64 + j)).toBeGreaterThanOrEqual(2 ** 37);
      expect((r - 1) * (64 + j)).toBeLessThan(2 ** 37);
      expect(t.lnRecipQ32[j]! / 2 ** 32).toBeCloseTo(-Math.log(r / 2 ** 31), 9);
    });
    expect(t.lnRecipQ32[0]).toBe(0);
  });
});

describe('KS helper', () => {
  it('normalCdf matches tabulated values', () => {
    const cases: [number, number][] = [
      [0, 0.5],
      [1, 0.8413447460685429],
      [-1.959963984540054, 0.025],
      [3, 0.9986501019683699],
      [-6, 9.865876450376946e-10],
    ];
    for (const [z, p] of cases) expect(Math.abs(normalCdf(z) - p) / p).toBeLessThan(1e-12);
  });
  it('kolmogorovQ gives the textbook critical values (5%: 1.3581, 1%: 1.6276) and is continuous at 1.18', () => {
    expect(kolmogorovQ(1.3581)).toBeCloseTo(0.05, 4);
    expect(kolmogorovQ(1.6276)).toBeCloseTo(0.01, 4);
    expect(kolmogorovQ(1.18 - 1e-12)).toBeCloseTo(kolmogorovQ(1.18), 10);
  });
  const seed = 20251123;
  it(`float64 Box-Muller of uniform words passes (seed ${seed})`, () => {
    const z = boxMuller64(randomWords(200_000, seed));
    const { d, pValue } = ksNormal(z);
    expect(pValue, `d = ${d}, seed ${seed}`).toBeGreaterThan(1e-3);
  });
  it(`inverse-CDF samples of a uniform grid pass with d ~ 1/(2n)`, () => {
    const n = 10_000;
    // Bisection on normalCdf: the midpoint quantiles of an exactly uniform grid.
    const quantile = (p: number) => {
      let lo = -10;
      let hi = 10;
      for (let i = 0; i < 80; i++) {
        const mid = (lo + hi) / 2;
        if (normalCdf(mid) < p) lo = mid;
        else hi = mid;
      }
      return (lo + hi) / 2;
    };
    const z = Array.from({ length: n }, (_, i) => quantile((i + 0.5) / n));
    const { d, pValue } = ksNormal(z);
    expect(d).toBeCloseTo(0.5 / n, 8);
    expect(pValue).toBeGreaterThan(0.999);
  });
  it(`a sample shifted by 0.05 fails (seed ${seed})`, () => {
    const z = boxMuller64(randomWords(200_000, seed)).map((x) => x + 0.05);
    const { d, pValue } = ksNormal(z);
    expect(pValue, `d = ${d}, seed ${seed}`).toBeLessThan(1e-6);
  });
  it(`a uniform sample fails (seed ${seed})`, () => {
    const u = rng(seed);
    const { pValue } = ksNormal(Array.from({ length: 5000 }, () => 4 * u() - 2));
    expect(pValue).toBeLessThan(1e-6);
  });
});
