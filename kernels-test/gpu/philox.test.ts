// philox.wgsl: Random123 known-answer vectors, equality with the BigInt reference on random
// counters and keys, and the normals: accuracy against float64 Box-Muller, moments and a KS test.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { philox } from '../../src/kernels/philox.js';
import { boxMuller64, philox4x32_10 } from '../ref/philox.js';
import { ksNormal } from '../ref/stats.js';
import { expectSameBits } from '../compare.js';
import { randomWords } from '../random.js';

const KAT: [number[], [number, number], number[]][] = [
  [
    [0, 0, 0, 0],
    [0, 0],
    [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8],
  ],
  [
    [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff],
    [0xffffffff, 0xffffffff],
    [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd],
  ],
  [
    [0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344],
    [0xa4093822, 0x299f31d0],
    [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1],
  ],
];

describeGpu('philox', (get) => {
  for (const [ctr, key, want] of KAT) {
    it(`Random123 known answer for ctr ${ctr.map((w) => w.toString(16)).join(' ')}`, async () => {
      const got = await philox(get(), Uint32Array.from(ctr), { key });
      expect([...got]).toEqual(want);
    });
  }

  it('equals the BigInt reference on random counters and keys, 1 to 4.2 M blocks (> 65,535 workgroups)', async () => {
    for (const [count, seed] of [
      [1, 1],
      [63, 2],
      [64, 5],
      [65, 3],
      [70_001, 4],
      [65_535 * 64 + 13, 6],
    ] as const) {
      const ctr = randomWords(4 * count, seed);
      const [k0, k1] = randomWords(2, seed + 100);
      const got = await philox(get(), ctr, { key: [k0!, k1!] });
      const step = Math.max(1, Math.floor(count / 2000)); // the BigInt reference is slow: check a spread subset
      for (let i = 0; i < count; i += step) {
        const want = philox4x32_10([ctr[4 * i]!, ctr[4 * i + 1]!, ctr[4 * i + 2]!, ctr[4 * i + 3]!], [k0!, k1!]);
        if ([0, 1, 2, 3].some((j) => got[4 * i + j] !== want[j]))
          throw new Error(`block ${i} (seed ${seed}): got ${[...got.slice(4 * i, 4 * i + 4)]} want ${want}`);
      }
    }
  });

  it('seeds map to keys: seed s is key (s mod 2^32, floor(s / 2^32))', async () => {
    const ctr = randomWords(64, 9);
    const s = 2 ** 40 + 12345;
    expectSameBits(
      await philox(get(), ctr, { seed: s }),
      await philox(get(), ctr, { key: [12345, 256] }),
      'seed vs key',
    );
  });

  it('the transform is within 2e-7 max(1, |z|) of float64 Box-Muller, at edge words and random words', async () => {
    const edges = [
      0, 1, 2, 3, 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff, 0x40000000, 0xc0000000, 0x20000000,
      0xe0000000, 0x3fffffff, 0xbfffffff,
    ];
    const words: number[] = [];
    for (const a of edges) for (const b of edges) words.push(a, b, b, a);
    const all = Uint32Array.from([...words, ...randomWords(4 * 100_000, 17)]);
    const z = await philox(get(), all, { output: 'transform' });
    const ref = boxMuller64(all);
    let worst = 0;
    let at = 0;
    for (let i = 0; i < ref.length; i++) {
      const e = Math.abs(z[i]! - ref[i]!) / Math.max(1, Math.abs(ref[i]!));
      if (e > worst) [worst, at] = [e, i];
    }
    expect(worst, `worst at word pair ${all[at & ~1]}, ${all[at | 1]}: ${z[at]} vs ${ref[at]}`).toBeLessThan(2e-7);
  });

  it('normals from Philox words equal the transform of those words', async () => {
    const ctr = randomWords(4 * 4099, 23);
    const key: [number, number] = [3, 4];
    const words = await philox(get(), ctr, { key });
    expectSameBits(
      await philox(get(), ctr, { key, output: 'normal' }),
      await philox(get(), words, { output: 'transform' }),
      'normal vs transform(words)',
    );
  });

  it('the largest |z| over 1 M draws is in the tail a 32-bit uniform allows', async () => {
    const n = 1 << 18;
    const ctr = new Uint32Array(4 * n).map((_, i) => (i % 4 === 0 ? i >> 2 : 0));
    const z = await philox(get(), ctr, { seed: 1, output: 'normal' });
    const maxAbs = z.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
    expect(maxAbs).toBeGreaterThan(4);
    expect(maxAbs).toBeLessThan(6.67); // sqrt(2 * 32 ln 2) = 6.66: the largest |z| a 32-bit uniform can give
  });

  it('1 M normals: mean, variance and a Kolmogorov-Smirnov test', async () => {
    const n = 1 << 18; // blocks of 4 normals
    const ctr = new Uint32Array(4 * n).map((_, i) => (i % 4 === 0 ? i >> 2 : i % 4 === 3 ? 1 : 0));
    const z = await philox(get(), ctr, { seed: 2026, output: 'normal' });
    let m = 0;
    let v = 0;
    for (const x of z) m += x;
    m /= z.length;
    for (const x of z) v += (x - m) ** 2;
    v /= z.length - 1;
    expect(Math.abs(m)).toBeLessThan(5 / Math.sqrt(z.length));
    expect(Math.abs(v - 1)).toBeLessThan(5 * Math.sqrt(2 / z.length));
    const ks = ksNormal(z);
    expect(ks.pValue, `KS D = ${ks.d}`).toBeGreaterThan(1e-3);
  });
});
