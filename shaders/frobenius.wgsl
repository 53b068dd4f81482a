// partial[p * blocks + b] = sum over elements e of block b of a[i_p * len + e] * b[j_p * len + e],
// pair p = (i_p, j_p), block b = elements [b * WG * ITEMS, (b + 1) * WG * ITEMS) of the len = rows * cols.
// Bindings: 0 Params, 1 a stack (count_a, len) f32, 2 b stack (count_b, len) f32 (may be a), 3 pairs (P)
// vec2<u32>, 4 partial (P * blocks) vec2<f32> (hi, lo). Dispatch: grid2d(P * blocks workgroups); then
// frobenius_reduce. Precision: Kahan per invocation, TwoSum tree; error ~ 2^-24 sum |a b| (ref/frobenius.ts).
// wrapper: src/kernels/frobenius.ts
override WG: u32 = 128;
override ITEMS: u32 = 32;

struct Params {
  pairs: u32,
  blocks: u32,
  len: u32,
  one: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read> pairs: array<vec2<u32>>;
@group(0) @binding(4) var<storage, read_write> partial: array<vec2<f32>>;

var<workgroup> tree: array<vec2<f32>, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let w = wid.y * nwg.x + wid.x;
  if (w >= params.pairs * params.blocks) { return; }
  let p = w / params.blocks;
  let blk = w % params.blocks;
  let ij = pairs[p];
  let one = params.one;
  let base_a = ij.x * params.len;
  let base_b = ij.y * params.len;
  // Consecutive invocations read consecutive elements (coalesced on GPUs, SIMD lanes on CPUs).
  let e0 = blk * WG * ITEMS + lid;
  let e_end = min(params.len, (blk + 1u) * WG * ITEMS);
  var acc = vec2<f32>(0.0);
  for (var e = e0; e < e_end; e += WG) {
    acc = kahan_add(acc, a[base_a + e] * b[base_b + e], one);
  }
  tree[lid] = acc;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lid < half) { tree[lid] = two_sum_add(tree[lid], tree[lid + half], one); }
    workgroupBarrier();
  }
  if (lid == 0u) { partial[w] = tree[0]; }
}
