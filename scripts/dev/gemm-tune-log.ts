// Prints the autotune timings per candidate build for a few shape classes (development only).
//   npx tsx scripts/dev/gemm-tune-log.ts
import { requestContext } from '../../src/runtime/context.js';
import { matmulPlan } from '../../src/kernels/matmul.js';
import { syrkPlan } from '../../src/kernels/syrk.js';
import { tuneLog } from '../../src/kernels/autotune.js';

const ctx = await requestContext();
await syrkPlan(ctx, { rows: 6000, cols: 784 });
await syrkPlan(ctx, { rows: 500, cols: 100 });
await syrkPlan(ctx, { rows: 300, cols: 40 });
await syrkPlan(ctx, { rows: 2000, cols: 784, gram: true });
await matmulPlan(ctx, { m: 1024, n: 1024, k: 1024 });
await matmulPlan(ctx, { m: 784, n: 16, k: 784 });
await matmulPlan(ctx, { m: 784, n: 784, k: 6000, transA: true });
await matmulPlan(ctx, { m: 200, n: 200, k: 784, transB: true });
for (const t of tuneLog) {
  const best = Math.min(...t.ms);
  console.log(t.key);
  t.candidates.forEach((c, i) =>
    console.log(`  ${JSON.stringify(c)} ${t.ms[i]!.toFixed(2)} ms${t.ms[i] === best ? '  <- best' : ''}`),
  );
}
process.exit(0);
