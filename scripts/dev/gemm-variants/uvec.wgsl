// A^T A; workgroup rows uniform (8 rows), lane l takes columns c0 + l + WG * q (q < 4) held in one
// vec4 per row: acc[r] += a[r] * b (explicitly unrolled over rows).
override WG: u32 = 8;
const TM = 8u;
const TN = 4u;
@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let tile = wid.y * nwg.x + wid.x;
  if (tile >= params.tiles) { return; }
  let r0 = (tile / params.tiles_n) * TM;
  let c0 = (tile % params.tiles_n) * (WG * TN);
  if (c0 + WG * TN <= r0) { return; }
  let M = params.m;
  let i1 = min(r0 + 1u, M - 1u); let i2 = min(r0 + 2u, M - 1u); let i3 = min(r0 + 3u, M - 1u);
  let i4 = min(r0 + 4u, M - 1u); let i5 = min(r0 + 5u, M - 1u); let i6 = min(r0 + 6u, M - 1u); let i7 = min(r0 + 7u, M - 1u);
  let j = vec4<u32>(min(c0 + lid, M - 1u), min(c0 + lid + WG, M - 1u), min(c0 + lid + 2u * WG, M - 1u), min(c0 + lid + 3u * WG, M - 1u));
  var acc0 = vec4<f32>(0.0); var acc1 = vec4<f32>(0.0); var acc2 = vec4<f32>(0.0); var acc3 = vec4<f32>(0.0);
  var acc4 = vec4<f32>(0.0); var acc5 = vec4<f32>(0.0); var acc6 = vec4<f32>(0.0); var acc7 = vec4<f32>(0.0);
  var base = 0u;
  for (var kk = 0u; kk < params.k; kk++) {
    let b = vec4<f32>(a[base + j.x], a[base + j.y], a[base + j.z], a[base + j.w]);
    acc0 = fma(vec4<f32>(a[base + r0]), b, acc0);
    acc1 = fma(vec4<f32>(a[base + i1]), b, acc1);
    acc2 = fma(vec4<f32>(a[base + i2]), b, acc2);
    acc3 = fma(vec4<f32>(a[base + i3]), b, acc3);
    acc4 = fma(vec4<f32>(a[base + i4]), b, acc4);
    acc5 = fma(vec4<f32>(a[base + i5]), b, acc5);
    acc6 = fma(vec4<f32>(a[base + i6]), b, acc6);
    acc7 = fma(vec4<f32>(a[base + i7]), b, acc7);
    base += params.lda;
  }
  let acc = array<vec4<f32>, 8>(acc0, acc1, acc2, acc3, acc4, acc5, acc6, acc7);
  for (var r = 0u; r < TM; r++) {
    let i = r0 + r;
    if (i >= M) { break; }
    for (var q = 0u; q < TN; q++) {
      let jj = c0 + lid + WG * q;
      if (jj >= M || jj < i) { continue; }
      c[i * params.ldc + jj] = acc[r][q];
    }
  }
}
