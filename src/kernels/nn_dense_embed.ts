// Conditioning inputs of the denoisers: sinusoidal time-step features and the class-embedding table
// (gather and its gradient), with the null class -1 stored as the table's last row.
import { dispatch, grid2d, type Batch } from '../runtime/dispatch.js';
import type { Tensor } from '../runtime/tensor.js';
import {
  checkDistinct,
  checkTensor,
  ewParts,
  NN_ELEMENTWISE_WG,
  NN_LOOP_WG,
  size,
  type NnDenseKernels,
} from './nn_dense_specs.js';

/** Period scale of the sinusoidal features (Transformer / DDPM max_period). */
export const TIME_EMBEDDING_MAX_PERIOD = 10_000;

export interface TimeEmbeddingArgs {
  /** (rows) u32 integer steps t. */
  steps: Tensor;
  /** (rows, dim) output features. */
  y: Tensor;
  rows: number;
  dim: number;
  /** Number of steps of the schedule; steps are expected in 0..T (validated here, not on the GPU). */
  T: number;
}

/**
 * y (rows, dim): y[n, j] = sin(t_n f_j) for j < dim/2, cos(t_n f_{j - dim/2}) for the next dim/2 columns,
 * f_j = exp(-ln(10000) j / (dim/2)), and a zero last column when dim is odd. This is diffusers'
 * get_timestep_embedding(t, dim, flip_sin_to_cos=False, downscale_freq_shift=0, scale=1, max_period=10000).
 */
export function encodeTimeEmbedding(batch: Batch, k: NnDenseKernels, a: TimeEmbeddingArgs): void {
  const what = 'encodeTimeEmbedding';
  const rows = size(what, 'rows', a.rows);
  const dim = size(what, 'dim', a.dim, 1);
  // k C1 in the kernel's range reduction is exact while t (2 pi)^-1 < 2^16.
  size(what, 'T', a.T, 1);
  if (a.T > 400_000)
    throw new Error(`${what}: T must be at most 400000 (the kernel's exact range reduction), got ${a.T}`);
  checkTensor(what, 'steps', a.steps, rows, 'u32');
  checkTensor(what, 'y', a.y, rows * dim);
  const half = Math.floor(dim / 2);
  const parts = ewParts(rows * dim);
  dispatch(batch, k.pipes.timeEmbedding, {
    params: {
      rows,
      dim,
      half,
      neg_log_step: half ? -Math.log(TIME_EMBEDDING_MAX_PERIOD) / half : 0,
      parts,
      row_step: Math.floor(parts / dim),
      col_step: parts % dim,
    },
    bindings: [a.steps, a.y],
    workgroups: grid2d(batch.ctx, parts, NN_ELEMENTWISE_WG),
    // exp, product, range reduction (4), sin or cos (~10).
    flops: 16 * rows * dim,
    bytes: 4 * rows * (dim + 1),
  });
}

export interface EmbeddingGatherArgs {
  /** (numClasses + 1, E): row numClasses is the null-class embedding. */
  table: Tensor;
  /** (rows) i32 labels in 0..numClasses-1, or -1 for the null class; others give NaN rows. */
  labels: Tensor;
  /** (rows, E) output. */
  y: Tensor;
  rows: number;
  E: number;
  numClasses: number;
}

/** y[n, :] = table[labels[n] (or numClasses for -1), :]. */
export function encodeEmbeddingGather(batch: Batch, k: NnDenseKernels, a: EmbeddingGatherArgs): void {
  const what = 'encodeEmbeddingGather';
  const rows = size(what, 'rows', a.rows);
  const E = size(what, 'E', a.E, 1);
  const K = size(what, 'numClasses', a.numClasses);
  checkTensor(what, 'table', a.table, (K + 1) * E);
  checkTensor(what, 'labels', a.labels, rows, 'i32');
  checkTensor(what, 'y', a.y, rows * E);
  checkDistinct(what, [['table', a.table, 'y', a.y]]);
  const parts = ewParts(rows * E);
  dispatch(batch, k.pipes.embeddingGather, {
    params: { rows, dim: E, classes: K, nan: NaN, parts, row_step: Math.floor(parts / E), col_step: parts % E },
    bindings: [a.table, a.labels, a.y],
    workgroups: grid2d(batch.ctx, parts, NN_ELEMENTWISE_WG),
    flops: 0,
    bytes: 8 * rows * E + 4 * rows,
  });
}

export interface EmbeddingBackwardArgs {
  labels: Tensor;
  /** (rows, E) gradient of the gathered rows. */
  dy: Tensor;
  /** (numClasses + 1, E): += the sum of dy's rows that read each table row. */
  dtable: Tensor;
  rows: number;
  E: number;
  numClasses: number;
}

/** dtable[k, :] += sum of dy[n, :] over rows n whose label maps to table row k (-1 -> numClasses). */
export function encodeEmbeddingBackward(batch: Batch, k: NnDenseKernels, a: EmbeddingBackwardArgs): void {
  const what = 'encodeEmbeddingBackward';
  const rows = size(what, 'rows', a.rows);
  const E = size(what, 'E', a.E, 1);
  const K = size(what, 'numClasses', a.numClasses);
  checkTensor(what, 'labels', a.labels, rows, 'i32');
  checkTensor(what, 'dy', a.dy, rows * E);
  checkTensor(what, 'dtable', a.dtable, (K + 1) * E);
  checkDistinct(what, [['dy', a.dy, 'dtable', a.dtable]]);
  const entries = (K + 1) * E;
  dispatch(batch, k.pipes.embeddingBackward, {
    params: { rows, dim: E, classes: K },
    bindings: [a.labels, a.dy, a.dtable],
    workgroups: grid2d(batch.ctx, entries, NN_LOOP_WG),
    flops: rows * E,
    bytes: 4 * entries * (2 * rows + 2),
  });
}
