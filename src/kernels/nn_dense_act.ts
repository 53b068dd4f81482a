// Bias + activation (forward and backward with the bias gradient's column sums), SiLU without bias,
// column sums and y = alpha a + beta b: the elementwise pieces of dense layers (issue 5 contract (1)).
import { dispatch, grid2d, type Batch } from '../runtime/dispatch.js';
import type { Tensor } from '../runtime/tensor.js';
import {
  checkAct,
  checkDistinct,
  checkReal,
  checkTensor,
  ewParts,
  NN_ELEMENTWISE_WG,
  NN_LOOP_WG,
  NN_SCRATCH,
  size,
  type Act,
  type NnDenseKernels,
} from './nn_dense_specs.js';

export interface BiasActArgs {
  /** (rows, cols) pre-activation input; kept by the caller for the backward pass. */
  x: Tensor;
  /** (cols) bias broadcast over rows; omitted: y = act(x). */
  b?: Tensor;
  /** (rows, cols) output, a different tensor from x. */
  y: Tensor;
  rows: number;
  cols: number;
  act: Act;
}

/** y (rows, cols) = act(x + b), b (cols) broadcast over the rows; act 'none' or 'silu' (v sigmoid(v)). */
export function encodeBiasAct(batch: Batch, k: NnDenseKernels, a: BiasActArgs): void {
  const what = 'encodeBiasAct';
  const act = checkAct(what, a.act);
  const rows = size(what, 'rows', a.rows);
  const cols = size(what, 'cols', a.cols, 1);
  const n = rows * cols;
  checkTensor(what, 'x', a.x, n);
  checkTensor(what, 'y', a.y, n);
  if (a.b) checkTensor(what, 'b', a.b, cols);
  checkDistinct(what, [
    ['x', a.x, 'y', a.y],
    ['b', a.b, 'y', a.y],
  ]);
  const parts = ewParts(n);
  dispatch(batch, act === 'silu' ? k.pipes.biasSilu : k.pipes.biasAct, {
    params: { rows, cols, has_bias: a.b ? 1 : 0, parts, col_step: parts % cols },
    bindings: [a.x, a.b ?? a.x, a.y],
    workgroups: grid2d(batch.ctx, parts, NN_ELEMENTWISE_WG),
    // silu: exp, add, divide, multiply ~ 4 flops (+1 for the bias).
    flops: n * ((a.b ? 1 : 0) + (act === 'silu' ? 4 : 0)),
    bytes: 8 * n + (a.b ? 4 * cols : 0),
  });
}

export interface BiasActBackwardArgs {
  /** (rows, cols) the forward's pre-activation input (needed for silu; ignored for act 'none'). */
  x?: Tensor;
  /** (cols) the forward's bias (omitted: the forward had none). */
  b?: Tensor;
  /** (rows, cols) gradient of the output. */
  dy: Tensor;
  /** (rows, cols) gradient of x, overwritten; may be dy itself. */
  dx: Tensor;
  /** (cols) bias gradient: db += column sums of dx; omitted: not computed. */
  db?: Tensor;
  rows: number;
  cols: number;
  act: Act;
}

/** Rows per block of the first level of the column sums, and the number of blocks (<= NN_SCRATCH / cols). */
export function columnBlocks(rows: number, cols: number): { blocks: number; blockRows: number } {
  const maxBlocks = Math.max(1, Math.min(1024, Math.floor(NN_SCRATCH / cols)));
  const want = Math.min(maxBlocks, Math.ceil(rows / 32));
  const blockRows = Math.max(1, Math.ceil(rows / Math.max(want, 1)));
  return { blocks: Math.ceil(rows / blockRows), blockRows };
}

/**
 * dx (rows, cols) = dy * act'(x + b) (overwrites dx; dx may be dy), and db (cols) += column sums of dx.
 * With act 'none' and dx = dy nothing is written but db: the column sums of dy.
 */
export function encodeBiasActBackward(batch: Batch, k: NnDenseKernels, a: BiasActBackwardArgs): void {
  const what = 'encodeBiasActBackward';
  const act = checkAct(what, a.act);
  const rows = size(what, 'rows', a.rows);
  const cols = size(what, 'cols', a.cols, 1);
  const n = rows * cols;
  const silu = act === 'silu';
  // x is read only for silu: act 'none' ignores it (and binds none).
  const ax = silu ? checkTensor(what, 'x', a.x, n) : undefined;
  checkTensor(what, 'dy', a.dy, n);
  checkTensor(what, 'dx', a.dx, n);
  if (a.b) checkTensor(what, 'b', a.b, cols);
  if (a.db) checkTensor(what, 'db', a.db, cols);
  const inPlace = a.dx.buffer === a.dy.buffer;
  checkDistinct(what, [
    ['x', ax, 'dx', a.dx],
    ['b', a.b, 'dx', a.dx],
    ['db', a.db, 'dx', a.dx],
    ['db', a.db, 'dy', a.dy],
    ['db', a.db, 'x', ax],
    ['db', a.db, 'b', a.b],
  ]);
  if (n === 0) return;
  const store = silu || !inPlace;
  if (!store && !a.db) return;
  // Without db a strided loop over the elements; with db one invocation per block of rows and column.
  const { blocks, blockRows } = a.db ? columnBlocks(rows, cols) : { blocks: 0, blockRows: 0 };
  const parts = a.db ? 0 : ewParts(n);
  // In place, dy's buffer is writable and may not be bound a second time as x.
  const x = ax ?? (inPlace ? k.spare : a.dy);
  const b = a.b ?? x;
  const db = a.db ?? k.spare;
  const pipe = silu
    ? inPlace
      ? k.pipes.biasSiluBackwardInPlace
      : k.pipes.biasSiluBackward
    : inPlace
      ? k.pipes.biasActBackwardInPlace
      : k.pipes.biasActBackward;
  dispatch(batch, pipe, {
    params: {
      rows,
      cols,
      blocks,
      block_rows: blockRows,
      has_bias: a.b ? 1 : 0,
      store: store ? 1 : 0,
      want_db: a.db ? 1 : 0,
      parts,
      col_step: parts % cols,
    },
    bindings: inPlace ? [x, b, a.dx, k.scratch, db] : [x, b, a.dy, a.dx, k.scratch, db],
    workgroups: grid2d(batch.ctx, a.db ? blocks * cols : parts, NN_LOOP_WG),
    flops: n * ((silu ? 8 : 0) + (a.db ? 1 : 0)),
    bytes: 4 * n * ((silu ? 2 : 1) + (store ? 1 : 0)) + 8 * blocks * cols,
  });
  if (a.db && blocks > 1) encodeColumnReduce(batch, k, a.db, cols, blocks);
}

function encodeColumnReduce(batch: Batch, k: NnDenseKernels, y: Tensor, cols: number, blocks: number): void {
  dispatch(batch, k.pipes.columnReduce, {
    params: { cols, blocks },
    bindings: [k.scratch, y],
    workgroups: grid2d(batch.ctx, cols, NN_LOOP_WG),
    flops: blocks * cols,
    bytes: 4 * (blocks + 2) * cols,
  });
}

/** y (cols) += column sums of x (rows, cols): the bias gradient of y = x W^T + b or of a conv. */
export function encodeColumnSum(
  batch: Batch,
  k: NnDenseKernels,
  a: { x: Tensor; y: Tensor; rows: number; cols: number },
): void {
  encodeBiasActBackward(batch, k, { dy: a.x, dx: a.x, db: a.y, rows: a.rows, cols: a.cols, act: 'none' });
}

/** y (n) = silu(x) = x sigmoid(x) elementwise (encodeBiasAct without bias); y is not x. */
export function encodeSilu(batch: Batch, k: NnDenseKernels, a: { x: Tensor; y: Tensor; n: number }): void {
  encodeBiasAct(batch, k, { x: a.x, y: a.y, rows: 1, cols: Math.max(1, a.n), act: 'silu' });
}

/** dx (n) = dy * silu'(x) (overwrites dx; dx may be dy). */
export function encodeSiluBackward(
  batch: Batch,
  k: NnDenseKernels,
  a: { x: Tensor; dy: Tensor; dx: Tensor; n: number },
): void {
  encodeBiasActBackward(batch, k, { x: a.x, dy: a.dy, dx: a.dx, rows: 1, cols: Math.max(1, a.n), act: 'silu' });
}

export interface AddArgs {
  a: Tensor;
  b: Tensor;
  /** Output (n); may be a or b. */
  y: Tensor;
  n: number;
  /** Default 1. */
  alpha?: number;
  /** Default 1. */
  beta?: number;
}

/** y (n) = alpha a + beta b elementwise (defaults 1, 1); y may be a or b (or both). */
export function encodeAdd(batch: Batch, k: NnDenseKernels, x: AddArgs): void {
  const what = 'encodeAdd';
  const n = size(what, 'n', x.n);
  checkTensor(what, 'a', x.a, n);
  checkTensor(what, 'b', x.b, n);
  checkTensor(what, 'y', x.y, n);
  let alpha = checkReal(what, 'alpha', x.alpha ?? 1);
  let beta = checkReal(what, 'beta', x.beta ?? 1);
  let [a, b] = [x.a, x.b];
  if (x.y.buffer === b.buffer && x.y.buffer !== a.buffer) {
    [a, b] = [b, a];
    [alpha, beta] = [beta, alpha];
  }
  const inPlace = x.y.buffer === a.buffer;
  let useB = 1;
  if (inPlace && b.buffer === a.buffer) {
    // y = (alpha + beta) y: b is the same buffer, which a writable binding may not alias.
    [alpha, beta, useB, b] = [alpha + beta, 0, 0, k.spare];
  }
  const vec4 = n % 4 === 0;
  const units = vec4 ? n / 4 : n;
  const parts = ewParts(units);
  const pipe = vec4 ? (inPlace ? k.pipes.addInPlace4 : k.pipes.add4) : inPlace ? k.pipes.addInPlace : k.pipes.add;
  dispatch(batch, pipe, {
    params: { n: units, use_b: useB, alpha, beta, parts },
    bindings: inPlace ? [x.y, b] : [a, b, x.y],
    workgroups: grid2d(batch.ctx, parts, NN_ELEMENTWISE_WG),
    flops: 3 * n,
    bytes: 12 * n,
  });
}
