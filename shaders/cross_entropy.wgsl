// Softmax cross-entropy per row r: l_r = logsumexp(logits[r, :]) - logits[r, labels[r]]; dlogits[r, c] =
// (softmax(logits[r, :])[c] - [c = labels[r]]) inv_rows (overwrites); partial[p] = sum of l_r over
// r = p, p + parts, ... A label outside [0, classes) gives NaN loss and gradient for its row.
// Bindings: 0 Params, 1 logits (rows, classes), 2 labels (rows) i32, 3 dlogits (rows, classes), 4 partial.
// Dispatch: grid2d(parts, WG); then sum_reduce(partial, scale 1 / rows). Precision: f32, max-shifted exp.
// Reference: kernels-test/ref/nn_dense.ts crossEntropy.
// wrapper: src/kernels/nn_dense_loss.ts
override WG: u32 = 64;

struct Params {
  rows: u32,
  classes: u32,
  parts: u32,
  inv_rows: f32,
  nan: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> logits: array<f32>;
@group(0) @binding(2) var<storage, read> labels: array<i32>;
@group(0) @binding(3) var<storage, read_write> dlogits: array<f32>;
@group(0) @binding(4) var<storage, read_write> partial: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let p = linear_index(wid, nwg, lid, WG);
  if (p >= params.parts) { return; }
  let nc = params.classes;
  var acc = 0.0;
  for (var r = p; r < params.rows; r += params.parts) {
    let base = r * nc;
    var m = logits[base];
    for (var c = 1u; c < nc; c++) { m = max(m, logits[base + c]); }
    var s = 0.0;
    for (var c = 0u; c < nc; c++) { s += exp(logits[base + c] - m); }
    let lab = labels[r];
    let valid = lab >= 0 && lab < i32(nc);
    let want = u32(select(0, lab, valid));
    let inv_s = 1.0 / s;
    for (var c = 0u; c < nc; c++) {
      let q = exp(logits[base + c] - m) * inv_s - select(0.0, 1.0, c == want);
      dlogits[base + c] = select(params.nan, q * params.inv_rows, valid);
    }
    acc += select(params.nan, m + log(s) - logits[base + want], valid);
  }
  partial[p] = acc;
}
