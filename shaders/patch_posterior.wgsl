// Patch posterior partials (Kamb & Ganguli): l_u = -||P_p(x) - a P_u(y)||^2 g (a = sqrt(abar), g = 1 / (2 (1 - abar))) for query
// pixel p of a row and the split's training patches u (LS: image i at p; variant ELS: image i at any q), kept as an online
// log-sum-exp (m, s = sum e^{l-m}, acc = sum e^{l-m} centre(P_u)). Bindings: 0 Params, 1 xpad (chunk rows, hp, wp, c),
// 2 ypad (images, hp, wp, c), zero-padded by r = (k - 1) / 2, 3 part rw: 2 vec4 (m, s, 0, 0), acc at 2 (((split0 + s) * chunk_rows
// + row) * hw + p). Dispatch for rows row0.. of one class group and images [lo, hi): (ceil(lanes / WG), 1, splits); ELS: lanes =
// rows * ceil(hw / TQ), TQ adjacent pixels of a row each, patches uniform over the workgroup; LS: lanes = ceil(rows / TQ) * hw,
// one pixel of TQ rows each. Precision: f32, fma sum over k*k*c terms in order; reference: kernels-test/ref/patch-denoiser.ts.
// wrapper: src/kernels/patch_posterior.ts
override WG: u32 = 64;

struct Params {
  h: u32,
  w: u32,
  c: u32,
  k: u32,
  hp: u32,
  wp: u32,
  r: u32,
  rows: u32,
  row0: u32,
  chunk_rows: u32,
  splits: u32,
  split0: u32,
  lo: u32,
  hi: u32,
  coef: vec2<f32>,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> xpad: array<f32>;
@group(0) @binding(2) var<storage, read> ypad: array<f32>;
@group(0) @binding(3) var<storage, read_write> part: array<vec4<f32>>;

// Queries per invocation and patches per block: each element loaded feeds TU (or TQ) distances, the register blocking
// that CPU drivers need (no workgroup memory). TQ must equal PATCH_TQ in src/kernels/patch_posterior.ts.
const TQ = 8u;
const TU = 8u;
// Below any logit and finite, so exp(LOW - l) = 0 exactly and a short block's repeated patches weigh nothing.
const LOW: f32 = -3.0e38;

// Offset of the patch centred at pixel p inside a padded image (its top-left corner).
fn loc(p: u32) -> u32 {
  return ((p / params.w) * params.wp + p % params.w) * params.c;
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let hw = params.h * params.w;
  let c = params.c;
  let plane = params.hp * params.wp * c;
  // xa[i]: query i's patch in xpad; queries past the end repeat the last one and are not stored.
  var xa: array<u32, TQ>;
  let lane = wid.x * WG + lid;
#if ELS
  // TQ adjacent pixels of one row; the workgroup's rows share one class group, so the patches are uniform.
  let blocks = (hw + TQ - 1u) / TQ;
  let row = lane / blocks;
  let first = (lane % blocks) * TQ;
  if (row >= params.rows) { return; }
  for (var i = 0u; i < TQ; i++) { xa[i] = (params.row0 + row) * plane + loc(min(first + i, hw - 1u)); }
  let per_image = hw;
#else
  // One pixel of TQ rows.
  let p = lane % hw;
  let first = (lane / hw) * TQ;
  if (first >= params.rows) { return; }
  for (var i = 0u; i < TQ; i++) { xa[i] = (params.row0 + min(first + i, params.rows - 1u)) * plane + loc(p); }
  let per_image = 1u;
#endif
  let s = wid.z;
  let total = (params.hi - params.lo) * per_image;
  let share = (total + params.splits - 1u) / params.splits;
  let t0 = min(s * share, total);
  let t1 = min(t0 + share, total);
  let stride = params.wp * c;
  let kc = params.k * c;
  let centre = params.r * stride + params.r * c;
  let a = params.coef.x;
  let g = params.coef.y;
  var mx: array<f32, TQ>;
  var sm: array<f32, TQ>;
  var acc: array<vec4<f32>, TQ>;
  for (var i = 0u; i < TQ; i++) { mx[i] = LOW; sm[i] = 0.0; acc[i] = vec4<f32>(0.0); }

  // The walk over patches by counters (integer division per patch is slow on CPU drivers): image m and, for ELS,
  // location (qy, qx), the same in every invocation of the workgroup.
  var m = params.lo + t0 / per_image;
  var qy = (t0 % per_image) / params.w;
  var qx = (t0 % per_image) % params.w;
#if ELS
  let yoff = 0u;
#else
  let yoff = loc(p);
#endif
  for (var t = t0; t < t1; t += TU) {
    let cnt = min(TU, t1 - t);
    // by[j]: patch j of the block in ypad; a short block repeats its last patch (the walk stops advancing).
    var by: array<u32, TU>;
    for (var j = 0u; j < TU; j++) {
      by[j] = m * plane + (qy * params.wp + qx) * c + yoff;
      if (j + 1u < cnt) {
#if ELS
        qx++;
        if (qx == params.w) {
          qx = 0u;
          qy++;
          if (qy == params.h) { qy = 0u; m++; }
        }
#else
        m++;
#endif
      }
    }
    // Step past the block's last patch.
#if ELS
    qx++;
    if (qx == params.w) {
      qx = 0u;
      qy++;
      if (qy == params.h) { qy = 0u; m++; }
    }
#else
    m++;
#endif
    // Explicitly zeroed: lavapipe kept the previous block's values in a loop-scoped var declared without initialiser.
    var d = array<array<f32, TU>, TQ>();
    for (var dy = 0u; dy < params.k; dy++) {
      for (var e = dy * stride; e < dy * stride + kc; e++) {
        var xv: array<f32, TQ>;
        for (var i = 0u; i < TQ; i++) { xv[i] = xpad[xa[i] + e]; }
        var yv: array<f32, TU>;
        for (var j = 0u; j < TU; j++) { yv[j] = a * ypad[by[j] + e]; }
        for (var i = 0u; i < TQ; i++) {
          for (var j = 0u; j < TU; j++) {
            let diff = xv[i] - yv[j];
            d[i][j] = fma(diff, diff, d[i][j]);
          }
        }
      }
    }
    // Centre pixels of the block's patches, then the online log-sum-exp: one rescale per block and query.
    var v: array<vec4<f32>, TU>;
    for (var j = 0u; j < TU; j++) {
      v[j] = vec4<f32>(0.0);
      for (var ch = 0u; ch < c; ch++) { v[j][ch] = ypad[by[j] + centre + ch]; }
    }
    for (var i = 0u; i < TQ; i++) {
      var l: array<f32, TU>;
      var top = mx[i];
      for (var j = 0u; j < TU; j++) {
        l[j] = select(LOW, -d[i][j] * g, j < cnt);
        top = max(top, l[j]);
      }
      let f = exp(mx[i] - top);
      var si = sm[i] * f;
      var ai = acc[i] * f;
      for (var j = 0u; j < TU; j++) {
        let wgt = exp(l[j] - top);
        si += wgt;
        ai = fma(vec4<f32>(wgt), v[j], ai);
      }
      mx[i] = top;
      sm[i] = si;
      acc[i] = ai;
    }
  }
  for (var i = 0u; i < TQ; i++) {
#if ELS
    let ok = first + i < hw;
    let o = 2u * (((params.split0 + s) * params.chunk_rows + params.row0 + row) * hw + first + i);
#else
    let ok = first + i < params.rows;
    let o = 2u * (((params.split0 + s) * params.chunk_rows + params.row0 + first + i) * hw + p);
#endif
    if (ok) {
      part[o] = vec4<f32>(mx[i], sm[i], 0.0, 0.0);
      part[o + 1u] = acc[i];
    }
  }
}
