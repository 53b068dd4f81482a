// out[j, y, x, ch] = src[(order[order_off + j] * h + y - r) * w + x - r) * c + ch] when r <= y < h + r and r <= x < w + r,
// else 0: NHWC rows taken in the given order and zero-padded by r = (k - 1) / 2, so every centred k x k patch is a window.
// Bindings: 0 Params, 1 src (N, h, w, c) f32, 2 order (N) u32, 3 out (rows, h + 2r, w + 2r, c) f32 rw. Dispatch:
// grid2d(rows * hp * wp * c, WG), one output element each. Precision: exact copy; reference: kernels-test/ref/patch-denoiser.ts.
// wrapper: src/kernels/patch_posterior.ts
override WG: u32 = 64;

struct Params {
  rows: u32,
  h: u32,
  w: u32,
  c: u32,
  r: u32,
  hp: u32,
  wp: u32,
  order_off: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read> order: array<u32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let e = linear_index(wid, nwg, lid, WG);
  let c = params.c;
  let plane = params.hp * params.wp * c;
  if (e >= params.rows * plane) { return; }
  let j = e / plane;
  let rem = e % plane;
  let y = rem / (params.wp * c);
  let x = (rem / c) % params.wp;
  let ch = rem % c;
  var v = 0.0;
  // Unsigned wrap-around makes y - r huge for y < r, so one comparison per axis covers both sides.
  if (y - params.r < params.h && x - params.r < params.w) {
    let n = order[params.order_off + j];
    v = src[((n * params.h + y - params.r) * params.w + x - params.r) * c + ch];
  }
  out[e] = v;
}
