// norm = sqrt(sum_{i < count} sumsq[i]); out[0] = min(1, max_norm / (norm + 1e-6)) (1 when clip = 0), or 0 when
// norm is not finite (AdamW then skips the step); out[1] = norm; out[2] += 1 when not finite (sticky count).
// Bindings: 0 Params, 1 sumsq (count) f32, 2 out (3) f32. Dispatch: 1 workgroup of 1 invocation.
// Precision: f32 (torch clip_grad_norm_ formula). Reference: kernels-test/ref/nn_dense.ts clipScale.
// wrapper: src/kernels/nn_dense_optim.ts
struct Params {
  count: u32,
  clip: u32,
  max_norm: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> sumsq: array<f32>;
@group(0) @binding(2) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(1)
fn main() {
  var s = 0.0;
  for (var i = 0u; i < params.count; i++) { s += sumsq[i]; }
  let norm = sqrt(s);
  // Tested on the bits: shader compilers may assume that floats are never NaN or infinite.
  let finite = (bitcast<u32>(s) & 0x7f800000u) != 0x7f800000u;
  var scale = 1.0;
  if (params.clip != 0u) { scale = min(1.0, params.max_norm / (norm + 1e-6)); }
  out[0] = select(0.0, scale, finite);
  out[1] = norm;
  out[2] = out[2] + select(1.0, 0.0, finite);
}
