// Our crn noise (Philox, STREAM_EPS) for latent-shaped classes 0, 2, 4 at seeds 10..19, for
// latent_floor_check.py (development only): with x.npy and y.npy of the data written alongside.
//   npx tsx scripts/dev/latent-floor-eps.ts && python3 scripts/dev/latent_floor_check.py
import { mkdirSync, writeFileSync } from 'node:fs';
import { requestContext } from '../../src/runtime/context.js';
import { standardNormals } from '../../src/kernels/forward_noise.js';
import { STREAM_EPS } from '../../src/kernels/philox_streams.js';
import { latentShaped } from '../../src/data/bench-shapes.js';
import { npyBytes } from '../../kernels-test/data-files.js';
mkdirSync('/tmp/fluctus-floor', { recursive: true });
const ctx = await requestContext();
const data = latentShaped({});
const [N, D] = data.shape;
writeFileSync('/tmp/fluctus-floor/x.npy', npyBytes(data.x, [N, D]));
writeFileSync('/tmp/fluctus-floor/y.npy', npyBytes(data.labels, [N]));
const keep: number[] = [];
data.labels.forEach((l, r) => {
  if (l === 0 || l === 2 || l === 4) keep.push(r);
});
for (let seed = 10; seed < 20; seed++) {
  const eps = await standardNormals(ctx, N, D, { seed, stream: STREAM_EPS });
  const out = new Float32Array(keep.length * D);
  keep.forEach((r, q) => out.set(eps.subarray(r * D, (r + 1) * D), q * D));
  writeFileSync(`/tmp/fluctus-floor/epsk${seed}.npy`, npyBytes(out, [keep.length, D]));
}
console.log('ok');
