// One panel of the reduction of symmetric A (n, n) to band form of half-bandwidth B (successive band
// reduction, Bischof, Lang & Sun 2000): columns [k0, k0 + B) keep their diagonal block and get R of the QR
// P = Q R of the block below the band, P = A[k1 .., k0 .. k0 + B), k1 = k0 + B (Householder, LAPACK geqr2
// with larfg reflectors H_t = I - tau_t v_t v_t^T, beta_t = -sign(alpha) ||x||; compact WY Q = I - V T V^T
// by larft). Writes those band entries, V^T (twice) and U = V T for the caller's A22 <- Q^T A22 Q.
// The QR delays its updates over blocks of 4 reflectors (LAPACK geqrf's blocking inside the panel): each
// pivot column gets the block's reflectors just before it is reflected, the rest of the panel once per
// block as P -= V_b T_b^T (V_b^T P) with 4 reflectors per load; T comes from the Gram V^T V at the end.
// Bindings: 0 Params, 1 a vec4<f32> (matrix b at vec4 b * a_stride, full symmetric storage, row-major,
// ld x ld, ld >= n a multiple of 4, zero padding; only read), 2 p vec4<f32> read_write (panel b at vec4
// b * p_stride: rows [0, B) = V^T, [B, 2 B) = W^T (band_w.wgsl), [2 B, 3 B) = V^T again, each ld floats;
// entry i of a row belongs to row i of A), 3 u vec4<f32> read_write (U of matrix b at vec4 b * u_stride:
// U[i, c] at float i * B + c, row-major), 4 band f32 read_write (matrix b at b * band_stride:
// A[j + r, j] at j * (B + 1) + r, r <= B). Dispatch: (batch) workgroups, one per matrix; invocations own
// vec4 groups of rows (16-byte runs). Precision: f32; sums in order per invocation, then in order across
// invocations. Reference: kernels-test/ref/band.ts (float64 unblocked reduction to band form).
// wrapper: src/kernels/tridiag.ts
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

// Partial sums, WG per quantity (up to 4 B quantities at once), and their totals.
var<workgroup> red: array<f32, 4u * B * WG>;
var<workgroup> sums: array<f32, 4u * B>;
// T of the compact WY form and the Gram matrix V^T V, row-major (X[s, c] at s * B + c; upper triangles).
var<workgroup> tm: array<f32, B * B>;
var<workgroup> gm: array<f32, B * B>;
// tau per reflector; the block update's coefficients T_b^T (V_b^T P[:, c]) at c * 4 + q.
var<workgroup> taus: array<f32, B>;
var<workgroup> cf: array<f32, 4u * B>;

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
  // Rows k1 .. n - 1 lie in the vec4 groups [g0, g1) (k1 is a multiple of 4); invocation lid owns the
  // groups g0 + lid + i WG throughout.
  let g0 = k1 / 4u;
  let g1 = (n + 3u) / 4u;
  // 2. P^T: row t = A[k0 + t, k1 ..] (the panel's column t by symmetry), padding rows zero.
  for (var t = 0u; t < B; t++) {
    for (var g = g0 + lid; g < g1; g += WG) {
      p[V + t * lq + g] = select(vec4<f32>(0.0), a[A + (k0 + t) * lq + g], rows(g) < vec4<u32>(n));
    }
  }
  // 3. Householder QR of P in place in the V^T rows, in blocks of 4 reflectors [t0, t0 + 4). Inside a
  // block the rows right of the pivot keep their values from the block's start (P0); the block's T_b and
  // D_b[q, c] = v_q^T P0[:, c] are uniform values every invocation holds.
  for (var t0 = 0u; t0 < B; t0 += 4u) {
    // Arrays declared inside loops are zeroed explicitly: on lavapipe a loop-local array without it held
    // stale values (NaN in the spectra), although WGSL zero-initialises it at each declaration.
    var tb: array<f32, 16>;
    var db: array<f32, 16>;
    for (var i = 0u; i < 16u; i++) {
      tb[i] = 0.0;
      db[i] = 0.0;
    }
    for (var tt = 0u; tt < 4u; tt++) {
      let t = t0 + tt;
      // Pivot row j; with j >= n the reflector is the identity (tau = 0, v = 0).
      let j = k1 + t;
      let row = V + t * lq;
      // a. Column t gets the block's reflectors so far: P[:, t] -= V_b T_b^T D_b[:, t].
      var c0 = 0.0;
      var c1 = 0.0;
      var c2 = 0.0;
      for (var q = 0u; q < tt; q++) {
        var s = 0.0;
        for (var r = 0u; r <= q; r++) { s += tb[r * 4u + q] * db[r * 4u + tt]; }
        if (q == 0u) { c0 = s; } else if (q == 1u) { c1 = s; } else { c2 = s; }
      }
      var ss = 0.0;
      for (var g = g0 + lid; g < g1; g += WG) {
        var x = p[row + g];
        if (tt > 0u) {
          x -= c0 * p[V + t0 * lq + g];
          if (tt > 1u) { x -= c1 * p[V + (t0 + 1u) * lq + g]; }
          if (tt > 2u) { x -= c2 * p[V + (t0 + 2u) * lq + g]; }
          p[row + g] = x;
        }
        // b. sigma^2 = sum of squares below j.
        let y = select(vec4<f32>(0.0), x, rows(g) > vec4<u32>(j));
        ss += dot(y, y);
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
      if (lid == 0u) { taus[t] = tau; }
      storageBarrier();
      // c. v_t in place, and its dots with the block's other rows (v_q before t, P0 after).
      var d = vec4<f32>(0.0);
      for (var g = g0 + lid; g < g1; g += WG) {
        let i = rows(g);
        let v = select(select(p[row + g] * scal, vec4<f32>(1.0), i == vec4<u32>(j)), vec4<f32>(0.0), i < vec4<u32>(j));
        p[row + g] = v;
        d += vec4<f32>(
          dot(v, p[V + t0 * lq + g]),
          dot(v, p[V + (t0 + 1u) * lq + g]),
          dot(v, p[V + (t0 + 2u) * lq + g]),
          dot(v, p[V + (t0 + 3u) * lq + g]),
        );
      }
      for (var q = 0u; q < 4u; q++) { red[q * WG + lid] = d[q]; }
      reduce(lid, 4u);
      // T_b column tt (larft): T_b[tt, tt] = tau, T_b[q, tt] = -tau sum_{q <= r < tt} T_b[q, r] v_r^T v_t;
      // D_b row tt: v_t^T P0[:, c] for c > t.
      for (var q = 0u; q < tt; q++) {
        var s = 0.0;
        for (var r = q; r < tt; r++) { s += tb[q * 4u + r] * sums[r]; }
        tb[q * 4u + tt] = -tau * s;
      }
      tb[tt * 4u + tt] = tau;
      for (var c = tt + 1u; c < 4u; c++) { db[tt * 4u + c] = sums[c]; }
    }
    // d. The rest of the panel, columns c >= t0 + 4: P[:, c] -= V_b T_b^T (V_b^T P[:, c]).
    let c4 = t0 + 4u;
    if (c4 < B) {
      var acc: array<vec4<f32>, BMAX>;
      for (var c = c4; c < B; c++) { acc[c] = vec4<f32>(0.0); }
      for (var g = g0 + lid; g < g1; g += WG) {
        let v0 = p[V + t0 * lq + g];
        let v1 = p[V + (t0 + 1u) * lq + g];
        let v2 = p[V + (t0 + 2u) * lq + g];
        let v3 = p[V + (t0 + 3u) * lq + g];
        for (var c = c4; c < B; c++) {
          let x = p[V + c * lq + g];
          acc[c] += vec4<f32>(dot(v0, x), dot(v1, x), dot(v2, x), dot(v3, x));
        }
      }
      for (var c = c4; c < B; c++) {
        for (var q = 0u; q < 4u; q++) { red[((c - c4) * 4u + q) * WG + lid] = acc[c][q]; }
      }
      reduce(lid, 4u * (B - c4));
      for (var c = c4 + lid; c < B; c += WG) {
        for (var q = 0u; q < 4u; q++) {
          var s = 0.0;
          for (var r = 0u; r <= q; r++) { s += tb[r * 4u + q] * sums[(c - c4) * 4u + r]; }
          cf[c * 4u + q] = s;
        }
      }
      workgroupBarrier();
      for (var g = g0 + lid; g < g1; g += WG) {
        let v0 = p[V + t0 * lq + g];
        let v1 = p[V + (t0 + 1u) * lq + g];
        let v2 = p[V + (t0 + 2u) * lq + g];
        let v3 = p[V + (t0 + 3u) * lq + g];
        for (var c = c4; c < B; c++) {
          let at = V + c * lq + g;
          p[at] = p[at] - (cf[c * 4u] * v0 + cf[c * 4u + 1u] * v1 + cf[c * 4u + 2u] * v2 + cf[c * 4u + 3u] * v3);
        }
      }
    }
  }
  storageBarrier();
  // 4. Gram matrix V^T V, upper triangle in 4 x 4 blocks (an invocation sums one block over all rows).
  let nq = B / 4u;
  for (var e = lid; e < nq * nq; e += WG) {
    let sq = e / nq;
    let cq = e % nq;
    if (sq <= cq) {
      var m0 = vec4<f32>(0.0);
      var m1 = vec4<f32>(0.0);
      var m2 = vec4<f32>(0.0);
      var m3 = vec4<f32>(0.0);
      for (var g = g0; g < g1; g++) {
        let vs = transpose(mat4x4<f32>(
          p[V + 4u * sq * lq + g],
          p[V + (4u * sq + 1u) * lq + g],
          p[V + (4u * sq + 2u) * lq + g],
          p[V + (4u * sq + 3u) * lq + g],
        ));
        m0 += vs * p[V + 4u * cq * lq + g];
        m1 += vs * p[V + (4u * cq + 1u) * lq + g];
        m2 += vs * p[V + (4u * cq + 2u) * lq + g];
        m3 += vs * p[V + (4u * cq + 3u) * lq + g];
      }
      for (var x = 0u; x < 4u; x++) {
        let s = 4u * sq + x;
        gm[s * B + 4u * cq] = m0[x];
        gm[s * B + 4u * cq + 1u] = m1[x];
        gm[s * B + 4u * cq + 2u] = m2[x];
        gm[s * B + 4u * cq + 3u] = m3[x];
      }
    }
  }
  workgroupBarrier();
  // 5. T (larft), column by column: T[c, c] = tau_c, T[s, c] = -tau_c sum_{s <= q < c} T[s, q] (V^T V)[q, c].
  for (var c = 0u; c < B; c++) {
    for (var s = lid; s <= c; s += WG) {
      var acc = 0.0;
      for (var q = s; q < c; q++) { acc += tm[s * B + q] * gm[q * B + c]; }
      tm[s * B + c] = select(-taus[c] * acc, taus[c], s == c);
    }
    workgroupBarrier();
  }
  // 6. U = V T, row-major: invocations take (4 columns of U, one vec4 group of rows); T[s, c] = 0 for s > c.
  let ng = g1 - g0;
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
