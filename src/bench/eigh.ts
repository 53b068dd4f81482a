// Eigensolvers on a d x d covariance (large: Fashion-MNIST's d = 784): the batched full spectra of the merger
// analysis (eigvalshBatch: two-stage reduction on the GPU, band -> tridiagonal and QL in float64 on the host)
// per matrix in a batch, top-16 by subspace iteration (GPU products), lambda_max by power iteration, and the
// float64 host solver (eigh, plain JS: values, and values with vectors), against numpy's eigvalsh / eigh
// (LAPACK, float64; stacked (batch, d, d) for the batch) or PyTorch-CUDA's with --peer cuda, on the same f32
// matrix in the same run. Without numpy the host solver is the reference and the batch's peer.
// Nominal FLOPs (LAPACK counts, Golub & Van Loan 8.3): eigenvalues only (4/3) d^3; with vectors 9 d^3.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eigh, eighTop, lambdaMax } from '../kernels/eigh.js';
import { eigvalshBatch } from '../kernels/tridiag.js';
import {
  type BenchCase,
  type BenchRow,
  findPython,
  median,
  readFloats,
  row,
  runPython,
  type Stats,
  timeIt,
} from './common.js';

/** C = X^T X / N, X (N, d) Gaussian with column scales exp(-j / 100): a decaying spectrum (~1.1 down to ~6e-8). */
function covariance(d: number, N: number): Float32Array {
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

interface PeerTimes {
  version: string;
  eigvalshMs: number[];
  eighMs: number[];
  batchEigvalshMsPerMatrix: number[];
}

/** numpy (or PyTorch-CUDA) on the same matrix: its float64 spectrum (descending) and times, or why not. */
function peerRun(cuda: boolean, c: Float32Array, d: number, batch: number, reps: number) {
  const py = findPython(cuda ? 'torch+cuda' : 'numpy');
  if (typeof py === 'string') return py;
  const dir = mkdtempSync(join(tmpdir(), 'fluctus-eigh-'));
  try {
    writeFileSync(join(dir, 'c.f64'), Float64Array.from(c));
    const code = `
import json, sys, time, numpy as np
d, batch, reps = ${d}, ${batch}, ${reps}
c = np.fromfile(sys.argv[1] + '/c.f64', dtype=np.float64).reshape(d, d)
${
  cuda
    ? `import torch
lin = torch.linalg; sync = torch.cuda.synchronize
c64 = torch.from_numpy(c).cuda(); lin.eigvalsh(c64).flip(0).cpu().numpy().tofile(sys.argv[1] + '/w.f64')
c = c64.float(); cb = c.unsqueeze(0).repeat(batch, 1, 1); lin.eigvalsh(c); lin.eigh(c); lin.eigvalsh(cb); sync()
version = 'torch ' + torch.__version__ + ' CUDA float32'`
    : `lin = np.linalg; sync = lambda: None
lin.eigvalsh(c)[::-1].copy().tofile(sys.argv[1] + '/w.f64')
cb = np.broadcast_to(c, (batch, d, d)).copy()
version = 'numpy ' + np.__version__ + ' float64'`
}
out = {'version': version}
for key, what, per in [('eigvalshMs', 'lin.eigvalsh(c)', 1), ('eighMs', 'lin.eigh(c)', 1), ('batchEigvalshMsPerMatrix', 'lin.eigvalsh(cb)', batch)]:
    ts = []
    for _ in range(reps):
        sync(); t = time.perf_counter(); eval(what); sync(); ts.append(1e3 * (time.perf_counter() - t) / per)
    out[key] = ts
print(json.dumps(out))`;
    const r = runPython<PeerTimes>(py, ['-c', code, dir]);
    return { ...r, values: readFloats(join(dir, 'w.f64'), Float64Array) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const eighBench: BenchCase<{ d: number; n: number; reps: number; batch: number }> = {
  name: 'eigh',
  summary: 'full spectra (batched, GPU + float64 host), top-16 and lambda_max of a covariance vs numpy eigvalsh',
  sizes: {
    small: { d: 129, n: 300, reps: 3, batch: 4 },
    medium: { d: 784, n: 1500, reps: 3, batch: 4 },
    large: { d: 784, n: 1500, reps: 5, batch: 16 },
  },
  async run(env, { d, n: N, reps, batch }) {
    const k = 16;
    const c = covariance(d, N);
    const ctx = env.ctx;
    const np = env.peer === 'none' ? 'peers off (--peer none)' : peerRun(env.peer === 'cuda', c, d, batch, reps);
    if (typeof np === 'string') env.log(`eigh: ${np}; the float64 host solver is the reference and the peer`);
    // The float64 host solver takes minutes above d = 1024: there only the GPU solvers run, against the peer.
    const cpu = d <= 1024;
    if (!cpu && typeof np === 'string') throw new Error(`eigh: d = ${d} > 1024 needs numpy as the reference (${np})`);

    // 1. correctness first: every solver against the float64 reference.
    const full = cpu ? await eigh(ctx, c, d) : null;
    const ref = typeof np === 'string' ? full!.values : np.values;
    const top = await eighTop(ctx, c, d, { k: Math.min(k, d) });
    const lm = await lambdaMax(ctx, c, d);
    const mats = Array.from({ length: batch }, () => c);
    const batched = await eigvalshBatch(ctx, mats, d);
    const relErr = (got: ArrayLike<number>, m: number) => {
      let w = 0;
      for (let i = 0; i < m; i++) w = Math.max(w, Math.abs(got[i]! - ref[i]!) / Math.abs(ref[i]!));
      return w;
    };
    const absOver = (got: ArrayLike<number>) => {
      let w = 0;
      for (let i = 0; i < d; i++) w = Math.max(w, Math.abs(got[i]! - ref[i]!));
      return w / ref[0]!;
    };
    const accuracy = {
      reference: typeof np === 'string' ? 'eigh (float64 host solver)' : `${np.version} eigvalsh (float64)`,
      fullMaxAbsErrOverLambdaMax: full ? absOver(full.values) : null,
      batchMaxAbsErrOverLambdaMax: Math.max(...batched.map(absOver)),
      top16MaxRelErr: relErr(top.values, Math.min(k, d)),
      lambdaMaxRelErr: Math.abs(lm.value - ref[0]!) / ref[0]!,
      top16Converged: top.converged,
    };
    const ok =
      accuracy.top16MaxRelErr < 1e-4 &&
      accuracy.lambdaMaxRelErr < 1e-4 &&
      (accuracy.fullMaxAbsErrOverLambdaMax ?? 0) < 1e-5 &&
      accuracy.batchMaxAbsErrOverLambdaMax < 1e-5;
    if (!ok) throw new Error(`eigh: accuracy check failed: ${JSON.stringify(accuracy)}`);

    // 2. timings (warm-up inside timeIt), each against the peer's matching call.
    const perMatrix = (s: Stats): Stats => ({ ...s, median: s.median / batch, min: s.min / batch, max: s.max / batch });
    const batchT = perMatrix(await timeIt(() => eigvalshBatch(ctx, mats, d), reps, 1));
    const topT = await timeIt(() => eighTop(ctx, c, d, { k: Math.min(k, d) }), reps, 1);
    const lmT = await timeIt(() => lambdaMax(ctx, c, d), reps, 1);
    const valuesT = cpu ? await timeIt(() => eigh(ctx, c, d), reps, 1) : null;
    const vectorsT = cpu ? await timeIt(() => eigh(ctx, c, d, { vectors: true }), Math.max(2, reps >> 1), 1) : null;
    const peerOf = (key: keyof Omit<PeerTimes, 'version'>, what: string): BenchRow['peer'] =>
      typeof np === 'string' ? null : { name: `${np.version} ${what}`, ms: median(np[key]) };
    const values = (ms: number) => ({ rate: ((4 / 3) * d ** 3) / ms / 1e6, unit: 'GFLOP/s (nominal)' });
    const shape = `${d} x ${d}`;
    const rows = [
      row(
        `full spectra, batch of ${batch} (per matrix)`,
        shape,
        batchT,
        values(batchT.median),
        typeof np === 'string'
          ? valuesT && { name: 'plain JS float64 host solver', ms: valuesT.median }
          : peerOf('batchEigvalshMsPerMatrix', 'stacked eigvalsh'),
      ),
      row(
        'top-16 eigenpairs (subspace iteration)',
        shape,
        topT,
        { rate: null, unit: '' },
        peerOf('eigvalshMs', 'eigvalsh (all)'),
      ),
      row('lambda_max (power iteration)', shape, lmT, { rate: null, unit: '' }, peerOf('eigvalshMs', 'eigvalsh (all)')),
    ];
    if (valuesT)
      rows.push(
        row(
          'full spectrum, host float64 (JS)',
          shape,
          valuesT,
          values(valuesT.median),
          peerOf('eigvalshMs', 'eigvalsh'),
        ),
      );
    if (vectorsT)
      rows.push(
        row(
          'eigenpairs, host float64 (JS)',
          shape,
          vectorsT,
          { rate: (9 * d ** 3) / vectorsT.median / 1e6, unit: 'GFLOP/s (nominal)' },
          peerOf('eighMs', 'eigh'),
        ),
      );
    return {
      check: `batched spectra within ${accuracy.batchMaxAbsErrOverLambdaMax.toExponential(1)} lambda_max of ${accuracy.reference} (bound 1e-5); top-16 ${accuracy.top16MaxRelErr.toExponential(1)}, lambda_max ${accuracy.lambdaMaxRelErr.toExponential(1)} relative (bound 1e-4)`,
      rows,
      detail: { samples: N, accuracy, spectrum: { max: ref[0], min: ref[d - 1] } },
    };
  },
};
