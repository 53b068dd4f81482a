// Per image nn, block blk of block_rows pixels and channel q of NHWC (n, hw, c) (VEC4 builds, c % 4 == 0:
// the four channels 4q .. 4q + 3), with xhat = (x - shift[nn, ci]) * rstd[nn, g] (shift: group_norm_finish's):
// s0 = sum dy, s1 = sum dy xhat and s2 = sum xhat over the block's pixels, as three planes out[i] = s0,
// out[total + i] = s1, out[2 total + i] = s2 with i = (nn * blocks + blk) * cw + q, cw = c (c / 4 in VEC4
// builds); with blocks = 1 already the (3, n, c) layout group_norm_backward_stats reads, else
// channel_sum_finish reduces the blocks. Bindings: 0 Params, 1 x V, 2 dy V, 3 shift (n, cw) V, 4 rstd
// (n * groups) f32, 5 out V; V = f32 (vec4<f32> in VEC4 builds). Dispatch: grid2d(n * blocks * cw, WG).
// SILU builds take the gradient da of silu(y) instead of dy and use dy = da silu'(y), y recomputed as
// group_norm_apply computes it (bindings 6 gamma, 7 beta (cw) V). Precision: f32 sums in pixel order.
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
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> x: array<V>;
@group(0) @binding(2) var<storage, read> dy: array<V>;
@group(0) @binding(3) var<storage, read> shift: array<V>;
@group(0) @binding(4) var<storage, read> rstd: array<f32>;
@group(0) @binding(5) var<storage, read_write> out: array<V>;
#if SILU
@group(0) @binding(6) var<storage, read> gamma: array<V>;
@group(0) @binding(7) var<storage, read> beta: array<V>;
#endif

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
  let r = group_rstd(nn * params.groups, q);
#if SILU
  let a = r * gamma[q];
  let b = beta[q];
#endif
  var s0 = V(0.0);
  var s1 = V(0.0);
  var s2 = V(0.0);
  for (var p = cell.p0; p < cell.p1; p++) {
    let e = (nn * params.hw + p) * cw + q;
    let xc = x[e] - sh;
    let xhat = xc * r;
#if SILU
    let d = dy[e] * silu_grad_v(xc * a + b);
#else
    let d = dy[e];
#endif
    s0 += d;
    s1 += d * xhat;
    s2 += xhat;
  }
  out[i] = s0;
  out[params.total + i] = s1;
  out[2u * params.total + i] = s2;
}
