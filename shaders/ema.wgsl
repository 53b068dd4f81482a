// ema[e] += (1 - decay) (param[e] - ema[e]) for e = offset + i, i < n (= decay ema + (1 - decay) param).
// Bindings: 0 Params, 1 ema rw f32, 2 param f32 (not ema).
// Dispatch: grid2d(parts, WG), invocation p handles elements p, p + parts, ... Precision: f32, 3 roundings.
// Reference: kernels-test/ref/nn_dense.ts ema.
// wrapper: src/kernels/nn_dense_optim.ts
override WG: u32 = 256;

struct Params {
  n: u32,
  offset: u32,
  weight: f32,
  parts: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> ema: array<f32>;
@group(0) @binding(2) var<storage, read> param: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let p = linear_index(wid, nwg, lid, WG);
  if (p >= params.parts) { return; }
  for (var i = p; i < params.n; i += params.parts) {
    let e = params.offset + i;
    let a = ema[e];
    ema[e] = a + params.weight * (param[e] - a);
  }
}
