// The cell of invocation i in the GroupNorm shaders (group_norm_stats, _apply, _backward_sums, _dx): image
// nn, channel (VEC4 builds: channel quad) q of cw, and the block of pixels [p0, p1) of block_rows, cells
// ordered (nn, block, q). Reads the including shader's params (cw, blocks, block_rows, hw).
// Bindings: the including shader's. Dispatch: any. Precision: exact integer arithmetic.
// Reference: kernels-test/ref/nn_image_norm.ts (through the shaders' tests).
struct Cell {
  nn: u32,
  q: u32,
  p0: u32,
  p1: u32,
}

fn gn_cell(i: u32) -> Cell {
  let cw = params.cw;
  let p0 = ((i / cw) % params.blocks) * params.block_rows;
  return Cell(i / (cw * params.blocks), i % cw, p0, min(params.hw, p0 + params.block_rows));
}
