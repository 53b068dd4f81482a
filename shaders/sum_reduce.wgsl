// out[out_index] = scale * sum_{j < count} f(src[offset + j]), f(v) = v (square = 0) or v^2 (square = 1):
// the second level of every dense-op reduction (and the whole one for short inputs).
// Bindings: 0 Params, 1 src f32, 2 out f32. Dispatch: exactly 1 workgroup: WG strided sums, then a tree.
// Precision: f32, sums of count / WG terms then log2(WG) levels. Reference: kernels-test/ref/nn_dense.ts.
// wrapper: src/kernels/nn_dense_loss.ts
override WG: u32 = 64;

struct Params {
  count: u32,
  offset: u32,
  out_index: u32,
  square: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

var<workgroup> tree: array<f32, WG>;

@compute @workgroup_size(WG)
fn main(@builtin(local_invocation_index) lid: u32) {
  var acc = 0.0;
  for (var j = lid; j < params.count; j += WG) {
    let v = src[params.offset + j];
    acc += select(v, v * v, params.square != 0u);
  }
  tree[lid] = acc;
  workgroupBarrier();
  for (var half = WG / 2u; half > 0u; half /= 2u) {
    if (lid < half) { tree[lid] += tree[lid + half]; }
    workgroupBarrier();
  }
  if (lid == 0u) { out[params.out_index] = params.scale * tree[0]; }
}
