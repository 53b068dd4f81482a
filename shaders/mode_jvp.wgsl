// J v_j at x_i by central differences of Tweedie's x0_hat = (x - s eps_hat(x)) / a, a = sqrt(abar), s = sqrt(1 - abar):
// jv[r, d] = ((xp[2r, d] - xp[2r+1, d]) - s (eps[2r, d] - eps[2r+1, d])) / (2 h a), r = i * V + j; stats[r] = (v_j . jv, |jv|^2).
// Bindings: 0 Params, 1 xp (2 B V, D) f32 (mode_perturb.wgsl), 2 eps (2 B V, D) f32, 3 v (V, D) f32, 4 jv (B V, D) f32 rw, 5 stats (B V) vec2 rw.
// Dispatch: grid2d(B V, WG), one (point, mode) each, D terms. Precision: f32; reference kernels-test/ref/spectrum.ts.
// wrapper: src/kernels/mode_jvp.ts
override WG: u32 = 64;

struct Params {
  pairs: u32,
  modes: u32,
  d: u32,
  s: f32,
  inv: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xp: array<f32>;
@group(0) @binding(2) var<storage, read> eps: array<f32>;
@group(0) @binding(3) var<storage, read> v: array<f32>;
@group(0) @binding(4) var<storage, read_write> jv: array<f32>;
@group(0) @binding(5) var<storage, read_write> stats: array<vec2<f32>>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let r = linear_index(wid, nwg, lid, WG);
  if (r >= params.pairs) { return; }
  let j = r % params.modes;
  let p = 2u * r * params.d;
  let m = p + params.d;
  var q = 0.0;
  var n2 = 0.0;
  for (var d = 0u; d < params.d; d++) {
    let dx = xp[p + d] - xp[m + d];
    let de = eps[p + d] - eps[m + d];
    let y = (dx - params.s * de) * params.inv;
    jv[r * params.d + d] = y;
    q = fma(v[j * params.d + d], y, q);
    n2 = fma(y, y, n2);
  }
  stats[r] = vec2<f32>(q, n2);
}
