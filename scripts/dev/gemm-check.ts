// Quick check and timing of every GEMM build on one shape (development only).
//   npx tsx scripts/dev/gemm-check.ts [m n k transA transB]
import { requestContext } from '../../src/runtime/context.js';
import { matmul, GEMM_BUILDS } from '../../src/kernels/matmul.js';
import { syrk } from '../../src/kernels/syrk.js';
import { matmulRef } from '../../kernels-test/ref/matmul.js';
import { syrkRef } from '../../kernels-test/ref/syrk.js';

const ctx = await requestContext();
const [m, n, k] = [Number(process.argv[2] ?? 63), Number(process.argv[3] ?? 65), Number(process.argv[4] ?? 64)];
const transA = process.argv[5] === '1';
const transB = process.argv[6] === '1';
const a = Float32Array.from({ length: m * k }, (_, i) => Math.sin(i * 0.37));
const b = Float32Array.from({ length: k * n }, (_, i) => Math.cos(i * 0.11));
const ref = m * n * k < 5e7 ? matmulRef({ a, b, c: new Float64Array(m * n), m, n, k, transA, transB }) : null;
for (const build of GEMM_BUILDS) {
  const shapeA: [number, number] = transA ? [k, m] : [m, k];
  const shapeB: [number, number] = transB ? [n, k] : [k, n];
  await matmul(ctx, a, shapeA, b, shapeB, { transA, transB, build });
  const t0 = performance.now();
  const c = await matmul(ctx, a, shapeA, b, shapeB, { transA, transB, build });
  const ms = performance.now() - t0;
  let err = 0;
  if (ref) for (let i = 0; i < c.length; i++) err = Math.max(err, Math.abs(c[i]! - ref[i]!));
  console.log(JSON.stringify(build), `err ${err.toExponential(2)}`, `${ms.toFixed(1)} ms ${((2 * m * n * k) / ms / 1e6).toFixed(2)} GFLOP/s (end to end)`);
}
const [N, D] = [Math.max(m, 5), Math.max(n, 3)];
const x = Float32Array.from({ length: N * D }, (_, i) => Math.sin(i * 0.7));
const sref = syrkRef({ a: x, c: new Float64Array(D * D), rows: N, cols: D });
const s = await syrk(ctx, x, [N, D], { mirror: false });
let err = 0;
for (let i = 0; i < s.length; i++) err = Math.max(err, Math.abs(s[i]! - sref[i]!));
console.log('syrk err', err);
process.exit(0);
