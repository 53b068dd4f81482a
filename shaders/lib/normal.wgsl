// Box-Muller N(0, 1) from u32 words, bit-identical on every platform: (a, b) -> r (cos, sin)(2 pi b / 2^32),
// r = sqrt(-2 ln((a | 1) / 2^32)), all in integer fixed point (WGSL leaves log/sin/sqrt precision and FMA
// contraction to the implementation). Bindings: none (library; needs lib/philox.wgsl, lib/normal_tables.wgsl).
// Dispatch: n/a. Precision: |z - z64| <= 6.2e-8 max(1, |z|) measured (fixed point ~5e-9, then f32 rounding).
// Reference: kernels-test/ref/philox.ts boxMuller64 (float64); twin scripts/dev/normal-int.ts (bit-exact).
const NORMAL_ONE_Q31: u32 = 0x80000000u;

fn normal_mulhi(a: u32, b: u32) -> u32 {
  return mulhilo32(a, b).x;
}

// 64-bit (hi, lo) << s for s < 64 (WGSL masks shift counts to 5 bits, hence the cases).
fn normal_shl64(x: vec2<u32>, s: u32) -> vec2<u32> {
  if (s == 0u) { return x; }
  if (s >= 32u) { return vec2<u32>(x.y << (s - 32u), 0u); }
  return vec2<u32>((x.x << s) | (x.y >> (32u - s)), x.y << s);
}

fn normal_bitlen64(x: vec2<u32>) -> u32 {
  return select(32u - countLeadingZeros(x.y), 64u - countLeadingZeros(x.x), x.x != 0u);
}

// 2L = -2 ln U1, U1 = (a | 1) / 2^32, returned as the 64-bit integer (hi, lo) and e with 2L = X 2^-e
// packed as vec3(hi, lo, e). ln U1 = ln m - (32 - k) ln 2 with v = 2^k m, m in [1, 2).
fn normal_two_log(a: u32) -> vec3<u32> {
  let v = a | 1u;
  let k = 31u - countLeadingZeros(v);
  let mq = v << (31u - k); // m in Q1.31
  let j = (mq >> 25u) & 63u;
  if (k == 31u && j == 63u) {
    // U1 = 1 - t, t = d / 2^32 <= 2^-7: -ln(1 - t) = t (1 + t/2 + t^2/3 + t^3/4 + t^4/5), relative
    // error < 2^-35, so r keeps its relative precision however small t is.
    let d = ~v + 1u;
    var s = NORMAL_ONE_Q31 + (normal_mulhi(d, NORMAL_ONE_Q31) * 4u) / 5u;
    s = NORMAL_ONE_Q31 + (normal_mulhi(d, s) * 3u) / 4u;
    s = NORMAL_ONE_Q31 + (normal_mulhi(d, s) * 2u) / 3u;
    s = NORMAL_ONE_Q31 + (normal_mulhi(d, s) >> 1u);
    let x = mulhilo32(d, s); // 2L = 2 d s 2^-32 2^-31
    return vec3<u32>(x, 62u);
  }
  // ln m = -ln r_j + ln(1 + w), w = m r_j - 1 in [0, 2^-6); w 2^62 = m r_j 2^62 - 2^62 exactly.
  let p = mulhilo32(mq, NORMAL_RECIP_Q31[j]);
  let w = ((p.x - 0x40000000u) << 8u) | (p.y >> 24u); // w 2^38
  // ln(1 + w) = w (1 - w/2 (1 - 2w/3 (1 - 3w/4 (1 - 4w/5)))), brackets in Q1.31, truncation < 2^-38.
  var s = NORMAL_ONE_Q31 - ((w >> 7u) * 4u) / 5u;
  s = NORMAL_ONE_Q31 - ((normal_mulhi(w, s) >> 6u) * 3u) / 4u;
  s = NORMAL_ONE_Q31 - ((normal_mulhi(w, s) >> 6u) * 2u) / 3u;
  s = NORMAL_ONE_Q31 - (normal_mulhi(w, s) >> 7u);
  let ln1pw = normal_mulhi(w, s) >> 5u; // Q0.32
  let lnm = NORMAL_LN_RECIP_Q32[j] + ln1pw; // Q0.32, < 0.71
  // L = (32 - k) ln 2 - ln m in Q32.32; the ln 2 rounding error scales with L.
  let al = mulhilo32(32u - k, NORMAL_LN2_Q32);
  let lo = al.y - lnm;
  let hi = al.x - select(0u, 1u, al.y < lnm);
  return vec3<u32>(hi, lo, 31u); // 2L = L_Q32.32 2^-31
}

// One digit of the digit-by-digit square root: state (q, rem) with rem = (bits so far) - q^2 <= 2q,
// so with q < 2^29 before the last digit, 4 rem + 3 < 2^32.
fn normal_isqrt_digit(st: vec2<u32>, pair: u32) -> vec2<u32> {
  let rem = (st.y << 2u) | pair;
  let trial = (st.x << 2u) | 1u;
  if (rem >= trial) { return vec2<u32>((st.x << 1u) | 1u, rem - trial); }
  return vec2<u32>(st.x << 1u, rem);
}

// r = sqrt(2L) = q 2^-E, q in [2^29, 2^30]: square root of a 60-bit Y, rounded to nearest. Returns vec2(q, E).
fn normal_radius(a: u32) -> vec2<u32> {
  let tl = normal_two_log(a);
  let n = normal_bitlen64(tl.xy);
  var sh = 60u - n;
  if (((tl.z + sh) & 1u) != 0u) { sh -= 1u; }
  let y = normal_shl64(tl.xy, sh); // Y in [2^58, 2^60), 2L = Y 2^-(e + sh)
  var st = vec2<u32>(0u, 0u); // (q, rem)
  for (var i = 0u; i < 14u; i++) { st = normal_isqrt_digit(st, (y.x >> (26u - 2u * i)) & 3u); }
  for (var i = 0u; i < 16u; i++) { st = normal_isqrt_digit(st, (y.y >> (30u - 2u * i)) & 3u); }
  let q = st.x + select(0u, 1u, st.y > st.x); // Y - q^2 > q  <=>  sqrt(Y) > q + 1/2
  return vec2<u32>(q, (tl.z + sh) >> 1u);
}

// (cos, sin)(2 pi b / 2^32): magnitudes in Q1.31 (.xy) and sign bits (.zw). Quadrant from the top two
// bits, reflection to x in [0, pi/4] exact in integers, Taylor polynomials by Horner (truncation < 2^-33).
fn normal_cos_sin(b: u32) -> vec4<u32> {
  let quadrant = b >> 30u;
  let f = b & 0x3FFFFFFFu; // phi = (pi/2) f / 2^30
  let swap = f > 0x20000000u;
  let g = select(f, 0x40000000u - f, swap); // x = (pi/2) g / 2^30
  let xp = mulhilo32(g << 2u, NORMAL_HALF_PI_Q31);
  let x = (xp.x << 1u) | (xp.y >> 31u); // Q0.32
  let y = normal_mulhi(x, x);
  // sin x = x (1 - x^2/6 (1 - x^2/20 (1 - x^2/42 (1 - x^2/72 (1 - x^2/110)))))
  var bs = NORMAL_ONE_Q31 - (y >> 1u) / 110u;
  bs = NORMAL_ONE_Q31 - normal_mulhi(y, bs) / 72u;
  bs = NORMAL_ONE_Q31 - normal_mulhi(y, bs) / 42u;
  bs = NORMAL_ONE_Q31 - normal_mulhi(y, bs) / 20u;
  bs = NORMAL_ONE_Q31 - normal_mulhi(y, bs) / 6u;
  let sx = normal_mulhi(x, bs);
  // cos x = 1 - x^2/2 (1 - x^2/12 (1 - x^2/30 (1 - x^2/56 (1 - x^2/90))))
  var bc = NORMAL_ONE_Q31 - (y >> 1u) / 90u;
  bc = NORMAL_ONE_Q31 - normal_mulhi(y, bc) / 56u;
  bc = NORMAL_ONE_Q31 - normal_mulhi(y, bc) / 30u;
  bc = NORMAL_ONE_Q31 - normal_mulhi(y, bc) / 12u;
  let cx = NORMAL_ONE_Q31 - normal_mulhi(y, bc) / 2u;
  let cphi = select(cx, sx, swap);
  let sphi = select(sx, cx, swap);
  // theta = quadrant pi/2 + phi: quarter turns swap (cos, sin) and set signs.
  let odd = (quadrant & 1u) != 0u;
  return vec4<u32>(select(cphi, sphi, odd), select(sphi, cphi, odd),
                   select(0u, 1u, quadrant == 1u || quadrant == 2u), select(0u, 1u, quadrant >= 2u));
}

// (-1)^neg q c 2^-(31 + E) as f32, rounded to nearest even in integer code and assembled bit by bit.
fn normal_to_f32(q: u32, c: u32, neg: u32, e: u32) -> f32 {
  var p = mulhilo32(q, c);
  if ((p.x | p.y) == 0u) { return 0.0; }
  let n = normal_bitlen64(p);
  p = normal_shl64(p, 64u - n); // top bit at position 63
  var mant = p.x >> 8u;
  let half = (p.x >> 7u) & 1u;
  let sticky = (p.x & 0x7Fu) | p.y;
  var expo = n + 95u - e; // biased exponent n - 32 - E + 127 >= 76 (n >= 30, E <= 49)
  if (half == 1u && (sticky != 0u || (mant & 1u) == 1u)) {
    mant += 1u;
    if (mant == 0x1000000u) {
      mant = 0x800000u;
      expo += 1u;
    }
  }
  return bitcast<f32>((neg << 31u) | (expo << 23u) | (mant & 0x7FFFFFu));
}

// Four N(0, 1) deviates: words (x, y) -> (r cos, r sin), words (z, w) likewise.
fn normal4(bits: vec4<u32>) -> vec4<f32> {
  let r0 = normal_radius(bits.x);
  let cs0 = normal_cos_sin(bits.y);
  let r1 = normal_radius(bits.z);
  let cs1 = normal_cos_sin(bits.w);
  return vec4<f32>(normal_to_f32(r0.x, cs0.x, cs0.z, r0.y), normal_to_f32(r0.x, cs0.y, cs0.w, r0.y),
                   normal_to_f32(r1.x, cs1.x, cs1.z, r1.y), normal_to_f32(r1.x, cs1.y, cs1.w, r1.y));
}

fn philox_normal4(key: vec2<u32>, ctr: vec4<u32>) -> vec4<f32> {
  return normal4(philox4x32_10(ctr, key));
}
