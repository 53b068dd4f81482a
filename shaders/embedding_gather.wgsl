// y[n, e] = table[row(n), e] with row(n) = labels[n] for labels in [0, K), K (the null class) for -1;
// any other label gives NaN (the caller's bug surfaces in the loss). Bindings: 0 Params, 1 table (K + 1, E)
// f32, 2 labels (rows) i32, 3 y (rows, E) f32. Dispatch: grid2d(parts, WG), strided loop over the elements.
// Precision: exact copy. Reference: kernels-test/ref/nn_dense.ts embeddingGather.
// wrapper: src/kernels/nn_dense_embed.ts
override WG: u32 = 256;

struct Params {
  rows: u32,
  dim: u32,
  classes: u32,
  nan: f32,
  parts: u32,
  row_step: u32,
  col_step: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> table: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let p = linear_index(wid, nwg, lid, WG);
  if (p >= params.parts) { return; }
  let k = i32(params.classes);
  var ne = vec2<u32>(p / params.dim, p % params.dim);
  for (var i = p; i < params.rows * params.dim; i += params.parts) {
    let l = labels[ne.x];
    let valid = l >= -1 && l < k;
    let row = u32(select(0, select(l, k, l == -1), valid));
    y[i] = select(params.nan, table[row * params.dim + ne.y], valid);
    ne = next_rc(ne, params.row_step, params.col_step, params.dim);
  }
}
