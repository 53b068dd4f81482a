// Independent references for the RNG: Philox4x32-10 written from the Random123 definition (Salmon
// et al., SC'11, "Parallel random numbers: as easy as 1, 2, 3") with BigInt 64-bit products, and
// float64 Box-Muller with the engine's mapping of words to uniforms. Nothing here follows the WGSL.

const MASK32 = 0xffffffffn;
const M0 = 0xd2511f53n;
const M1 = 0xcd9e8d57n;
const W0 = 0x9e3779b9n; // golden ratio
const W1 = 0xbb67ae85n; // sqrt(3) - 1

export type Words4 = [number, number, number, number];

/** Philox4x32 with R = 10 rounds: the key is used as given in round 1 and bumped before each later round. */
export function philox4x32_10(ctr: readonly [number, number, number, number], key: readonly [number, number]): Words4 {
  let [c0, c1, c2, c3] = ctr.map((x) => BigInt(x >>> 0));
  let k0 = BigInt(key[0] >>> 0);
  let k1 = BigInt(key[1] >>> 0);
  for (let round = 0; round < 10; round++) {
    if (round > 0) {
      k0 = (k0 + W0) & MASK32;
      k1 = (k1 + W1) & MASK32;
    }
    // One round: two 32x32 -> 64-bit products; the output permutes and xors their halves.
    const p0 = M0 * c0!;
    const p1 = M1 * c2!;
    const hi0 = p0 >> 32n;
    const lo0 = p0 & MASK32;
    const hi1 = p1 >> 32n;
    const lo1 = p1 & MASK32;
    [c0, c1, c2, c3] = [hi1 ^ c1! ^ k0, lo1, hi0 ^ c3! ^ k1, lo0];
  }
  return [Number(c0), Number(c1), Number(c2), Number(c3)];
}

/**
 * float64 Box-Muller on pairs of words (a, b): U1 = (a | 1) / 2^32 in (0, 1), U2 = b / 2^32,
 * r = sqrt(-2 ln U1), z0 = r cos(2 pi U2), z1 = r sin(2 pi U2). Words (0, 1) give outputs 0, 1,
 * words (2, 3) give outputs 2, 3, and so on.
 */
export function boxMuller64(bits: Uint32Array | readonly number[]): Float64Array {
  if (bits.length % 2 !== 0) throw new Error(`boxMuller64: needs an even number of words, got ${bits.length}`);
  const out = new Float64Array(bits.length);
  for (let i = 0; i < bits.length; i += 2) {
    const u1 = ((bits[i]! | 1) >>> 0) / 2 ** 32;
    const u2 = (bits[i + 1]! >>> 0) / 2 ** 32;
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = r * Math.cos(2 * Math.PI * u2);
    out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}
