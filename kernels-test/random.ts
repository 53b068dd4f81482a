// Seeded inputs for tests (independent of the engine's Philox): splitmix32 and Gaussian draws in
// float64. Tests print the seed in failure messages.

export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 2 ** 32;
  };
}

export function gaussian(seed: number): () => number {
  const u = rng(seed);
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

export function randn(n: number, seed: number): Float64Array {
  const g = gaussian(seed);
  return Float64Array.from({ length: n }, g);
}

export function randomWords(n: number, seed: number): Uint32Array {
  const u = rng(seed);
  return Uint32Array.from({ length: n }, () => Math.floor(u() * 2 ** 32));
}
