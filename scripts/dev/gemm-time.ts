// Kernel-only timing of every GEMM build for matmul and SYRK shapes (development only).
//   npx tsx scripts/dev/gemm-time.ts [N D]
import { requestContext } from '../../src/runtime/context.js';
import { beginBatch, submit, sync } from '../../src/runtime/dispatch.js';
import { createTensor } from '../../src/runtime/tensor.js';
import { GEMM_BUILDS, encodeMatmul, matmulPlan } from '../../src/kernels/matmul.js';
import { encodeSyrk, syrkPlan } from '../../src/kernels/syrk.js';

const ctx = await requestContext();
const N = Number(process.argv[2] ?? 6000);
const D = Number(process.argv[3] ?? 784);
const only = process.argv[4];
const x = createTensor(ctx, [N, D], { data: Float32Array.from({ length: N * D }, (_, i) => Math.sin(i)) });
const c = createTensor(ctx, [Math.max(D * D, 1024 * 1024)]);
const sq = createTensor(ctx, [1024 * 1024], {
  data: Float32Array.from({ length: 1024 * 1024 }, (_, i) => Math.cos(i)),
});
async function time(run: () => void, reps = 3) {
  run();
  await sync(ctx);
  const ms: number[] = [];
  for (let r = 0; r < reps + 2; r++) {
    const t0 = performance.now();
    run();
    await sync(ctx);
    ms.push(performance.now() - t0);
  }
  return Math.min(...ms);
}
for (const build of GEMM_BUILDS) {
  if (only && JSON.stringify(build) !== only) continue;
  const sp = await syrkPlan(ctx, { rows: N, cols: D }, { build });
  const ts = await time(() => {
    const b = beginBatch(ctx);
    encodeSyrk(b, sp, { a: x, c, rows: N, cols: D });
    submit(b);
  });
  const transA = build.vec4;
  const mp = await matmulPlan(ctx, { m: 1024, n: 1024, k: 1024, transA }, { build });
  const tm = await time(() => {
    const b = beginBatch(ctx);
    encodeMatmul(b, mp, { a: sq, b: sq, c, m: 1024, n: 1024, k: 1024, transA });
    submit(b);
  }, 2);
  console.log(
    JSON.stringify(build),
    `syrk ${N}x${D}: ${ts.toFixed(0)} ms = ${((2 * N * D * D) / ts / 1e6).toFixed(1)} GFLOP/s (2ND^2)`,
    `| matmul${transA ? ' (A^T B)' : ''} 1024^3: ${tm.toFixed(0)} ms = ${((2 * 1024 ** 3) / tm / 1e6).toFixed(1)} GFLOP/s`,
  );
}
process.exit(0);
