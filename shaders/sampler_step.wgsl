// Sampler update (DDPM ancestral, DDIM with eta; DESIGN.md §3): x[n, d] <- a x[n, d] + b e[n, d] + sigma z[n, d], where
// e = eps_a + w (eps_b - eps_a) (classifier-free guidance; w = 0: eps_b not read), z from Philox(ctr (d / 4, row, step, stream)).
// Bindings: 0 Params, 1 eps_a (rows, cols) f32, 2 eps_b (rows, cols) f32 (may alias eps_a), 3 x (rows, cols) f32 in place.
// Dispatch: grid2d(rows * ceil(cols / 4), WG), 4 columns per invocation. Precision: f32, <= 6 roundings per value (a, b, sigma
// rounded from float64); z bit-exact as forward_noise.wgsl. Reference: kernels-test/ref/samplers.ts.
// wrapper: src/kernels/sampler_step.ts
override WG: u32 = 64;

struct Params {
  key: vec2<u32>,
  rows: u32,
  cols: u32,
  quads: u32,
  step: u32,
  stream: u32,
  a: f32,
  b: f32,
  sigma: f32,
  w: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> eps_a: array<f32>;
@group(0) @binding(2) var<storage, read> eps_b: array<f32>;
@group(0) @binding(3) var<storage, read_write> x: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid, WG);
  if (i >= params.rows * params.quads) { return; }
  let n = i / params.quads;
  let q = i % params.quads;
  var z = vec4<f32>(0.0);
  if (params.sigma != 0.0) { z = philox_normal4(params.key, vec4<u32>(q, n, params.step, params.stream)); }
  let d0 = 4u * q;
  let width = min(4u, params.cols - d0);
  for (var k = 0u; k < width; k++) {
    let j = n * params.cols + d0 + k;
    var e = eps_a[j];
    if (params.w != 0.0) { e = e + params.w * (eps_b[j] - e); }
    x[j] = params.a * x[j] + params.b * e + params.sigma * z[k];
  }
}
