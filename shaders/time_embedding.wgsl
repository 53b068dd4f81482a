// y[n, j] = sin(t_n f_j) (j < half), cos(t_n f_{j - half}) (half <= j < 2 half), 0 (j = 2 half, odd dim);
// f_j = exp(-ln(10000) j / half), half = floor(dim / 2), t_n = steps[n]: diffusers get_timestep_embedding with
// flip_sin_to_cos = False, downscale_freq_shift = 0, scale = 1, max_period = 10000.
// Bindings: 0 Params, 1 steps (rows) u32, 2 y (rows, dim) f32. Dispatch: grid2d(parts, WG), strided loop.
// Precision: f32 argument (~4 t 2^-24), reduced mod 2 pi (Cody-Waite) before sin/cos. Reference: ref/nn_dense.ts.
// wrapper: src/kernels/nn_dense_embed.ts
override WG: u32 = 256;

struct Params {
  rows: u32,
  dim: u32,
  half: u32,
  neg_log_step: f32,
  parts: u32,
  row_step: u32,
  col_step: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> steps: array<u32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;

// 2 pi = C1 + C2 with C1 = 201 / 32 exact in 8 bits, so k C1 is exact for k < 2^16 (t below ~4e5).
const INV_TWO_PI: f32 = 0.15915494309189535;
const C1: f32 = 6.28125;
const C2: f32 = 0.0019353071795864769;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let p = linear_index(wid, nwg, lid, WG);
  if (p >= params.parts) { return; }
  let half = params.half;
  var nj = vec2<u32>(p / params.dim, p % params.dim);
  for (var i = p; i < params.rows * params.dim; i += params.parts) {
    let j = nj.y;
    let is_cos = j >= half;
    let jj = select(j, j - half, is_cos);
    let f = exp(params.neg_log_step * f32(jj));
    let arg = f32(steps[nj.x]) * f;
    let k = round(arg * INV_TWO_PI);
    let r = (arg - k * C1) - k * C2;
    y[i] = select(select(sin(r), cos(r), is_cos), 0.0, j >= 2u * half);
    nj = next_rc(nj, params.row_step, params.col_step, params.dim);
  }
}
