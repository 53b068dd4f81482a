// One panel of the reduction of symmetric A (n, n) to band form of half-bandwidth B (successive band
// reduction, Bischof, Lang & Sun 2000): columns [k0, k0 + B) keep their diagonal block and get R of the QR
// P = Q R of the block below the band, P = A[k1 .., k0 .. k0 + B), k1 = k0 + B (Householder, LAPACK geqr2
// with larfg reflectors H_t = I - tau_t v_t v_t^T, beta_t = -sign(alpha) ||x||; compact WY Q = I - V T V^T
// by larft). Writes those band entries, V^T (twice) and U = V T for the caller's A22 <- Q^T A22 Q.
// Bindings: 0 Params, 1 a vec4<f32> (matrix b at vec4 b * a_stride, full symmetric storage, row-major,
// ld x ld, ld >= n a multiple of 4, zero padding; only read), 2 p vec4<f32> read_write (panel b at vec4
// b * p_stride: rows [0, B) = V^T, [B, 2 B) = W^T (band_w.wgsl), [2 B, 3 B) = V^T again, each ld floats;
// entry i of a row belongs to row i of A), 3 u vec4<f32> read_write (U of matrix b at vec4 b * u_stride:
// U[i, c] at float i * B + c, row-major), 4 band f32 read_write (matrix b at b * band_stride:
// A[j + r, j] at j * (B + 1) + r, r <= B). Dispatch: (batch) workgroups, one per matrix; invocations own
// vec4 groups of rows (16-byte runs). Precision: f32; sums in order per invocation, then in order across
// invocations. Reference: kernels-test/ref/band.ts (float64 unblocked reduction to band form).
// wrapper: src/kernels/tridiag2.ts
override WG: u32 = 8;
// Half-bandwidth = panel width, a multiple of 4, at most BMAX.
override B: u32 = 32;
const BMAX = 64u;

struct Params {
  n: u32,
  k0: u32,
  ld: u32,
  a_stride: u32,
  p_stride: u32,
  u_stride: u32,
  band_stride: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> p: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> u: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> band: array<f32>;

// Partial sums, WG per quantity (up to B quantities at once), and their totals.
var<workgroup> red: array<f32, B * WG>;
var<workgroup> sums: array<f32, B>;
// T of the compact WY form, row-major (T[s, c] at s * B + c; upper triangular).
var<workgroup> tm: array<f32, B * B>;

// sums[q] = sum over invocations of red[q * WG + lid], for q < count, each in invocation order.
fn reduce(lid: u32, count: u32) {
  workgroupBarrier();
  for (var q = lid; q < count; q += WG) {
    var s = 0.0;
    for (var l = 0u; l < WG; l++) { s += red[q * WG + l]; }
    sums[q] = s;
  }
  workgroupBarrier();
}

fn rows(g: u32) -> vec4<u32> { return vec4<u32>(4u * g) + vec4<u32>(0u, 1u, 2u, 3u); }

// Entry i of the row starting at vec4 index `row`.
fn entry(row: u32, i: u32) -> f32 { return p[row + i / 4u][i & 3u]; }

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = params.n;
  let k0 = params.k0;
  let k1 = k0 + B;
  let lq = params.ld / 4u;
  let A = wid.x * params.a_stride;
  let V = wid.x * params.p_stride;
  let V2 = V + 2u * B * lq;
  let U = wid.x * params.u_stride;
  let BD = wid.x * params.band_stride;
  let nb = min(B, n - k0);
  // 1. Band entries of the diagonal block, A[j + r, j] = A[j, j + r] for j + r < k1 (final: the last
  // trailing update has been applied).
  for (var e = lid; e < nb * B; e += WG) {
    let t = e / B;
    let r = e % B;
    let j = k0 + t;
    if (t + r < B && j + r < n) { band[BD + j * (B + 1u) + r] = a[A + j * lq + (j + r) / 4u][(j + r) & 3u]; }
  }
  if (k1 >= n) { return; }
  // Rows k1 .. n - 1 lie in the vec4 groups [g0, g1) (k1 is a multiple of 4).
  let g0 = k1 / 4u;
  let g1 = (n + 3u) / 4u;
  // 2. P^T: row t = A[k0 + t, k1 ..] (the panel's column t by symmetry), padding rows zero.
  for (var t = 0u; t < B; t++) {
    for (var g = g0 + lid; g < g1; g += WG) {
      p[V + t * lq + g] = select(vec4<f32>(0.0), a[A + (k0 + t) * lq + g], rows(g) < vec4<u32>(n));
    }
  }
  storageBarrier();
  // 3. Householder QR of P, column by column, in place in the V^T rows.
  for (var t = 0u; t < B; t++) {
    // Pivot row j; with j >= n the reflector is the identity (tau = 0, v = 0).
    let j = k1 + t;
    let row = V + t * lq;
    var ss = 0.0;
    for (var g = g0 + lid; g < g1; g += WG) {
      let x = select(vec4<f32>(0.0), p[row + g], rows(g) > vec4<u32>(j));
      ss += dot(x, x);
    }
    red[lid] = ss;
    reduce(lid, 1u);
    // larfg: beta = -sign(alpha) sqrt(alpha^2 + sigma^2), tau = (beta - alpha) / beta,
    // v = x / (alpha - beta) below j, v_j = 1; a zero tail (sigma^2 = 0) gives tau = 0, beta = alpha.
    let sigma2 = sums[0];
    let alpha = select(0.0, entry(row, min(j, n - 1u)), j < n);
    let norm = sqrt(alpha * alpha + sigma2);
    let reflect = sigma2 > 0.0;
    let beta = select(alpha, select(norm, -norm, alpha >= 0.0), reflect);
    let tau = select(0.0, (beta - alpha) / beta, reflect);
    let scal = select(0.0, 1.0 / (alpha - beta), reflect);
    // Column t of R: rows k1 .. j - 1 as H_0 .. H_{t-1} left them, then beta; band offset B + r - t.
    for (var r = lid; r <= t; r += WG) {
      if (k1 + r < n) {
        band[BD + (k0 + t) * (B + 1u) + B + r - t] = select(entry(row, k1 + r), beta, r == t);
      }
    }
    storageBarrier();
    for (var g = g0 + lid; g < g1; g += WG) {
      let i = rows(g);
      let v = select(select(p[row + g] * scal, vec4<f32>(1.0), i == vec4<u32>(j)), vec4<f32>(0.0), i < vec4<u32>(j));
      p[row + g] = v;
    }
    // Dots with v_t: P^T row c for c > t (to apply H_t), v_c for c < t (for T's column t); v_t is
    // loaded once per group (the sums stay in order over the groups).
    var acc: array<f32, BMAX>;
    for (var c = 0u; c < B; c++) { acc[c] = 0.0; }
    for (var g = g0 + lid; g < g1; g += WG) {
      let v = p[row + g];
      for (var c = 0u; c < B; c++) { acc[c] += dot(v, p[V + c * lq + g]); }
    }
    for (var c = 0u; c < B; c++) { red[c * WG + lid] = acc[c]; }
    reduce(lid, B);
    // larft: T[t, t] = tau, T[0 .. t, t] = -tau T[0 .. t, 0 .. t] (V^T v_t)[0 .. t].
    for (var s = lid; s <= t; s += WG) {
      var acc = 0.0;
      for (var q = s; q < t; q++) { acc += tm[s * B + q] * sums[q]; }
      tm[s * B + t] = select(-tau * acc, tau, s == t);
    }
    // H_t on the columns right of t: P^T[c, :] -= tau (v_t^T P[:, c]) v_t.
    for (var g = g0 + lid; g < g1; g += WG) {
      let v = p[row + g];
      for (var c = t + 1u; c < B; c++) { p[V + c * lq + g] -= (tau * sums[c]) * v; }
    }
  }
  storageBarrier();
  // 4. U = V T, row-major: invocations take (4 columns of U, one vec4 group of rows); T[s, c] = 0 for s > c.
  let ng = g1 - g0;
  let nq = B / 4u;
  for (var e = lid; e < nq * ng; e += WG) {
    let g = g0 + e % ng;
    let c = 4u * (e / ng);
    var u0 = vec4<f32>(0.0);
    var u1 = vec4<f32>(0.0);
    var u2 = vec4<f32>(0.0);
    var u3 = vec4<f32>(0.0);
    for (var s = 0u; s < c + 4u; s++) {
      let v = p[V + s * lq + g];
      u0 += v * tm[s * B + c];
      u1 += v * tm[s * B + c + 1u];
      u2 += v * tm[s * B + c + 2u];
      u3 += v * tm[s * B + c + 3u];
    }
    // Rows 4 g .. 4 g + 3 of U, columns c .. c + 3: one vec4 per row.
    let at = U + g * B + c / 4u;
    u[at] = vec4<f32>(u0.x, u1.x, u2.x, u3.x);
    u[at + nq] = vec4<f32>(u0.y, u1.y, u2.y, u3.y);
    u[at + 2u * nq] = vec4<f32>(u0.z, u1.z, u2.z, u3.z);
    u[at + 3u * nq] = vec4<f32>(u0.w, u1.w, u2.w, u3.w);
  }
  for (var e = lid; e < B * ng; e += WG) {
    let t = e / ng;
    let g = g0 + e % ng;
    p[V2 + t * lq + g] = p[V + t * lq + g];
  }
}
