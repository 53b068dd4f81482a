// childSeed (src/experiments/seeds.ts) gives the seeds the experiments always derived by hand, so
// no result moves: seed + 1000 j for repeats, seed + 7919 k per class, seed + 7919 for the reference
// set, seed + 4242 for the random pulses. No GPU.
import { describe, expect, it } from 'vitest';
import { childSeed, SEED_PURPOSES, type SeedPurpose } from '../../src/experiments/seeds.js';

describe('childSeed', () => {
  // purpose, the parts j it is used with, the offset the experiments wrote out.
  const cases: [SeedPurpose, number[], (seed: number, j: number) => number][] = [
    ['replicate', [0, 1, 2, 7, 63], (seed, j) => seed + 1000 * j],
    ['class', [0, 1, 2, 9], (seed, k) => seed + 7919 * k],
    ['reference', [0], (seed) => seed + 7919],
    ['random-pulses', [0], (seed) => seed + 4242],
  ];
  it('covers every purpose', () => expect(cases.map(([p]) => p).sort()).toEqual([...SEED_PURPOSES].sort()));
  it.each(cases)('%s: the former offsets', (purpose, js, old) => {
    for (const seed of [0, 1, 42, 2 ** 31]) for (const j of js) expect(childSeed(seed, purpose, j)).toBe(old(seed, j));
  });
  it('j defaults to 0', () => expect(childSeed(5, 'replicate')).toBe(5));
  it('refuses unknown purposes and bad j, naming the valid ones', () => {
    expect(() => childSeed(0, 'other' as SeedPurpose)).toThrow(
      "purpose 'other' is not one of replicate, class, reference, random-pulses",
    );
    expect(() => childSeed(0, 'replicate', -1)).toThrow(/j must be a whole number/);
    expect(() => childSeed(0, 'replicate', 1.5)).toThrow(/j must be a whole number/);
  });
});
