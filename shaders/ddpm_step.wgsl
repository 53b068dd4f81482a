// DDPM ancestral step (Ho et al. 2020, Alg. 2): x[n, d] <- c1 (x[n, d] - c2 eps_hat[n, d]) + sigma z[n, d], with
// c1 = 1 / sqrt(alpha_t), c2 = beta_t / sqrt(1 - abar_t), sigma = sqrt(beta_t) (0 at the last step), z from
// Philox(ctr (d / 4, row, step, stream)) as forward_noise.wgsl. Bindings: 0 Params, 1 eps_hat (rows, cols) f32,
// 2 x (rows, cols) f32 updated in place. Dispatch: grid2d(rows * ceil(cols / 4), WG), 4 columns per invocation.
// Precision: f32, 3 roundings per value; z bit-exact. Reference: kernels-test/ref/ddpm.ts.
override WG: u32 = 64;

struct Params {
  key: vec2<u32>,
  rows: u32,
  cols: u32,
  quads: u32,
  step: u32,
  stream: u32,
  c1: f32,
  c2: f32,
  sigma: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> eps_hat: array<f32>;
@group(0) @binding(2) var<storage, read_write> x: array<f32>;

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
    x[j] = params.c1 * (x[j] - params.c2 * eps_hat[j]) + params.sigma * z[k];
  }
}
