// Eigensolvers on a 784 x 784 covariance (Fashion-MNIST's dimension): top-16 by subspace iteration
// (GPU products), lambda_max by power iteration, the full spectrum (float64 CPU), and the batched full
// spectra of the merger analysis (eigvalshBatch: two-stage reduction on the GPU, band -> tridiagonal and
// QL in float64 on the host) per matrix in a batch of --batch, against numpy's eigvalsh / eigh (LAPACK,
// float64; stacked (batch, d, d) for the batch) on the same f32 matrix in the same run.
//   npx tsx scripts/bench/eigh.ts [-- --d 784 --n 1500 --reps 5 --batch 16]
// Nominal FLOPs (LAPACK counts, Golub & Van Loan 8.3): eigenvalues only (4/3) d^3; with vectors 9 d^3.
// Subspace iteration: 2 d^2 m per iteration on the GPU (m = k + oversample) plus O(d m^2) on the CPU.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyContext, requestContext } from '../../src/runtime/context.js';
import { eigh, eighTop, lambdaMax } from '../../src/kernels/eigh.js';
import { eigvalshBatch } from '../../src/kernels/tridiag.js';
import { provenance, timeIt, writeResult, numArg, strArg } from './common.js';

const d = numArg('d', 784);
const N = numArg('n', 1500);
const reps = numArg('reps', 5);
const k = 16;
const batch = numArg('batch', 16);

// C = X^T X / N, X (N, d) Gaussian with column scales exp(-j / 100): variances exp(-j / 50), so
// eigenvalues from ~1.1 down to ~6e-8 (a decaying spectrum; float64 resolves even the smallest).
function covariance(): Float32Array {
  let s = 12345;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const X = new Float64Array(N * d);
  for (let i = 0; i < N * d; i++)
    X[i] = Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()) * Math.exp(-(i % d) / 100);
  const C = new Float64Array(d * d);
  for (let n = 0; n < N; n++) {
    for (let i = 0; i < d; i++) {
      const xi = X[n * d + i]! / N;
      for (let j = i; j < d; j++) C[i * d + j] = C[i * d + j]! + xi * X[n * d + j]!;
    }
  }
  for (let i = 0; i < d; i++) for (let j = 0; j < i; j++) C[i * d + j] = C[j * d + i]!;
  return Float32Array.from(C);
}

/** --peer torch: PyTorch on CUDA (python3 on PATH; timed in float32 on the GPU) instead of numpy. */
const peer = strArg('peer', 'numpy');
if (peer !== 'numpy' && peer !== 'torch') throw new Error(`eigh bench: --peer '${peer}' is not one of numpy, torch`);

const c = covariance();
const dir = mkdtempSync(join(tmpdir(), 'fluctus-eigh-'));
let numpy: { version: string; eigvalshMs: number[]; eighMs: number[]; batchEigvalshMsPerMatrix: number[] } | null =
  null;
let npValues: Float64Array | null = null;
try {
  writeFileSync(join(dir, 'c.f64'), Float64Array.from(c));
  // The reference spectrum is always float64 (LAPACK through numpy, or torch in float64).
  const py =
    peer === 'numpy'
      ? `
import json, sys, time, numpy as np
d = ${d}
c = np.fromfile(sys.argv[1] + '/c.f64', dtype=np.float64).reshape(d, d)
w = np.linalg.eigvalsh(c)[::-1].copy()
w.tofile(sys.argv[1] + '/w.f64')
t1 = []; t2 = []; t3 = []
cb = np.broadcast_to(c, (${batch}, d, d)).copy()
for _ in range(${reps}):
    t = time.perf_counter(); np.linalg.eigvalsh(c); t1.append(1e3 * (time.perf_counter() - t))
    t = time.perf_counter(); np.linalg.eigh(c); t2.append(1e3 * (time.perf_counter() - t))
    t = time.perf_counter(); np.linalg.eigvalsh(cb); t3.append(1e3 * (time.perf_counter() - t) / ${batch})
print(json.dumps({'version': np.__version__, 'eigvalshMs': t1, 'eighMs': t2, 'batchEigvalshMsPerMatrix': t3}))
`
      : `
import json, sys, time, numpy as np, torch
d = ${d}
c64 = torch.from_numpy(np.fromfile(sys.argv[1] + '/c.f64', dtype=np.float64).reshape(d, d)).cuda()
torch.linalg.eigvalsh(c64).flip(0).cpu().numpy().tofile(sys.argv[1] + '/w.f64')
c = c64.float()
torch.linalg.eigvalsh(c); torch.linalg.eigh(c); torch.cuda.synchronize()
t1 = []; t2 = []; t3 = []
cb = c.unsqueeze(0).repeat(${batch}, 1, 1)
torch.linalg.eigvalsh(cb); torch.cuda.synchronize()
for _ in range(${reps}):
    torch.cuda.synchronize(); t = time.perf_counter(); torch.linalg.eigvalsh(c); torch.cuda.synchronize(); t1.append(1e3 * (time.perf_counter() - t))
    torch.cuda.synchronize(); t = time.perf_counter(); torch.linalg.eigh(c); torch.cuda.synchronize(); t2.append(1e3 * (time.perf_counter() - t))
    torch.cuda.synchronize(); t = time.perf_counter(); torch.linalg.eigvalsh(cb); torch.cuda.synchronize(); t3.append(1e3 * (time.perf_counter() - t) / ${batch})
print(json.dumps({'version': 'torch ' + torch.__version__ + ' CUDA float32', 'eigvalshMs': t1, 'eighMs': t2, 'batchEigvalshMsPerMatrix': t3}))
`;
  numpy = JSON.parse(
    execFileSync(peer === 'numpy' ? '/usr/bin/python3' : 'python3', ['-c', py, dir], { encoding: 'utf8' }),
  );
  npValues = new Float64Array(readFileSync(join(dir, 'w.f64')).buffer.slice(0));
} catch (e) {
  console.warn(`${peer} unavailable: ${(e as Error).message.split('\n')[0]}; its columns are skipped`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const ctx = await requestContext();
const prov = provenance(ctx);

// 1. correctness first: every solver against numpy (or, without numpy, the full float64 spectrum).
// The scalar float64 host solver is the reference and the small-d path; above 1024 it takes minutes, so
// only the GPU solvers run there (and numpy is required as the reference).
const cpu = d <= 1024;
if (!cpu && !npValues) throw new Error(`eigh bench: d = ${d} > 1024 needs the ${peer} reference`);
const full = cpu ? await eigh(ctx, c, d) : null;
const ref = npValues ?? full!.values;
const top = await eighTop(ctx, c, d, { k });
const lm = await lambdaMax(ctx, c, d);
const batched = await eigvalshBatch(
  ctx,
  Array.from({ length: batch }, () => c),
  d,
);
const relErr = (got: ArrayLike<number>, n: number) => {
  let worst = 0;
  for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(got[i]! - ref[i]!) / Math.abs(ref[i]!));
  return worst;
};
let absFull = 0;
if (full) for (let i = 0; i < d; i++) absFull = Math.max(absFull, Math.abs(full.values[i]! - ref[i]!));
const accuracy = {
  reference: npValues
    ? `${peer === 'torch' ? 'torch.linalg.eigvalsh' : 'numpy.linalg.eigvalsh'} (float64) of the same f32 matrix`
    : 'eigh (float64), peer absent',
  fullMaxRelErr: full ? relErr(full.values, d) : null,
  fullMaxAbsErrOverLambdaMax: full ? absFull / ref[0]! : null,
  /** The batched GPU spectra: max |lambda - ref| / lambda_max over the batch (goal 1e-5). */
  batchMaxAbsErrOverLambdaMax: Math.max(
    ...batched.map((v) => v.reduce((m, x, i) => Math.max(m, Math.abs(x - ref[i]!)), 0) / ref[0]!),
  ),
  top16MaxRelErr: relErr(top.values, k),
  top16MaxResidualOverNorm: Math.max(...top.residuals) / top.norm,
  top16Products: top.iterations,
  top16RayleighRitzSteps: top.rayleighRitzSteps,
  top16Converged: top.converged,
  lambdaMaxRelErr: Math.abs(lm.value - ref[0]!) / ref[0]!,
  lambdaMaxResidualOverValue: lm.residual / lm.value,
  lambdaMaxIterations: lm.iterations,
  spectrum: { max: ref[0], min: ref[d - 1], at16: ref[k - 1], at17: ref[k] },
};
console.log(JSON.stringify(accuracy));
if (
  !(
    accuracy.top16MaxRelErr < 1e-4 &&
    accuracy.lambdaMaxRelErr < 1e-4 &&
    (accuracy.fullMaxRelErr ?? 0) < 1e-4 &&
    accuracy.batchMaxAbsErrOverLambdaMax < 1e-5
  )
) {
  throw new Error('eigh bench: accuracy check failed (see above)');
}

// 2. timings (warm-up inside timeIt).
const t = {
  top16: await timeIt(() => eighTop(ctx, c, d, { k }), reps, 1),
  lambdaMax: await timeIt(() => lambdaMax(ctx, c, d), reps, 1),
  fullValues: cpu ? await timeIt(() => eigh(ctx, c, d), reps, 1) : null,
  fullVectors: cpu
    ? await timeIt(() => eigh(ctx, c, d, { vectors: true }), Math.max(2, Math.floor(reps / 2)), 1)
    : null,
  batchValuesPerMatrix: await (async () => {
    const st = await timeIt(
      () =>
        eigvalshBatch(
          ctx,
          Array.from({ length: batch }, () => c),
          d,
        ),
      reps,
      1,
    );
    return { ...st, median: st.median / batch, min: st.min / batch, max: st.max / batch };
  })(),
};
destroyContext(ctx);
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const gflops = (flops: number, ms: number) => flops / ms / 1e6;
const result = {
  bench: 'eigh',
  peer,
  ...prov,
  shape: { d, samples: N, k, batch },
  accuracy,
  fluctusMs: t,
  nominalGflops: {
    fullValues: t.fullValues && gflops((4 / 3) * d ** 3, t.fullValues.median),
    batchValuesPerMatrix: gflops((4 / 3) * d ** 3, t.batchValuesPerMatrix.median),
    fullVectors: t.fullVectors && gflops(9 * d ** 3, t.fullVectors.median),
  },
  numpy: numpy && {
    ...numpy,
    eigvalshMedianMs: med(numpy.eigvalshMs),
    eighMedianMs: med(numpy.eighMs),
    batchEigvalshMedianMsPerMatrix: med(numpy.batchEigvalshMsPerMatrix),
  },
  ratios: numpy && {
    fullValuesOverNumpy: t.fullValues && med(numpy.eigvalshMs) / t.fullValues.median,
    batchValuesOverNumpyBatch: med(numpy.batchEigvalshMsPerMatrix) / t.batchValuesPerMatrix.median,
    fullVectorsOverNumpy: t.fullVectors && med(numpy.eighMs) / t.fullVectors.median,
    top16OverNumpyEigvalsh: med(numpy.eigvalshMs) / t.top16.median,
  },
};
for (const [name, s] of Object.entries(t)) {
  if (!s) continue;
  console.log(
    `${name.padEnd(11)} ${s.median.toFixed(1)} ms (min ${s.min.toFixed(1)}, IQR ${(100 * s.relIqr).toFixed(0)}%)`,
  );
}
if (numpy)
  console.log(
    `numpy ${numpy.version}: eigvalsh ${med(numpy.eigvalshMs).toFixed(1)} ms, eigh ${med(numpy.eighMs).toFixed(1)} ms, stacked eigvalsh ${med(numpy.batchEigvalshMsPerMatrix).toFixed(1)} ms per matrix`,
  );
console.log(JSON.stringify(result.ratios));
console.log(`wrote ${writeResult(`${peer === 'torch' ? 'eigh-torch' : 'eigh'}-${d}`, result)}`);
