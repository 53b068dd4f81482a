// Line-by-line TypeScript twin of shaders/lib/philox.wgsl (mulhilo32) and shaders/lib/normal.wgsl: the
// same integer steps with exact u32 operations (`>>> 0`, products of 16-bit halves), used to develop the
// fixed-point Box-Muller and to check the GPU bit for bit (scripts/dev/normal-gpu.ts).
//   npx tsx scripts/dev/normal-int.ts [count]   accuracy against float64 over random and edge inputs
import { fileURLToPath } from 'node:url';
import { normalTables } from '../gen-normal-tables.js';
import { boxMuller64 } from '../../kernels-test/ref/philox.js';

const T = normalTables();
const ONE_Q31 = 0x80000000;

/** (hi, lo) of the 64-bit product a * b, from four 16 x 16 -> 32-bit products. */
export function mulhilo32(a: number, b: number): [number, number] {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const ll = al * bl;
  const lh = al * bh;
  const hl = ah * bl;
  const hh = ah * bh;
  const mid = (ll >>> 16) + (lh & 0xffff) + (hl & 0xffff);
  const lo = ((ll & 0xffff) | (mid << 16)) >>> 0;
  const hi = (hh + (lh >>> 16) + (hl >>> 16) + (mid >>> 16)) >>> 0;
  return [hi, lo];
}

const mulhi = (a: number, b: number) => mulhilo32(a, b)[0];
const udiv = (a: number, n: number) => Math.floor(a / n) >>> 0;
const clz = Math.clz32;

/** 64-bit (hi, lo) << s for 0 <= s < 64. */
function shl64(hi: number, lo: number, s: number): [number, number] {
  if (s === 0) return [hi, lo];
  if (s >= 32) return [(lo << (s - 32)) >>> 0, 0];
  return [((hi << s) | (lo >>> (32 - s))) >>> 0, (lo << s) >>> 0];
}

/** Returns 2L = -2 ln U1 as X * 2^-e, U1 = (a | 1) / 2^32; X = (hi, lo) is a 64-bit integer. */
export function twoLog(a: number): { hi: number; lo: number; e: number } {
  const v = (a | 1) >>> 0;
  const k = 31 - clz(v);
  const mq = (v << (31 - k)) >>> 0; // m = v / 2^k in [1, 2), Q1.31
  const j = (mq >>> 25) & 63;
  if (k === 31 && j === 63) {
    // U1 = 1 - t with t = d / 2^32 <= 2^-7: -ln(1 - t) = t (1 + t/2 + t^2/3 + t^3/4 + t^4/5), relative error < 2^-35.
    const d = ((~v >>> 0) + 1) >>> 0;
    let s = (ONE_Q31 + udiv((mulhi(d, ONE_Q31) * 4) >>> 0, 5)) >>> 0;
    s = (ONE_Q31 + udiv((mulhi(d, s) * 3) >>> 0, 4)) >>> 0;
    s = (ONE_Q31 + udiv((mulhi(d, s) * 2) >>> 0, 3)) >>> 0;
    s = (ONE_Q31 + (mulhi(d, s) >>> 1)) >>> 0;
    const [hi, lo] = mulhilo32(d, s); // 2L = 2 d s 2^-32 2^-31
    return { hi, lo, e: 62 };
  }
  // ln m = -ln r_j + ln(1 + w), w = m r_j - 1 in [0, 2^-6); w * 2^62 = m r_j 2^62 - 2^62 exactly.
  const [ph, pl] = mulhilo32(mq, T.recipQ31[j]!);
  const w = ((((ph - 0x40000000) >>> 0) << 8) | (pl >>> 24)) >>> 0; // w * 2^38
  // ln(1 + w) = w (1 - w/2 (1 - 2w/3 (1 - 3w/4 (1 - 4w/5)))), brackets in Q1.31.
  let s = (ONE_Q31 - udiv(((w >>> 7) * 4) >>> 0, 5)) >>> 0;
  s = (ONE_Q31 - udiv(((mulhi(w, s) >>> 6) * 3) >>> 0, 4)) >>> 0;
  s = (ONE_Q31 - udiv(((mulhi(w, s) >>> 6) * 2) >>> 0, 3)) >>> 0;
  s = (ONE_Q31 - (mulhi(w, s) >>> 7)) >>> 0;
  const ln1pw = mulhi(w, s) >>> 5; // Q0.32
  const lnm = (T.lnRecipQ32[j]! + ln1pw) >>> 0; // Q0.32, < 0.71
  // L = (32 - k) ln 2 - ln m in Q32.32.
  const [ah, al] = mulhilo32(32 - k, T.ln2Q32);
  const lo = (al - lnm) >>> 0;
  const hi = (ah - (al < lnm ? 1 : 0)) >>> 0;
  return { hi, lo, e: 31 }; // 2L = L_Q32.32 * 2^-31
}

/** One digit of the digit-by-digit square root on state [q, rem], rem <= 2q. */
function isqrtDigit(st: [number, number], pair: number): [number, number] {
  const rem = ((st[1] << 2) | pair) >>> 0;
  const trial = ((st[0] << 2) | 1) >>> 0;
  if (rem >= trial) return [((st[0] << 1) | 1) >>> 0, (rem - trial) >>> 0];
  return [(st[0] << 1) >>> 0, rem];
}

/** r = sqrt(2L) = q * 2^-E with q in [2^29, 2^30] (square root of a 60-bit Y, rounded to nearest). */
export function radius(a: number): { q: number; E: number } {
  const { hi, lo, e } = twoLog(a);
  const n = hi !== 0 ? 64 - clz(hi) : 32 - clz(lo); // bit length
  let sh = 60 - n;
  if (((e + sh) & 1) !== 0) sh -= 1;
  const [yh, yl] = shl64(hi, lo, sh); // Y in [2^58, 2^60), 2L = Y 2^-(e + sh)
  let st: [number, number] = [0, 0];
  for (let i = 0; i < 14; i++) st = isqrtDigit(st, (yh >>> (26 - 2 * i)) & 3);
  for (let i = 0; i < 16; i++) st = isqrtDigit(st, (yl >>> (30 - 2 * i)) & 3);
  const q = (st[0] + (st[1] > st[0] ? 1 : 0)) >>> 0; // Y - q^2 > q  <=>  sqrt(Y) > q + 1/2
  return { q, E: (e + sh) >>> 1 };
}

/** (cos, sin)(2 pi b / 2^32) as magnitudes in Q1.31 and sign bits. */
export function cosSin(b: number): { c: number; s: number; cneg: number; sneg: number } {
  const quadrant = b >>> 30;
  const f = b & 0x3fffffff; // phi = (pi/2) f / 2^30
  const swap = f > 0x20000000;
  const g = swap ? (0x40000000 - f) >>> 0 : f; // x = (pi/2) g / 2^30 in [0, pi/4]
  const [xh, xl] = mulhilo32((g << 2) >>> 0, T.halfPiQ31);
  const x = ((xh << 1) | (xl >>> 31)) >>> 0; // Q0.32
  const y = mulhi(x, x); // x^2, Q0.32
  // sin x = x (1 - x^2/6 (1 - x^2/20 (1 - x^2/42 (1 - x^2/72 (1 - x^2/110))))), Q1.31
  let bs = (ONE_Q31 - udiv(y >>> 1, 110)) >>> 0;
  bs = (ONE_Q31 - udiv(mulhi(y, bs), 72)) >>> 0;
  bs = (ONE_Q31 - udiv(mulhi(y, bs), 42)) >>> 0;
  bs = (ONE_Q31 - udiv(mulhi(y, bs), 20)) >>> 0;
  bs = (ONE_Q31 - udiv(mulhi(y, bs), 6)) >>> 0;
  const sx = mulhi(x, bs);
  // cos x = 1 - x^2/2 (1 - x^2/12 (1 - x^2/30 (1 - x^2/56 (1 - x^2/90))))
  let bc = (ONE_Q31 - udiv(y >>> 1, 90)) >>> 0;
  bc = (ONE_Q31 - udiv(mulhi(y, bc), 56)) >>> 0;
  bc = (ONE_Q31 - udiv(mulhi(y, bc), 30)) >>> 0;
  bc = (ONE_Q31 - udiv(mulhi(y, bc), 12)) >>> 0;
  const cx = (ONE_Q31 - udiv(mulhi(y, bc), 2)) >>> 0;
  const cphi = swap ? sx : cx;
  const sphi = swap ? cx : sx;
  // theta = quadrant pi/2 + phi: rotate (cos phi, sin phi) by quadrant quarter turns.
  const odd = (quadrant & 1) !== 0;
  return {
    c: odd ? sphi : cphi,
    s: odd ? cphi : sphi,
    cneg: quadrant === 1 || quadrant === 2 ? 1 : 0,
    sneg: quadrant >= 2 ? 1 : 0,
  };
}

/** f32 bits of (-1)^neg * q * c * 2^-(31 + E), rounded to nearest even in integer code. */
export function toF32Bits(q: number, c: number, neg: number, E: number): number {
  let [ph, pl] = mulhilo32(q, c);
  if ((ph | pl) === 0) return 0;
  const n = ph !== 0 ? 64 - clz(ph) : 32 - clz(pl); // bit length of the product
  [ph, pl] = shl64(ph, pl, 64 - n); // top bit at position 63
  let mant = ph >>> 8;
  const half = (ph >>> 7) & 1;
  const sticky = (ph & 0x7f) | pl;
  let exp = n - 32 - E + 127; // value = 1.f * 2^(n - 1 - 31 - E)
  if (half === 1 && (sticky !== 0 || (mant & 1) === 1)) {
    mant += 1;
    if (mant === 0x1000000) {
      mant = 0x800000;
      exp += 1;
    }
  }
  return ((neg << 31) | (exp << 23) | (mant & 0x7fffff)) >>> 0;
}

/** f32 bits of the two normals from words (a, b): (r cos 2 pi U2, r sin 2 pi U2). */
export function boxMullerBits(a: number, b: number): [number, number] {
  const { q, E } = radius(a);
  const cs = cosSin(b);
  return [toF32Bits(q, cs.c, cs.cneg, E), toF32Bits(q, cs.s, cs.sneg, E)];
}

/** Twin of normal4: f32 bits of the four normals of one Philox block. */
export function normal4Bits(bits: ArrayLike<number>): Uint32Array {
  const [z0, z1] = boxMullerBits(bits[0]! >>> 0, bits[1]! >>> 0);
  const [z2, z3] = boxMullerBits(bits[2]! >>> 0, bits[3]! >>> 0);
  return Uint32Array.of(z0, z1, z2, z3);
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
export function bitsToF32(b: number): number {
  u32[0] = b;
  return f32[0]!;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const count = Number(process.argv[2] ?? 4_000_000);
  // Edge words for U1 (a) and U2 (b): extremes, branch boundaries of the log, quadrant/octant edges.
  const edgeA = [
    0, 1, 2, 3, 0x7fffffff, 0x80000000, 0x80000001, 0xfdffffff, 0xfe000000, 0xfe000001, 0xfffffffe, 0xffffffff,
    0x00010000, 0x3fffffff, 0x40000000, 0xc0000000, 0xffff0000, 0xfffff000,
  ];
  for (let j = 0; j < 64; j++)
    edgeA.push(
      (0x80000000 + j * 0x2000000) >>> 0,
      (0x80000000 + j * 0x2000000 - 1) >>> 0,
      (0x40000000 + j * 0x1000000) >>> 0,
    );
  const edgeB: number[] = [];
  for (let o = 0; o <= 8; o++) for (const dlt of [-2, -1, 0, 1, 2]) edgeB.push((o * 0x20000000 + dlt) >>> 0);
  let worst = 0;
  let worstAt = '';
  let worstFixed = 0; // before the f32 rounding: q |c| 2^-(31 + E) against float64
  let n = 0;
  const check = (a: number, b: number) => {
    const [z0, z1] = boxMullerBits(a, b);
    const ref = boxMuller64([a, b]);
    const { q, E } = radius(a);
    const cs = cosSin(b);
    const fixedErr = Math.max(
      Math.abs(q * cs.c * 2 ** -(31 + E) - Math.abs(ref[0]!)) / Math.max(1, Math.abs(ref[0]!)),
      Math.abs(q * cs.s * 2 ** -(31 + E) - Math.abs(ref[1]!)) / Math.max(1, Math.abs(ref[1]!)),
    );
    worstFixed = Math.max(worstFixed, fixedErr);
    for (const [z, r] of [
      [bitsToF32(z0), ref[0]!],
      [bitsToF32(z1), ref[1]!],
    ] as const) {
      const err = Math.abs(z - r) / Math.max(1, Math.abs(r));
      if (!(err <= worst)) {
        worst = err;
        worstAt = `a=0x${a.toString(16)} b=0x${b.toString(16)} got ${z} want ${r}`;
      }
      n++;
    }
  };
  for (const a of edgeA) for (const b of edgeB) check(a, b);
  let s = 0x12345678;
  const next = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  // Random pairs, plus a sweep of a over its top range where L is tiny and over each exponent.
  for (let i = 0; i < count; i++) check(next(), next());
  for (let i = 0; i < 200_000; i++) check((0xffffffff - i) >>> 0, next());
  for (let k = 0; k < 32; k++) for (let i = 0; i < 2000; i++) check((2 ** k + (next() % 2 ** k)) >>> 0, next());
  console.log(`worst |z - z64| / max(1, |z64|) = ${worst.toExponential(3)} over ${n} normals; ${worstAt}`);
  console.log(`worst before f32 rounding: ${worstFixed.toExponential(3)}`);
}
