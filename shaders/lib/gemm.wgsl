// GEMM tile shared by matmul.wgsl and syrk.wgsl: one invocation accumulates a TM x TN block of
// op(A) op(B) over k, register-blocked with no workgroup memory (fast on CPU drivers) or, in TILED
// builds, from k slabs staged in workgroup memory (fast on GPUs), or, in SUBGROUP_ROWS builds, with the
// workgroup's TM rows shared through subgroup broadcasts (fastest on lavapipe), and stores
// alpha * acc + beta * C (j >= i only when params.upper != 0, and also C[j, i] when params.upper == 2: a
// symmetric result in one pass), or its transpose into C (TRANS_C); declares WG, WX and struct Params. Bindings: the including kernel's
// `params`, `c`, load_a(), load_b() (load_a4(), load_b4() on vec4 indices in VEC4 builds).
// Dispatch: tile origin (r0, c0) of a (WG / WX * TM) x (WX * TN) tile per workgroup. Precision: f32 FMA
// sum over k in order; reference: kernels-test/ref/matmul.ts.
#if SUBGROUP_ROWS
enable subgroups;
#endif
override WG: u32 = 64;
// Invocations along the columns of a workgroup's tile; WX = WG makes the tile's rows uniform.
override WX: u32 = 8;
// The product computed is C^T: element (i, j) is stored at C[j, i] (matmul's swapped plans, which
// compute C = op(A) op(B) as (op(B)^T op(A)^T)^T when C has few columns). Never with params.upper.
override TRANS_C: bool = false;

// The uniform block of matmul.wgsl and syrk.wgsl (one layout, reflected by the runtime). Batched
// products (matmul only): `batch` problems whose operands lie stride_a / stride_b / stride_c elements
// apart, tiles * batch workgroups in all; SYRK has batch 1.
struct Params {
  m: u32,
  n: u32,
  k: u32,
  lda: u32,
  ldb: u32,
  ldc: u32,
  off_a: u32,
  off_b: u32,
  off_c: u32,
  tiles_n: u32,
  tiles: u32,
  upper: u32,
  alpha: f32,
  beta: f32,
  batch: u32,
  stride_a: u32,
  stride_b: u32,
  stride_c: u32,
}

#if TM64
const TM = 64u;
#elif TM32
const TM = 32u;
#elif TM16
const TM = 16u;
#elif TM8
const TM = 8u;
#else
const TM = 4u;
#endif
#if TN16
const TN = 16u;
#elif TN8
const TN = 8u;
#else
const TN = 4u;
#endif

fn gemm_tile_rows() -> u32 { return (WG / WX) * TM; }
fn gemm_tile_cols() -> u32 { return WX * TN; }

#if TILED
// k slab staged per step; the tiles are k-major: tile_a[k][r], tile_b[k][q], read as vec4s.
const BK = 16u;
var<workgroup> tile_a: array<vec4<f32>, BK * (WG / WX) * TM / 4u>;
var<workgroup> tile_b: array<vec4<f32>, BK * WX * TN / 4u>;
#endif

#if SUBGROUP_ROWS
// SUBGROUP_ROWS helpers. The tile's TM rows are SG groups of 32; lane l holds component e of group g:
// row 32 g + 4 l + e (VEC4: one vec4 per group) or row 32 g + l + 8 e; and its 8 columns of op(B).
const SG = TM / 32u;
#if VEC4
fn gemm_lane_a(ia: array<u32, SG>, sa: u32, k: u32) -> array<vec4<f32>, SG> {
#if TM64
  return array<vec4<f32>, SG>(load_a4(ia[0] + k * sa), load_a4(ia[1] + k * sa));
#else
  return array<vec4<f32>, SG>(load_a4(ia[0] + k * sa));
#endif
}
fn gemm_lane_b(jb: vec2<u32>, sb: u32, k: u32) -> array<f32, 8> {
  let v0 = load_b4(jb.x + k * sb);
  let v1 = load_b4(jb.y + k * sb);
  return array<f32, 8>(v0.x, v0.y, v0.z, v0.w, v1.x, v1.y, v1.z, v1.w);
}
#else
fn gemm_lane_a4(ia: vec4<u32>, ka: u32) -> vec4<f32> {
  return vec4<f32>(load_a(ia.x + ka), load_a(ia.y + ka), load_a(ia.z + ka), load_a(ia.w + ka));
}
fn gemm_lane_a(ia: array<vec4<u32>, SG>, sa: u32, k: u32) -> array<vec4<f32>, SG> {
#if TM64
  return array<vec4<f32>, SG>(gemm_lane_a4(ia[0], k * sa), gemm_lane_a4(ia[1], k * sa));
#else
  return array<vec4<f32>, SG>(gemm_lane_a4(ia[0], k * sa));
#endif
}
fn gemm_lane_b(bj: array<u32, 8>, sb: u32, k: u32) -> array<f32, 8> {
  let kb = k * sb;
  return array<f32, 8>(load_b(bj[0] + kb), load_b(bj[1] + kb), load_b(bj[2] + kb), load_b(bj[3] + kb),
                       load_b(bj[4] + kb), load_b(bj[5] + kb), load_b(bj[6] + kb), load_b(bj[7] + kb));
}
#endif

fn gemm_lane_row(l: u32, g: u32, e: u32) -> u32 {
#if VEC4
  return 32u * g + 4u * l + e;
#else
  return 32u * g + l + 8u * e;
#endif
}

// The FMAs of 3 consecutive k for lane l's rows of group g (s0 .. s2 their broadcast values at
// k .. k + 2): each accumulator takes them in one expression, in k order, so that the loop's masked
// store of the accumulator (and its spill to the stack) happens once per 3 k on lavapipe.
fn gemm_fma3(acc: ptr<function, array<array<f32, TN>, TM>>, l: u32, g: u32, s0: vec4<f32>, s1: vec4<f32>, s2: vec4<f32>,
             b0: array<f32, 8>, b1: array<f32, 8>, b2: array<f32, 8>) {
  for (var e = 0u; e < 4u; e++) {
    let r = gemm_lane_row(l, g, e);
    for (var q = 0u; q < TN; q++) {
      (*acc)[r][q] = fma(s2[e], b2[q], fma(s1[e], b1[q], fma(s0[e], b0[q], (*acc)[r][q])));
    }
  }
}

// Group g of the rows for k .. k + 2, lane by lane (subgroupBroadcast takes a constant lane).
fn gemm_step3(acc: ptr<function, array<array<f32, TN>, TM>>, g: u32, a0: vec4<f32>, a1: vec4<f32>, a2: vec4<f32>,
              b0: array<f32, 8>, b1: array<f32, 8>, b2: array<f32, 8>) {
  gemm_fma3(acc, 0u, g, subgroupBroadcast(a0, 0u), subgroupBroadcast(a1, 0u), subgroupBroadcast(a2, 0u), b0, b1, b2);
  gemm_fma3(acc, 1u, g, subgroupBroadcast(a0, 1u), subgroupBroadcast(a1, 1u), subgroupBroadcast(a2, 1u), b0, b1, b2);
  gemm_fma3(acc, 2u, g, subgroupBroadcast(a0, 2u), subgroupBroadcast(a1, 2u), subgroupBroadcast(a2, 2u), b0, b1, b2);
  gemm_fma3(acc, 3u, g, subgroupBroadcast(a0, 3u), subgroupBroadcast(a1, 3u), subgroupBroadcast(a2, 3u), b0, b1, b2);
  gemm_fma3(acc, 4u, g, subgroupBroadcast(a0, 4u), subgroupBroadcast(a1, 4u), subgroupBroadcast(a2, 4u), b0, b1, b2);
  gemm_fma3(acc, 5u, g, subgroupBroadcast(a0, 5u), subgroupBroadcast(a1, 5u), subgroupBroadcast(a2, 5u), b0, b1, b2);
  gemm_fma3(acc, 6u, g, subgroupBroadcast(a0, 6u), subgroupBroadcast(a1, 6u), subgroupBroadcast(a2, 6u), b0, b1, b2);
  gemm_fma3(acc, 7u, g, subgroupBroadcast(a0, 7u), subgroupBroadcast(a1, 7u), subgroupBroadcast(a2, 7u), b0, b1, b2);
}

fn gemm_fma1(acc: ptr<function, array<array<f32, TN>, TM>>, l: u32, g: u32, s: vec4<f32>, b: array<f32, 8>) {
  for (var e = 0u; e < 4u; e++) {
    let r = gemm_lane_row(l, g, e);
    for (var q = 0u; q < TN; q++) { (*acc)[r][q] = fma(s[e], b[q], (*acc)[r][q]); }
  }
}

fn gemm_step1(acc: ptr<function, array<array<f32, TN>, TM>>, g: u32, a: vec4<f32>, b: array<f32, 8>) {
  gemm_fma1(acc, 0u, g, subgroupBroadcast(a, 0u), b);
  gemm_fma1(acc, 1u, g, subgroupBroadcast(a, 1u), b);
  gemm_fma1(acc, 2u, g, subgroupBroadcast(a, 2u), b);
  gemm_fma1(acc, 3u, g, subgroupBroadcast(a, 3u), b);
  gemm_fma1(acc, 4u, g, subgroupBroadcast(a, 4u), b);
  gemm_fma1(acc, 5u, g, subgroupBroadcast(a, 5u), b);
  gemm_fma1(acc, 6u, g, subgroupBroadcast(a, 6u), b);
  gemm_fma1(acc, 7u, g, subgroupBroadcast(a, 7u), b);
}
#endif

// off: the element offsets of op(A), op(B) and C of this workgroup's problem.
fn gemm_tile(r0: u32, c0: u32, lid: u32, off: vec3<u32>) {
  let ty = select(lid / WX, 0u, WX == WG);
  let tx = select(lid % WX, lid, WX == WG);
  let i0 = r0 + ty * TM;
  let j0 = c0 + tx * TN;
  let M = params.m;
  let N = params.n;
  let K = params.k;

#if SUBGROUP_ROWS
  // The workgroup is one subgroup of WG = WX = 8 lanes (lid is the subgroup invocation id) sharing
  // TM = 32 or 64 rows, each lane owning TN = 8 columns. On lavapipe every storage load is a per-lane
  // loop (~9 instructions per float, uniform addresses included), so each row is loaded by one lane and
  // broadcast (one shuffle) instead of by all 8: TM + 64 loaded floats per k for 8 TM vector FMAs.
  // Rows and columns past the edge read the last valid one.
#if VEC4
  var ia: array<u32, SG>;
  for (var g = 0u; g < SG; g++) { ia[g] = off.x / 4u + min(i0 / 4u + 8u * g + lid, (M - 1u) / 4u); }
  let jb = vec2<u32>(off.y / 4u + min(j0 / 4u, (N - 1u) / 4u), off.y / 4u + min(j0 / 4u + 1u, (N - 1u) / 4u));
  let sa = params.lda / 4u;
  let sb = params.ldb / 4u;
#else
  var ia: array<vec4<u32>, SG>;
  for (var g = 0u; g < SG; g++) {
    for (var e = 0u; e < 4u; e++) {
      let i = min(i0 + gemm_lane_row(lid, g, e), M - 1u);
      ia[g][e] = select(off.x + i * params.lda, off.x + i, TRANS_A);
    }
  }
  var jb: array<u32, 8>;
  for (var q = 0u; q < 8u; q++) {
    let j = min(j0 + q, N - 1u);
    jb[q] = select(off.y + j, off.y + j * params.ldb, TRANS_B);
  }
  let sa = select(1u, params.lda, TRANS_A);
  let sb = select(params.ldb, 1u, TRANS_B);
#endif
  var acc: array<array<f32, TN>, TM>;
  var kk = 0u;
  for (; kk + 2u < K; kk += 3u) {
    let a0 = gemm_lane_a(ia, sa, kk);
    let a1 = gemm_lane_a(ia, sa, kk + 1u);
    let a2 = gemm_lane_a(ia, sa, kk + 2u);
    let b0 = gemm_lane_b(jb, sb, kk);
    let b1 = gemm_lane_b(jb, sb, kk + 1u);
    let b2 = gemm_lane_b(jb, sb, kk + 2u);
    gemm_step3(&acc, 0u, a0[0], a1[0], a2[0], b0, b1, b2);
#if TM64
    gemm_step3(&acc, 1u, a0[1], a1[1], a2[1], b0, b1, b2);
#endif
  }
  for (; kk < K; kk++) {
    let a0 = gemm_lane_a(ia, sa, kk);
    let b0 = gemm_lane_b(jb, sb, kk);
    gemm_step1(&acc, 0u, a0[0], b0);
#if TM64
    gemm_step1(&acc, 1u, a0[1], b0);
#endif
  }
#elif TILED
  // Shared-memory tiling (for GPUs): the workgroup stages op(A)[r0 .., k0 .. k0 + BK] and
  // op(B)[k0 .., c0 ..] in workgroup memory with coalesced global reads, then each invocation reads
  // its TM (TN) values per k as vec4s. Out-of-range rows and columns stage the last valid one.
  let bm = gemm_tile_rows();
  let bn = gemm_tile_cols();
  var acc: array<array<f32, TN>, TM>;
  for (var k0 = 0u; k0 < K; k0 += BK) {
    for (var e = lid; e < BK * bm; e += WG) {
      // A^T is contiguous along i, A along k: let consecutive invocations read consecutive addresses.
      let r = select(e / BK, e % bm, TRANS_A);
      let kk = select(e % BK, e / bm, TRANS_A);
      let i = min(r0 + r, M - 1u);
      let k = min(k0 + kk, K - 1u);
      let v = load_a(select(off.x + i * params.lda + k, off.x + k * params.lda + i, TRANS_A));
      let at = kk * bm + r;
      tile_a[at / 4u][at % 4u] = v;
    }
    for (var e = lid; e < BK * bn; e += WG) {
      let q = select(e % bn, e / BK, TRANS_B);
      let kk = select(e / bn, e % BK, TRANS_B);
      let j = min(c0 + q, N - 1u);
      let k = min(k0 + kk, K - 1u);
      let v = load_b(select(off.y + k * params.ldb + j, off.y + j * params.ldb + k, TRANS_B));
      let at = kk * bn + q;
      tile_b[at / 4u][at % 4u] = v;
    }
    workgroupBarrier();
    // Only the k < K of this slab: the same FMA sequence as the register-blocked builds.
    let kn = min(BK, K - k0);
    for (var kk = 0u; kk < kn; kk++) {
      var av: array<f32, TM>;
      var bv: array<f32, TN>;
      for (var r = 0u; r < TM / 4u; r++) {
        let v = tile_a[(kk * bm + ty * TM) / 4u + r];
        av[4u * r] = v.x; av[4u * r + 1u] = v.y; av[4u * r + 2u] = v.z; av[4u * r + 3u] = v.w;
      }
      for (var q = 0u; q < TN / 4u; q++) {
        let v = tile_b[(kk * bn + tx * TN) / 4u + q];
        bv[4u * q] = v.x; bv[4u * q + 1u] = v.y; bv[4u * q + 2u] = v.z; bv[4u * q + 3u] = v.w;
      }
      for (var r = 0u; r < TM; r++) {
        for (var q = 0u; q < TN; q++) { acc[r][q] = fma(av[r], bv[q], acc[r][q]); }
      }
    }
    workgroupBarrier();
  }
#else
  // Rows and columns past the edge read the last valid one (in bounds, results discarded), so the
  // k loop has no branches.
#if VEC4
  // VEC4 builds run only with TRANS_A and !TRANS_B and offsets and leading dimensions multiples of 4:
  // op(A)[i0 .. i0 + TM, k] and op(B)[k, j0 .. j0 + TN] are 16-byte aligned runs read as vec4s, 4x
  // fewer loads (lavapipe: loads, not FMAs, bound this kernel). Same FMA order as the scalar builds.
  var ai: array<u32, TM / 4u>;
  for (var r = 0u; r < TM / 4u; r++) { ai[r] = off.x / 4u + min(i0 / 4u + r, (M - 1u) / 4u); }
  var bj: array<u32, TN / 4u>;
  for (var q = 0u; q < TN / 4u; q++) { bj[q] = off.y / 4u + min(j0 / 4u + q, (N - 1u) / 4u); }
  let sa = params.lda / 4u;
  let sb = params.ldb / 4u;
#else
  // For a non-transposed operand `ai`/`bj` are row starts, else column offsets.
  var ai: array<u32, TM>;
  for (var r = 0u; r < TM; r++) {
    let i = min(i0 + r, M - 1u);
    ai[r] = select(off.x + i * params.lda, off.x + i, TRANS_A);
  }
  var bj: array<u32, TN>;
  for (var q = 0u; q < TN; q++) {
    let j = min(j0 + q, N - 1u);
    bj[q] = select(off.y + j, off.y + j * params.ldb, TRANS_B);
  }
  // op(A)[i, k] = A[ai + k] (row start) or A[ai + k * lda]; op(B)[k, j] = B[bj + k * ldb] or B[bj + k].
  let sa = select(1u, params.lda, TRANS_A);
  let sb = select(params.ldb, 1u, TRANS_B);
#endif
  var acc: array<array<f32, TN>, TM>;
  for (var kk = 0u; kk < K; kk++) {
#if VEC4
    // Explicit constructors: lavapipe runs measurably slower when these arrays are filled in loops.
#if TM16
    let va0 = load_a4(ai[0] + kk * sa);
    let va1 = load_a4(ai[1] + kk * sa);
    let va2 = load_a4(ai[2] + kk * sa);
    let va3 = load_a4(ai[3] + kk * sa);
    let av = array<f32, 16>(va0.x, va0.y, va0.z, va0.w, va1.x, va1.y, va1.z, va1.w,
                            va2.x, va2.y, va2.z, va2.w, va3.x, va3.y, va3.z, va3.w);
#elif TM8
    let va0 = load_a4(ai[0] + kk * sa);
    let va1 = load_a4(ai[1] + kk * sa);
    let av = array<f32, 8>(va0.x, va0.y, va0.z, va0.w, va1.x, va1.y, va1.z, va1.w);
#else
    let va0 = load_a4(ai[0] + kk * sa);
    let av = array<f32, 4>(va0.x, va0.y, va0.z, va0.w);
#endif
#if TN16
    let vb0 = load_b4(bj[0] + kk * sb);
    let vb1 = load_b4(bj[1] + kk * sb);
    let vb2 = load_b4(bj[2] + kk * sb);
    let vb3 = load_b4(bj[3] + kk * sb);
    let bv = array<f32, 16>(vb0.x, vb0.y, vb0.z, vb0.w, vb1.x, vb1.y, vb1.z, vb1.w,
                            vb2.x, vb2.y, vb2.z, vb2.w, vb3.x, vb3.y, vb3.z, vb3.w);
#elif TN8
    let vb0 = load_b4(bj[0] + kk * sb);
    let vb1 = load_b4(bj[1] + kk * sb);
    let bv = array<f32, 8>(vb0.x, vb0.y, vb0.z, vb0.w, vb1.x, vb1.y, vb1.z, vb1.w);
#else
    let vb0 = load_b4(bj[0] + kk * sb);
    let bv = array<f32, 4>(vb0.x, vb0.y, vb0.z, vb0.w);
#endif
#else
    let ka = kk * sa;
    let kb = kk * sb;
#if TM16
    let av = array<f32, 16>(load_a(ai[0] + ka), load_a(ai[1] + ka), load_a(ai[2] + ka), load_a(ai[3] + ka),
                            load_a(ai[4] + ka), load_a(ai[5] + ka), load_a(ai[6] + ka), load_a(ai[7] + ka),
                            load_a(ai[8] + ka), load_a(ai[9] + ka), load_a(ai[10] + ka), load_a(ai[11] + ka),
                            load_a(ai[12] + ka), load_a(ai[13] + ka), load_a(ai[14] + ka), load_a(ai[15] + ka));
#elif TM8
    let av = array<f32, 8>(load_a(ai[0] + ka), load_a(ai[1] + ka), load_a(ai[2] + ka), load_a(ai[3] + ka),
                           load_a(ai[4] + ka), load_a(ai[5] + ka), load_a(ai[6] + ka), load_a(ai[7] + ka));
#else
    let av = array<f32, 4>(load_a(ai[0] + ka), load_a(ai[1] + ka), load_a(ai[2] + ka), load_a(ai[3] + ka));
#endif
#if TN16
    let bv = array<f32, 16>(load_b(bj[0] + kb), load_b(bj[1] + kb), load_b(bj[2] + kb), load_b(bj[3] + kb),
                            load_b(bj[4] + kb), load_b(bj[5] + kb), load_b(bj[6] + kb), load_b(bj[7] + kb),
                            load_b(bj[8] + kb), load_b(bj[9] + kb), load_b(bj[10] + kb), load_b(bj[11] + kb),
                            load_b(bj[12] + kb), load_b(bj[13] + kb), load_b(bj[14] + kb), load_b(bj[15] + kb));
#elif TN8
    let bv = array<f32, 8>(load_b(bj[0] + kb), load_b(bj[1] + kb), load_b(bj[2] + kb), load_b(bj[3] + kb),
                           load_b(bj[4] + kb), load_b(bj[5] + kb), load_b(bj[6] + kb), load_b(bj[7] + kb));
#else
    let bv = array<f32, 4>(load_b(bj[0] + kb), load_b(bj[1] + kb), load_b(bj[2] + kb), load_b(bj[3] + kb));
#endif
#endif
    for (var r = 0u; r < TM; r++) {
      for (var q = 0u; q < TN; q++) { acc[r][q] = fma(av[r], bv[q], acc[r][q]); }
    }
  }
#endif
  let alpha = params.alpha;
  let beta = params.beta;
  for (var r = 0u; r < TM; r++) {
    let i = i0 + r;
    if (i >= M) { break; }
    for (var q = 0u; q < TN; q++) {
      let j = j0 + q;
      if (j >= N) { break; }
      if (params.upper != 0u && j < i) { continue; }
      let at = off.z + select(i * params.ldc + j, j * params.ldc + i, TRANS_C);
      // beta = 0 must not read C (it may hold NaN from an uninitialised buffer).
      var v = alpha * acc[r][q];
      if (beta != 0.0) { v = fma(beta, c[at], v); }
      c[at] = v;
      // Symmetric results (C symmetric before, the product symmetric): the lower triangle follows.
      if (params.upper == 2u && j > i) { c[off.z + j * params.ldc + i] = v; }
    }
  }
}
