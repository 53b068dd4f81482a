// First level of sum_e x[offset + e]^2 over e < n: partial[p] = sum over e = p, p + parts, ... < n.
// Bindings: 0 Params, 1 x f32, 2 partial (parts) f32.
// Dispatch: grid2d(parts, WG); then sum_reduce(partial) into the caller's slot. Precision: f32 strided sums.
// Reference: kernels-test/ref/nn_dense.ts sumSquares.
// wrapper: src/kernels/nn_dense_optim.ts
override WG: u32 = 64;

struct Params {
  n: u32,
  offset: u32,
  parts: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let p = linear_index(wid, nwg, lid, WG);
  if (p >= params.parts) { return; }
  var acc = 0.0;
  for (var e = p; e < params.n; e += params.parts) {
    let v = x[params.offset + e];
    acc += v * v;
  }
  partial[p] = acc;
}
