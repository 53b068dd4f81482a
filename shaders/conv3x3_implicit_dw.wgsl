// Weight gradient of a 3x3 convolution (padding 1, stride 1) over NHWC images, without the patch matrix:
//   part[s, r, j] = sum over pixels p of split s of dy[p, r] x[p + s_t, ci]   (j = t * cin + ci)
// for output channels r < rows (cout), columns j < cols (9 cin), tap t = ky * 3 + kx with shift
// s_t = (ky - 1, kx - 1) (x outside the image reads 0). Split s covers pixels [s split, (s + 1) split);
// the caller sums the splits into dW (column_reduce), so the pixels of one split sum in order.
// The workgroup is one subgroup of 8 lanes: each lane owns 8 consecutive columns j and loads RPL rows of dy
// per pixel, broadcast to every lane (lib/conv_bcast.wgsl). Tile: 8 RPL rows x 64 columns, or 1 row in ROWS1
// builds (the weight gradient of a convolution with one output channel, a U-Net's last).
// Bindings: 0 Params, 1 dy (pixels, rows) f32, 2 x (pixels, cin) f32, 3 part (splits, rows, cols) f32.
// Dispatch: grid2d(tiles * splits, 1) workgroups of 8. Precision: f32 FMA sums in pixel order per split.
// Reference: kernels-test/ref/nn_image.ts (conv3x3Backward).
// wrapper: src/kernels/conv3x3_implicit.ts
struct Params {
  rows: u32,
  cols: u32,
  cin: u32,
  pixels: u32,
  h: u32,
  w: u32,
  split: u32,
  splits: u32,
  tiles_n: u32,
  tiles: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
#if VEC4
// VEC4 builds (cin a multiple of 8): a lane's 8 columns are one tap's 8 consecutive channels, read as two
// vec4s (on lavapipe each storage load is a loop over the lanes: a quarter of them). The same values, so
// the same bits.
@group(0) @binding(2) var<storage, read> x: array<vec4<f32>>;
#else
@group(0) @binding(2) var<storage, read> x: array<f32>;
#endif
@group(0) @binding(3) var<storage, read_write> part: array<f32>;

// This lane's RPL rows of dy at pixel p.
fn lane_rows(ia: array<u32, RPL>, p: u32) -> RowVec {
  let o = p * params.rows;
#if ROWS8
  return RowVec(dy[ia[0] + o], 0.0);
#elif ROWS16
  return RowVec(dy[ia[0] + o], dy[ia[1] + o]);
#else
  return RowVec(dy[ia[0] + o], dy[ia[1] + o], dy[ia[2] + o], dy[ia[3] + o]);
#endif
}

// A pixel's coordinates in its image, advanced one pixel at a time.
struct Pos {
  p: u32,
  y: i32,
  x: i32,
}

fn next(a: Pos) -> Pos {
  var b = Pos(a.p + 1u, a.y, a.x + 1);
  if (b.x == i32(params.w)) {
    b.x = 0;
    b.y += 1;
    if (b.y == i32(params.h)) { b.y = 0; }
  }
  return b;
}

#if VEC4
// This lane's 8 columns at pixel a: one tap (shift dyq[0], dxq[0]) and the channels from off[0]'s.
fn lane_cols(a: Pos, dyq: array<i32, 8>, dxq: array<i32, 8>, off: array<i32, 8>) -> array<f32, 8> {
  let yy = a.y + dyq[0];
  let xx = a.x + dxq[0];
  let ok = yy >= 0 && yy < i32(params.h) && xx >= 0 && xx < i32(params.w);
  let at = u32(select(0, i32(a.p * params.cin) + off[0], ok)) / 4u;
  let z = vec4<f32>(0.0);
  let u = select(z, x[at], ok);
  let v = select(z, x[at + 1u], ok);
  return array<f32, 8>(u.x, u.y, u.z, u.w, v.x, v.y, v.z, v.w);
}
#else
// This lane's 8 columns (tap shifts dyq, dxq and input channel offsets off) at pixel a.
fn lane_cols(a: Pos, dyq: array<i32, 8>, dxq: array<i32, 8>, off: array<i32, 8>) -> array<f32, 8> {
  var v: array<f32, 8>;
  let H = i32(params.h);
  let W = i32(params.w);
  let base = i32(a.p * params.cin);
  for (var q = 0u; q < 8u; q++) {
    let yy = a.y + dyq[q];
    let xx = a.x + dxq[q];
    let ok = yy >= 0 && yy < H && xx >= 0 && xx < W;
    v[q] = select(0.0, x[u32(select(0, base + off[q], ok))], ok);
  }
  return v;
}
#endif

@compute @workgroup_size(8)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(subgroup_invocation_id) lid: u32) {
  let g = wid.y * nwg.x + wid.x;
  let tile = g % params.tiles;
  let s = g / params.tiles;
  if (s >= params.splits) { return; }
  let r0 = (tile / params.tiles_n) * TR;
  let j0 = (tile % params.tiles_n) * 64u + 8u * lid;
  let R = params.rows;
  let J = params.cols;
  let C = params.cin;
  let W = i32(params.w);
  var ia: array<u32, RPL>;
  for (var e = 0u; e < RPL; e++) { ia[e] = min(r0 + lid + 8u * e, R - 1u); }
  // This lane's columns (past the edge: the last one): tap shift and the offset of (shift, channel).
  var dyq: array<i32, 8>;
  var dxq: array<i32, 8>;
  var off: array<i32, 8>;
  for (var q = 0u; q < 8u; q++) {
    let j = min(j0 + q, J - 1u);
    let t = j / C;
    dyq[q] = i32(t / 3u) - 1;
    dxq[q] = i32(t % 3u) - 1;
    off[q] = (dyq[q] * W + dxq[q]) * i32(C) + i32(j % C);
  }
  let p0 = s * params.split;
  let p1 = min(p0 + params.split, params.pixels);
  var acc: array<array<f32, 8>, TR>;
  if (p0 < p1) {
    var a = Pos(p0, i32((p0 / params.w) % params.h), i32(p0 % params.w));
    var p = p0;
    for (; p + 2u < p1; p += 3u) {
      let b = next(a);
      let c = next(b);
      step3(&acc, lane_rows(ia, a.p), lane_rows(ia, b.p), lane_rows(ia, c.p), lane_cols(a, dyq, dxq, off),
            lane_cols(b, dyq, dxq, off), lane_cols(c, dyq, dxq, off));
      a = next(c);
    }
    for (; p < p1; p++) {
      step1(&acc, lane_rows(ia, a.p), lane_cols(a, dyq, dxq, off));
      a = next(a);
    }
  }
  let base = s * R * J;
  for (var q = 0u; q < 8u; q++) {
    let j = j0 + q;
    if (j >= J) { break; }
    for (var e = 0u; e < RPL; e++) {
      // Lanes' rows of this tile (all 8, or lane 0's in ROWS1 builds).
      for (var l = 0u; l < min(8u, TR); l++) {
        let r = r0 + l + 8u * e;
        if (r >= R) { continue; }
        part[base + r * J + j] = acc[l + 8u * e][q];
      }
    }
  }
}
