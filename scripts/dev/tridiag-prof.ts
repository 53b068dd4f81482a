import { requestContext } from '../../src/runtime/context.js';
import { formatProfile, profileReport, resetProfile } from '../../src/runtime/profile.js';
import { eigvalshBatch } from '../../src/kernels/tridiag.js';
import { gaussian } from '../../kernels-test/random.js';
const ctx = await requestContext({ profile: true });
const n = Number(process.argv[2] ?? 784);
const count = Number(process.argv[3] ?? 4);
const mats: Float64Array[] = [];
for (let b = 0; b < count; b++) {
  const g = gaussian(b);
  const x = Float64Array.from({ length: n * n }, g);
  mats.push(x);
}
await eigvalshBatch(ctx, mats.slice(0, 1), n);
resetProfile(ctx);
const t0 = performance.now();
await eigvalshBatch(ctx, mats, n);
console.log(`total ${(performance.now() - t0).toFixed(0)} ms for ${count}`);
console.log(formatProfile(profileReport(ctx), ctx.profiler!.mode));
