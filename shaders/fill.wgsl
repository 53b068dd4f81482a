// x[offset + i] = value for i < n (zeroing gradients, resetting accumulators).
// Bindings: 0 Params, 1 x f32 (bit pattern written as is, so any 32-bit dtype works).
// Dispatch: grid2d(parts, WG), invocation p handles elements p, p + parts, ... Precision: exact.
// Reference: kernels-test/ref/nn_dense.ts (a filled array).
// wrapper: src/kernels/nn_dense_optim.ts
override WG: u32 = 256;

struct Params {
  n: u32,
  offset: u32,
  value: u32,
  parts: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> x: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let p = linear_index(wid, nwg, lid, WG);
  if (p >= params.parts) { return; }
  for (var i = p; i < params.n; i += params.parts) { x[params.offset + i] = params.value; }
}
