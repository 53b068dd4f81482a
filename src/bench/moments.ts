// Per-class covariance of pixel-like data (values in [0, 255] with mean ~128, so the offset matters):
// moments() end to end (CPU sort + upload + shift and sums + per-class SYRK + readback + float64 merge)
// against numpy/OpenBLAS doing the same per-class centred x_k^T x_k in float32 in the same run, else against
// the plain-JS float64 loop. Correctness first: the relative Frobenius error of every class against float64
// (numpy's np.cov, or the JS loop without numpy).
// Effective FLOP = sum_k 2 N_k D^2 = 2 N D^2 (the full product's count; SYRK computes the upper half).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { moments } from '../kernels/moments.js';
import {
  type BenchCase,
  type BenchRow,
  blasName,
  findPython,
  PY_BLAS,
  readFloats,
  row,
  runPython,
  timeIt,
} from './common.js';

/** Pixel-like data: integers in [0, 255], a class-dependent pattern plus noise (splitmix-style hash). */
function pixelData(N: number, D: number, K: number) {
  const labels = Int32Array.from({ length: N }, (_, i) => (i * 7919) % K);
  const x = new Float32Array(N * D);
  for (let i = 0; i < N; i++) {
    for (let d = 0; d < D; d++) {
      let h = Math.imul(i * D + d + 1, 0x9e3779b1) >>> 0;
      h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 0;
      const noise = ((h >>> 8) / 2 ** 24 - 0.5) * 120;
      const v = Math.round(128 + 60 * Math.sin((d + 1) * (labels[i]! + 1) * 0.01) + noise);
      x[i * D + d] = Math.min(255, Math.max(0, v));
    }
  }
  return { x, labels };
}

/** Per-class sample covariances (n_k - 1 denominator, np.cov's) in float64: the plain-JS reference and peer. */
function covJs(x: Float32Array, labels: Int32Array, N: number, D: number, K: number): Float64Array {
  const out = new Float64Array(K * D * D);
  for (let k = 0; k < K; k++) {
    const mean = new Float64Array(D);
    let n = 0;
    for (let i = 0; i < N; i++) {
      if (labels[i] !== k) continue;
      n++;
      for (let d = 0; d < D; d++) mean[d]! += x[i * D + d]!;
    }
    for (let d = 0; d < D; d++) mean[d]! /= n;
    const c = out.subarray(k * D * D, (k + 1) * D * D);
    const r = new Float64Array(D);
    for (let i = 0; i < N; i++) {
      if (labels[i] !== k) continue;
      for (let d = 0; d < D; d++) r[d] = x[i * D + d]! - mean[d]!;
      for (let a = 0; a < D; a++) {
        const ra = r[a]!;
        for (let b = a; b < D; b++) c[a * D + b]! += ra * r[b]!;
      }
    }
    for (let a = 0; a < D; a++) for (let b = a; b < D; b++) c[b * D + a] = c[a * D + b]! /= n - 1;
  }
  return out;
}

function numpyPeer(x: Float32Array, labels: Int32Array, N: number, D: number, K: number, reps: number) {
  const py = findPython('numpy');
  if (typeof py === 'string') return py;
  const dir = mkdtempSync(join(tmpdir(), 'fluctus-moments-'));
  try {
    writeFileSync(join(dir, 'x.f32'), x);
    writeFileSync(join(dir, 'labels.i32'), labels);
    const code = `
import numpy as np, time, json, sys
d = sys.argv[1]; N, D, K, reps = ${N}, ${D}, ${K}, ${reps}
x = np.fromfile(d + '/x.f32', dtype=np.float32).reshape(N, D); lab = np.fromfile(d + '/labels.i32', dtype=np.int32)
ref = np.stack([np.cov(x[lab == k].astype(np.float64), rowvar=False) for k in range(K)]); ref.tofile(d + '/ref.f64')
def run():
    for k in range(K):
        xk = x[lab == k]; c = xk - xk.mean(0); c.T @ c
run(); ts = []
for _ in range(reps):
    t0 = time.perf_counter(); run(); ts.append((time.perf_counter() - t0) * 1e3)
${PY_BLAS}
print(json.dumps({'ms': sorted(ts)[len(ts) // 2], 'blas': BLAS}))`;
    const r = runPython<{ ms: number; blas: string[] }>(py, ['-c', code, dir]);
    const ref = readFloats(join(dir, 'ref.f64'), Float64Array) as Float64Array;
    return { name: `${py.version} float32 (${blasName(r.blas)})`, ms: r.ms, ref };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const momentsBench: BenchCase<{ rows: number; cols: number; classes: number; reps: number }> = {
  name: 'moments',
  summary: 'per-class covariances (the analysis moments) vs numpy/OpenBLAS, else plain JS',
  sizes: {
    small: { rows: 6000, cols: 196, classes: 10, reps: 3 },
    medium: { rows: 12000, cols: 784, classes: 10, reps: 3 },
    large: { rows: 60000, cols: 784, classes: 10, reps: 3 },
  },
  async run(env, { rows: N, cols: D, classes: K, reps }) {
    const { x, labels } = pixelData(N, D, K);
    const flops = 2 * N * D * D;
    const np = env.peer === 'none' ? 'peers off (--peer none)' : numpyPeer(x, labels, N, D, K, reps);
    let ref: Float64Array;
    let peer: BenchRow['peer'];
    if (typeof np === 'string') {
      env.log(`moments: ${np}; the reference and the peer are the plain-JS float64 loop`);
      const t0 = performance.now();
      ref = covJs(x, labels, N, D, K);
      peer = { name: 'plain JS float64 loop', ms: performance.now() - t0 };
    } else [ref, peer] = [np.ref, { name: np.name, ms: np.ms }];

    // 1. correctness: relative Frobenius error of every class against float64.
    const got = await moments(env.ctx, x, labels, [N, D], { classes: K, covariance: 'covariance' });
    let worst = 0;
    got.forEach((c, k) => {
      let num = 0;
      let den = 0;
      for (let i = 0; i < D * D; i++) {
        num += (c.cov![i]! - ref[k * D * D + i]!) ** 2;
        den += ref[k * D * D + i]! ** 2;
      }
      worst = Math.max(worst, Math.sqrt(num / den));
    });
    if (!(worst < 1e-3)) throw new Error(`moments: relative Frobenius error ${worst} against float64 (bound 1e-3)`);

    // 2. end-to-end time.
    const t = await timeIt(
      () => moments(env.ctx, x, labels, [N, D], { classes: K, covariance: 'covariance' }),
      reps,
      1,
    );
    const work = { rate: flops / t.median / 1e6, unit: 'GFLOP/s' };
    return {
      check: `worst relative Frobenius error against float64 ${worst.toExponential(2)} (bound 1e-3)`,
      rows: [row('moments() end to end', `${N} x ${D}, ${K} classes`, t, work, peer)],
      detail: { flopFormula: '2 N D^2', worstRelFrobenius: worst },
    };
  },
};
