// Per image nn, block blk of block_rows pixels and channel ci: s = sum_p x[nn, p, ci] over the block's pixels
// of (n, hw, c) NHWC x. direct (blocks = 1): out[nn, ci] += s; else partial[(nn * blocks + blk) * c + ci] = s
// (channel_sum_finish adds the blocks). Bindings: 0 Params, 1 x f32, 2 partial f32, 3 out (n, c) f32.
// Dispatch: grid2d(n * blocks * c, WG). Precision: f32 sum in pixel order. Reference: ref/nn_image.ts channelSum.
// wrapper: src/kernels/nn_image_channel.ts
override WG: u32 = 64;

struct Params {
  hw: u32,
  c: u32,
  blocks: u32,
  block_rows: u32,
  total: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;
@group(0) @binding(3) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid, WG);
  if (i >= params.total) { return; }
  let c = params.c;
  let ci = i % c;
  let blk = (i / c) % params.blocks;
  let nn = i / (c * params.blocks);
  let p0 = blk * params.block_rows;
  let p1 = min(params.hw, p0 + params.block_rows);
  var acc = 0.0;
  for (var p = p0; p < p1; p++) { acc += x[(nn * params.hw + p) * c + ci]; }
  if (params.blocks == 1u) { out[nn * c + ci] += acc; } else { partial[i] = acc; }
}
