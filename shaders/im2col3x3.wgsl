// cols[r, (ky * 3 + kx) * c + ci] = x[nn, y + ky - 1, xx + kx - 1, ci] (0 outside the image) for the
// pixels p = p0 + r = (nn * h + y) * w + xx, r < rows: the 3x3, padding 1 patch matrix of NHWC x.
// Bindings: 0 Params, 1 x (n * h * w, c) f32, 2 cols (rows, 9 c) f32. Dispatch: grid2d(rows * 9, WG), one
// invocation per (pixel, tap) copying its c channels (lavapipe: per-invocation index work dominates a
// per-element copy 4x). Precision: exact copy. Reference: kernels-test/ref/nn_image.ts im2col3x3.
// wrapper: src/kernels/nn_image_ops.ts
override WG: u32 = 64;

struct Params {
  h: u32,
  w: u32,
  c: u32,
  p0: u32,
  rows: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> cols: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid, WG);
  if (i >= params.rows * 9u) { return; }
  let c = params.c;
  let t = i % 9u;
  let p = params.p0 + i / 9u;
  let xx = i32(p % params.w) + i32(t % 3u) - 1;
  let img = p / params.w;
  let y = i32(img % params.h) + i32(t / 3u) - 1;
  let dst = i * c;
  if (xx >= 0 && xx < i32(params.w) && y >= 0 && y < i32(params.h)) {
    let src = ((img - img % params.h + u32(y)) * params.w + u32(xx)) * c;
    for (var ci = 0u; ci < c; ci++) { cols[dst + ci] = x[src + ci]; }
  } else {
    for (var ci = 0u; ci < c; ci++) { cols[dst + ci] = 0.0; }
  }
}
