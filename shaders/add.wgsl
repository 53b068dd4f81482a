// y[i] = alpha a[i] + beta b[i] for i < n (use_b = 0: y = alpha a, b not read). IN_PLACE: a is y.
// VEC4: the arrays as vec4s and n counts vec4s (the caller's length / 4): on lavapipe every storage load
// is a loop over the lanes, so a quarter of them; the same operations per value, so the same bits.
// Bindings: 0 Params, IN_PLACE: 1 y (n) f32 (a in, y out), 2 b (n); else 1 a, 2 b, 3 y.
// Dispatch: grid2d(parts, WG), invocation p handles elements p, p + parts, ... Precision: f32, two products and a sum.
// Reference: kernels-test/ref/nn_dense.ts add.
// wrapper: src/kernels/nn_dense_act.ts
override WG: u32 = 256;

struct Params {
  n: u32,
  use_b: u32,
  alpha: f32,
  beta: f32,
  parts: u32,
}

#if VEC4
alias V = vec4<f32>;
#else
alias V = f32;
#endif

@group(0) @binding(0) var<uniform> params: Params;
#if IN_PLACE
@group(0) @binding(1) var<storage, read_write> y: array<V>;
@group(0) @binding(2) var<storage, read> b: array<V>;
fn load_a(i: u32) -> V { return y[i]; }
#else
@group(0) @binding(1) var<storage, read> a: array<V>;
@group(0) @binding(2) var<storage, read> b: array<V>;
@group(0) @binding(3) var<storage, read_write> y: array<V>;
fn load_a(i: u32) -> V { return a[i]; }
#endif

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let p = linear_index(wid, nwg, lid, WG);
  if (p >= params.parts) { return; }
  for (var i = p; i < params.n; i += params.parts) {
    var v = params.alpha * load_a(i);
    if (params.use_b != 0u) { v += params.beta * b[i]; }
    y[i] = v;
  }
}
