// Per image nn, block blk of block_rows pixels and channel ci of NHWC (n, hw, c): s0 = sum dy and
// s1 = sum dy * xhat, xhat = (x - mean[nn, g]) * rstd[nn, g], over the block's pixels, stored as two planes
// out[(nn * blocks + blk) * c + ci] = s0 and out[(n + nn) * blocks * c + ...] = s1 (with blocks = 1 this is
// already the (2, n, c) layout group_norm_backward_stats reads; else channel_sum_finish reduces the blocks).
// Bindings: 0 Params, 1 x, 2 dy, 3 mean, 4 rstd, 5 out (f32). Dispatch: grid2d(n * blocks * c, WG).
// Precision: f32 sums in pixel order. Reference: kernels-test/ref/nn_image_norm.ts groupNormBackward.
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
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read> mean: array<f32>;
@group(0) @binding(4) var<storage, read> rstd: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid, WG);
  if (i >= params.total) { return; }
  let c = params.c;
  let ci = i % c;
  let blk = (i / c) % params.blocks;
  let nn = i / (c * params.blocks);
  let ng = nn * params.groups + ci / params.cpg;
  let m = mean[ng];
  let r = rstd[ng];
  let p0 = blk * params.block_rows;
  let p1 = min(params.hw, p0 + params.block_rows);
  var s0 = 0.0;
  var s1 = 0.0;
  for (var p = p0; p < p1; p++) {
    let e = (nn * params.hw + p) * c + ci;
    let d = dy[e];
    s0 += d;
    s1 += d * ((x[e] - m) * r);
  }
  out[i] = s0;
  out[params.total + i] = s1;
}
