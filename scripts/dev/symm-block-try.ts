// Times symm_block's two builds on the tracker's products (D x D times D x 12, 69 per batch: 23 events x
// [A V, B V, S V]), and the autotuned matmul (C symmetric: op(A) = C^T) on the same products:
//   npx tsx scripts/dev/symm-block-try.ts [--d 784] [--q4 3] [--count 69] [--reps 3]
import { encodeSymmBlock, symmBlockPipeline } from '../../src/kernels/symm_block.js';
import { beginBatch, submit } from '../../src/runtime/dispatch.js';
import { destroyContext, requestContext } from '../../src/runtime/context.js';
import { createTensor, readback } from '../../src/runtime/tensor.js';
import { profileReport, resetProfile } from '../../src/runtime/profile.js';
import { numArg } from '../args.js';
import { encodeMatmul, matmulPlan } from '../../src/kernels/matmul.js';

const d = numArg('d', 784);
const q4 = numArg('q4', 3);
const count = numArg('count', 69);
const reps = numArg('reps', 3);
// GPU timestamps: kernel time only, whatever the host's wait does (the wait model, shared by the builds of
// one kernel, may oversleep a fast one).
const ctx = await requestContext({ profile: true });
const c = createTensor(ctx, [d * d], { data: Float32Array.from({ length: d * d }, (_, i) => Math.sin(i)) });
const v = createTensor(ctx, [d * 4 * q4], { data: Float32Array.from({ length: d * 4 * q4 }, (_, i) => Math.cos(i)) });
const w = createTensor(ctx, [count * d * 4 * q4]);
const p = await symmBlockPipeline(ctx);
const n = 4 * q4;
const gemm = await matmulPlan(ctx, { m: d, n, k: d, transA: true });
console.log(`matmul plan: ${JSON.stringify(gemm.build)}${gemm.swap ? ' swapped' : ''}`);
for (const build of ['scalar', 'vec', 'gemm', 'scalar', 'vec', 'gemm'] as const) {
  const ms: number[] = [];
  // One untimed run first: the driver may compile a pipeline on its first dispatch.
  for (let r = -1; r < reps; r++) {
    resetProfile(ctx);
    const batch = beginBatch(ctx, 'try');
    for (let k = 0; k < count; k++) {
      if (build === 'gemm')
        encodeMatmul(batch, gemm, { a: c, b: v, c: w, m: d, n, k: d, transA: true, offsetC: k * d * n });
      else encodeSymmBlock(batch, p, { c, v, w, d, q4, wOffset: k * d * q4 }, build);
    }
    submit(batch);
    await readback(ctx, w, 0, 4);
    if (r >= 0) ms.push(profileReport(ctx).reduce((t, k) => t + k.ms, 0));
  }
  const best = Math.min(...ms);
  console.log(
    `${build}: ${best.toFixed(0)} ms for ${count} products, ${((2 * d * d * 4 * q4 * count) / best / 1e6).toFixed(2)} GFLOP/s`,
  );
}
destroyContext(ctx);
