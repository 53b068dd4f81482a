// Strided loops of the nn kernels: invocation p of `parts` visits elements p, p + parts, ... (few
// invocations with many elements each: per-invocation cost dominates on lavapipe, and loads stay
// coalesced on GPUs). next_col tracks the column of a (rows, cols) matrix without a division per
// element, with col_step = parts % cols from the host. Bindings: none. Dispatch: any. Exact integers.
fn next_col(c: u32, col_step: u32, cols: u32) -> u32 {
  let d = c + col_step;
  return select(d, d - cols, d >= cols);
}

// (row, col) advanced by parts elements: row_step = parts / cols, col_step = parts % cols.
fn next_rc(rc: vec2<u32>, row_step: u32, col_step: u32, cols: u32) -> vec2<u32> {
  let d = rc.y + col_step;
  let wrap = d >= cols;
  return vec2<u32>(rc.x + row_step + select(0u, 1u, wrap), select(d, d - cols, wrap));
}
