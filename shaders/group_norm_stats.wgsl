// For image nn, group g (channels g * cpg .. + cpg) and block blk of block_rows pixels of NHWC x (n, hw, c):
// count, mean and M2 = sum (x - mean)^2 of the block (two passes). blocks = 1: mean[nn, g] = mean and
// rstd[nn, g] = 1 / sqrt(M2 / count + eps); else partial[i] = (count, mean, M2) for group_norm_finish.
// Bindings: 0 Params, 1 x f32, 2 partial vec4 f32, 3 mean (n * groups), 4 rstd (n * groups). Dispatch:
// grid2d(n * groups * blocks, WG). Precision: f32, shifted two-pass. Reference: ref/nn_image_norm.ts groupNorm.
// wrapper: src/kernels/nn_image_norm.ts
override WG: u32 = 64;

struct Params {
  hw: u32,
  c: u32,
  groups: u32,
  cpg: u32,
  blocks: u32,
  block_rows: u32,
  total: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> mean: array<f32>;
@group(0) @binding(4) var<storage, read_write> rstd: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid, WG);
  if (i >= params.total) { return; }
  let c = params.c;
  let cpg = params.cpg;
  let blk = i % params.blocks;
  let ng = i / params.blocks;
  let nn = ng / params.groups;
  let c0 = (ng % params.groups) * cpg;
  let p0 = blk * params.block_rows;
  let p1 = min(params.hw, p0 + params.block_rows);
  var s = 0.0;
  for (var p = p0; p < p1; p++) {
    let row = (nn * params.hw + p) * c + c0;
    for (var j = 0u; j < cpg; j++) { s += x[row + j]; }
  }
  let count = f32((p1 - p0) * cpg);
  let m = s / count;
  var m2 = 0.0;
  for (var p = p0; p < p1; p++) {
    let row = (nn * params.hw + p) * c + c0;
    for (var j = 0u; j < cpg; j++) {
      let d = x[row + j] - m;
      m2 += d * d;
    }
  }
  if (params.blocks == 1u) {
    mean[ng] = m;
    rstd[ng] = 1.0 / sqrt(m2 / count + params.eps);
  } else {
    partial[i] = vec4<f32>(count, m, m2, 0.0);
  }
}
