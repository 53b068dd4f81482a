// Broadcast FMA steps of the implicit-GEMM convolutions (conv3x3_implicit.wgsl, conv3x3_implicit_dw.wgsl):
// a workgroup is one subgroup of 8 lanes; lane l holds RPL values of the rows l + 8 e (e < RPL) per k,
// which subgroupBroadcast hands to every lane, and 8 column values of its own; each accumulator
// acc[l + 8 e][q] takes its products in k order. ROWS8: 1 row per lane (8 per tile), ROWS16: 2 (16), else 4
// (32); ROWS1 builds (also ROWS8) keep lane 0's row only (1 per tile).
enable subgroups;

#if ROWS8
// 1 row per lane: 8 rows per tile (convolutions with 1 to 3 output rows, which a 16-row tile mostly
// wastes). RowVec stays a vec2 (no vec1 in WGSL); its second value is 0 and never read.
const RPL = 1u;
alias RowVec = vec2<f32>;
#elif ROWS16
// 2 rows per lane: 16 rows per tile (convolutions with 16 or fewer output rows).
const RPL = 2u;
alias RowVec = vec2<f32>;
#else
const RPL = 4u;
alias RowVec = vec4<f32>;
#endif
#if ROWS1
// One row per tile (a convolution with one output row, a U-Net's last c0 -> 1): lane 0's row, broadcast;
// the other lanes' rows are loaded and never used, and 8 times fewer products are computed than by the
// 8-row tile.
const TR = 1u;
#else
const TR = 8u * RPL;
#endif

// Three consecutive k of lane l's rows (l + 8 e), broadcast values s0 .. s2, into every pixel column:
// one expression per accumulator, in k order.
fn fma3(acc: ptr<function, array<array<f32, 8>, TR>>, l: u32, s0: RowVec, s1: RowVec, s2: RowVec,
        b0: array<f32, 8>, b1: array<f32, 8>, b2: array<f32, 8>) {
  for (var e = 0u; e < RPL; e++) {
    let r = l + 8u * e;
    for (var q = 0u; q < 8u; q++) {
      (*acc)[r][q] = fma(s2[e], b2[q], fma(s1[e], b1[q], fma(s0[e], b0[q], (*acc)[r][q])));
    }
  }
}

fn step3(acc: ptr<function, array<array<f32, 8>, TR>>, a0: RowVec, a1: RowVec, a2: RowVec,
         b0: array<f32, 8>, b1: array<f32, 8>, b2: array<f32, 8>) {
  fma3(acc, 0u, subgroupBroadcast(a0, 0u), subgroupBroadcast(a1, 0u), subgroupBroadcast(a2, 0u), b0, b1, b2);
#if ROWS1
#else
  fma3(acc, 1u, subgroupBroadcast(a0, 1u), subgroupBroadcast(a1, 1u), subgroupBroadcast(a2, 1u), b0, b1, b2);
  fma3(acc, 2u, subgroupBroadcast(a0, 2u), subgroupBroadcast(a1, 2u), subgroupBroadcast(a2, 2u), b0, b1, b2);
  fma3(acc, 3u, subgroupBroadcast(a0, 3u), subgroupBroadcast(a1, 3u), subgroupBroadcast(a2, 3u), b0, b1, b2);
  fma3(acc, 4u, subgroupBroadcast(a0, 4u), subgroupBroadcast(a1, 4u), subgroupBroadcast(a2, 4u), b0, b1, b2);
  fma3(acc, 5u, subgroupBroadcast(a0, 5u), subgroupBroadcast(a1, 5u), subgroupBroadcast(a2, 5u), b0, b1, b2);
  fma3(acc, 6u, subgroupBroadcast(a0, 6u), subgroupBroadcast(a1, 6u), subgroupBroadcast(a2, 6u), b0, b1, b2);
  fma3(acc, 7u, subgroupBroadcast(a0, 7u), subgroupBroadcast(a1, 7u), subgroupBroadcast(a2, 7u), b0, b1, b2);
#endif
}

fn fma1(acc: ptr<function, array<array<f32, 8>, TR>>, l: u32, s: RowVec, b: array<f32, 8>) {
  for (var e = 0u; e < RPL; e++) {
    let r = l + 8u * e;
    for (var q = 0u; q < 8u; q++) { (*acc)[r][q] = fma(s[e], b[q], (*acc)[r][q]); }
  }
}

fn step1(acc: ptr<function, array<array<f32, 8>, TR>>, a: RowVec, b: array<f32, 8>) {
  fma1(acc, 0u, subgroupBroadcast(a, 0u), b);
#if ROWS1
#else
  fma1(acc, 1u, subgroupBroadcast(a, 1u), b);
  fma1(acc, 2u, subgroupBroadcast(a, 2u), b);
  fma1(acc, 3u, subgroupBroadcast(a, 3u), b);
  fma1(acc, 4u, subgroupBroadcast(a, 4u), b);
  fma1(acc, 5u, subgroupBroadcast(a, 5u), b);
  fma1(acc, 6u, subgroupBroadcast(a, 6u), b);
  fma1(acc, 7u, subgroupBroadcast(a, 7u), b);
#endif
}

// Four consecutive k (the VEC4 builds: b holds each pixel's 4 values), in k order.
fn fma4(acc: ptr<function, array<array<f32, 8>, TR>>, l: u32, s0: RowVec, s1: RowVec, s2: RowVec, s3: RowVec,
        b: array<vec4<f32>, 8>) {
  for (var e = 0u; e < RPL; e++) {
    let r = l + 8u * e;
    for (var q = 0u; q < 8u; q++) {
      (*acc)[r][q] = fma(s3[e], b[q].w, fma(s2[e], b[q].z, fma(s1[e], b[q].y, fma(s0[e], b[q].x, (*acc)[r][q]))));
    }
  }
}

fn step4(acc: ptr<function, array<array<f32, 8>, TR>>, a0: RowVec, a1: RowVec, a2: RowVec, a3: RowVec,
         b: array<vec4<f32>, 8>) {
  fma4(acc, 0u, subgroupBroadcast(a0, 0u), subgroupBroadcast(a1, 0u), subgroupBroadcast(a2, 0u), subgroupBroadcast(a3, 0u), b);
#if ROWS1
#else
  fma4(acc, 1u, subgroupBroadcast(a0, 1u), subgroupBroadcast(a1, 1u), subgroupBroadcast(a2, 1u), subgroupBroadcast(a3, 1u), b);
  fma4(acc, 2u, subgroupBroadcast(a0, 2u), subgroupBroadcast(a1, 2u), subgroupBroadcast(a2, 2u), subgroupBroadcast(a3, 2u), b);
  fma4(acc, 3u, subgroupBroadcast(a0, 3u), subgroupBroadcast(a1, 3u), subgroupBroadcast(a2, 3u), subgroupBroadcast(a3, 3u), b);
  fma4(acc, 4u, subgroupBroadcast(a0, 4u), subgroupBroadcast(a1, 4u), subgroupBroadcast(a2, 4u), subgroupBroadcast(a3, 4u), b);
  fma4(acc, 5u, subgroupBroadcast(a0, 5u), subgroupBroadcast(a1, 5u), subgroupBroadcast(a2, 5u), subgroupBroadcast(a3, 5u), b);
  fma4(acc, 6u, subgroupBroadcast(a0, 6u), subgroupBroadcast(a1, 6u), subgroupBroadcast(a2, 6u), subgroupBroadcast(a3, 6u), b);
  fma4(acc, 7u, subgroupBroadcast(a0, 7u), subgroupBroadcast(a1, 7u), subgroupBroadcast(a2, 7u), subgroupBroadcast(a3, 7u), b);
#endif
}
