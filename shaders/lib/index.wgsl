// Linear invocation index for 2-D dispatch grids (runtime grid2d: x up to the per-dimension limit,
// the rest in y), so kernels can cover more than 65,535 workgroups.
// Bindings: none. Dispatch: any. Precision: exact integer arithmetic.
// Checked by every GPU test that uses a size needing more than 65,535 workgroups.
fn linear_index(wid: vec3<u32>, nwg: vec3<u32>, lid: u32, wg: u32) -> u32 {
  return (wid.y * nwg.x + wid.x) * wg + lid;
}
