// dpred[e] = grad_scale (pred[e] - tgt[e]) (overwrites; grad_scale = 2 / n) and the first level of
// loss = sum_e (pred[e] - tgt[e])^2 / n: partial[p] = sum over e = p, p + parts, ... < n of the squares.
// Bindings: 0 Params, 1 pred (n) f32, 2 target (n) f32, 3 dpred (n) f32, 4 partial (parts) f32.
// Dispatch: grid2d(parts, WG); then sum_reduce(partial, scale 1 / n). Precision: f32 strided sums.
// Reference: kernels-test/ref/nn_dense.ts mseLoss.
// wrapper: src/kernels/nn_dense_loss.ts
override WG: u32 = 64;

struct Params {
  n: u32,
  parts: u32,
  grad_scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> pred: array<f32>;
@group(0) @binding(2) var<storage, read> tgt: array<f32>;
@group(0) @binding(3) var<storage, read_write> dpred: array<f32>;
@group(0) @binding(4) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let p = linear_index(wid, nwg, lid, WG);
  if (p >= params.parts) { return; }
  var acc = 0.0;
  for (var e = p; e < params.n; e += params.parts) {
    let d = pred[e] - tgt[e];
    dpred[e] = params.grad_scale * d;
    acc += d * d;
  }
  partial[p] = acc;
}
