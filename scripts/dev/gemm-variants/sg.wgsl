// A^T A; rows uniform per workgroup (WG = subgroup size 8): each lane loads one of the TM rows'
// values per k (lane-consecutive) and subgroupBroadcast hands them out; lane l takes columns c0 + l + WG * q.
override WG: u32 = 8;
const TM = 8u;
const TN = 8u;
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let tile = wid.y * nwg.x + wid.x;
  if (tile >= params.tiles) { return; }
  let r0 = (tile / params.tiles_n) * TM;
  let c0 = (tile % params.tiles_n) * (WG * TN);
  if (c0 + WG * TN <= r0) { return; }
  let M = params.m;
  var ai: array<u32, TM / 8u>;
  for (var r = 0u; r < TM / 8u; r++) { ai[r] = min(r0 + 8u * r + lid, M - 1u); }
  var bj: array<u32, TN>;
  for (var q = 0u; q < TN; q++) { bj[q] = min(c0 + lid + WG * q, M - 1u); }
  var acc: array<array<f32, TN>, TM>;
  for (var kk = 0u; kk < params.k; kk++) {
    let base = kk * params.lda;
    var am: array<f32, TM / 8u>;
    var bv: array<f32, TN>;
    for (var r = 0u; r < TM / 8u; r++) { am[r] = a[base + ai[r]]; }
    for (var q = 0u; q < TN; q++) { bv[q] = a[base + bj[q]]; }
    for (var r = 0u; r < TM; r++) {
      let ar = subgroupShuffle(am[r / 8u], r % 8u);
      for (var q = 0u; q < TN; q++) { acc[r][q] = fma(ar, bv[q], acc[r][q]); }
    }
  }
  for (var r = 0u; r < TM; r++) {
    let i = r0 + r;
    if (i >= M) { break; }
    for (var q = 0u; q < TN; q++) {
      let j = c0 + lid + WG * q;
      if (j >= M || j < i) { continue; }
      c[i * params.ldc + j] = acc[r][q];
    }
  }
}
