// Merges the patch posterior partials of every split for query pixel q = j * hw + p (row order[order_off + j]):
// m = max_s m_s, s = sum_s s_s e^{m_s - m}, acc likewise, x0 = acc / s, and writes out[row * d + p * c + ch] =
// cx * x[row * d + p * c + ch] + cacc * x0[ch] (eps_hat: cx = 1 / sqrt(1 - abar), cacc = -sqrt(abar) cx; x0_hat: cx = 0,
// cacc = 1). Bindings: 0 Params, 1 part (splits, queries) 2 vec4 as patch_posterior.wgsl writes them, 2 order (N) u32,
// 3 x (N, d) f32, 4 out (N, d) f32 rw. Dispatch: grid2d(queries, WG). Precision: f32; reference: kernels-test/ref/patch-denoiser.ts.
// wrapper: src/kernels/patch_posterior.ts
override WG: u32 = 64;

struct Params {
  queries: u32,
  hw: u32,
  c: u32,
  splits: u32,
  order_off: u32,
  pad: u32,
  cx: f32,
  cacc: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> part: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> order: array<u32>;
@group(0) @binding(3) var<storage, read> x: array<f32>;
@group(0) @binding(4) var<storage, read_write> out: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let q = linear_index(wid, nwg, lid, WG);
  if (q >= params.queries) { return; }
  var mx = part[2u * q].x;
  for (var s = 1u; s < params.splits; s++) { mx = max(mx, part[2u * (s * params.queries + q)].x); }
  var sum = 0.0;
  var acc = vec4<f32>(0.0);
  for (var s = 0u; s < params.splits; s++) {
    let o = 2u * (s * params.queries + q);
    let f = exp(part[o].x - mx);
    sum = fma(f, part[o].y, sum);
    acc = fma(vec4<f32>(f), part[o + 1u], acc);
  }
  let x0 = acc / sum;
  let c = params.c;
  let row = order[params.order_off + q / params.hw];
  let base = (row * params.hw + q % params.hw) * c;
  for (var ch = 0u; ch < c; ch++) {
    var v = params.cacc * x0[ch];
    if (params.cx != 0.0) { v = fma(params.cx, x[base + ch], v); }
    out[base + ch] = v;
  }
}
