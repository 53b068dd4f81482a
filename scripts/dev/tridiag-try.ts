import { requestContext } from '../../src/runtime/context.js';
import { eigvalshBatch } from '../../src/kernels/tridiag.js';
import { symmetricEigen } from '../../src/linalg/eigh-cpu.js';
import { gaussian } from '../../kernels-test/random.js';

const ctx = await requestContext();
const sizes = (process.argv[2] ?? '1,2,3,5,31,32,33,63,64,65,257').split(',').map(Number);
const count = Number(process.argv[3] ?? 3);
for (const n of sizes) {
  const mats: Float64Array[] = [];
  for (let b = 0; b < count; b++) {
    const g = gaussian(n * 100 + b);
    const x = Float64Array.from({ length: n * n }, g);
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = x[i * n + j]! + x[j * n + i]!;
    mats.push(a);
  }
  const t0 = performance.now();
  const got = await eigvalshBatch(ctx, mats, n);
  const ms = performance.now() - t0;
  let worst = 0;
  mats.forEach((m, b) => {
    const ref = symmetricEigen(m, n).values;
    const norm = Math.max(Math.abs(ref[0]!), Math.abs(ref[n - 1]!));
    for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got[b]![i]! - ref[i]!) / norm);
  });
  console.log(`n=${n} count=${count}: worst |err|/||A|| = ${worst.toExponential(2)}  (${ms.toFixed(0)} ms)`);
}
