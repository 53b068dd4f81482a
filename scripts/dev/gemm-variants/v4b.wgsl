// A^T A with vec4 loads (D % 4 == 0, rows of A 16-byte aligned): 8 x 8 block per lane as in
// lib/gemm.wgsl, but op(A) and op(B) rows arrive as two vec4 loads each per k.
override WG: u32 = 64;
override WX: u32 = 8;
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let tile = wid.y * nwg.x + wid.x;
  if (tile >= params.tiles) { return; }
  let bm = (WG / WX) * 8u;
  let bn = WX * 8u;
  let r0 = (tile / params.tiles_n) * bm;
  let c0 = (tile % params.tiles_n) * bn;
  if (c0 + bn <= r0) { return; }
  let i0 = r0 + (lid / WX) * 8u;
  let j0 = c0 + (lid % WX) * 8u;
  let M = params.m;
  let last4 = (M - 1u) / 4u;
  let ia = min(i0 / 4u, last4);
  let ia1 = min(i0 / 4u + 1u, last4);
  let jb = min(j0 / 4u, last4);
  let jb1 = min(j0 / 4u + 1u, last4);
  let ld4 = params.lda / 4u;
  var acc: array<array<f32, 8>, 8>;
  for (var kk = 0u; kk < params.k; kk++) {
    let base = kk * ld4;
    let a0 = a4[base + ia];
    let a1 = a4[base + ia1];
    let b0 = a4[base + jb];
    let b1 = a4[base + jb1];
    let av = array<f32, 8>(a0.x, a0.y, a0.z, a0.w, a1.x, a1.y, a1.z, a1.w);
    let bv = array<f32, 8>(b0.x, b0.y, b0.z, b0.w, b1.x, b1.y, b1.z, b1.w);
    for (var r = 0u; r < 8u; r++) { for (var q = 0u; q < 8u; q++) { acc[r][q] = fma(av[r], bv[q], acc[r][q]); } }
  }
  for (var r = 0u; r < 8u; r++) {
    let i = i0 + r;
    if (i >= M) { break; }
    for (var q = 0u; q < 8u; q++) {
      let j = j0 + q;
      if (j >= M || j < i) { continue; }
      c[i * params.ldc + j] = acc[r][q];
    }
  }
}
