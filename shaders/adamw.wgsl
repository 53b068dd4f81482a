// AdamW (torch.optim.AdamW) on e = offset + i, i < n, with g = s grad[e], s = clip[clip_index] (use_clip) or
// scale: p *= 1 - lr wd; m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2; p -= step_size m / (sqrt(v) c2 + eps),
// step_size = lr / (1 - b1^t), c2 = 1 / sqrt(1 - b2^t); s not positive finite: nothing changes (skipped step).
// Bindings: 0 Params, 1 param rw, 2 grad, 3 m rw, 4 v rw, 5 clip f32. Dispatch: grid2d(parts, WG), strided.
// Precision: f32 (1 - b from the host in f64), a few roundings. Reference: kernels-test/ref/nn_dense.ts adamW.
// wrapper: src/kernels/nn_dense_optim.ts
override WG: u32 = 256;

struct Params {
  n: u32,
  offset: u32,
  use_clip: u32,
  clip_index: u32,
  scale: f32,
  beta1: f32,
  beta2: f32,
  one_minus_beta1: f32,
  one_minus_beta2: f32,
  eps: f32,
  decay: f32,
  step_size: f32,
  inv_sqrt_bc2: f32,
  parts: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> param: array<f32>;
@group(0) @binding(2) var<storage, read> grad: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@group(0) @binding(5) var<storage, read> clip: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let p = linear_index(wid, nwg, lid, WG);
  if (p >= params.parts) { return; }
  var s = params.scale;
  if (params.use_clip != 0u) { s = clip[params.clip_index]; }
  // Skip unless 0 < s < inf, tested on the bits (compilers may assume no NaN or infinity).
  let bits = bitcast<u32>(s);
  if (bits == 0u || bits >= 0x7f800000u) { return; }
  for (var i = p; i < params.n; i += params.parts) {
    let e = params.offset + i;
    let g = s * grad[e];
    let m1 = params.beta1 * m[e] + params.one_minus_beta1 * g;
    let v1 = params.beta2 * v[e] + params.one_minus_beta2 * g * g;
    m[e] = m1;
    v[e] = v1;
    let w = param[e] * params.decay;
    param[e] = w - params.step_size * m1 / (sqrt(v1) * params.inv_sqrt_bc2 + params.eps);
  }
}
