// One panel of the blocked Householder reduction of symmetric A (n, n) to tridiagonal T = Q^T A Q
// (LAPACK sytrd/latrd, lower form): for columns j = k0 .. k0 + nb - 1, column j is brought up to date
// with the panel so far, x = A[j + 1 .., j] - V W^T - W V^T, reflected (H = I - tau v v^T, H x = beta e_1,
// v_{j+1} = 1; d_j = A[j, j], e_j = beta) and w = tau (A22 v - V (W^T v) - W (V^T v)), w -= (tau/2)(w^T v) v
// (Golub & Van Loan §8.3.1; Dongarra, Sorensen & Hammarling 1989). A itself is only read; the caller then
// applies A22 -= V W^T + W V^T to the trailing block (one GEMM with k = 2 NB) before the next panel.
// Bindings: 0 Params, 1 a vec4<f32> (matrix b at vec4 a_off + b * a_stride, full symmetric storage,
// row-major, lda x lda with lda >= n a multiple of 4 and zero padding), 2 p vec4<f32> read_write (panel b at vec4 p_off + b *
// p_stride: rows [0, NB) = V^T, [NB, 2 NB) = W^T, [2 NB, 3 NB) = V^T again, each row ldp floats, a multiple
// of 4; row t holds column t of V), 3 de f32 read_write (d then e, n each, of matrix b at de_off + b * 2n).
// Dispatch: (batch) workgroups, one per matrix; invocations own vec4 groups of rows (4 consecutive rows:
// every load is a 16-byte run, which CPU drivers need). Precision: f32; sums in order per invocation, tree
// across it. Reference: kernels-test/ref/tridiag.ts (float64 unblocked Householder).
// wrapper: src/kernels/tridiag.ts
override WG: u32 = 16;
// Panel width (rows of V^T and W^T in the panel buffer); nb <= NB.
override NB: u32 = 32;

struct Params {
  n: u32,
  k0: u32,
  nb: u32,
  lda: u32,
  ldp: u32,
  a_off: u32,
  a_stride: u32,
  p_off: u32,
  p_stride: u32,
  de_off: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> p: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> de: array<f32>;

// Partial sums: WG per quantity, up to 2 NB quantities (the dots W^T v and V^T v) at once.
var<workgroup> red: array<f32, 2u * NB * WG>;

// Tree sum of red[q * WG + lid] over lid for q < count; the sums land in red[q * WG].
fn reduce(lid: u32, count: u32) {
  workgroupBarrier();
  for (var s = WG / 2u; s > 0u; s = s / 2u) {
    if (lid < s) {
      for (var q = 0u; q < count; q++) { red[q * WG + lid] += red[q * WG + lid + s]; }
    }
    workgroupBarrier();
  }
}

fn scalar(v: vec4<f32>, k: u32) -> f32 { return v[k & 3u]; }

// 1 for the rows of vec4 group g that lie in (j, n), else 0.
fn live(g: u32, j: u32, n: u32) -> vec4<f32> {
  let r = vec4<u32>(4u * g) + vec4<u32>(0u, 1u, 2u, 3u);
  return select(vec4<f32>(0.0), vec4<f32>(1.0), (r > vec4<u32>(j)) & (r < vec4<u32>(n)));
}

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let n = params.n;
  let lq = params.lda / 4u;
  let pq = params.ldp / 4u;
  let A = params.a_off + wid.x * params.a_stride;
  let V = params.p_off + wid.x * params.p_stride;
  let W = V + NB * pq;
  let V2 = V + 2u * NB * pq;
  let DE = params.de_off + wid.x * 2u * n;
  let g1 = (n + 3u) / 4u;
  for (var jj = 0u; jj < params.nb; jj++) {
    let j = params.k0 + jj;
    // Groups holding rows > j.
    let g0 = (j + 1u) / 4u;
    // Row j of V and W (uniform): V[j, t], W[j, t].
    // 1. x_i = A[j, i] - sum_t (V[i, t] W[j, t] + W[i, t] V[j, t]) for i > j (row j of A is column j by
    // symmetry; neither has been touched by this panel), kept in V's row jj for now.
    var ss = 0.0;
    for (var g = g0 + lid; g < g1; g += WG) {
      var x = a[A + j * lq + g];
      for (var t = 0u; t < jj; t++) {
        let wj = scalar(p[W + t * pq + j / 4u], j);
        let vj = scalar(p[V + t * pq + j / 4u], j);
        x -= p[V + t * pq + g] * wj + p[W + t * pq + g] * vj;
      }
      x *= live(g, j, n);
      p[V + jj * pq + g] = x;
      // alpha = x_{j+1} is excluded from sigma^2.
      let tail = x * select(vec4<f32>(1.0), vec4<f32>(0.0), vec4<u32>(4u * g) + vec4<u32>(0u, 1u, 2u, 3u) == vec4<u32>(j + 1u));
      ss += dot(tail, tail);
    }
    if (lid == 0u) {
      var dj = scalar(a[A + j * lq + j / 4u], j);
      for (var t = 0u; t < jj; t++) { dj -= 2.0 * scalar(p[V + t * pq + j / 4u], j) * scalar(p[W + t * pq + j / 4u], j); }
      de[DE + j] = dj;
    }
    red[lid] = ss;
    storageBarrier();
    reduce(lid, 1u);
    // 2. The reflector (LAPACK larfg): beta = -sign(alpha) ||x||, tau = (beta - alpha) / beta,
    // v = x / (alpha - beta) with v_{j+1} = 1. A zero tail (sigma2 = 0) gives tau = 0, v = e_1, beta = alpha.
    let sigma2 = red[0];
    let jn = min(j + 1u, n - 1u);
    let alpha = select(0.0, scalar(p[V + jj * pq + jn / 4u], jn), j + 1u < n);
    let norm = sqrt(alpha * alpha + sigma2);
    let reflect = sigma2 > 0.0;
    let beta = select(alpha, select(norm, -norm, alpha >= 0.0), reflect);
    let tau = select(0.0, (beta - alpha) / beta, reflect);
    let scal = select(0.0, 1.0 / (alpha - beta), reflect);
    if (lid == 0u) { de[DE + n + j] = select(0.0, beta, j + 1u < n); }
    workgroupBarrier();
    for (var g = g0 + lid; g < g1; g += WG) {
      let r = vec4<u32>(4u * g) + vec4<u32>(0u, 1u, 2u, 3u);
      let v = select(p[V + jj * pq + g] * scal, vec4<f32>(1.0), r == vec4<u32>(j + 1u));
      p[V + jj * pq + g] = v;
    }
    storageBarrier();
    // 3. Partial dots W^T v (quantity t) and V^T v (quantity jj + t) over the rows i > j.
    for (var t = 0u; t < jj; t++) {
      var dw = 0.0;
      var dv = 0.0;
      for (var g = g0 + lid; g < g1; g += WG) {
        let v = p[V + jj * pq + g];
        dw += dot(p[W + t * pq + g], v);
        dv += dot(p[V + t * pq + g], v);
      }
      red[t * WG + lid] = dw;
      red[(jj + t) * WG + lid] = dv;
    }
    storageBarrier();
    reduce(lid, 2u * jj);
    // 4. w_i = tau (sum_{l > j} A[l, i] v_l - sum_t (V[i, t] (W^T v)_t + W[i, t] (V^T v)_t)); the rows of A
    // are read as columns (symmetric), so each invocation reads 16-byte runs.
    var wv = 0.0;
    for (var g = g0 + lid; g < g1; g += WG) {
      // Four rows of A per iteration with v_l as one vec4: v is 0 for l <= j and l >= n, so the group
      // may start below j + 1 and end in the zero padding rows (matrices are stored lda x lda).
      var y = vec4<f32>(0.0);
      var row = A + 4u * g0 * lq + g;
      for (var q = 0u; q < g1 - g0; q++) {
        let v4 = p[V + jj * pq + g0 + q];
        y += a[row] * v4.x + a[row + lq] * v4.y + a[row + 2u * lq] * v4.z + a[row + 3u * lq] * v4.w;
        row += 4u * lq;
      }
      for (var t = 0u; t < jj; t++) {
        y -= p[V + t * pq + g] * red[t * WG] + p[W + t * pq + g] * red[(jj + t) * WG];
      }
      let w = tau * y * live(g, j, n);
      p[W + jj * pq + g] = w;
      wv += dot(w, p[V + jj * pq + g]);
    }
    workgroupBarrier();
    red[lid] = wv;
    reduce(lid, 1u);
    // 5. w -= (tau / 2) (w^T v) v, and the second copy of v for the trailing update's [W V] operand.
    let kw = -0.5 * tau * red[0];
    for (var g = g0 + lid; g < g1; g += WG) {
      let v = p[V + jj * pq + g];
      p[W + jj * pq + g] = p[W + jj * pq + g] + kw * v;
      p[V2 + jj * pq + g] = v;
    }
    storageBarrier();
  }
}
