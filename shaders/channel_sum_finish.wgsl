// out[r, ci] (+)= sum over blk < blocks of partial[(r * blocks + blk) * c + ci]: the second level of
// channel_sum and group_norm_backward_sums (accumulate = 0 overwrites out). Bindings: 0 Params,
// 1 partial (rows, blocks, c) f32, 2 out (rows, c) f32. Dispatch: grid2d(rows * c, WG), one invocation per
// output. Precision: f32 sum in block order. Reference: kernels-test/ref/nn_image.ts channelSum.
// wrapper: src/kernels/nn_image_channel.ts
override WG: u32 = 64;

struct Params {
  c: u32,
  blocks: u32,
  total: u32,
  accumulate: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid, WG);
  if (i >= params.total) { return; }
  let c = params.c;
  let base = (i / c) * params.blocks * c + i % c;
  var acc = 0.0;
  for (var blk = 0u; blk < params.blocks; blk++) { acc += partial[base + blk * c]; }
  if (params.accumulate != 0u) { out[i] += acc; } else { out[i] = acc; }
}
