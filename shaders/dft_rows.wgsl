// out[n, y, kx, c] = sum_x v[n, y, x, c] * exp(-2 pi i kx x / W) with v = ca * a + cb * b (cb = 0: b unread),
// e.g. x0_hat = x_t / sqrt(abar) - sqrt(1 - abar) / sqrt(abar) * eps_hat. Phases from the table tw[m] = (cos, sin)(2 pi m / W), m = kx x mod W.
// Bindings: 0 Params, 1 a (N*H*W*C) f32, 2 b (same) f32, 3 tw (W) vec2 f32, 4 out (N*H*W*C) vec2 (re, im) rw.
// Dispatch: grid2d(N*H*W*C, WG), one output each. Precision: f32, W terms; reference kernels-test/ref/spectrum.ts.
// wrapper: src/kernels/dft.ts
override WG: u32 = 64;

struct Params {
  rows: u32,
  h: u32,
  w: u32,
  c: u32,
  ca: f32,
  cb: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> tw: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> out: array<vec2<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let e = linear_index(wid, nwg, lid, WG);
  let wc = params.w * params.c;
  if (e >= params.rows * params.h * wc) { return; }
  let ch = e % params.c;
  let kx = (e / params.c) % params.w;
  let base = (e / wc) * wc + ch;
  var acc = vec2<f32>(0.0);
  var m = 0u;
  for (var x = 0u; x < params.w; x++) {
    var v = params.ca * a[base + x * params.c];
    if (params.cb != 0.0) { v = fma(params.cb, b[base + x * params.c], v); }
    let t = tw[m];
    acc += vec2<f32>(v * t.x, -v * t.y);
    m += kx;
    if (m >= params.w) { m -= params.w; }
  }
  out[e] = acc;
}
