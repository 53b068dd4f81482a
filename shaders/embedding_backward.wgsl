// dtable[k, e] += sum over rows n with row(n) = k of dy[n, e] (row(n) = labels[n], or K for -1; other
// labels add nothing). Bindings: 0 Params, 1 labels (rows) i32, 2 dy (rows, E) f32, 3 dtable (K + 1, E) f32.
// Dispatch: grid2d((K + 1) * E, WG): one invocation per table entry loops over the batch (no float atomics).
// Precision: f32 sum in row order. Reference: kernels-test/ref/nn_dense.ts embeddingBackward.
// wrapper: src/kernels/nn_dense_embed.ts
override WG: u32 = 64;

struct Params {
  rows: u32,
  dim: u32,
  classes: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read> dy: array<f32>;
@group(0) @binding(3) var<storage, read_write> dtable: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid, WG);
  if (i >= (params.classes + 1u) * params.dim) { return; }
  let k = i32(i / params.dim);
  let e = i % params.dim;
  let null_row = i32(params.classes);
  var acc = 0.0;
  for (var n = 0u; n < params.rows; n++) {
    let l = labels[n];
    // l = K is not a class (classes are 0..K-1); -1 is the null row K.
    if (l != null_row && select(l, null_row, l == -1) == k) { acc += dy[n * params.dim + e]; }
  }
  dtable[i] += acc;
}
