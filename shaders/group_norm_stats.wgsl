// For image nn, block blk of block_rows pixels and channel q of NHWC x (n, hw, c) (VEC4 builds: the four
// channels 4q .. 4q + 3, for c % 4 == 0): the block's mean and M2 = sum (x - mean)^2 per channel in one pass
// by Welford's update (d = x - mean_{k-1}, mean_k = mean_{k-1} + d / k, M2 += d (x - mean_k)), as two
// planes partial[i] = mean, partial[total + i] = M2 with i = (nn * blocks + blk) * cw + q, cw = c (c / 4 in
// VEC4 builds); group_norm_finish merges a group's channels and blocks.
// Bindings: 0 Params, 1 x (n * hw, cw) V, 2 partial (2, n, blocks, cw) V; V = f32 (vec4<f32> in VEC4 builds).
// Dispatch: grid2d(n * blocks * cw, WG). Precision: f32 Welford updates over <= block_rows values (stable
// like two passes, with one read of x: 1.6x faster than two passes on lavapipe, scripts/dev/gn-bench.ts).
// Reference: kernels-test/ref/nn_image_norm.ts groupNorm.
// wrapper: src/kernels/nn_image_norm.ts
override WG: u32 = 64;

#if VEC4
alias V = vec4<f32>;
#else
alias V = f32;
#endif

struct Params {
  hw: u32,
  cw: u32,
  blocks: u32,
  block_rows: u32,
  total: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read_write> partial: array<V>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid, WG);
  if (i >= params.total) { return; }
  let cell = gn_cell(i);
  let cw = params.cw;
  let q = cell.q;
  let nn = cell.nn;
  let base = nn * params.hw;
  var m = V(0.0);
  var m2 = V(0.0);
  var k = 0.0;
  for (var p = cell.p0; p < cell.p1; p++) {
    let v = x[(base + p) * cw + q];
    k += 1.0;
    let d = v - m;
    m += d * (1.0 / k);
    m2 += d * (v - m);
  }
  partial[i] = m;
  partial[params.total + i] = m2;
}
