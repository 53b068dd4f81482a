// y[nn, p, ci] = (x[nn, p, ci] - shift[nn, ci]) * (rstd[nn, g] * gamma[ci]) + beta[ci], g = ci / cpg, for NHWC
// x (n, hw, c), shift from group_norm_finish (the group mean, less the conditioning offset in its OFFSET
// builds); SILU builds write silu(y) (lib/activation.wgsl; the U-Net fuses GroupNorm + SiLU). VEC4
// builds (c % 4 == 0) move channels four at a time: cw = c / 4 (else c), V = vec4<f32> (else f32).
// Bindings: 0 Params, 1 x (n * hw, cw) V, 2 shift (n, cw) V, 3 rstd (n * groups) f32, 4 gamma (cw) V,
// 5 beta (cw) V, 6 y (n * hw, cw) V. Dispatch: grid2d(n * blocks * cw, WG), one invocation per (image, block
// of block_rows pixels, channel or quad), which loads its channel factors once. Precision: f32, 4 roundings.
// Reference: kernels-test/ref/nn_image_norm.ts groupNorm.
// wrapper: src/kernels/nn_image_norm.ts
override WG: u32 = 64;

#if VEC4
alias V = vec4<f32>;
#else
alias V = f32;
#endif

struct Params {
  hw: u32,
  cw: u32,
  groups: u32,
  cpg: u32,
  blocks: u32,
  block_rows: u32,
  total: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read> shift: array<V>;
@group(0) @binding(3) var<storage, read> rstd: array<f32>;
@group(0) @binding(4) var<storage, read> gamma: array<V>;
@group(0) @binding(5) var<storage, read> beta: array<V>;
@group(0) @binding(6) var<storage, read_write> y: array<V>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid, WG);
  if (i >= params.total) { return; }
  let cell = gn_cell(i);
  let cw = params.cw;
  let q = cell.q;
  let nn = cell.nn;
  let sh = shift[nn * cw + q];
  let a = group_rstd(nn * params.groups, q) * gamma[q];
  let b = beta[q];
  for (var p = cell.p0; p < cell.p1; p++) {
    let e = (nn * params.hw + p) * cw + q;
    let v = (x[e] - sh) * a + b;
#if SILU
#if VEC4
    y[e] = silu4(v);
#else
    y[e] = silu(v);
#endif
#else
    y[e] = v;
#endif
  }
}
