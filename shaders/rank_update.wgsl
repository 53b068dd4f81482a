// out[i, j] = beta out[i, j] + alpha x[i, j] + w u[i] v[j] for i < rows, j < cols (SYMMETRIC: alpha (x[i, j] +
// x[j, i]) in place of alpha x[i, j]), all row-major with row strides ldo and ldx (multiples of 4): the pairwise (Chan) merge
// of co-moments, M += M_s + n_s (m_s - m)(m_s - m)^T, and the symmetrisation S = X + X^T of a cross moment.
// use_x = 0 skips x (a pure rank-one update). Bindings: 0 Params, 1 x vec4<f32> (f32 with SYMMETRIC),
// 2 u f32, 3 v vec4<f32>, 4 out vec4<f32> read_write. Dispatch: grid2d(rows * ceil(cols / 4), WG), one
// invocation per output vec4. Precision: f32, three products and two sums per element.
// Reference: kernels-test/ref/rank_update.ts.
// wrapper: src/kernels/rank_update.ts
override WG: u32 = 64;

struct Params {
  rows: u32,
  quads: u32,
  ldo: u32,
  ldx: u32,
  o_off: u32,
  x_off: u32,
  u_off: u32,
  v_off: u32,
  use_x: u32,
  alpha: f32,
  beta: f32,
  w: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
#if SYMMETRIC
@group(0) @binding(1) var<storage, read> x: array<f32>;
#else
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
#endif
@group(0) @binding(2) var<storage, read> u: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> out: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let idx = linear_index(wid, nwg, lid, WG);
  if (idx >= params.rows * params.quads) { return; }
  let i = idx / params.quads;
  let q = idx % params.quads;
  let at = params.o_off + i * (params.ldo / 4u) + q;
  var y = params.w * u[params.u_off + i] * v[params.v_off + q];
  if (params.use_x != 0u) {
#if SYMMETRIC
    let j = 4u * q;
    let row = params.x_off + i * params.ldx + j;
    let xij = vec4<f32>(x[row], x[row + 1u], x[row + 2u], x[row + 3u]);
    let xji = vec4<f32>(x[params.x_off + j * params.ldx + i], x[params.x_off + (j + 1u) * params.ldx + i],
                        x[params.x_off + (j + 2u) * params.ldx + i], x[params.x_off + (j + 3u) * params.ldx + i]);
    y += params.alpha * (xij + xji);
#else
    y += params.alpha * x[params.x_off + i * (params.ldx / 4u) + q];
#endif
  }
  if (params.beta != 0.0) { y += params.beta * out[at]; }
  out[at] = y;
}
