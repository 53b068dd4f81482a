// One panel of a blocked Cholesky factorisation M = U^T U (U upper triangular) of many symmetric matrices
// at once, where M = shift I + A: a definiteness test (shift I + A positive definite iff every pivot is
// positive), LAPACK potrf's right-looking order on the upper triangle. Columns [k0, k0 + b), b = min(B,
// n - k0): the diagonal block (its diagonal plus `shift` on entry, the trailing updates of earlier panels
// already applied) is factored in workgroup memory, U11 written back, and U12 = U11^-T A12 (rows [k0, k1),
// columns [k1, n), k1 = k0 + b) solved by forward substitution, four columns per invocation, into the
// matrix and into the panel buffer, from which the caller's GEMM updates A22 -= U12^T U12 (upper triangle).
// A pivot that is not positive (or NaN) records its column + 1 in `flag` (the first one; the panel at
// k0 = 0 clears it) and is replaced by 1 so that the rest stays finite. Only the upper triangle is read
// (from the diagonal block on); the lower triangle keeps its input.
// Bindings: 0 Params, 1 a vec4<f32> read_write (matrix b at vec4 b * a_stride, row-major, ld x ld, ld >= n
// a multiple of 4, zero padding), 2 p vec4<f32> read_write (panel b at vec4 b * p_stride: B rows of ld
// floats, row r = row k0 + r of U, entries [k1, n)), 3 shift f32 (per matrix), 4 flag u32 read_write (per
// matrix). Dispatch: (batch) workgroups, one per matrix. Precision: f32, sums in order of the rows.
// Reference: kernels-test/ref/chol.ts (float64 Cholesky).
// wrapper: src/kernels/chol.ts
override WG: u32 = 8;
// Panel width, a multiple of 4 (a constant: each invocation keeps B vec4s of its columns).
const B: u32 = 64u;

struct Params {
  n: u32,
  k0: u32,
  ld: u32,
  a_stride: u32,
  p_stride: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> p: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> shift: array<f32>;
@group(0) @binding(4) var<storage, read_write> flag: array<u32>;

// The diagonal block, row-major (blk[r * B + c]); its upper triangle becomes U11.
var<workgroup> blk: array<f32, B * B>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let mat = wid.x;
  let n = params.n;
  let k0 = params.k0;
  let b = min(B, n - k0);
  let k1 = k0 + b;
  let ld4 = params.ld / 4u;
  let base = mat * params.a_stride;
  let q0 = k0 / 4u;
  let bq = (b + 3u) / 4u;
  if (k0 == 0u && lid == 0u) { flag[mat] = 0u; }
  // The diagonal block (rows and vec4 column groups), plus the shift on its diagonal.
  for (var q = lid; q < b * bq; q += WG) {
    let r = q / bq;
    let g = q % bq;
    let v = a[base + (k0 + r) * ld4 + q0 + g];
    let c = 4u * g;
    blk[r * B + c] = v.x;
    blk[r * B + c + 1u] = v.y;
    blk[r * B + c + 2u] = v.z;
    blk[r * B + c + 3u] = v.w;
  }
  workgroupBarrier();
  for (var r = lid; r < b; r += WG) { blk[r * B + r] += shift[mat]; }
  workgroupBarrier();
  // Right-looking factorisation of the block: row j of U11, then the rank-1 update of the rows below.
  for (var j = 0u; j < b; j++) {
    let piv = blk[j * B + j];
    let ok = piv > 0.0;
    let rj = select(1.0, sqrt(piv), ok);
    if (!ok && lid == 0u && flag[mat] == 0u) { flag[mat] = k0 + j + 1u; }
    workgroupBarrier();
    for (var c = j + lid; c < b; c += WG) { blk[j * B + c] = select(blk[j * B + c] / rj, rj, c == j); }
    workgroupBarrier();
    let w = b - j - 1u;
    for (var q = lid; q < w * w; q += WG) {
      let i = j + 1u + q / w;
      let c = j + 1u + q % w;
      if (c >= i) { blk[i * B + c] -= blk[j * B + i] * blk[j * B + c]; }
    }
    workgroupBarrier();
  }
  // U11 back into the matrix (the block's lower triangle holds its input, as the matrix's does).
  for (var q = lid; q < b * bq; q += WG) {
    let r = q / bq;
    let c = 4u * (q % bq);
    let at = r * B + c;
    a[base + (k0 + r) * ld4 + q0 + q % bq] = vec4<f32>(blk[at], select(0.0, blk[at + 1u], c + 1u < b),
                                                       select(0.0, blk[at + 2u], c + 2u < b),
                                                       select(0.0, blk[at + 3u], c + 3u < b));
  }
  if (k1 >= n) { return; }
  // U12 = U11^-T A12, four columns per invocation: x_r = (a_r - sum_{s < r} U11[s, r] x_s) / U11[r, r].
  let g1 = k1 / 4u;
  let gn = (n + 3u) / 4u;
  let pbase = mat * params.p_stride;
  for (var g = g1 + lid; g < gn; g += WG) {
    var x: array<vec4<f32>, B>;
    for (var r = 0u; r < b; r++) {
      var s = a[base + (k0 + r) * ld4 + g];
      for (var t = 0u; t < r; t++) { s -= blk[t * B + r] * x[t]; }
      x[r] = s / blk[r * B + r];
    }
    for (var r = 0u; r < b; r++) {
      a[base + (k0 + r) * ld4 + g] = x[r];
      p[pbase + r * ld4 + g] = x[r];
    }
  }
}
