// Prints the autotune timings per candidate build for the shape classes the analyses use
// (development only; compare with scripts/dev/gemm-time.ts, which times the real shapes).
//   npx tsx scripts/dev/gemm-tune-log.ts
import { requestContext } from '../../src/runtime/context.js';
import { matmulPlan } from '../../src/kernels/matmul.js';
import { syrkPlan } from '../../src/kernels/syrk.js';
import { tuneLog } from '../../src/kernels/autotune.js';

const ctx = await requestContext();
const plans: [string, () => Promise<unknown>][] = [
  ['SYRK A^T A 6000 x 784 (and 60000 x 784)', () => syrkPlan(ctx, { rows: 6000, cols: 784 })],
  ['SYRK A^T A 6000 x 1568', () => syrkPlan(ctx, { rows: 6000, cols: 1568 })],
  ['SYRK A A^T 1568 x 784', () => syrkPlan(ctx, { rows: 1568, cols: 784, gram: true })],
  ['A^T B 784^3', () => matmulPlan(ctx, { m: 784, n: 784, k: 784, transA: true })],
  ['A^T B 1024^3', () => matmulPlan(ctx, { m: 1024, n: 1024, k: 1024, transA: true })],
  ['tridiag update 784, k = 64, upper', () => matmulPlan(ctx, { m: 784, n: 784, k: 64, transA: true, upper: true })],
  ['A^T B 784 x 784, k = 16', () => matmulPlan(ctx, { m: 784, n: 784, k: 16, transA: true })],
  ['A B 1024^3', () => matmulPlan(ctx, { m: 1024, n: 1024, k: 1024 })],
  ['A B^T 1024^3', () => matmulPlan(ctx, { m: 1024, n: 1024, k: 1024, transB: true })],
];
for (const [what, f] of plans) {
  const before = tuneLog.length;
  const t0 = performance.now();
  await f();
  const t = tuneLog[before];
  if (!t) continue;
  const best = Math.min(...t.ms);
  console.log(`${what}: ${t.key} (tuned in ${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  t.candidates.forEach((c, i) =>
    console.log(
      `  ${JSON.stringify(c).padEnd(90)} ${t.ms[i]!.toFixed(2).padStart(9)} ms${t.ms[i] === best ? '  <- best' : ''}`,
    ),
  );
}
process.exit(0);
