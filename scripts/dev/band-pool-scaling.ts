// Stage 2 alone (band -> tridiagonal -> QL, no GPU) of random band forms at n = 784, b = 32 on the main
// thread and on 1 .. T worker threads (src/linalg/band-pool.ts): wall time per matrix, best of 3.
//   npx tsx scripts/dev/band-pool-scaling.ts [count] [maxThreads]
import { availableParallelism } from 'node:os';
import { bandEigenvaluesBatch } from '../../src/linalg/band-pool.js';

const count = Number(process.argv[2] ?? 48);
const most = Number(process.argv[3] ?? availableParallelism());
const [n, b] = [784, 32];
const bands = Float32Array.from({ length: count * n * (b + 1) }, (_, i) => Math.sin(i * 0.37) + Math.cos(i * 0.011));
console.log(`${count} bands of n = ${n}, b = ${b}; ${availableParallelism()} cores`);
for (let t = 0; t <= most; t++) {
  await bandEigenvaluesBatch(bands, n, b, Math.min(count, 2 * Math.max(t, 1)), t);
  let best = Infinity;
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    await bandEigenvaluesBatch(bands, n, b, count, t);
    best = Math.min(best, performance.now() - t0);
  }
  console.log(`${t === 0 ? 'main thread' : `${t} worker(s)`}: ${(best / count).toFixed(1)} ms per matrix`);
}
