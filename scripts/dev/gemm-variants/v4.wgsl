// A^T A with vec4 loads (D % 4 == 0): lane block TM x TN, lanes along columns (WX = WG), rows uniform.
override WG: u32 = 8;
const TM4 = 2u; // TM = 4 * TM4 rows
const TN4 = 2u; // TN = 4 * TN4 columns
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let tile = wid.y * nwg.x + wid.x;
  if (tile >= params.tiles) { return; }
  let r0 = (tile / params.tiles_n) * (4u * TM4);
  let c0 = (tile % params.tiles_n) * (WG * 4u * TN4);
  if (c0 + WG * 4u * TN4 <= r0) { return; }
  let M = params.m;
  let q4 = (M - 1u) / 4u;
  var ai: array<u32, TM4>;
  for (var r = 0u; r < TM4; r++) { ai[r] = min(r0 / 4u + r, q4); }
  var bj: array<u32, TN4>;
  for (var q = 0u; q < TN4; q++) { bj[q] = min((c0 + (lid * TN4 + q) * 4u) / 4u, q4); }
  var acc: array<array<vec4<f32>, TN4>, 4 * TM4>;
  let ld4 = params.lda / 4u;
  for (var kk = 0u; kk < params.k; kk++) {
    let base = kk * ld4;
    var av: array<vec4<f32>, TM4>;
    var bv: array<vec4<f32>, TN4>;
    for (var r = 0u; r < TM4; r++) { av[r] = a4[base + ai[r]]; }
    for (var q = 0u; q < TN4; q++) { bv[q] = a4[base + bj[q]]; }
    for (var r = 0u; r < TM4; r++) {
      for (var q = 0u; q < TN4; q++) {
        acc[4u * r][q] = fma(vec4<f32>(av[r].x), bv[q], acc[4u * r][q]);
        acc[4u * r + 1u][q] = fma(vec4<f32>(av[r].y), bv[q], acc[4u * r + 1u][q]);
        acc[4u * r + 2u][q] = fma(vec4<f32>(av[r].z), bv[q], acc[4u * r + 2u][q]);
        acc[4u * r + 3u][q] = fma(vec4<f32>(av[r].w), bv[q], acc[4u * r + 3u][q]);
      }
    }
  }
  for (var r = 0u; r < 4u * TM4; r++) {
    let i = r0 + r;
    if (i >= M) { break; }
    for (var q = 0u; q < 4u * TN4; q++) {
      let j = c0 + lid * 4u * TN4 + q;
      if (j >= M || j < i) { continue; }
      c[i * params.ldc + j] = acc[r][q / 4u][q % 4u];
    }
  }
}
