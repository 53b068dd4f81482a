// C[i, j] = alpha * sum_k op(A)[i, k] op(A)[j, k] + beta * C[i, j] for j >= i only: A^T A (TRANS_A, the
// co-moment of A (N, D), C (D, D)) or A A^T (TRANS_B, the Gram matrix, C (N, N)); lib/gemm.wgsl does the tile.
// Bindings: 0 Params, 1 A f32, 2 C f32 (read_write). Dispatch: grid2d(tiles_m * tiles_n, 1) workgroups of
// WG; tiles wholly below the diagonal return at once. Precision: f32 FMA sums in order; ref: kernels-test/ref/syrk.ts.
// wrapper: src/kernels/syrk.ts
override TRANS_A: bool = true;
override TRANS_B: bool = false;

// Params (lib/gemm.wgsl): off_b = off_a and ldb = lda (both operands are A), upper = 1.
@group(0) @binding(0) var<uniform> params: Params;
#if VEC4
// The same f32 data viewed as vec4s (VEC4 builds: A^T A with offset and lda multiples of 4).
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
fn load_a4(i: u32) -> vec4<f32> { return a[i]; }
fn load_b4(i: u32) -> vec4<f32> { return a[i]; }
#else
@group(0) @binding(1) var<storage, read> a: array<f32>;
fn load_a(i: u32) -> f32 { return a[i]; }
fn load_b(i: u32) -> f32 { return a[i]; }
#endif
@group(0) @binding(2) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
#if SUBGROUP_ROWS
        // The workgroup is one subgroup; lanes are addressed by their subgroup id (lib/gemm.wgsl).
        @builtin(subgroup_invocation_id) lid: u32) {
#else
        @builtin(local_invocation_index) lid: u32) {
#endif
  let tile = wid.y * nwg.x + wid.x;
  if (tile >= params.tiles) { return; }
  let r0 = (tile / params.tiles_n) * gemm_tile_rows();
  let c0 = (tile % params.tiles_n) * gemm_tile_cols();
  if (c0 + gemm_tile_cols() <= r0) { return; }
  gemm_tile(r0, c0, lid, vec3<u32>(params.off_a, params.off_b, params.off_c));
}
