// out[s, n, d] = sqrt(abar_s) * x0[n, d] + sqrt(1 - abar_s) * eps(seed, row_offset + n, step_s, d)
// for every requested step s, with eps = lib/normal.wgsl of Philox4x32-10(ctr = (d / 4, row, step, stream), key = seed).
// Bindings: 0 Params, 1 x0 (rows, cols) f32, 2 steps (num_steps) u32, 3 coef (num_steps) vec2<f32>
// (sqrt abar, sqrt(1 - abar)), 4 out (num_steps, rows, cols) f32. Dispatch: grid2d(rows * ceil(cols / 4), WG);
// each invocation reads 4 columns of one row once and writes them for every step. Precision: f32
// fused noising of f32 data; eps bit-exact on every platform. Reference: kernels-test/ref/forward_noise.ts.
// wrapper: src/kernels/forward_noise.ts
override WG: u32 = 64;

struct Params {
  key: vec2<u32>,
  rows: u32,
  cols: u32,
  row_offset: u32,
  num_steps: u32,
  stream: u32,
  quads: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x0: array<f32>;
@group(0) @binding(2) var<storage, read> steps: array<u32>;
@group(0) @binding(3) var<storage, read> coef: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid, WG);
  if (i >= params.rows * params.quads) { return; }
  let n = i / params.quads;
  let q = i % params.quads;
  let d0 = 4u * q;
  let width = min(4u, params.cols - d0);
  var x = vec4<f32>(0.0);
  for (var k = 0u; k < width; k++) { x[k] = x0[n * params.cols + d0 + k]; }
  let row = params.row_offset + n;
  let plane = params.rows * params.cols;
  for (var s = 0u; s < params.num_steps; s++) {
    let eps = philox_normal4(params.key, vec4<u32>(q, row, steps[s], params.stream));
    let c = coef[s];
    let y = c.x * x + c.y * eps;
    let base = s * plane + n * params.cols + d0;
    for (var k = 0u; k < width; k++) { out[base + k] = y[k]; }
  }
}
