// The 2 x 2 block of full-resolution pixels that half-resolution pixel p (of images w pixels wide, rows of
// all images stacked: p = row * w + j) covers, row-major in the block: (2 row, 2 j), (2 row, 2 j + 1),
// (2 row + 1, 2 j), (2 row + 1, 2 j + 1), as upsample2.wgsl and avg_pool2.wgsl index them.
fn up_block(p: u32, w: u32) -> array<u32, 4> {
  let j = p % w;
  let row = p / w;
  let w2 = 2u * w;
  let q = (2u * row) * w2 + 2u * j;
  return array<u32, 4>(q, q + 1u, q + w2, q + w2 + 1u);
}
