// Implicit-GEMM 3x3 convolution (padding 1, stride 1) over NHWC images, without the patch matrix:
//   out[p, r] = alpha * sum_t sum_i wt[r a_r + t a_t + i a_i] src[p + s_t, i] + beta * out[p, r]
// for pixels p < pixels of (h, w) images, rows r < rows, taps t = ky * 3 + kx with shift
// s_t = (ky - 1, kx - 1), mirrored when FLIP (src outside the image reads 0). The forward pass is
// rows = cout, src = x (cin channels), a_r = 9 cin, a_t = cin, a_i = 1; the input gradient of the
// backward pass is rows = cin, src = dY (cout channels), a_r = 1, a_t = cin, a_i = 9 cin, FLIP. Sums run
// over k = t * chans + i in order, as the im2col GEMM's do (same bits).
// The workgroup is one subgroup of 8 lanes: each lane owns 8 consecutive pixels and loads RPL rows of the
// weights per k (rows lane + 8 e), which every lane receives by subgroup broadcast (on lavapipe a storage
// load costs a per-lane loop, so each weight is loaded once per workgroup). Tile: TR = 8 RPL rows x 64
// pixels, or 1 row in ROWS1 builds (the forward pass of a convolution with one output channel).
// The broadcast FMA steps are lib/conv_bcast.wgsl. Bindings: 0 Params, 1 wt f32, 2 src (pixels, chans) f32,
// 3 out (pixels, ldc) f32 (read_write), 4 bias (rows) f32 in BIAS builds (out += bias per row), 5 res
// (pixels, ldc) f32 in RES builds and 6 res_bias (rows) f32 in RES_BIAS builds (out += res + res_bias).
// Dispatch: grid2d(tiles, 1) workgroups of 8. Precision: f32 FMA sums in k order.
// Reference: kernels-test/ref/nn_image.ts (conv3x3, conv3x3Backward).
// wrapper: src/kernels/conv3x3_implicit.ts
struct Params {
  rows: u32,
  pixels: u32,
  chans: u32,
  h: u32,
  w: u32,
  a_r: u32,
  a_t: u32,
  a_i: u32,
  ldc: u32,
  tiles_n: u32,
  tiles: u32,
  flip: u32,
  alpha: f32,
  beta: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
#if WVEC4
// WVEC4 builds (VEC4 with a_i = 1 and a_r, a_t multiples of 4: the forward pass): the weights read as
// vec4s of 4 consecutive k, a quarter of the per-lane loads.
@group(0) @binding(1) var<storage, read> wt: array<vec4<f32>>;
#else
@group(0) @binding(1) var<storage, read> wt: array<f32>;
#endif
#if VEC4
// VEC4 builds (chans a multiple of 4): src read as vec4s of 4 channels of one pixel, a quarter of the
// per-lane loads (on lavapipe each is a loop over the lanes).
@group(0) @binding(2) var<storage, read> src: array<vec4<f32>>;
#else
@group(0) @binding(2) var<storage, read> src: array<f32>;
#endif
@group(0) @binding(3) var<storage, read_write> out: array<f32>;
#if BIAS
// out[p, r] += bias[r] after the product (the forward pass's bias: the same rounding as adding it after).
@group(0) @binding(4) var<storage, read> bias: array<f32>;
#endif
#if RES
// RES builds (always BIAS builds: the forward pass of a residual block's last convolution) add the block's
// skip path after the bias: out[p, r] += res[p, r], or res[p, r] + res_bias[r] in RES_BIAS builds (a 1x1
// skip projection's output and its bias). The same roundings as adding the skip's output in a pass of its own.
@group(0) @binding(5) var<storage, read> res: array<f32>;
#endif
#if RES_BIAS
@group(0) @binding(6) var<storage, read> res_bias: array<f32>;
#endif

#if WVEC4
// This lane's RPL weights at k = ka .. ka + 3 (row bases ia, ka a multiple of 4), one RowVec per k.
fn lane_rows4(ia: array<u32, RPL>, ka: u32) -> array<RowVec, 4> {
#if ROWS8
  let v0 = wt[(ia[0] + ka) / 4u];
  return array<RowVec, 4>(RowVec(v0.x, 0.0), RowVec(v0.y, 0.0), RowVec(v0.z, 0.0), RowVec(v0.w, 0.0));
#elif ROWS16
  let v0 = wt[(ia[0] + ka) / 4u];
  let v1 = wt[(ia[1] + ka) / 4u];
  return array<RowVec, 4>(RowVec(v0.x, v1.x), RowVec(v0.y, v1.y), RowVec(v0.z, v1.z), RowVec(v0.w, v1.w));
#else
  let v0 = wt[(ia[0] + ka) / 4u];
  let v1 = wt[(ia[1] + ka) / 4u];
  let v2 = wt[(ia[2] + ka) / 4u];
  let v3 = wt[(ia[3] + ka) / 4u];
  return array<RowVec, 4>(RowVec(v0.x, v1.x, v2.x, v3.x), RowVec(v0.y, v1.y, v2.y, v3.y),
                          RowVec(v0.z, v1.z, v2.z, v3.z), RowVec(v0.w, v1.w, v2.w, v3.w));
#endif
}
#else
// This lane's RPL weights at k (row bases ia, k offset ka).
fn lane_rows(ia: array<u32, RPL>, ka: u32) -> RowVec {
#if ROWS8
  return RowVec(wt[ia[0] + ka], 0.0);
#elif ROWS16
  return RowVec(wt[ia[0] + ka], wt[ia[1] + ka]);
#else
  return RowVec(wt[ia[0] + ka], wt[ia[1] + ka], wt[ia[2] + ka], wt[ia[3] + ka]);
#endif
}
#endif

#if VEC4
// This lane's 8 pixels' values of input channels 4 i4 .. 4 i4 + 3 (0 where the tap falls outside the image).
fn lane_pixels4(at: array<u32, 8>, ok: array<bool, 8>, i4: u32) -> array<vec4<f32>, 8> {
  let z = vec4<f32>(0.0);
  return array<vec4<f32>, 8>(select(z, src[at[0] + i4], ok[0]), select(z, src[at[1] + i4], ok[1]),
                             select(z, src[at[2] + i4], ok[2]), select(z, src[at[3] + i4], ok[3]),
                             select(z, src[at[4] + i4], ok[4]), select(z, src[at[5] + i4], ok[5]),
                             select(z, src[at[6] + i4], ok[6]), select(z, src[at[7] + i4], ok[7]));
}
#else
// This lane's 8 pixels' values of input channel i (0 where the tap falls outside the image).
fn lane_pixels(at: array<u32, 8>, ok: array<bool, 8>, i: u32) -> array<f32, 8> {
  return array<f32, 8>(select(0.0, src[at[0] + i], ok[0]), select(0.0, src[at[1] + i], ok[1]),
                       select(0.0, src[at[2] + i], ok[2]), select(0.0, src[at[3] + i], ok[3]),
                       select(0.0, src[at[4] + i], ok[4]), select(0.0, src[at[5] + i], ok[5]),
                       select(0.0, src[at[6] + i], ok[6]), select(0.0, src[at[7] + i], ok[7]));
}
#endif

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(subgroup_invocation_id) lid: u32) {
  let tile = wid.y * nwg.x + wid.x;
  if (tile >= params.tiles) { return; }
  let r0 = (tile / params.tiles_n) * TR;
  let j0 = (tile % params.tiles_n) * 64u + 8u * lid;
  let R = params.rows;
  let P = params.pixels;
  let C = params.chans;
#if VEC4
  let CS = C / 4u;
#else
  let CS = C;
#endif
  let H = i32(params.h);
  let W = i32(params.w);
  // Row bases of this lane's weights (rows past the edge read the last one; their sums are discarded).
  var ia: array<u32, RPL>;
  for (var e = 0u; e < RPL; e++) { ia[e] = min(r0 + lid + 8u * e, R - 1u) * params.a_r; }
  // This lane's pixels (past the edge: the last one) and their image coordinates.
  var px: array<u32, 8>;
  var py: array<i32, 8>;
  var pxx: array<i32, 8>;
  for (var q = 0u; q < 8u; q++) {
    let p = min(j0 + q, P - 1u);
    px[q] = p;
    pxx[q] = i32(p % params.w);
    py[q] = i32((p / params.w) % params.h);
  }
  var acc: array<array<f32, 8>, TR>;
  for (var t = 0u; t < 9u; t++) {
    var dy = i32(t / 3u) - 1;
    var dx = i32(t % 3u) - 1;
    if (params.flip != 0u) { dy = -dy; dx = -dx; }
    var at: array<u32, 8>;
    var ok: array<bool, 8>;
    for (var q = 0u; q < 8u; q++) {
      let yy = py[q] + dy;
      let xx = pxx[q] + dx;
      ok[q] = yy >= 0 && yy < H && xx >= 0 && xx < W;
      // The shifted pixel p + dy w + dx, or 0 (read but discarded) outside the image.
      at[q] = select(0u, u32(i32(px[q]) + dy * W + dx) * CS, ok[q]);
    }
    var ib: array<u32, RPL>;
    for (var e = 0u; e < RPL; e++) { ib[e] = ia[e] + t * params.a_t; }
    let ai = params.a_i;
#if VEC4
    for (var i = 0u; i < C; i += 4u) {
#if WVEC4
      let a = lane_rows4(ib, i);
      step4(&acc, a[0], a[1], a[2], a[3], lane_pixels4(at, ok, i / 4u));
#else
      let a0 = lane_rows(ib, i * ai);
      let a1 = lane_rows(ib, (i + 1u) * ai);
      let a2 = lane_rows(ib, (i + 2u) * ai);
      let a3 = lane_rows(ib, (i + 3u) * ai);
      step4(&acc, a0, a1, a2, a3, lane_pixels4(at, ok, i / 4u));
#endif
    }
#else
    var i = 0u;
    for (; i + 2u < C; i += 3u) {
      let a0 = lane_rows(ib, i * ai);
      let a1 = lane_rows(ib, (i + 1u) * ai);
      let a2 = lane_rows(ib, (i + 2u) * ai);
      step3(&acc, a0, a1, a2, lane_pixels(at, ok, i), lane_pixels(at, ok, i + 1u), lane_pixels(at, ok, i + 2u));
    }
    for (; i < C; i++) { step1(&acc, lane_rows(ib, i * ai), lane_pixels(at, ok, i)); }
#endif
  }
  let alpha = params.alpha;
  let beta = params.beta;
  for (var q = 0u; q < 8u; q++) {
    let p = j0 + q;
    if (p >= P) { break; }
    for (var e = 0u; e < RPL; e++) {
      // Lanes' rows of this tile (all 8, or lane 0's in ROWS1 builds).
      for (var l = 0u; l < min(8u, TR); l++) {
        let r = r0 + l + 8u * e;
        if (r >= R) { continue; }
        let o = p * params.ldc + r;
        // beta = 0 must not read out (it may hold NaN).
        var v = alpha * acc[l + 8u * e][q];
        if (beta != 0.0) { v = fma(beta, out[o], v); }
#if BIAS
        v += bias[r];
#endif
#if RES_BIAS
        v += res[o] + res_bias[r];
#elif RES
        v += res[o];
#endif
        out[o] = v;
      }
    }
  }
}
