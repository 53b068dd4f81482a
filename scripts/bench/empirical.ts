// Empirical optimal denoiser at Fashion-MNIST's size: a batch of N noised queries against all M = 60000
// training images (D = 784), our streamed GPU pipeline (two GEMMs per chunk of training rows and the online
// softmax, src/models/empirical-denoiser.ts) against numpy/OpenBLAS doing the same in float32 (Debian's
// python3-numpy via /usr/bin/python3, scripts/bench/peers/empirical.py; same inputs, same run).
// Correctness first: eps_hat of the first rows against the float64 definition (kernels-test/ref), within
// the reference's first-order error bound, and numpy's eps_hat against ours on every row.
//   npx tsx scripts/bench/empirical.ts [-- --n 256 --step 200 --reps 3 --check-rows 8]
// FLOP per batch evaluation = 4 N M D: N x M scores x . y_j (2 N M D) and the weighted sum W Y (2 N M D);
// the softmax's O(N M) work is not counted. Evaluations per second count query rows (N per batch).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyContext, requestContext } from '../../src/runtime/context.js';
import { sync } from '../../src/runtime/dispatch.js';
import { createTensor, disposeTensor, readback } from '../../src/runtime/tensor.js';
import { tuneLog } from '../../src/kernels/autotune.js';
import { loadDataset } from '../../src/data/loaders.js';
import { empiricalDenoiser } from '../../src/models/empirical-denoiser.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { empiricalRef } from '../../kernels-test/ref/empirical-denoiser.js';
import { gaussian, rng } from '../../kernels-test/random.js';
import { provenance, stats, timeIt, writeResult, numArg } from './common.js';

const N = numArg('n', 256);
const step = numArg('step', 200);
const reps = numArg('reps', 3);
const checkRows = numArg('check-rows', 8);

// Data: Fashion-MNIST train (pixels / 127.5 - 1) when installed, else pixel-like values of the same shape.
let y: Float32Array;
let labels: Int32Array;
let M: number;
let D: number;
let data: string;
try {
  const ds = loadDataset('fashion-mnist');
  [y, labels, [M, D], data] = [ds.x, ds.labels, ds.shape, ds.source];
} catch (e) {
  [M, D] = [60000, 784];
  const u = rng(1);
  y = Float32Array.from({ length: M * D }, () => Math.floor(u() * u() * 256) / 127.5 - 1);
  labels = Int32Array.from({ length: M }, (_, j) => j % 10);
  data = `synthetic pixel-like values in [-1, 1], 10 classes (${(e as Error).message.split('\n')[0]})`;
}
const schedule = makeSchedule('linear');
const abar = schedule.alphasCumprod[step - 1]!;
// Queries: noised training images (seeded), x_t = sqrt(abar) y_j + sqrt(1 - abar) eps.
const g = gaussian(2);
const pick = rng(3);
const x = new Float32Array(N * D);
for (let i = 0; i < N; i++) {
  const j = Math.floor(pick() * M);
  for (let d = 0; d < D; d++) x[i * D + d] = Math.sqrt(abar) * y[j * D + d]! + Math.sqrt(1 - abar) * g();
}
const flops = 4 * N * M * D;
console.log(
  `empirical denoiser: N = ${N} queries, M = ${M} x D = ${D} training rows (${data}), step ${step} (abar ${abar.toFixed(4)})`,
);

const ctx = await requestContext();
const den = empiricalDenoiser(ctx, y, [M, D], schedule, { labels });
const xt = createTensor(ctx, [N, D], { data: x, label: 'bench.xt' });

// 1. correctness: the first rows against float64, within 4x the reference's first-order bound.
const t0 = performance.now();
const first = await den.predictEps(ctx, xt, N, step, null);
const ours = (await readback(ctx, first)) as Float32Array;
disposeTensor(first);
console.log(`  first call (autotune + compile + run): ${(performance.now() - t0).toFixed(0)} ms`);
const chunk = Math.min(8192, M);
const ref = empiricalRef(y, M, D, labels, 10, abar, x, checkRows, null, chunk, Math.ceil(M / chunk) + 10);
let worst = 0;
for (let i = 0; i < checkRows * D; i++)
  worst = Math.max(worst, Math.abs(ours[i]! - ref.eps[i]!) / (4 * ref.epsBound[i]!));
if (!(worst <= 1))
  throw new Error(
    `empirical bench: eps_hat of the first ${checkRows} rows is ${worst} times the error bound off float64`,
  );
console.log(
  `  correct: first ${checkRows} rows within ${worst.toExponential(2)} of 4x the float64 reference's error bound`,
);

// 2. ours: one batch evaluation = predictEps of N rows and waiting for the GPU (no readback).
const run = async () => {
  const eps = await den.predictEps(ctx, xt, N, step, null);
  await sync(ctx);
  disposeTensor(eps);
};
const t = await timeIt(run, reps, 1);
const rate = (ms: number) => ({ batchesPerS: 1000 / ms, rowsPerS: (1000 * N) / ms, GFLOPs: flops / ms / 1e6 });
console.log(
  `  ours: ${t.median.toFixed(0)} ms per batch (${rate(t.median).rowsPerS.toFixed(1)} evaluations/s, ${rate(t.median).GFLOPs.toFixed(1)} GFLOP/s)`,
);

// 3. numpy in a child process (the GPU idle meanwhile), same inputs; its eps_hat against ours.
let numpy: unknown;
let ratio: number | null = null;
const dir = mkdtempSync(join(tmpdir(), 'fluctus-empirical-'));
try {
  execFileSync('/usr/bin/python3', ['-c', 'import numpy'], { stdio: 'ignore' });
  writeFileSync(join(dir, 'y.f32'), y);
  writeFileSync(join(dir, 'x.f32'), x);
  const peer = join(import.meta.dirname, 'peers', 'empirical.py');
  const out = execFileSync('/usr/bin/python3', [peer, dir, JSON.stringify({ M, D, N, abar, reps })], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
  });
  const np = JSON.parse(out) as { ms: number[]; blas: string[] };
  const npEps = new Float32Array(readFileSync(join(dir, 'eps.f32')).buffer.slice(0));
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < N * D; i++)
    [diff, scale] = [Math.max(diff, Math.abs(npEps[i]! - ours[i]!)), Math.max(scale, Math.abs(ours[i]!))];
  const s = stats(np.ms);
  ratio = s.median / t.median;
  numpy = { ms: s, ...rate(s.median), blas: np.blas, maxAbsDiffToOurs: diff, maxAbsEps: scale };
  console.log(
    `  numpy (${np.blas.join(', ') || 'BLAS unknown'}): ${s.median.toFixed(0)} ms per batch (${rate(s.median).rowsPerS.toFixed(1)} evaluations/s); ours / numpy speed = ${ratio.toFixed(3)}x; max |eps numpy - eps ours| = ${diff.toExponential(2)} (max |eps| ${scale.toFixed(2)})`,
  );
} catch (e) {
  const why = `numpy peer skipped: ${(e as Error).message.split('\n')[0]}`;
  console.log(`  ${why}`);
  numpy = { skipped: why };
} finally {
  rmSync(dir, { recursive: true, force: true });
}
for (const tl of tuneLog)
  console.log(
    `  autotune ${tl.key}: ${tl.candidates.map((c, i) => `${JSON.stringify(c)} ${tl.ms[i]!.toFixed(2)} ms`).join('; ')}`,
  );
const result = {
  bench: 'empirical',
  ...provenance(ctx),
  data,
  shape: { N, M, D },
  step,
  abar,
  flopsPerBatch: flops,
  flopFormula: '4 N M D',
  correctness: { rows: checkRows, worstOverBound: worst },
  ours: { ms: t, ...rate(t.median), chunkRows: 8192 },
  numpy,
  ratioToNumpy: ratio,
  tunes: tuneLog,
};
console.log(`wrote ${writeResult('empirical', result)}`);
disposeTensor(xt);
den.dispose();
destroyContext(ctx);
