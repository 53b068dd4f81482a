// Empirical optimal denoiser: a batch of N noised queries against all M training rows, our streamed GPU pipeline
// (two GEMMs per chunk of training rows and the online softmax, src/models/empirical-denoiser.ts) against numpy/
// OpenBLAS doing the same in float32 (peers/empirical.py; same inputs, same run), else against the plain-JS
// float64 definition (kernels-test/ref/empirical-denoiser.ts) on the checked rows, scaled to N. Data: pixel-like
// synthetic rows (small, medium) or Fashion-MNIST train (large; Debian's dataset-fashion-mnist).
// Correctness first: eps_hat of the first rows against float64, within 4x the reference's first-order error
// bound, and numpy's eps_hat against ours on every row.
// FLOP per batch evaluation = 4 N M D: N x M scores x . y_j (2 N M D) and the weighted sum W Y (2 N M D).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sync } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback } from '../runtime/tensor.js';
import { loadDataset } from '../data/loaders.js';
import { empiricalDenoiser } from '../models/empirical-denoiser.js';
import { makeSchedule } from '../schedule/schedules.js';
import { empiricalRef } from '../../kernels-test/ref/empirical-denoiser.js';
import { gaussian, rng } from '../../kernels-test/random.js';
import {
  type BenchCase,
  type BenchRow,
  blasName,
  findPython,
  PEERS_DIR,
  readFloats,
  row,
  runPython,
  stats,
  timeIt,
} from './common.js';

type Params = { data: string; rows: number; cols: number; n: number; step: number; reps: number; checkRows: number };

function trainingRows(p: Params) {
  if (p.data === 'fashion-mnist') {
    const ds = loadDataset('fashion-mnist');
    return { y: ds.x, labels: ds.labels, M: ds.shape[0], D: ds.shape[1], data: ds.source };
  }
  if (p.data !== 'synthetic') throw new Error(`empirical: --data '${p.data}' is not synthetic or fashion-mnist`);
  const [M, D] = [p.rows, p.cols];
  const u = rng(1);
  const y = Float32Array.from({ length: M * D }, () => Math.floor(u() * u() * 256) / 127.5 - 1);
  const labels = Int32Array.from({ length: M }, (_, j) => j % 10);
  return { y, labels, M, D, data: 'synthetic pixel-like values in [-1, 1], 10 classes' };
}

export const empiricalBench: BenchCase<Params> = {
  name: 'empirical',
  summary: 'empirical optimal denoiser (N queries against M training rows) vs numpy/OpenBLAS',
  sizes: {
    small: { data: 'synthetic', rows: 4096, cols: 196, n: 64, step: 200, reps: 3, checkRows: 4 },
    medium: { data: 'synthetic', rows: 20000, cols: 784, n: 128, step: 200, reps: 3, checkRows: 4 },
    large: { data: 'fashion-mnist', rows: 0, cols: 0, n: 256, step: 200, reps: 3, checkRows: 8 },
  },
  async run(env, p) {
    const ctx = env.ctx;
    const { y, labels, M, D, data } = trainingRows(p);
    const N = p.n;
    const abar = makeSchedule('linear').alphasCumprod[p.step - 1]!;
    // Queries: noised training images (seeded), x_t = sqrt(abar) y_j + sqrt(1 - abar) eps.
    const g = gaussian(2);
    const pick = rng(3);
    const x = new Float32Array(N * D);
    for (let i = 0; i < N; i++) {
      const j = Math.floor(pick() * M);
      for (let d = 0; d < D; d++) x[i * D + d] = Math.sqrt(abar) * y[j * D + d]! + Math.sqrt(1 - abar) * g();
    }
    const den = empiricalDenoiser(ctx, y, [M, D], makeSchedule('linear'), { labels });
    const xt = createTensor(ctx, [N, D], { data: x, label: 'bench.xt' });
    try {
      // 1. correctness: the first rows against float64, within 4x the reference's first-order bound.
      const first = await den.predictEps(ctx, xt, N, p.step, null);
      const ours = (await readback(ctx, first)) as Float32Array;
      disposeTensor(first);
      const chunk = Math.min(8192, M);
      const rows = Math.min(p.checkRows, N);
      const t0 = performance.now();
      const ref = empiricalRef(y, M, D, labels, 10, abar, x, rows, null, chunk, Math.ceil(M / chunk) + 10);
      const refMs = performance.now() - t0;
      let worst = 0;
      for (let i = 0; i < rows * D; i++)
        worst = Math.max(worst, Math.abs(ours[i]! - ref.eps[i]!) / (4 * ref.epsBound[i]!));
      if (!(worst <= 1))
        throw new Error(`empirical: eps_hat of the first ${rows} rows is ${worst} times the error bound off float64`);

      // 2. ours: one batch evaluation = predictEps of N rows and waiting for the GPU (no readback).
      const run = async () => {
        const eps = await den.predictEps(ctx, xt, N, p.step, null);
        await sync(ctx);
        disposeTensor(eps);
      };
      const t = await timeIt(run, p.reps, 1);

      // 3. the peer: numpy in a child process (the GPU idle meanwhile), same inputs; its eps_hat against ours.
      const py = env.peer === 'none' ? 'peers off (--peer none)' : findPython('numpy');
      let peer: BenchRow['peer'];
      let numpyDiff: number | null = null;
      if (typeof py === 'string') {
        env.log(`empirical: ${py}; the peer is the plain-JS float64 definition (${rows} rows, scaled to ${N})`);
        peer = { name: `plain JS float64 definition (${rows} rows, scaled)`, ms: (refMs * N) / rows };
      } else {
        const dir = mkdtempSync(join(tmpdir(), 'fluctus-empirical-'));
        try {
          writeFileSync(join(dir, 'y.f32'), y);
          writeFileSync(join(dir, 'x.f32'), x);
          const cfg = JSON.stringify({ M, D, N, abar, reps: p.reps });
          const np = runPython<{ ms: number[]; blas: string[] }>(py, [join(PEERS_DIR, 'empirical.py'), dir, cfg]);
          const npEps = readFloats(join(dir, 'eps.f32'), Float32Array);
          // Recorded, not asserted: where two training rows score within float32 rounding the weights can flip.
          numpyDiff = 0;
          for (let i = 0; i < N * D; i++) numpyDiff = Math.max(numpyDiff, Math.abs(npEps[i]! - ours[i]!));
          peer = { name: `${py.version} float32 (${blasName(np.blas)})`, ms: stats(np.ms).median };
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }
      const shape = `${N} queries, ${M} x ${D}`;
      return {
        check: `first ${rows} rows within ${worst.toExponential(2)} of 4x the float64 error bound${numpyDiff === null ? '' : `; max |eps numpy - eps ours| ${numpyDiff.toExponential(2)}`}`,
        rows: [
          row('one batch evaluation', shape, t, { rate: (4 * N * M * D) / t.median / 1e6, unit: 'GFLOP/s' }, peer),
        ],
        detail: { data, step: p.step, abar, flopFormula: '4 N M D', evaluationsPerSecond: (1e3 * N) / t.median },
      };
    } finally {
      disposeTensor(xt);
      den.dispose();
    }
  },
};
