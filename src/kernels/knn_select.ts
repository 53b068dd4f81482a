// k-th smallest squared distance per row of a distance block (shaders/knn_select.wgsl): the block holds
// c = -2 A B^T from matmul; the kernel adds the squared norms, clamps at 0 and keeps each row's k
// smallest entries (excluding the row's own column when A and B are the same set), writing the k-th.
import { checkInt } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { dispatch, grid2d, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import type { Tensor } from '../runtime/tensor.js';

export const KNN_SELECT: KernelSpec = {
  name: 'knn_select',
  libs: ['lib/index.wgsl'],
  storage: ['read', 'read', 'read', 'read_write'],
};
export const KNN_SELECT_WG = 64;
/** Largest k the kernel keeps (K_MAX in shaders/knn_select.wgsl). */
export const KNN_MAX_K = 32;

export function knnSelectPipeline(ctx: Context): Promise<CachedPipeline> {
  return getPipeline(ctx, KNN_SELECT, { constants: { WG: KNN_SELECT_WG } });
}

export interface KnnSelectArgs {
  /** (rows, cols) block of -2 a_i . b_j for rows rowOffset .. rowOffset + rows of A. */
  c: Tensor;
  /** Squared norms of all rows of A (indexed from 0) and of the cols rows of B. */
  normA: Tensor;
  normB: Tensor;
  /** Receives the k-th smallest squared distance at index rowOffset + i. */
  out: Tensor;
  rows: number;
  cols: number;
  k: number;
  rowOffset: number;
  /** Skip column rowOffset + i of row i (A and B are the same set). */
  excludeSelf: boolean;
}

export function encodeKnnSelect(batch: Batch, p: CachedPipeline, a: KnnSelectArgs): void {
  checkInt('knn_select: k', a.k, 1, KNN_MAX_K);
  if (a.c.size < a.rows * a.cols)
    throw new Error(`knn_select: c holds ${a.c.size} values, needs rows * cols = ${a.rows} * ${a.cols}`);
  if (a.normA.size < a.rowOffset + a.rows || a.out.size < a.rowOffset + a.rows) {
    throw new Error(
      `knn_select: normA (${a.normA.size}) and out (${a.out.size}) need rowOffset + rows = ${a.rowOffset + a.rows} entries`,
    );
  }
  if (a.normB.size < a.cols) throw new Error(`knn_select: normB holds ${a.normB.size} values, needs cols = ${a.cols}`);
  const elems = a.rows * a.cols;
  dispatch(batch, p, {
    params: { rows: a.rows, cols: a.cols, k: a.k, row_offset: a.rowOffset, exclude_self: Number(a.excludeSelf) },
    bindings: [a.c, a.normA, a.normB, a.out],
    workgroups: grid2d(batch.ctx, a.rows, KNN_SELECT_WG),
    // Two adds, a max and a compare per entry; insertions are rare after the first k columns.
    flops: 4 * elems,
    bytes: 4 * (2 * elems + 2 * a.rows),
  });
}
