// out[row_offset + i] = k-th smallest over columns j (j != row_offset + i when exclude_self) of the squared
// distance d_ij = max(norm_a[row_offset + i] + norm_b[j] + c[i, j], 0), c = -2 A B^T from matmul.wgsl.
// Bindings: 0 Params, 1 c (rows, cols) f32, 2 norm_a (row_offset + rows) f32, 3 norm_b (cols) f32, 4 out f32 rw.
// Dispatch: grid2d(rows, WG), one invocation per row keeping its k smallest (k <= K_MAX) in an insertion-sorted
// private list. Precision: exact selection of f32 values; reference: kernels-test/ref/metrics.ts (knnRadiiRef).
// wrapper: src/kernels/knn_select.ts
override WG: u32 = 64;

// Largest k a caller may ask for (src/kernels/knn_select.ts: KNN_MAX_K).
const K_MAX: u32 = 32u;
const BIG: f32 = 0x1.fffffep+127f; // largest f32: an empty slot of the list

struct Params {
  rows: u32,
  cols: u32,
  k: u32,
  row_offset: u32,
  exclude_self: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> c: array<f32>;
@group(0) @binding(2) var<storage, read> norm_a: array<f32>;
@group(0) @binding(3) var<storage, read> norm_b: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid, WG);
  if (i >= params.rows) { return; }
  let row = params.row_offset + i;
  let na = norm_a[row];
  let k = params.k;
  var best: array<f32, K_MAX>;
  for (var q = 0u; q < K_MAX; q++) { best[q] = BIG; }
  let base = i * params.cols;
  for (var j = 0u; j < params.cols; j++) {
    if (params.exclude_self != 0u && j == row) { continue; }
    let d = max(na + norm_b[j] + c[base + j], 0.0);
    if (d >= best[k - 1u]) { continue; }
    // Insert d into the ascending list best[0 .. k), dropping its largest entry.
    var q = k - 1u;
    while (q > 0u && best[q - 1u] > d) {
      best[q] = best[q - 1u];
      q--;
    }
    best[q] = d;
  }
  out[row] = best[k - 1u];
}
