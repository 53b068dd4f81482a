struct Params {
  m: u32, n: u32, k: u32, lda: u32, ldb: u32, ldc: u32, off_a: u32, off_b: u32, off_c: u32,
  tiles_n: u32, tiles: u32, upper: u32, alpha: f32, beta: f32,
}
@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> a4: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
