// out[p] = (hi, lo) with hi + lo = sum over b < blocks of partial[p * blocks + b] (hi, lo pairs), hi = fl(hi + lo).
// Bindings: 0 Params, 1 partial (P * blocks) vec2<f32>, 2 out (P) vec2<f32>.
// Dispatch: grid2d(P workgroups), one workgroup per pair; follows frobenius.
// Precision: TwoSum throughout, adds ~2^-24 |sum| at most. Reference: kernels-test/ref/frobenius.ts.
// wrapper: src/kernels/frobenius.ts
override WG: u32 = 64;

struct Params {
  pairs: u32,
  blocks: u32,
  one: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partial: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read_write> out: array<vec2<f32>>;

var<workgroup> tree: array<vec2<f32>, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let p = wid.y * nwg.x + wid.x;
  if (p >= params.pairs) { return; }
  let one = params.one;
  var acc = vec2<f32>(0.0);
  for (var blk = lid; blk < params.blocks; blk += WG) {
    acc = two_sum_add(acc, partial[p * params.blocks + blk], one);
  }
  tree[lid] = acc;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lid < half) { tree[lid] = two_sum_add(tree[lid], tree[lid + half], one); }
    workgroupBarrier();
  }
  if (lid == 0u) { out[p] = renormalise(tree[0], one); }
}
