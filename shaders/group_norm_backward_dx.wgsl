// dx = rstd * (gamma dy - S0 / M - xhat S1 / M), xhat = (x - mean) * rstd, M = hw * cpg, with
// (S0, S1) = gs[nn, g] = sums over the group of (gamma dy, gamma dy xhat): the GroupNorm input gradient
// (overwrites dx). Bindings: 0 Params, 1 x, 2 dy, 3 gamma (c), 4 mean, 5 rstd (n * groups), 6 gs vec2, 7 dx.
// Dispatch: grid2d(n * hw, WG), one invocation per pixel and its c channels. Precision: f32, a few
// roundings of the terms. Reference: kernels-test/ref/nn_image_norm.ts groupNormBackward.
// wrapper: src/kernels/nn_image_norm.ts
override WG: u32 = 64;

struct Params {
  hw: u32,
  c: u32,
  groups: u32,
  cpg: u32,
  pixels: u32,
  inv_m: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read> mean: array<f32>;
@group(0) @binding(5) var<storage, read> rstd: array<f32>;
@group(0) @binding(6) var<storage, read> gs: array<vec2<f32>>;
@group(0) @binding(7) var<storage, read_write> dx: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let pix = linear_index(wid, nwg, lid, WG);
  if (pix >= params.pixels) { return; }
  let c = params.c;
  let ng0 = (pix / params.hw) * params.groups;
  var g = 0u;
  var next = params.cpg;
  for (var ci = 0u; ci < c; ci++) {
    if (ci == next) {
      g++;
      next += params.cpg;
    }
    let i = pix * c + ci;
    let r = rstd[ng0 + g];
    let xhat = (x[i] - mean[ng0 + g]) * r;
    let s = gs[ng0 + g] * params.inv_m;
    dx[i] = r * (gamma[ci] * dy[i] - s.x - xhat * s.y);
  }
}
