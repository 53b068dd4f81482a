// W of the two-sided update A22 <- Q^T A22 Q = A22 - V W^T - W V^T of one band-reduction panel
// (Q = I - V T V^T from band_panel.wgsl): with Z = A22 U (U = V T, the caller's GEMM) and the symmetric
// M = U^T Z = T^T V^T A22 V T, W = Z - (1/2) V M (LAPACK sytrd's W for a block reflector; Bischof, Lang
// & Sun 2000). Bindings: 0 Params, 1 p vec4<f32> read_write (panel b at vec4 b * p_stride: rows [0, B) =
// V^T, rows [B, 2 B) = Z^T on entry and W^T on exit, each ld floats, entry i belonging to row i of A),
// 2 u vec4<f32> (U of matrix b at vec4 b * u_stride: U[i, c] at float i * B + c). Dispatch: (batch)
// workgroups, one per matrix; M in 4 x 4 blocks per invocation (sums over the rows in order), then W in
// (4 columns, vec4 group of rows) pieces. Precision: f32. Reference: kernels-test/ref/band.ts.
// wrapper: src/kernels/tridiag.ts
override WG: u32 = 8;
// Half-bandwidth (columns of V, U, Z, W), a multiple of 4.
override B: u32 = 32;

struct Params {
  n: u32,
  k0: u32,
  ld: u32,
  p_stride: u32,
  u_stride: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> p: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> u: array<vec4<f32>>;

// M, row-major (M[s, c] at s * B + c).
var<workgroup> mw: array<f32, B * B>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = params.n;
  let k1 = params.k0 + B;
  if (k1 >= n) { return; }
  let lq = params.ld / 4u;
  let V = wid.x * params.p_stride;
  let Z = V + B * lq;
  let U = wid.x * params.u_stride;
  let g0 = k1 / 4u;
  let g1 = (n + 3u) / 4u;
  let nq = B / 4u;
  // 1. M[s .. s + 3, c .. c + 3] = sum over rows i of U[i, s ..]^T Z[i, c ..]: per vec4 group of rows,
  // the 4 x 4 block of U (columns = rows i) times the 4 rows' entries of each of Z's columns.
  // M is symmetric: the blocks on and above the diagonal, mirrored.
  for (var e = lid; e < nq * nq; e += WG) {
    let sq = e / nq;
    let c = 4u * (e % nq);
    if (4u * sq > c) { continue; }
    var m0 = vec4<f32>(0.0);
    var m1 = vec4<f32>(0.0);
    var m2 = vec4<f32>(0.0);
    var m3 = vec4<f32>(0.0);
    for (var g = g0; g < g1; g++) {
      let at = U + g * B + sq;
      let ub = mat4x4<f32>(u[at], u[at + nq], u[at + 2u * nq], u[at + 3u * nq]);
      m0 += ub * p[Z + c * lq + g];
      m1 += ub * p[Z + (c + 1u) * lq + g];
      m2 += ub * p[Z + (c + 2u) * lq + g];
      m3 += ub * p[Z + (c + 3u) * lq + g];
    }
    for (var x = 0u; x < 4u; x++) {
      let s = 4u * sq + x;
      mw[s * B + c] = m0[x];
      mw[s * B + c + 1u] = m1[x];
      mw[s * B + c + 2u] = m2[x];
      mw[s * B + c + 3u] = m3[x];
      mw[c * B + s] = m0[x];
      mw[(c + 1u) * B + s] = m1[x];
      mw[(c + 2u) * B + s] = m2[x];
      mw[(c + 3u) * B + s] = m3[x];
    }
  }
  // Every read of Z above precedes the writes of W below.
  storageBarrier();
  // 2. W[:, c .. c + 3] = Z[:, c ..] - (1/2) V M[:, c ..], in place; padding rows stay zero.
  let ng = g1 - g0;
  for (var e = lid; e < nq * ng; e += WG) {
    let g = g0 + e % ng;
    let c = 4u * (e / ng);
    var w0 = p[Z + c * lq + g];
    var w1 = p[Z + (c + 1u) * lq + g];
    var w2 = p[Z + (c + 2u) * lq + g];
    var w3 = p[Z + (c + 3u) * lq + g];
    for (var s = 0u; s < B; s++) {
      let v = p[V + s * lq + g];
      w0 -= (0.5 * mw[s * B + c]) * v;
      w1 -= (0.5 * mw[s * B + c + 1u]) * v;
      w2 -= (0.5 * mw[s * B + c + 2u]) * v;
      w3 -= (0.5 * mw[s * B + c + 3u]) * v;
    }
    let live = select(vec4<f32>(0.0), vec4<f32>(1.0), vec4<u32>(4u * g) + vec4<u32>(0u, 1u, 2u, 3u) < vec4<u32>(n));
    p[Z + c * lq + g] = w0 * live;
    p[Z + (c + 1u) * lq + g] = w1 * live;
    p[Z + (c + 2u) * lq + g] = w2 * live;
    p[Z + (c + 3u) * lq + g] = w3 * live;
  }
}
