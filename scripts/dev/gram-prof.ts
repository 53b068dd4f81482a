// The Gram phase's kernels at the latent-shaped sizes (development only): for one event of n = 1300
// rows of D = 4096, SYRK in Gram form (X X^T, twice), the cross GEMM X E^T (transB) and the eps rows,
// each timed by the profiler (timestamp queries) after one warm-up round.
//   npx tsx scripts/dev/gram-prof.ts [--n 1300] [--d 4096]
import { requestContext } from '../../src/runtime/context.js';
import { beginBatch, submit, sync } from '../../src/runtime/dispatch.js';
import { createTensor } from '../../src/runtime/tensor.js';
import { profileReport, resetProfile } from '../../src/runtime/profile.js';
import { encodeMatmul, matmulPlan } from '../../src/kernels/matmul.js';
import { encodeSyrk, syrkPlan } from '../../src/kernels/syrk.js';
import { rowStride } from '../../src/kernels/tridiag.js';
import { argOf } from '../args.js';

const n = Number(argOf('n') ?? 1300);
const D = Number(argOf('d') ?? 4096);
const ctx = await requestContext({ profile: true });
const ld = D;
const lg = rowStride(n);
const fill = (len: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(i * 0.37));
const X = createTensor(ctx, [n * ld], { data: fill(n * ld) });
const E = createTensor(ctx, [n * ld], { data: fill(n * ld).reverse() });
const G = createTensor(ctx, [lg * lg]);
const t0 = performance.now();
const syrk = await syrkPlan(ctx, { rows: n, cols: D, gram: true });
const gemm = await matmulPlan(ctx, { m: n, n, k: D, transB: true });
console.log(
  `plans (autotune) ${(performance.now() - t0).toFixed(0)} ms; syrk ${JSON.stringify(syrk.build)} gemm ${JSON.stringify(gemm.build)}`,
);
for (let round = 0; round < 2; round++) {
  resetProfile(ctx);
  const w = performance.now();
  const batch = beginBatch(ctx, 'gram-prof');
  encodeSyrk(batch, syrk, { a: X, c: G, rows: n, cols: D, lda: ld, ldc: lg, gram: true, alpha: 1 / n, mirror: true });
  encodeMatmul(batch, gemm, { a: X, b: E, c: G, m: n, n, k: D, transB: true, lda: ld, ldb: ld, ldc: lg, alpha: 1 / n });
  submit(batch);
  await sync(ctx);
  console.log(`round ${round}: wall ${(performance.now() - w).toFixed(0)} ms`);
  for (const p of profileReport(ctx))
    console.log(`  ${p.kernel}: ${p.calls} calls ${p.ms.toFixed(1)} ms ${p.gflops.toFixed(1)} GFLOP/s`);
}
