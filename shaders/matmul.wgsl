// C[i, j] = alpha * sum_k op(A)[i, k] op(B)[k, j] + beta * C[i, j], op = transpose when TRANS_A/TRANS_B,
// row-major with element offsets and leading dimensions from Params (lib/gemm.wgsl does the tile); batched:
// params.batch such problems, operands params.stride_a, stride_b, stride_c elements apart.
// Bindings: 0 Params, 1 A f32, 2 B f32, 3 C f32 (read_write). Dispatch: grid2d(tiles_m * tiles_n * batch, 1)
// workgroups of WG. Precision: f32 FMA sums over k in order; reference: kernels-test/ref/matmul.ts.
// wrapper: src/kernels/matmul.ts
override TRANS_A: bool = false;
override TRANS_B: bool = false;

@group(0) @binding(0) var<uniform> params: Params;
#if VEC4
// The same f32 data viewed as vec4s (VEC4 builds: offsets and leading dimensions multiples of 4).
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
fn load_a4(i: u32) -> vec4<f32> { return a[i]; }
fn load_b4(i: u32) -> vec4<f32> { return b[i]; }
#else
@group(0) @binding(1) var<storage, read> a: array<f32>;
@group(0) @binding(2) var<storage, read> b: array<f32>;
fn load_a(i: u32) -> f32 { return a[i]; }
fn load_b(i: u32) -> f32 { return b[i]; }
#endif
@group(0) @binding(3) var<storage, read_write> c: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
#if SUBGROUP_ROWS
        // The workgroup is one subgroup; lanes are addressed by their subgroup id (lib/gemm.wgsl).
        @builtin(subgroup_invocation_id) lid: u32) {
#else
        @builtin(local_invocation_index) lid: u32) {
#endif
  // Workgroup g computes tile g % tiles of problem g / tiles (batched products: one dispatch).
  let g = wid.y * nwg.x + wid.x;
  if (g >= params.tiles * params.batch) { return; }
  let p = g / params.tiles;
  let tile = g - p * params.tiles;
  let r0 = (tile / params.tiles_n) * gemm_tile_rows();
  let c0 = (tile % params.tiles_n) * gemm_tile_cols();
  // Upper-triangle mode: a tile whose last column is left of its first row has no j >= i.
  if (params.upper != 0u && c0 + gemm_tile_cols() <= r0) { return; }
  let off = vec3<u32>(params.off_a, params.off_b, params.off_c) + p * vec3<u32>(params.stride_a, params.stride_b, params.stride_c);
  gemm_tile(r0, c0, lid, off);
}
