// The normality test's inputs on Fashion-MNIST (60000 x 784): the former host path (eps drawn on the GPU
// and read back, float64 column moments on the host) against noisedMoments (src/kernels/mixed_moments.ts),
// wall times and the largest relative difference of the central moments (development only).
//   npx tsx scripts/dev/normality-gpu.ts
import { requestContext } from '../../src/runtime/context.js';
import { loadFashionMnist } from '../../src/data/builtin.js';
import { standardNormals } from '../../src/kernels/forward_noise.js';
import { noisedMoments } from '../../src/kernels/mixed_moments.js';
import { columnMixedMoments } from '../../src/analysis/normality-steps.js';
import { STREAM_EPS } from '../../src/kernels/philox_streams.js';

const ctx = await requestContext();
const data = loadFashionMnist('train');
const [N, D] = data.shape;
const r = 16;
const v = Float32Array.from({ length: D * r }, (_, i) => Math.sin(i));
const opts = { seed: 0, stream: STREAM_EPS };
await noisedMoments(ctx, data.x.subarray(0, 2048 * D), 2048, D, v, r, opts); // pipelines, tuning
let t = performance.now();
const e = await standardNormals(ctx, N, D, opts);
const host = columnMixedMoments(data.x, e, N, D);
const tHost = performance.now() - t;
t = performance.now();
const gpu = await noisedMoments(ctx, data.x, N, D, v, r, opts);
const tGpu = performance.now() - t;
let worst = 0;
let where = '';
host.forEach((mu, c) =>
  mu.forEach((row, m) =>
    row.forEach((h, n) => {
      if (m + n < 2 || m + n > 4) return;
      const scale = Math.sqrt(mu[2]![0]! ** m * mu[0]![2]! ** n) || 1;
      const d = Math.abs(gpu.coords[c]![m]![n]! - h) / (Math.abs(h) + scale);
      if (d > worst)
        [worst, where] = [d, `column ${c} (${m}, ${n}): ${gpu.coords[c]![m]![n]!} vs ${h}, mu20 ${mu[2]![0]}`];
    }),
  ),
);
console.log(`host path ${tHost.toFixed(0)} ms (eps read back + float64 moments; projections not included)`);
console.log(
  `noisedMoments ${tGpu.toFixed(0)} ms (with both projections); worst |diff| / (|host| + sqrt(mu20^m mu02^n)) ${worst.toExponential(2)} at ${where}`,
);
