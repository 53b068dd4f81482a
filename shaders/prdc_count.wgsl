// For a block of fake rows j against all real columns i, with d_ji = max(fake[r].x + real[i].x + c[j, i], 0)
// (r = row_offset + j; .x squared norms, .y squared k-NN radii; c = -2 F R^T from matmul.wgsl):
// counts[r] = #{i : d_ji < real[i].y} (row invocations); flags[i] |= 1 if some d_ji < real[i].y (coverage)
// and |= 2 if some d_ji < fake[r].y (recall) (column invocations, one per i, OR-ing over the blocks in order).
// Bindings: 0 Params, 1 c (rows, cols) f32, 2 fake (M) vec2 f32, 3 real (N) vec2 f32, 4 counts (M) u32 rw,
// 5 flags (N) u32 rw. Dispatch: grid2d(rows + cols, WG). Precision: exact comparisons of f32 values (strict <,
// as Naeem et al. 2020's reference code); reference: kernels-test/ref/metrics.ts (prdcRef).
// wrapper: src/kernels/prdc_count.ts
override WG: u32 = 64;

struct Params {
  rows: u32,
  cols: u32,
  row_offset: u32,
  pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> c: array<f32>;
@group(0) @binding(2) var<storage, read> fake: array<vec2<f32>>;
@group(0) @binding(3) var<storage, read> real: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> counts: array<u32>;
@group(0) @binding(5) var<storage, read_write> flags: array<u32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let t = linear_index(wid, nwg, lid, WG);
  if (t < params.rows) {
    let r = params.row_offset + t;
    let nf = fake[r].x;
    let base = t * params.cols;
    var n = 0u;
    for (var i = 0u; i < params.cols; i++) {
      let ri = real[i];
      if (max(nf + ri.x + c[base + i], 0.0) < ri.y) { n++; }
    }
    counts[r] = n;
    return;
  }
  let i = t - params.rows;
  if (i >= params.cols) { return; }
  let ri = real[i];
  var f = flags[i];
  for (var j = 0u; j < params.rows; j++) {
    let fj = fake[params.row_offset + j];
    let d = max(fj.x + ri.x + c[j * params.cols + i], 0.0);
    if (d < ri.y) { f |= 1u; }
    if (d < fj.y) { f |= 2u; }
  }
  flags[i] = f;
}
