// y[c] += sum over blk < blocks of partial[blk, c]: the second level of the column sums of
// bias_act_backward. Bindings: 0 Params, 1 partial (blocks, cols) f32, 2 y (cols) f32.
// Dispatch: grid2d(cols, WG), one invocation per column. Precision: f32 sum in block order.
// Reference: kernels-test/ref/nn_dense.ts biasActBackward (db).
// wrapper: src/kernels/nn_dense_act.ts
override WG: u32 = 64;

struct Params {
  cols: u32,
  blocks: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> partial: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let c = linear_index(wid, nwg, lid, WG);
  if (c >= params.cols) { return; }
  var acc = 0.0;
  for (var blk = 0u; blk < params.blocks; blk++) { acc += partial[blk * params.cols + c]; }
  y[c] += acc;
}
