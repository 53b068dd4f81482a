// Mixed power sums per column of two (rows, cols) row-major matrices x and e, by blocks of rows:
// out[blk, t, c] = sum over the block's rows r of dx^m de^n, dx = x[r, c] - shift[c], de = e[r, c],
// for the 14 orders (m, n) with 1 <= m + n <= 4 in the order (1,0) (0,1) (2,0) (1,1) (0,2) (3,0) (2,1)
// (1,2) (0,3) (4,0) (3,1) (2,2) (1,3) (0,4). The normality test's one pass over the noised data
// (src/analysis/normality-steps.ts); the host merges the blocks in float64 and centres the sums.
// Bindings: 0 Params, 1 x f32, 2 e f32, 3 shift f32 (cols), 4 out vec2<f32> (blocks, 14, cols): each sum
// as a Kahan (value, correction) pair. Dispatch: (ceil(cols / WG), blocks), one invocation per column
// and block of params.block rows. Precision: f32 terms, compensated f32 sums (error ~ 2^-24 per term,
// not growing with the block), so the merged sums match a float64 pass over the same f32 inputs to
// ~1e-7 relative. Reference: kernels-test/ref/mixed_moments.ts (float64 sums per block); end to end,
// columnMixedMoments in src/analysis/normality-steps.ts.
// wrapper: src/kernels/mixed_moments.ts
override WG: u32 = 64;
const ORDERS: u32 = 14u;

struct Params {
  rows: u32,
  cols: u32,
  block: u32,
  // 1.0 (see lib/twosum.wgsl: keeps the driver from folding the compensation away).
  one: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> e: array<f32>;
@group(0) @binding(3) var<storage, read> shift: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<vec2<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let c = wid.x * WG + lid;
  if (c >= params.cols) { return; }
  let blk = wid.y;
  let r0 = blk * params.block;
  let r1 = min(r0 + params.block, params.rows);
  let one = params.one;
  let s = shift[c];
  var acc: array<vec2<f32>, ORDERS>;
  for (var r = r0; r < r1; r++) {
    let dx = x[r * params.cols + c] - s;
    let de = e[r * params.cols + c];
    let x2 = dx * dx;
    let e2 = de * de;
    let xe = dx * de;
    acc[0] = kahan_add(acc[0], dx, one);
    acc[1] = kahan_add(acc[1], de, one);
    acc[2] = kahan_add(acc[2], x2, one);
    acc[3] = kahan_add(acc[3], xe, one);
    acc[4] = kahan_add(acc[4], e2, one);
    acc[5] = kahan_add(acc[5], x2 * dx, one);
    acc[6] = kahan_add(acc[6], x2 * de, one);
    acc[7] = kahan_add(acc[7], dx * e2, one);
    acc[8] = kahan_add(acc[8], e2 * de, one);
    acc[9] = kahan_add(acc[9], x2 * x2, one);
    acc[10] = kahan_add(acc[10], x2 * xe, one);
    acc[11] = kahan_add(acc[11], x2 * e2, one);
    acc[12] = kahan_add(acc[12], xe * e2, one);
    acc[13] = kahan_add(acc[13], e2 * e2, one);
  }
  for (var t = 0u; t < ORDERS; t++) { out[(blk * ORDERS + t) * params.cols + c] = acc[t]; }
}
