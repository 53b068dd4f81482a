// dx = rstd * (gamma dy - S0 / M - xhat S1 / M), xhat = (x - shift[nn, ci]) * rstd[nn, g], M = hw * cpg, with
// (S0, S1) = gs[nn, g] = sums over the group of (gamma dy, gamma dy xhat): the GroupNorm input gradient
// (overwrites dx, or ACCUM builds add it: dx + v, the rounding of adding it in a pass of its own). VEC4
// builds (c % 4 == 0) move channels four at a time: cw = c / 4 (else c), V = vec4<f32> (else f32). Bindings: 0 Params, 1 x V, 2 dy V, 3 gamma (cw) V, 4 shift (n, cw) V, 5 rstd
// (n * groups) f32, 6 gs (n * groups) vec2<f32>, 7 dx V. Dispatch: grid2d(n * blocks * cw, WG), one
// invocation per (image, block of block_rows pixels, channel or quad), which loads its channel factors once.
// SILU builds take the gradient da of silu(y) instead of dy and use dy = da silu'(y), y recomputed as
// group_norm_apply computes it (binding 8 beta (cw) V). Precision: f32, a few roundings of the terms.
// Reference: kernels-test/ref/nn_image_norm.ts groupNormBackward (with ref/nn_dense.ts siluGrad).
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
  inv_m: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read> dy: array<V>;
@group(0) @binding(3) var<storage, read> gamma: array<V>;
@group(0) @binding(4) var<storage, read> shift: array<V>;
@group(0) @binding(5) var<storage, read> rstd: array<f32>;
@group(0) @binding(6) var<storage, read> gs: array<vec2<f32>>;
@group(0) @binding(7) var<storage, read_write> dx: array<V>;
#if SILU
@group(0) @binding(8) var<storage, read> beta: array<V>;
#endif

// Per-group factors (rstd, S0 / M, S1 / M) of channel q (VEC4: of each of the channels 4q .. 4q + 3).
struct Factors {
  r: V,
  s0: V,
  s1: V,
}

fn factors(ng0: u32, q: u32) -> Factors {
#if VEC4
  let ci = 4u * q;
  let g = ng0 + vec4<u32>(ci, ci + 1u, ci + 2u, ci + 3u) / params.cpg;
  let s = array<vec2<f32>, 4>(gs[g.x], gs[g.y], gs[g.z], gs[g.w]);
  return Factors(vec4<f32>(rstd[g.x], rstd[g.y], rstd[g.z], rstd[g.w]),
                 vec4<f32>(s[0].x, s[1].x, s[2].x, s[3].x) * params.inv_m,
                 vec4<f32>(s[0].y, s[1].y, s[2].y, s[3].y) * params.inv_m);
#else
  let g = ng0 + q / params.cpg;
  let s = gs[g] * params.inv_m;
  return Factors(rstd[g], s.x, s.y);
#endif
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid, WG);
  if (i >= params.total) { return; }
  let cell = gn_cell(i);
  let cw = params.cw;
  let q = cell.q;
  let nn = cell.nn;
  let f = factors(nn * params.groups, q);
  let sh = shift[nn * cw + q];
  let gm = gamma[q];
#if SILU
  let a = f.r * gm;
  let b = beta[q];
#endif
  for (var p = cell.p0; p < cell.p1; p++) {
    let e = (nn * params.hw + p) * cw + q;
    let xc = x[e] - sh;
    let xhat = xc * f.r;
#if SILU
    let d = dy[e] * silu_grad_v(xc * a + b);
#else
    let d = dy[e];
#endif
    let v = f.r * (gm * d - f.s0 - xhat * f.s1);
#if ACCUM
    dx[e] = dx[e] + v;
#else
    dx[e] = v;
#endif
  }
}
