// y[r, c] = act(x[r, c] + b[c]) with act = identity (ACT = 0) or silu (ACT = 1); without bias
// (has_bias = 0) y = act(x) and b is not read. Bindings: 0 Params, 1 x (rows, cols) f32, 2 b (cols) f32,
// 3 y (rows, cols) f32 (not x). Dispatch: grid2d(parts, WG); invocation p handles elements p, p + parts, ...
// (col_step = parts % cols). Precision: f32, silu a few ulp (lib/activation.wgsl). Reference: ref/nn_dense.ts biasAct.
// wrapper: src/kernels/nn_dense_act.ts
override WG: u32 = 256;
override ACT: u32 = 0u;

struct Params {
  rows: u32,
  cols: u32,
  has_bias: u32,
  parts: u32,
  col_step: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let p = linear_index(wid, nwg, lid, WG);
  if (p >= params.parts) { return; }
  let n = params.rows * params.cols;
  // The column follows the element without a division per element (strided loops: lib/index.wgsl).
  var c = p % params.cols;
  for (var i = p; i < n; i += params.parts) {
    var v = x[i];
    if (params.has_bias != 0u) { v += b[c]; }
    if (ACT == 1u) { v = silu(v); }
    y[i] = v;
    c = next_col(c, params.col_step, params.cols);
  }
}
