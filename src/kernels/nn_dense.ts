// Dense building blocks of the learned denoisers (issue 5 contract, part (1)): bias + activation and
// their gradients, elementwise add, time-step and class embeddings, MSE and cross-entropy losses, and
// the optimiser (sums of squares, global-norm clip scale on the GPU, AdamW, EMA, fill).
// Usage: const k = await nnDenseKernels(ctx); then encode*(batch, k, { tensors, sizes }) between
// beginBatch and submit. Every encode takes tensors already on the GPU and reads nothing back.
// Gradients accumulate (+=) unless the function says it overwrites.
export {
  nnDenseKernels,
  NN_DENSE_BUILDS,
  NN_DENSE_REGISTRY,
  ACTS,
  NN_ELEMENTWISE_WG,
  NN_LOOP_WG,
  NN_REDUCE_WG,
  NN_SCRATCH,
  NN_MAX_PARTS,
  NN_MIN_ITEMS,
  NN_SMALL_SUM,
  NN_EW_ITEMS,
  NN_EW_MAX_PARTS,
  type Act,
  type NnDenseKernels,
  type NnDensePipe,
} from './nn_dense_specs.js';
export {
  encodeBiasAct,
  encodeBiasActBackward,
  encodeColumnSum,
  encodeSilu,
  encodeSiluBackward,
  encodeAdd,
  columnBlocks,
  type BiasActArgs,
  type BiasActBackwardArgs,
  type AddArgs,
} from './nn_dense_act.js';
export {
  encodeTimeEmbedding,
  encodeEmbeddingGather,
  encodeEmbeddingBackward,
  TIME_EMBEDDING_MAX_PERIOD,
  type TimeEmbeddingArgs,
  type EmbeddingGatherArgs,
  type EmbeddingBackwardArgs,
} from './nn_dense_embed.js';
export {
  encodeMseLoss,
  encodeCrossEntropy,
  encodeSumReduce,
  type MseLossArgs,
  type CrossEntropyArgs,
} from './nn_dense_loss.js';
export {
  encodeSumSquares,
  encodeClipScale,
  encodeAdamW,
  encodeEma,
  encodeFill,
  CLIP_SCALE_INDEX,
  CLIP_NORM_INDEX,
  CLIP_NONFINITE_INDEX,
  CLIP_STATE_SIZE,
  type SumSquaresArgs,
  type ClipScaleArgs,
  type AdamWArgs,
} from './nn_dense_optim.js';
