// w[i, :] = scale * sum_j c[j, i] * v[j, :] = scale * (C V)[i, :] for symmetric C (d, d) (column j of C is
// read as row j, so threads of a row block read consecutive elements); V and W are (d, 4 * q4).
// Bindings: 0 Params, 1 c f32 (C at element c_off), 2 v vec4<f32> (V at vec4 v_off), 3 w vec4<f32> (W at
// vec4 w_off). Dispatch: (ceil(d / (WG * R)), ceil(q4 / CG)); invocation: R rows x CG vec4 groups.
// Precision: f32 dot products of length d (error ~ sqrt(d) 2^-24 |C| |v|). Reference: ref/eigh.ts.
// wrapper: src/kernels/symm_block.ts
override WG: u32 = 64;
// Register block per invocation (array sizes must be constants): R rows x CG vec4 column groups.
const R: u32 = 4u;
const CG: u32 = 2u;

struct Params {
  d: u32,
  q4: u32,
  c_off: u32,
  v_off: u32,
  w_off: u32,
  scale: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> c: array<f32>;
@group(0) @binding(2) var<storage, read> v: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> w: array<vec4<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let d = params.d;
  let q4 = params.q4;
  let i0 = (wid.x * WG + lid) * R;
  let g0 = wid.y * CG;
  if (i0 >= d) { return; }
  var acc: array<array<vec4<f32>, CG>, R>;
  // Rows past d (last block) read row d - 1 and are not written.
  var rows: array<u32, R>;
  for (var r = 0u; r < R; r++) { rows[r] = min(i0 + r, d - 1u); }
  let ng = min(CG, q4 - g0);
  for (var j = 0u; j < d; j++) {
    let crow = params.c_off + j * d;
    var vj: array<vec4<f32>, CG>;
    for (var g = 0u; g < CG; g++) { vj[g] = v[params.v_off + j * q4 + g0 + min(g, ng - 1u)]; }
    for (var r = 0u; r < R; r++) {
      let cji = c[crow + rows[r]];
      for (var g = 0u; g < CG; g++) { acc[r][g] += cji * vj[g]; }
    }
  }
  for (var r = 0u; r < R; r++) {
    if (i0 + r >= d) { break; }
    for (var g = 0u; g < ng; g++) { w[params.w_off + (i0 + r) * q4 + g0 + g] = params.scale * acc[r][g]; }
  }
}
