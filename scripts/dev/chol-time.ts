// Per-matrix time of the Cholesky definiteness test (src/kernels/chol.ts) against a full spectrum
// (tridiag.ts, both stages) on the same random symmetric matrices, interleaved, after one warm-up each:
//   npx tsx scripts/dev/chol-time.ts [--sizes 784:16,3072:4] [--reps 3]
import { requestContext } from '../../src/runtime/context.js';
import { definiteBatch } from '../../src/kernels/chol.js';
import { eigvalshBatch } from '../../src/kernels/tridiag.js';
import { gaussian } from '../../kernels-test/random.js';
import { numArg, strArg } from '../args.js';

const sizes = strArg('sizes', '784:16,3072:4')
  .split(',')
  .map((s) => s.split(':').map(Number) as [number, number]);
const reps = numArg('reps', 3);
const ctx = await requestContext();
console.log(`adapter: ${ctx.adapterInfo.description}`);
for (const [n, count] of sizes) {
  const g = gaussian(n);
  const mats = Array.from({ length: count }, () => {
    const x = Float64Array.from({ length: n * n }, g);
    for (let i = 0; i < n; i++) for (let j = 0; j < i; j++) x[i * n + j] = x[j * n + i]!;
    return x;
  });
  // shift I + A definite for a shift above the spectrum's edge (|A| ~ 2 sqrt(n)): every test runs to the end.
  const shifts = mats.map(() => 3 * Math.sqrt(n));
  const time = async (f: () => Promise<unknown>) => {
    const t0 = performance.now();
    await f();
    return (performance.now() - t0) / count;
  };
  await definiteBatch(ctx, mats.slice(0, 1), n, shifts.slice(0, 1));
  await eigvalshBatch(ctx, mats.slice(0, 1), n);
  const chol: number[] = [];
  const full: number[] = [];
  for (let r = 0; r < reps; r++) {
    chol.push(await time(() => definiteBatch(ctx, mats, n, shifts)));
    full.push(await time(() => eigvalshBatch(ctx, mats, n)));
  }
  const f = (v: number[]) => v.map((x) => x.toFixed(1)).join(', ');
  console.log(`n = ${n}, batch ${count}, ms per matrix: cholesky ${f(chol)}; full spectrum ${f(full)}`);
}
