// dx[r, c] = dy[r, c] act'(x[r, c] + b[c]) (act' = 1 for ACT = 0, silu' for ACT = 1). With want_db, invocation
// (blk, c) also sums its block_rows rows: partial[blk, c] (db[c] += it directly when blocks = 1); without,
// a strided loop over the elements. Bindings: 0 Params, 1 x, 2 b (cols), IN_PLACE: 3 g (dy in, dx out), else
// 3 dy, 4 dx; then partial (blocks, cols), db (cols). Dispatch: grid2d(want_db ? blocks * cols : parts, WG);
// then column_reduce when blocks > 1. Precision: f32, in-order sums. Reference: ref/nn_dense.ts biasActBackward.
// wrapper: src/kernels/nn_dense_act.ts
override WG: u32 = 64;
override ACT: u32 = 0u;

struct Params {
  rows: u32,
  cols: u32,
  blocks: u32,
  block_rows: u32,
  has_bias: u32,
  store: u32,
  want_db: u32,
  parts: u32,
  col_step: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
#if IN_PLACE
@group(0) @binding(3) var<storage, read_write> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> partial: array<f32>;
@group(0) @binding(5) var<storage, read_write> db: array<f32>;
fn load_dy(e: u32) -> f32 { return g[e]; }
fn store_dx(e: u32, v: f32) { g[e] = v; }
#else
@group(0) @binding(3) var<storage, read> dy: array<f32>;
@group(0) @binding(4) var<storage, read_write> dx: array<f32>;
@group(0) @binding(5) var<storage, read_write> partial: array<f32>;
@group(0) @binding(6) var<storage, read_write> db: array<f32>;
fn load_dy(e: u32) -> f32 { return dy[e]; }
fn store_dx(e: u32, v: f32) { dx[e] = v; }
#endif

/** dx at element e of column c; stored unless the kernel runs in place on act 'none' (store = 0). */
fn grad_at(e: u32, c: u32) -> f32 {
  var d = load_dy(e);
  if (ACT == 1u) {
    var v = x[e];
    if (params.has_bias != 0u) { v += b[c]; }
    d *= silu_grad(v);
  }
  if (params.store != 0u) { store_dx(e, d); }
  return d;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let p = linear_index(wid, nwg, lid, WG);
  let cols = params.cols;
  if (params.want_db == 0u) {
    if (p >= params.parts) { return; }
    var c = p % cols;
    for (var e = p; e < params.rows * cols; e += params.parts) {
      _ = grad_at(e, c);
      c = next_col(c, params.col_step, cols);
    }
    return;
  }
  if (p >= params.blocks * cols) { return; }
  // Consecutive invocations take consecutive columns of the same rows (coalesced loads).
  let c = p % cols;
  let blk = p / cols;
  let r0 = blk * params.block_rows;
  let r1 = min(params.rows, r0 + params.block_rows);
  var acc = 0.0;
  for (var r = r0; r < r1; r++) { acc += grad_at(r * cols + c, c); }
  if (params.blocks == 1u) {
    db[c] += acc;
  } else {
    partial[blk * cols + c] = acc;
  }
}
