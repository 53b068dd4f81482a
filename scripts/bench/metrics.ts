// Sample-quality metrics at experiment size: PRDC (k = 5) of 10k fake against 10k real points and the
// Fréchet distances (data space and PCA space) of the same sets, end to end (upload, GPU distance blocks,
// k-NN selection and counting, readback). Peer: numpy doing PRDC the way the authors' reference code does
// (full distance matrices, np.partition for the k-th neighbour), in float32 for the time and in float64 for
// the correctness check, on the same data in the same run.
//   npx tsx scripts/bench/metrics.ts [--n 10000 --dim 64 --reps 3]
// FLOP (distance products only) = 2 D (N² + M² + N M): real-real, fake-fake and fake-real.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyContext, requestContext } from '../../src/runtime/context.js';
import { gaussianMixture } from '../../src/data/gmm.js';
import { prdc } from '../../src/metrics/prdc.js';
import { frechetDistance } from '../../src/metrics/frechet.js';
import { pcaFrechetDistance } from '../../src/metrics/pca.js';
import { provenance, timeIt, writeResult, numArg } from './common.js';

const n = numArg('n', 10000);
const D = numArg('dim', 64);
const reps = numArg('reps', 3);
const K = 10;
const perClass = Math.ceil(n / K);
// Real and fake: two independent halves of each class of the built-in mixture, the fake half spread 10%
// wider about its class mean (a generator with slightly too much variance).
const all = gaussianMixture({ classes: K, dim: D, perClass: 2 * perClass, seed: 1 });
const classMean = Array.from({ length: K }, (_, k) => {
  const m = new Float64Array(D);
  for (let i = 0; i < 2 * perClass; i++)
    for (let d = 0; d < D; d++) m[d]! += all.x[(k * 2 * perClass + i) * D + d]! / (2 * perClass);
  return m;
});
const real = new Float32Array(n * D);
const fake = new Float32Array(n * D);
for (let r = 0; r < n; r++) {
  const k = r % K;
  const i = Math.floor(r / K);
  const a = (k * 2 * perClass + i) * D;
  const b = (k * 2 * perClass + perClass + i) * D;
  for (let d = 0; d < D; d++) {
    real[r * D + d] = all.x[a + d]!;
    fake[r * D + d] = classMean[k]![d]! + 1.1 * (all.x[b + d]! - classMean[k]![d]!);
  }
}
const flops = 2 * D * 3 * n * n;

const py = '/usr/bin/python3';
type Prdc = { precision: number; recall: number; density: number; coverage: number };
let numpy: { ms: number; ref: Prdc; blas: string[] } | null = null;
const dir = mkdtempSync(join(tmpdir(), 'fluctus-metrics-'));
try {
  const hasNumpy =
    existsSync(py) &&
    (() => {
      try {
        execFileSync(py, ['-c', 'import numpy']);
        return true;
      } catch {
        return false;
      }
    })();
  if (hasNumpy) {
    writeFileSync(join(dir, 'real.f32'), real);
    writeFileSync(join(dir, 'fake.f32'), fake);
    const out = execFileSync(
      py,
      [
        '-c',
        `
import numpy as np, time, json, sys
d = sys.argv[1]; n, D, k, reps = ${n}, ${D}, 5, ${reps}
real = np.fromfile(d + '/real.f32', dtype=np.float32).reshape(n, D); fake = np.fromfile(d + '/fake.f32', dtype=np.float32).reshape(n, D)
def dist(a, b):
    return np.sqrt(np.maximum((a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2 * a @ b.T, 0))
def kth(a):
    return np.partition(dist(a, a), k, axis=1)[:, k]
def prdc(real, fake):
    r, f = kth(real), kth(fake); x = dist(real, fake)
    return {'precision': float((x < r[:, None]).any(0).mean()), 'recall': float((x < f[None, :]).any(1).mean()),
            'density': float((x < r[:, None]).sum(0).mean() / k), 'coverage': float((x.min(1) < r).mean())}
ref = prdc(real.astype(np.float64), fake.astype(np.float64))
prdc(real, fake); ts = []
for _ in range(reps):
    t0 = time.perf_counter(); prdc(real, fake); ts.append((time.perf_counter() - t0) * 1e3)
blas = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.lower() and '/' in l})
print(json.dumps({'ms': sorted(ts)[len(ts) // 2], 'ref': ref, 'blas': blas}))`,
        dir,
      ],
      { encoding: 'utf8', maxBuffer: 1 << 20 },
    );
    numpy = JSON.parse(out.trim());
  } else {
    console.log(
      'numpy (Debian python3-numpy for /usr/bin/python3) not found: the numpy column and the float64 check are skipped',
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const ctx = await requestContext();
// 1. correctness against numpy float64: the statistics count events, so f32 distances may flip the few
// comparisons within ~1e-5 relative of a radius; allow 5 events in 10k.
const got = await prdc(ctx, real, [n, D], fake, [n, D]);
const keys = ['precision', 'recall', 'density', 'coverage'] as const;
const diff = numpy ? Math.max(...keys.map((q) => Math.abs(got[q] - numpy!.ref[q]))) : NaN;
if (numpy && !(diff <= 5 / n))
  throw new Error(
    `metrics bench: PRDC differs from numpy float64 by ${diff}: ${JSON.stringify(got)} vs ${JSON.stringify(numpy.ref)}`,
  );
console.log(
  `PRDC ${keys.map((q) => `${q} ${got[q].toFixed(4)}`).join(', ')}${numpy ? `; largest difference to numpy float64 ${diff.toExponential(1)}` : ''}`,
);

// 2. times.
const tPrdc = await timeIt(() => prdc(ctx, real, [n, D], fake, [n, D]), reps, 1);
const radii = got.realRadii;
const tPrdcReuse = await timeIt(() => prdc(ctx, real, [n, D], fake, [n, D], { realRadii: radii }), reps, 1);
const tFd = await timeIt(() => frechetDistance(ctx, real, [n, D], fake, [n, D]), reps, 1);
const tPca = await timeIt(() => pcaFrechetDistance(ctx, real, [n, D], fake, [n, D], { components: 32 }), reps, 1);
const gflops = flops / tPrdc.median / 1e6;
const result = {
  bench: 'metrics',
  n,
  dim: D,
  k: 5,
  flopFormula: '2 D (N^2 + M^2 + N M)',
  ...provenance(ctx),
  prdc: {
    values: Object.fromEntries(keys.map((q) => [q, got[q]])),
    ms: tPrdc,
    gflops,
    msWithRealRadiiGiven: tPrdcReuse,
  },
  frechet: { dataSpaceMs: tFd, pca32Ms: tPca },
  numpy: numpy
    ? { ms: numpy.ms, gflops: flops / numpy.ms / 1e6, float64: numpy.ref, largestDifference: diff, blas: numpy.blas }
    : 'skipped: no numpy for /usr/bin/python3',
};
destroyContext(ctx);
console.log(
  `prdc ${n} x ${n}, D ${D}: ${tPrdc.median.toFixed(0)} ms (${gflops.toFixed(1)} GFLOP/s in the distance products, spread ${(tPrdc.relIqr * 100).toFixed(0)}%); ` +
    `with the real radii given ${tPrdcReuse.median.toFixed(0)} ms` +
    (numpy ? `; numpy float32 ${numpy.ms.toFixed(0)} ms (BLAS: ${numpy.blas.join(', ')})` : ''),
);
console.log(`FD data space ${tFd.median.toFixed(0)} ms, PCA (p = 32) ${tPca.median.toFixed(0)} ms`);
console.log(`wrote ${writeResult('metrics', result)}`);
