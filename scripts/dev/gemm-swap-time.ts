// Kernel-only timing of every GEMM build, plain and swapped (GemmPlan.swap: C^T = op(B)^T op(A)^T stored
// transposed), at the U-Net convolutions' three products (development only): forward y = cols W^T,
// dcols = dY W and dW = dY^T cols, for n x h x h images with cin -> cout channels. Each swapped result is
// checked against the plain one first. Builds round-robin, best of --rounds.
//   npx tsx scripts/dev/gemm-swap-time.ts [--n 128 --h 28 --cin 16 --cout 16 --rounds 2]
import { requestContext } from '../../src/runtime/context.js';
import { beginBatch, submit, sync } from '../../src/runtime/dispatch.js';
import { createTensor, readback } from '../../src/runtime/tensor.js';
import { buildRuns, buildsFor, encodeMatmul, matmulPlan, type GemmPlan } from '../../src/kernels/matmul.js';
import { numArg } from '../args.js';

const [n, h, cin, cout, rounds] = [
  numArg('n', 128),
  numArg('h', 28),
  numArg('cin', 16),
  numArg('cout', 16),
  numArg('rounds', 2),
];
const P = n * h * h;
const width = 9 * cin;
const ctx = await requestContext({ wait: 'poll' });
const fill = (len: number, s: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(s * i + 1));
const cols = createTensor(ctx, [P * width], { data: fill(P * width, 0.37) });
const wt = createTensor(ctx, [cout * width], { data: fill(cout * width, 0.11) });
const dy = createTensor(ctx, [P * cout], { data: fill(P * cout, 0.23) });
const out = createTensor(ctx, [Math.max(P * width, P * cout)]);
const ref = createTensor(ctx, [Math.max(P * width, P * cout)]);
const shapes = [
  { name: 'forward cols W^T', m: P, nn: cout, k: width, transA: false, transB: true, a: cols, b: wt },
  { name: 'dcols = dY W', m: P, nn: width, k: cout, transA: false, transB: false, a: dy, b: wt },
  { name: 'dW = dY^T cols', m: cout, nn: width, k: P, transA: true, transB: false, a: dy, b: cols },
];
for (const s of shapes) {
  const flops = 2 * s.m * s.nn * s.k;
  const run = (p: GemmPlan, c: typeof out) => {
    const b = beginBatch(ctx, 'swap-time');
    encodeMatmul(b, p, { a: s.a, b: s.b, c, m: s.m, n: s.nn, k: s.k, transA: s.transA, transB: s.transB });
    submit(b);
  };
  const cands: { label: string; plan: GemmPlan }[] = [];
  for (const swap of [false, true]) {
    const [ka, kb] = swap ? [!s.transB, !s.transA] : [s.transA, s.transB];
    for (const build of buildsFor(ka, kb).filter((b) => buildRuns(b, ctx.features))) {
      const plan = await matmulPlan(
        ctx,
        { m: s.m, n: s.nn, k: s.k, transA: s.transA, transB: s.transB },
        { build, swap },
      );
      cands.push({ label: `${swap ? 'swap ' : 'plain'} ${JSON.stringify(build)}`, plan });
    }
  }
  run(cands[0]!.plan, ref);
  const want = (await readback(ctx, ref)).slice(0, s.m * s.nn);
  const best = cands.map(() => Infinity);
  for (let r = 0; r < rounds; r++) {
    for (const [i, c] of cands.entries()) {
      const t0 = performance.now();
      run(c.plan, out);
      await sync(ctx);
      best[i] = Math.min(best[i]!, performance.now() - t0);
      if (r === 0) {
        const got = (await readback(ctx, out)).slice(0, s.m * s.nn);
        let err = 0;
        for (let j = 0; j < got.length; j++) err = Math.max(err, Math.abs(got[j]! - want[j]!));
        if (err > 1e-3) throw new Error(`${s.name} ${c.label}: max |diff| ${err} against the first build`);
      }
    }
  }
  console.log(`${s.name}: m ${s.m}, n ${s.nn}, k ${s.k} (${(flops / 1e6).toFixed(0)} MFLOP)`);
  const order = best.map((_, i) => i).sort((x, y) => best[x]! - best[y]!);
  for (const i of order.slice(0, 6))
    console.log(
      `  ${best[i]!.toFixed(1).padStart(7)} ms ${(flops / best[i]! / 1e6).toFixed(1).padStart(6)} GFLOP/s  ${cands[i]!.label}`,
    );
}
