// The 9 Frobenius inner products <P_i, Q_j>_F (i, j = 0, 1, 2) of two triples of same-size matrices in one
// pass: each element of the six is read once (the crn bases' (A, B, S) of two events, for M(i)), where one
// product at a time (frobenius.wgsl) reads 18. partial[p * blocks + b] = sum over elements e of block b
// of P_i[e] Q_j[e], p = 3 i + j, block b = elements [b * WG * ITEMS, (b + 1) * WG * ITEMS) of len.
// Bindings: 0 Params, 1-3 P_0..P_2 f32 (len each), 4-6 Q_0..Q_2 f32 (may be the P's), 7 partial
// (9 * blocks) vec2<f32> (hi, lo). Dispatch: grid2d(blocks workgroups); then frobenius_reduce with 9
// pairs. Precision: Kahan per invocation and product, TwoSum tree, as frobenius.wgsl (error ~ 2^-24
// sum |p q|). Reference: kernels-test/ref/frobenius.ts.
// wrapper: src/kernels/frobenius.ts
override WG: u32 = 64;
override ITEMS: u32 = 64;

struct Params {
  blocks: u32,
  len: u32,
  one: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> p0: array<f32>;
@group(0) @binding(2) var<storage, read> p1: array<f32>;
@group(0) @binding(3) var<storage, read> p2: array<f32>;
@group(0) @binding(4) var<storage, read> q0: array<f32>;
@group(0) @binding(5) var<storage, read> q1: array<f32>;
@group(0) @binding(6) var<storage, read> q2: array<f32>;
@group(0) @binding(7) var<storage, read_write> partial: array<vec2<f32>>;

var<workgroup> tree: array<vec2<f32>, 9u * WG>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let blk = wid.y * nwg.x + wid.x;
  if (blk >= params.blocks) { return; }
  let one = params.one;
  let e_end = min(params.len, (blk + 1u) * WG * ITEMS);
  var acc: array<vec2<f32>, 9>;
  // Consecutive invocations read consecutive elements.
  for (var e = blk * WG * ITEMS + lid; e < e_end; e += WG) {
    let a = vec3<f32>(p0[e], p1[e], p2[e]);
    let b = vec3<f32>(q0[e], q1[e], q2[e]);
    acc[0] = kahan_add(acc[0], a.x * b.x, one);
    acc[1] = kahan_add(acc[1], a.x * b.y, one);
    acc[2] = kahan_add(acc[2], a.x * b.z, one);
    acc[3] = kahan_add(acc[3], a.y * b.x, one);
    acc[4] = kahan_add(acc[4], a.y * b.y, one);
    acc[5] = kahan_add(acc[5], a.y * b.z, one);
    acc[6] = kahan_add(acc[6], a.z * b.x, one);
    acc[7] = kahan_add(acc[7], a.z * b.y, one);
    acc[8] = kahan_add(acc[8], a.z * b.z, one);
  }
  for (var q = 0u; q < 9u; q++) { tree[q * WG + lid] = acc[q]; }
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lid < half) {
      for (var q = 0u; q < 9u; q++) { tree[q * WG + lid] = two_sum_add(tree[q * WG + lid], tree[q * WG + lid + half], one); }
    }
    workgroupBarrier();
  }
  if (lid < 9u) { partial[lid * params.blocks + blk] = tree[lid * WG]; }
}
