// Training batch of eps-prediction: per row n, (w0, w1) = Philox(ctr (0, row, iter, stream_rows)) draw the step
// t_n = 1 + floor(w0 T / 2^32) and the class dropout (label -> -1 when (w1 >> 8) 2^-24 < p_uncond); eps[n, d] from
// Philox(ctr (d / 4, row, iter, stream_eps)) as forward_noise.wgsl; xt = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps.
// Bindings: 0 Params, 1 x0 (rows, cols) f32, 2 labels_in (rows) i32, 3 coef (T) vec2<f32> (sqrt abar_t, sqrt(1 - abar_t)
// at t - 1), 4 xt (rows, cols), 5 eps (rows, cols), 6 steps (rows) u32, 7 labels (rows) i32.
// Dispatch: grid2d(rows * ceil(cols / 4), WG); the q = 0 invocation of a row writes its step and label.
// Precision: f32 noising as forward_noise.wgsl; steps, labels and eps bit-exact. Reference: kernels-test/ref/diffusion_batch.ts.
// wrapper: src/kernels/diffusion_batch.ts
override WG: u32 = 64;

struct Params {
  key: vec2<u32>,
  rows: u32,
  cols: u32,
  quads: u32,
  row_offset: u32,
  iter: u32,
  stream_eps: u32,
  stream_rows: u32,
  num_steps: u32,
  p_uncond: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x0: array<f32>;
@group(0) @binding(2) var<storage, read> labels_in: array<i32>;
@group(0) @binding(3) var<storage, read> coef: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> xt: array<f32>;
@group(0) @binding(5) var<storage, read_write> eps_out: array<f32>;
@group(0) @binding(6) var<storage, read_write> steps: array<u32>;
@group(0) @binding(7) var<storage, read_write> labels: array<i32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid, WG);
  if (i >= params.rows * params.quads) { return; }
  let n = i / params.quads;
  let q = i % params.quads;
  let row = params.row_offset + n;
  let w = philox4x32_10(vec4<u32>(0u, row, params.iter, params.stream_rows), params.key);
  let t = 1u + mulhilo32(w.x, params.num_steps).x;
  if (q == 0u) {
    steps[n] = t;
    let u = f32(w.y >> 8u) * (1.0 / 16777216.0);
    labels[n] = select(labels_in[n], -1, u < params.p_uncond);
  }
  let c = coef[t - 1u];
  let e = philox_normal4(params.key, vec4<u32>(q, row, params.iter, params.stream_eps));
  let d0 = 4u * q;
  let width = min(4u, params.cols - d0);
  for (var k = 0u; k < width; k++) {
    let j = n * params.cols + d0 + k;
    eps_out[j] = e[k];
    xt[j] = c.x * x0[j] + c.y * e[k];
  }
}
