// Kernel-only timing of the two GEMM shapes of the band reduction for each vec4 build (development only).
//   npx tsx scripts/dev/gemm-band-shapes.ts [m] [b]
import { requestContext } from '../../src/runtime/context.js';
import { beginBatch, submit, sync } from '../../src/runtime/dispatch.js';
import { createTensor } from '../../src/runtime/tensor.js';
import { GEMM_BUILDS, buildRuns, encodeMatmul, matmulPlan } from '../../src/kernels/matmul.js';

const ctx = await requestContext();
const m = Number(process.argv[2] ?? 752);
const b = Number(process.argv[3] ?? 32);
const reps = 10;
const big = createTensor(ctx, [m * m], { data: Float32Array.from({ length: m * m }, (_, i) => Math.sin(i)) });
const pan = createTensor(ctx, [3 * b * m], { data: Float32Array.from({ length: 3 * b * m }, (_, i) => Math.cos(i)) });
const u = createTensor(ctx, [m * b], { data: Float32Array.from({ length: m * b }, (_, i) => Math.cos(i)) });
async function time(run: () => void) {
  run();
  await sync(ctx);
  const ms: number[] = [];
  for (let r = 0; r < 4; r++) {
    const t0 = performance.now();
    run();
    await sync(ctx);
    ms.push(performance.now() - t0);
  }
  return Math.min(...ms);
}
for (const build of GEMM_BUILDS.filter((x) => x.vec4 && buildRuns(x, ctx.features))) {
  const pz = await matmulPlan(ctx, { m: b, n: m, k: m, transA: true }, { build });
  const tz = await time(() => {
    const bt = beginBatch(ctx);
    for (let r = 0; r < reps; r++)
      encodeMatmul(bt, pz, { a: u, b: big, c: pan, m: b, n: m, k: m, transA: true, offsetC: b * m });
    submit(bt);
  });
  const pu = await matmulPlan(ctx, { m, n: m, k: 2 * b, transA: true }, { build });
  const tu = await time(() => {
    const bt = beginBatch(ctx);
    for (let r = 0; r < reps; r++)
      encodeMatmul(bt, pu, {
        a: pan,
        b: pan,
        c: big,
        m,
        n: m,
        k: 2 * b,
        transA: true,
        alpha: -1e-3,
        beta: 1,
        upper: true,
        mirror: true,
        offsetB: b * m,
      });
    submit(bt);
  });
  const fz = (reps * 2 * b * m * m) / tz / 1e6;
  const fu = (reps * m * (m + 1) * 2 * b) / tu / 1e6;
  console.log(
    `${JSON.stringify(build)}: Z ${(tz / reps).toFixed(2)} ms ${fz.toFixed(1)} GFLOP/s; update ${(tu / reps).toFixed(2)} ms ${fu.toFixed(1)} GFLOP/s`,
  );
}
