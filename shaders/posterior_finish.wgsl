// out[out_off + n * d + i] = cx * x[x_off + n * d + i] + cacc * acc[n * d + i] / state[n].y: the posterior mean
// acc / s of the exact denoisers' online softmax (empirical_softmax.wgsl, gmm_softmax.wgsl) turned into eps_hat or x0_hat.
// Bindings: 0 Params, 1 x f32, 2 acc (rows, d) f32, 3 state (rows) vec2 (m, s), 4 out f32 rw. Dispatch:
// grid2d(rows * d, WG), one element each. Precision: f32, two roundings and one division; reference:
// kernels-test/ref/empirical-denoiser.ts and kernels-test/ref/gmm-denoiser.ts.
// wrapper: src/kernels/posterior_finish.ts
override WG: u32 = 64;

struct Params {
  rows: u32,
  d: u32,
  x_off: u32,
  out_off: u32,
  cx: f32,
  cacc: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> acc: array<f32>;
@group(0) @binding(3) var<storage, read> state: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let e = linear_index(wid, nwg, lid, WG);
  if (e >= params.rows * params.d) { return; }
  let n = e / params.d;
  let mean = acc[e] / state[n].y;
  var v = params.cacc * mean;
  if (params.cx != 0.0) { v = fma(params.cx, x[params.x_off + e], v); }
  out[params.out_off + e] = v;
}
