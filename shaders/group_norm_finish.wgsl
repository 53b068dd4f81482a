// mean[r] and rstd[r] = 1 / sqrt(M2 / count + eps) for each (image, group) r from its blocks'
// (count, mean, M2) by Chan et al.'s pairwise merge: delta = mb - ma, mean = ma + delta nb / n,
// M2 = M2a + M2b + delta^2 na nb / n. Bindings: 0 Params, 1 partial (rows, blocks) vec4 f32, 2 mean, 3 rstd.
// Dispatch: grid2d(rows, WG). Precision: f32 merges in block order. Reference: ref/nn_image_norm.ts groupNorm.
// wrapper: src/kernels/nn_image_norm.ts
override WG: u32 = 64;

struct Params {
  rows: u32,
  blocks: u32,
  eps: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partial: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> mean: array<f32>;
@group(0) @binding(3) var<storage, read_write> rstd: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let r = linear_index(wid, nwg, lid, WG);
  if (r >= params.rows) { return; }
  let base = r * params.blocks;
  var acc = partial[base];
  for (var blk = 1u; blk < params.blocks; blk++) {
    let b = partial[base + blk];
    let n = acc.x + b.x;
    let delta = b.y - acc.y;
    acc = vec4<f32>(n, acc.y + delta * (b.x / n), acc.z + b.z + delta * delta * (acc.x * b.x / n), 0.0);
  }
  mean[r] = acc.y;
  rstd[r] = 1.0 / sqrt(acc.z / acc.x + params.eps);
}
