// Sample-quality metrics at experiment size: PRDC (k = 5) of n fake against n real points and the Fréchet
// distances (data space and PCA space) of the same sets, end to end (upload, GPU distance blocks, k-NN
// selection and counting, readback). Peer: numpy doing PRDC the way the authors' reference code does (full
// distance matrices, np.partition for the k-th neighbour) in float32, on the same data in the same run.
// Correctness first: PRDC against float64 (numpy's, or kernels-test/ref/metrics.ts prdcRef without numpy,
// which is then the plain-JS peer).
// FLOP (distance products only) = 2 D (N² + M² + N M): real-real, fake-fake and fake-real.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gaussianMixture } from '../data/gmm.js';
import { prdc } from '../metrics/prdc.js';
import { frechetDistance } from '../metrics/frechet.js';
import { pcaFrechetDistance } from '../metrics/pca.js';
import { prdcRef } from '../../kernels-test/ref/metrics.js';
import { type BenchCase, type BenchRow, blasName, findPython, PY_BLAS, row, runPython, timeIt } from './common.js';

type Prdc = { precision: number; recall: number; density: number; coverage: number };
const KEYS = ['precision', 'recall', 'density', 'coverage'] as const;

/** Real and fake: two independent halves of each class of the mixture, the fake half spread 10% wider. */
function realFake(n: number, D: number) {
  const K = 10;
  const perClass = Math.ceil(n / K);
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
  return { real, fake };
}

function numpyPeer(real: Float32Array, fake: Float32Array, n: number, D: number, reps: number) {
  const py = findPython('numpy');
  if (typeof py === 'string') return py;
  const dir = mkdtempSync(join(tmpdir(), 'fluctus-metrics-'));
  try {
    writeFileSync(join(dir, 'real.f32'), real);
    writeFileSync(join(dir, 'fake.f32'), fake);
    const code = `
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
${PY_BLAS}
print(json.dumps({'ms': sorted(ts)[len(ts) // 2], 'ref': ref, 'blas': BLAS}))`;
    const r = runPython<{ ms: number; ref: Prdc; blas: string[] }>(py, ['-c', code, dir]);
    return { ...r, name: `${py.version} float32 (${blasName(r.blas)})` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const metricsBench: BenchCase<{ n: number; dim: number; reps: number }> = {
  name: 'metrics',
  summary: 'PRDC (k = 5) and Fréchet distances of n fake vs n real points vs numpy',
  sizes: {
    small: { n: 2000, dim: 16, reps: 3 },
    medium: { n: 10000, dim: 64, reps: 3 },
    large: { n: 10000, dim: 256, reps: 3 },
  },
  async run(env, { n, dim: D, reps }) {
    const ctx = env.ctx;
    const { real, fake } = realFake(n, D);
    const np = env.peer === 'none' ? 'peers off (--peer none)' : numpyPeer(real, fake, n, D, reps);
    let ref: Prdc;
    let peer: BenchRow['peer'];
    if (typeof np === 'string') {
      env.log(`metrics: ${np}; the reference and the peer are the plain-JS float64 definition`);
      const t0 = performance.now();
      ref = prdcRef(real, fake, n, n, D, 5);
      peer = { name: 'plain JS float64 (kernels-test/ref prdcRef)', ms: performance.now() - t0 };
    } else [ref, peer] = [np.ref, { name: np.name, ms: np.ms }];
    // 1. correctness: the statistics count events, so f32 distances may flip the few comparisons within
    // ~1e-5 relative of a radius; allow 5 events in n.
    const got = await prdc(ctx, real, [n, D], fake, [n, D]);
    const diff = Math.max(...KEYS.map((q) => Math.abs(got[q] - ref[q])));
    if (!(diff <= 5 / n))
      throw new Error(
        `metrics: PRDC differs from float64 by ${diff}: ${JSON.stringify(got)} vs ${JSON.stringify(ref)}`,
      );
    // 2. times.
    const tPrdc = await timeIt(() => prdc(ctx, real, [n, D], fake, [n, D]), reps, 1);
    const radii = got.realRadii;
    const tReuse = await timeIt(() => prdc(ctx, real, [n, D], fake, [n, D], { realRadii: radii }), reps, 1);
    const tFd = await timeIt(() => frechetDistance(ctx, real, [n, D], fake, [n, D]), reps, 1);
    const p = Math.min(32, D);
    const tPca = await timeIt(() => pcaFrechetDistance(ctx, real, [n, D], fake, [n, D], { components: p }), reps, 1);
    const gf = (ms: number) => ({ rate: (2 * D * 3 * n * n) / ms / 1e6, unit: 'GFLOP/s' });
    const none = { rate: null, unit: '' };
    const shape = `${n} vs ${n}, D ${D}`;
    return {
      check: `PRDC within ${diff.toExponential(1)} of float64 (bound ${5 / n})`,
      rows: [
        row('PRDC (k = 5)', shape, tPrdc, gf(tPrdc.median), peer),
        row('PRDC, real radii given', shape, tReuse, gf(tReuse.median), null),
        row('Fréchet distance, data space', shape, tFd, none, null),
        row(`Fréchet distance, PCA p = ${p}`, shape, tPca, none, null),
      ],
      detail: {
        flopFormula: '2 D (N^2 + M^2 + N M)',
        prdc: Object.fromEntries(KEYS.map((q) => [q, got[q]])),
        float64: ref,
      },
    };
  },
};
