// Seeds the experiments derive from the run's seed, so that each part draws its own numbers: the
// repeats behind a seed-to-seed spread, per-class batches, the reference set, the random pulses.
// The offsets are the ones the experiments always used, so every result stays the same.

export type SeedPurpose = 'replicate' | 'class' | 'reference' | 'random-pulses';

const OFFSETS: Record<SeedPurpose, { base: number; stride: number }> = {
  // Repeat j of a configuration (seed-to-seed spread): seed + 1000 j.
  replicate: { base: 0, stride: 1000 },
  // Class k's batch when classes are sampled one by one: seed + 7919 k.
  class: { base: 0, stride: 7919 },
  // Fresh samples of the built-in mixture's truth, the reference set the samples are scored against.
  reference: { base: 7919, stride: 0 },
  // The centres of the random pulses the critical-time pulse is compared with.
  'random-pulses': { base: 4242, stride: 0 },
};
export const SEED_PURPOSES = Object.keys(OFFSETS) as SeedPurpose[];

/** The seed of part j (a whole number from 0) of `purpose` in a run seeded with `seed`. */
export function childSeed(seed: number, purpose: SeedPurpose, j = 0): number {
  const o = OFFSETS[purpose];
  if (!o) throw new Error(`childSeed: purpose '${String(purpose)}' is not one of ${SEED_PURPOSES.join(', ')}`);
  if (!Number.isInteger(j) || j < 0) throw new Error(`childSeed: j must be a whole number from 0, got ${j}`);
  return seed + o.base + o.stride * j;
}
