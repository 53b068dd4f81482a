// Kernel-only timing of every eligible GEMM build at the shapes the analyses use (development only):
// SYRK A^T A (6000 x 784, 60000 x 784 streamed in row chunks as syrk() does, 6000 x 1568), matmul A^T B
// (784^3, 1024^3), the tridiagonalisation's trailing update (m = n = 784, k = 64, transA, upper + mirror,
// beta = 1) and a k = 16 product. Builds are interleaved round-robin and each keeps its best time, so
// that other load on the machine hits every build alike. GFLOP/s as src/bench/syrk.ts counts them:
// 2 N D^2 for SYRK (the full product, though the kernel does the upper triangle), 2 m n k for matmul.
//   npx tsx scripts/dev/gemm-time.ts [--rounds 3] [--only syrk6000,mm1024] [--build '{"tm":...}']
import { requestContext } from '../../src/runtime/context.js';
import { beginBatch, submit, sync } from '../../src/runtime/dispatch.js';
import { createTensor, rowChunks } from '../../src/runtime/tensor.js';
import {
  buildRuns,
  buildsFor,
  encodeMatmul,
  matmulPlan,
  type GemmBuild,
  type GemmPlan,
} from '../../src/kernels/matmul.js';
import { encodeSyrk, syrkPlan } from '../../src/kernels/syrk.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const rounds = Number(arg('rounds') ?? 3);
const only = arg('only')?.split(',');
const forced = arg('build');

// 'poll': the script sleeps for most of each build's best time itself (below), so that the runtime's
// wait model, shared by all builds of a kernel, cannot oversleep a fast build.
const ctx = await requestContext({ wait: 'poll' });
const fill = (len: number, f: (i: number) => number) => Float32Array.from({ length: len }, (_, i) => f(i));
const X = createTensor(ctx, [60000 * 784], { data: fill(60000 * 784, (i) => Math.sin(i)) });
const X2 = createTensor(ctx, [6000 * 1568], { data: fill(6000 * 1568, (i) => Math.cos(i)) });
const C = createTensor(ctx, [196000 * 16]);

interface Shape {
  name: string;
  flops: number;
  transA: boolean;
  transB: boolean;
  plan: (b: GemmBuild) => Promise<GemmPlan>;
  encode: (p: GemmPlan) => void;
}
let batch = beginBatch(ctx, 'gemm-time');
const syrkShape = (N: number, D: number, x: typeof X): Shape => {
  const chunks = rowChunks(N, 4 * D, ctx.limits.maxStorageBufferBindingSize);
  return {
    name: `syrk${N}x${D}`,
    flops: 2 * N * D * D,
    transA: true,
    transB: false,
    plan: (build) => syrkPlan(ctx, { rows: chunks[0]!.count, cols: D }, { build }),
    encode: (p) =>
      chunks.forEach((ch, i) =>
        encodeSyrk(batch, p as Parameters<typeof encodeSyrk>[1], {
          a: x,
          c: C,
          rows: ch.count,
          cols: D,
          offsetA: ch.start * D,
          beta: i ? 1 : 0,
        }),
      ),
  };
};
const mmShape = (
  name: string,
  m: number,
  n: number,
  k: number,
  extra: Record<string, unknown> = {},
  transA = true,
  transB = false,
): Shape => ({
  name,
  flops: 2 * m * n * k,
  transA,
  transB,
  plan: (build) => matmulPlan(ctx, { m, n, k, transA, transB }, { build }),
  // op(A) (m, k) and op(B) (k, n) from x (packed); C (m, n).
  encode: (p) => encodeMatmul(batch, p, { a: X, b: X, c: C, m, n, k, transA, transB, offsetB: 4 * k * m, ...extra }),
});
const gramShape = (N: number, D: number): Shape => ({
  name: `gram${N}x${D}`,
  flops: 2 * N * N * D,
  transA: false,
  transB: true,
  plan: (build) => syrkPlan(ctx, { rows: N, cols: D, gram: true }, { build }),
  encode: (p) => encodeSyrk(batch, p as Parameters<typeof encodeSyrk>[1], { a: X, c: C, rows: N, cols: D, gram: true }),
});
const shapes: Shape[] = [
  syrkShape(6000, 784, X),
  syrkShape(60000, 784, X),
  syrkShape(6000, 1568, X2),
  mmShape('mm784', 784, 784, 784),
  // The crn pass's cross co-moment X^T E of one 6000-row chunk (crn-basis.ts).
  mmShape('mm784k6000', 784, 784, 6000),
  mmShape('mm1024', 1024, 1024, 1024),
  // The tridiagonalisation's trailing update: C -= [V W][W V]^T, upper triangle mirrored (beta = 1).
  mmShape('tridiag784k64', 784, 784, 64, {
    alpha: -1,
    beta: 1,
    upper: true,
    mirror: true,
    lda: 784,
    ldb: 784,
    ldc: 784,
  }),
  mmShape('mm784k16', 784, 784, 16),
  // The tridiagonalisation's Z^T = U^T A22 of its first and a middle panel (b = 32 rows).
  mmShape('tridiagZ752', 32, 752, 752),
  mmShape('tridiagZ400', 32, 400, 400),
  // A 12-row product A^T B (as small as the tracker's subspaces), for the small classes' split (gemm_tune.ts).
  mmShape('m12', 12, 784, 784),
  mmShape('mm1024nn', 1024, 1024, 1024, {}, false, false),
  mmShape('mm1000nn', 1000, 1000, 1000, {}, false, false),
  mmShape('mm1024nt', 1024, 1024, 1024, {}, false, true),
  gramShape(1568, 784),
  // The U-Net's 48 -> 16 skip projection of a sampling step (250 images, 28 x 28): x W^T.
  mmShape('skip196000', 196000, 16, 48, {}, false, true),
].filter((s) => !only || only.includes(s.name));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
for (const s of shapes) {
  const builds = buildsFor(s.transA, s.transB).filter(
    (b) => buildRuns(b, ctx.features) && (!forced || JSON.stringify(b) === forced),
  );
  const plans: GemmPlan[] = [];
  for (const b of builds) plans.push(await s.plan(b));
  // Repeat small problems inside one submit so that a timed run is >= ~20 ms.
  let reps = 1;
  const best = builds.map(() => Infinity);
  const run = async (i: number) => {
    const t0 = performance.now();
    batch = beginBatch(ctx, 'gemm-time');
    for (let r = 0; r < reps; r++) s.encode(plans[i]!);
    submit(batch);
    if (best[i]! < Infinity) await sleep(0.85 * best[i]! * reps);
    await sync(ctx);
    return (performance.now() - t0) / reps;
  };
  // The first run of a build compiles it (lavapipe compiles at the first dispatch): untimed.
  for (let i = 0; i < plans.length; i++) await run(i);
  const warm: number[] = [];
  for (let i = 0; i < plans.length; i++) warm.push(await run(i));
  reps = Math.max(1, Math.ceil(20 / Math.min(...warm)));
  // Builds whose warm-up took over twice the fastest one's keep that time (as the autotune drops them).
  const slow = warm.map((w) => w > 2 * Math.min(...warm));
  warm.forEach((w, i) => slow[i] && (best[i] = w));
  for (let r = 0; r < rounds; r++)
    for (let i = 0; i < plans.length; i++) if (!slow[i]) best[i] = Math.min(best[i]!, await run(i));
  const top = Math.min(...best);
  console.log(`${s.name} (${(s.flops / 1e9).toFixed(2)} GFLOP counted, best of ${rounds} x ${reps})`);
  builds.forEach((b, i) =>
    console.log(
      `  ${JSON.stringify(b).padEnd(90)} ${best[i]!.toFixed(2).padStart(9)} ms ${(s.flops / best[i]! / 1e6).toFixed(1).padStart(7)} GFLOP/s${best[i] === top ? '  <- best' : ''}`,
    ),
  );
}
process.exit(0);
