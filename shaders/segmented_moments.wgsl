// y[r, d] = x[r, d] - shift[c_b, d] in place for every row r of block b, and sums[b, d] = sum_{r in b} y[r, d]:
// the shifted first moments of row blocks that each lie inside one class segment (rows sorted by class).
// Bindings: 0 Params, 1 x (rows, cols) f32 read_write, 2 shift (classes, cols) f32, 3 blocks (num_blocks)
// vec4<u32> (first row, end row, class, 0), 4 sums (num_blocks, cols) f32. Dispatch: grid2d(num_blocks * quads, WG),
// one invocation per (block, 4 columns). Precision: f32 sums of at most MOMENT_BLOCK_ROWS (64) shifted values,
// merged in float64 on the CPU (src/kernels/moments_merge.ts). Reference: kernels-test/ref/moments.ts.
// wrapper: src/kernels/moments_chunk.ts
override WG: u32 = 64;

struct Params {
  cols: u32,
  quads: u32,
  num_blocks: u32,
  pad: u32,
}

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read_write> x: array<f32>;
@group(0) @binding(2) var<storage, read> shift: array<f32>;
@group(0) @binding(3) var<storage, read> blocks: array<vec4<u32>>;
@group(0) @binding(4) var<storage, read_write> sums: array<f32>;

@compute @workgroup_size(WG)
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>,
        @builtin(local_invocation_index) lid: u32) {
  let i = linear_index(wid, nwg, lid, WG);
  if (i >= params.num_blocks * params.quads) { return; }
  let b = i / params.quads;
  let d0 = 4u * (i % params.quads);
  let width = min(4u, params.cols - d0);
  let blk = blocks[b];
  var s = vec4<f32>(0.0);
  for (var k = 0u; k < width; k++) { s[k] = shift[blk.z * params.cols + d0 + k]; }
  var acc = vec4<f32>(0.0);
  for (var r = blk.x; r < blk.y; r++) {
    let base = r * params.cols + d0;
    for (var k = 0u; k < width; k++) {
      let y = x[base + k] - s[k];
      x[base + k] = y;
      acc[k] += y;
    }
  }
  for (var k = 0u; k < width; k++) { sums[b * params.cols + d0 + k] = acc[k]; }
}
