// Online softmax over one chunk of Gaussian-mixture components k (exact GMM denoiser, DESIGN.md §3): for query
// row n, z_k = scores[k, :, n] - comp[k].am with scores = U_k^T x (projections on the eigenvectors of Sigma_k,
// stored chunk-major) and am = sqrt(abar) U_k^T mu_k; l_k = cconst[k] - 0.5 sum_i z_ki^2 / lam_ki (= log pi_k +
// log N(x; sqrt(abar) mu_k, abar Sigma_k + (1 - abar) I) - shift); running (max m, sum s) in state[n];
// scores[k, i, n] <- exp(l_k - m) z_ki / lam_ki; acc[n, :] *= exp(m_old - m); l_k to logits[logit_row + n,
// comp_off + k] when logit_ld > 0.
// Bindings: 0 Params, 1 scores (comps * d, ld) f32 rw, 2 comp (K, 2, d) f32 (am, 1 / lam), 3 cconst (K) f32,
// 4 state (rows) vec2 (m, s) rw, 5 acc (rows, d) f32 rw, 6 logits (rows, logit_ld) f32 rw. Dispatch:
// grid2d(rows, WG), one invocation per query row, no workgroup memory; the quadratic forms are computed twice
// (for the max, then for the weights) instead of kept in a per-invocation array. Precision: f32, max-shifted
// exponentials; reference: kernels-test/ref/gmm-denoiser.ts.
// wrapper: src/kernels/gmm_softmax.ts
override WG: u32 = 64;

struct Params {
  rows: u32,
  comps: u32,
  d: u32,
  ld: u32,
  comp_off: u32,
  first: u32,
  logit_ld: u32,
  logit_row: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> scores: array<f32>;
@group(0) @binding(2) var<storage, read> comp: array<f32>;
@group(0) @binding(3) var<storage, read> cconst: array<f32>;
@group(0) @binding(4) var<storage, read_write> state: array<vec2<f32>>;
@group(0) @binding(5) var<storage, read_write> acc: array<f32>;
@group(0) @binding(6) var<storage, read_write> logits: array<f32>;

const F32_LOWEST = -3.4028234663852886e38;

// l_k for query row n and chunk component k: cconst - 0.5 sum_i (scores[k, i, n] - am_ki)^2 / lam_ki.
fn comp_logit(n: u32, k: u32) -> f32 {
  let d = params.d;
  let base = (params.comp_off + k) * 2u * d;
  var q = 0.0;
  for (var i = 0u; i < d; i++) {
    let z = scores[(k * d + i) * params.ld + n] - comp[base + i];
    q = fma(z * z, comp[base + d + i], q);
  }
  return cconst[params.comp_off + k] - 0.5 * q;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let n = linear_index(wid, nwg, lid, WG);
  if (n >= params.rows) { return; }
  let d = params.d;
  let ld = params.ld;
  var mc = F32_LOWEST;
  for (var k = 0u; k < params.comps; k++) {
    let l = comp_logit(n, k);
    mc = max(mc, l);
    if (params.logit_ld > 0u) { logits[(params.logit_row + n) * params.logit_ld + params.comp_off + k] = l; }
  }
  let first = params.first != 0u;
  let old = state[n];
  let m = select(max(old.x, mc), mc, first);
  var sc = 0.0;
  for (var k = 0u; k < params.comps; k++) {
    let w = exp(comp_logit(n, k) - m);
    sc += w;
    let base = (params.comp_off + k) * 2u * d;
    for (var i = 0u; i < d; i++) {
      let at = (k * d + i) * ld + n;
      scores[at] = w * (scores[at] - comp[base + i]) * comp[base + d + i];
    }
  }
  if (!first) {
    let f = exp(old.x - m);
    for (var i = 0u; i < d; i++) { acc[n * d + i] *= f; }
  }
  state[n] = vec2<f32>(m, select(old.y * exp(old.x - m), 0.0, first) + sc);
}
