// Online softmax over one chunk of training rows y_j (empirical optimal denoiser, DESIGN.md §3): for query row
// n, l_j = coef_dot * scores[j, n] - coef_sq * yy[y_off + j] with scores = (x . y_j) stored chunk-major and
// yy = ||y_j||^2, i.e. -||x - a y_j||^2 / (2 (1 - abar)) up to a per-row constant; the running (max m, sum s)
// in state[n] is updated, scores[j, n] <- exp(l_j - m), acc[n, :] *= exp(m_old - m), and the chunk's
// (m, sum_j exp(l_j - m)) go to stats[stats_row + n, stats_col] when stats_ld > 0.
// Bindings: 0 Params, 1 scores (cols, ld) f32 rw, 2 yy (M) f32, 3 state (rows) vec2 (m, s) rw, 4 acc (rows, d)
// f32 rw, 5 stats (rows, stats_ld) vec2 rw. Dispatch: grid2d(rows, WG), one invocation per query row, no
// workgroup memory (adjacent invocations read adjacent scores). Precision: f32, max-shifted exponentials;
// reference: kernels-test/ref/empirical-denoiser.ts.
// wrapper: src/kernels/empirical_softmax.ts
override WG: u32 = 64;

struct Params {
  rows: u32,
  cols: u32,
  ld: u32,
  y_off: u32,
  d: u32,
  first: u32,
  stats_ld: u32,
  stats_col: u32,
  stats_row: u32,
  coef_dot: f32,
  coef_sq: f32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> scores: array<f32>;
@group(0) @binding(2) var<storage, read> yy: array<f32>;
@group(0) @binding(3) var<storage, read_write> state: array<vec2<f32>>;
@group(0) @binding(4) var<storage, read_write> acc: array<f32>;
@group(0) @binding(5) var<storage, read_write> stats: array<vec2<f32>>;

const F32_LOWEST = -3.4028234663852886e38;

fn logit(n: u32, j: u32) -> f32 {
  return params.coef_dot * scores[j * params.ld + n] - params.coef_sq * yy[params.y_off + j];
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let n = linear_index(wid, nwg, lid, WG);
  if (n >= params.rows) { return; }
  var mc = F32_LOWEST;
  for (var j = 0u; j < params.cols; j++) { mc = max(mc, logit(n, j)); }
  let first = params.first != 0u;
  let old = state[n];
  let m = select(max(old.x, mc), mc, first);
  var sc = 0.0;
  for (var j = 0u; j < params.cols; j++) {
    let w = exp(logit(n, j) - m);
    scores[j * params.ld + n] = w;
    sc += w;
  }
  if (!first) {
    let f = exp(old.x - m);
    for (var i = 0u; i < params.d; i++) { acc[n * params.d + i] *= f; }
  }
  state[n] = vec2<f32>(m, select(old.y * exp(old.x - m), 0.0, first) + sc);
  if (params.stats_ld > 0u) { stats[(params.stats_row + n) * params.stats_ld + params.stats_col] = vec2<f32>(m, sc); }
}
