// Philox4x32-10 counter-based RNG (Random123, Salmon et al. SC'11): 10 rounds of two 32x32->64 products.
// Bindings: none (library). Dispatch: n/a.
// Precision: exact u32 arithmetic, 64-bit products from 16-bit halves (WGSL has no 64-bit integers).
// Reference: kernels-test/ref/philox.ts (BigInt, from the Random123 definition) and its KAT vectors.
const PHILOX_M0: u32 = 0xD2511F53u;
const PHILOX_M1: u32 = 0xCD9E8D57u;
const PHILOX_W0: u32 = 0x9E3779B9u; // golden ratio
const PHILOX_W1: u32 = 0xBB67AE85u; // sqrt(3) - 1

// (hi, lo) of the 64-bit product a * b.
fn mulhilo32(a: u32, b: u32) -> vec2<u32> {
  let al = a & 0xFFFFu;
  let ah = a >> 16u;
  let bl = b & 0xFFFFu;
  let bh = b >> 16u;
  let ll = al * bl;
  let lh = al * bh;
  let hl = ah * bl;
  let hh = ah * bh;
  let mid = (ll >> 16u) + (lh & 0xFFFFu) + (hl & 0xFFFFu);
  let lo = (ll & 0xFFFFu) | (mid << 16u);
  let hi = hh + (lh >> 16u) + (hl >> 16u) + (mid >> 16u);
  return vec2<u32>(hi, lo);
}

fn philox4x32_round(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  let p0 = mulhilo32(PHILOX_M0, ctr.x);
  let p1 = mulhilo32(PHILOX_M1, ctr.z);
  return vec4<u32>(p1.x ^ ctr.y ^ key.x, p1.y, p0.x ^ ctr.w ^ key.y, p0.y);
}

fn philox4x32_10(ctr: vec4<u32>, key: vec2<u32>) -> vec4<u32> {
  var c = ctr;
  var k = key;
  c = philox4x32_round(c, k);
  for (var r = 1u; r < 10u; r++) {
    k += vec2<u32>(PHILOX_W0, PHILOX_W1);
    c = philox4x32_round(c, k);
  }
  return c;
}
