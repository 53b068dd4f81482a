// fluctus public API: the runtime (plain data + free functions), kernels and schedules.
export { requestContext, destroyContext, checkDevice, type Context, type ContextOptions, type WaitMode } from './runtime/context.js';
export { createTensor, upload, readback, disposeTensor, rowChunks, type Tensor, type DType } from './runtime/tensor.js';
export { getPipeline, compileModule, type KernelSpec, type CachedPipeline } from './runtime/pipeline.js';
export { beginBatch, dispatch, submit, sync, grid2d, ceilDiv, type Batch } from './runtime/dispatch.js';
export { profileReport, resetProfile, formatProfile, type KernelProfile } from './runtime/profile.js';
export { philox, PHILOX } from './kernels/philox.js';
export { forwardNoise, encodeForwardNoise, forwardNoisePipeline, FORWARD_NOISE, NOISE_STREAM } from './kernels/forward_noise.js';
export * from './models/schedules.js';
export { frobeniusPairs, prepareFrobenius, encodeFrobenius, disposeFrobenius, type FrobeniusPlan } from './kernels/frobenius.js';
export { eigh, eighTop, lambdaMax, type EighOptions, type EighResult, type EighTopOptions, type EighTopResult, type LambdaMaxOptions, type LambdaMaxResult, type SymmetricInput } from './kernels/eigh.js';
export { encodeSymmBlock, symmBlockPipeline } from './kernels/symm_block.js';
export * from './kernels/moments.js';
export { gram, crossGram, frobeniusFromCrossGram, doubleCentre } from './kernels/gram.js';
