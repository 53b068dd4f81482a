// Per-class covariance of Fashion-MNIST-shaped data (60000 x 784, 10 classes, pixel-like values in
// [0, 255] with mean ~128, so the offset matters): moments() end to end (CPU sort + upload + shift and
// sums + per-class SYRK + readback + float64 merge) against numpy/OpenBLAS doing the same per-class
// centred x_k^T x_k in float32 in the same run, and its accuracy against numpy's float64.
//   npx tsx scripts/bench/moments.ts [--rows 60000 --cols 784 --classes 10 --reps 3]
// Effective FLOP = sum_k 2 N_k D^2 = 2 N D^2 (as for the full product x^T x; SYRK computes the upper
// half of it), the convention of numpy's `x.T @ x` figures in ENVIRONMENT.md.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyContext, requestContext } from '../../src/runtime/context.js';
import { moments } from '../../src/kernels/moments.js';
import { provenance, timeIt, writeResult, numArg } from './common.js';

const N = numArg('rows', 60000);
const D = numArg('cols', 784);
const K = numArg('classes', 10);
const reps = numArg('reps', 3);

// Pixel-like data: integers in [0, 255], a class-dependent pattern plus noise (splitmix-style hash).
const labels = Int32Array.from({ length: N }, (_, i) => (i * 7919) % K);
const x = new Float32Array(N * D);
for (let i = 0; i < N; i++) {
  for (let d = 0; d < D; d++) {
    let h = Math.imul(i * D + d + 1, 0x9e3779b1) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x85ebca6b) >>> 0;
    const noise = ((h >>> 8) / 2 ** 24 - 0.5) * 120;
    x[i * D + d] = Math.min(
      255,
      Math.max(0, Math.round(128 + 60 * Math.sin((d + 1) * (labels[i]! + 1) * 0.01) + noise)),
    );
  }
}
const flops = 2 * N * D * D;

// numpy peer: float64 reference covariances and the float32 per-class time, on the same data.
const py = '/usr/bin/python3';
const dir = mkdtempSync(join(tmpdir(), 'fluctus-moments-'));
let numpy: { ms: number; gflops: number; blas: string[] } | null = null;
let ref: Float64Array | null = null;
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
    writeFileSync(join(dir, 'x.f32'), x);
    writeFileSync(join(dir, 'labels.i32'), labels);
    const out = execFileSync(
      py,
      [
        '-c',
        `
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
blas = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.lower() and '/' in l})
print(json.dumps({'ms': sorted(ts)[len(ts) // 2], 'blas': blas}))`,
        dir,
      ],
      { encoding: 'utf8' },
    );
    const { ms, blas } = JSON.parse(out.trim()) as { ms: number; blas: string[] };
    // Which BLAS numpy loaded decides the comparison: Debian's reference libblas3 is ~25x slower
    // than OpenBLAS (libopenblas0), so the figure is only meaningful with the library named.
    numpy = { ms, gflops: flops / ms / 1e6, blas };
    ref = new Float64Array(readFileSync(join(dir, 'ref.f64')).buffer.slice(0));
  } else {
    console.log('numpy (Debian python3-numpy for /usr/bin/python3) not found: the numpy column is skipped');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const ctx = await requestContext();
// 1. correctness: relative Frobenius error of every class against numpy's float64 covariance.
const got = await moments(ctx, x, labels, [N, D], { classes: K, covariance: 'covariance' });
let worst = NaN;
if (ref) {
  worst = 0;
  got.forEach((c, k) => {
    let num = 0;
    let den = 0;
    for (let i = 0; i < D * D; i++) {
      num += (c.cov![i]! - ref![k * D * D + i]!) ** 2;
      den += ref![k * D * D + i]! ** 2;
    }
    worst = Math.max(worst, Math.sqrt(num / den));
  });
  if (!(worst < 1e-3)) throw new Error(`moments bench: relative Frobenius error ${worst} against numpy float64`);
  console.log(`correct: worst relative Frobenius error against numpy float64 ${worst.toExponential(2)}`);
}

// 2. end-to-end time.
const t = await timeIt(() => moments(ctx, x, labels, [N, D], { classes: K, covariance: 'covariance' }), reps, 1);
const gflops = flops / t.median / 1e6;
const result = {
  bench: 'moments',
  shape: [N, D],
  classes: K,
  flopFormula: '2 N D^2',
  ...provenance(ctx),
  accuracy: { worstRelFrobeniusVsNumpyF64: worst },
  gpu: { ms: t, gflops },
  numpy: numpy ?? 'skipped: no numpy for /usr/bin/python3',
  ratioToNumpy: numpy ? gflops / numpy.gflops : null,
};
destroyContext(ctx);
console.log(
  `moments ${N} x ${D}, K ${K}: ${t.median.toFixed(0)} ms (${gflops.toFixed(1)} GFLOP/s effective, spread ${(t.relIqr * 100).toFixed(0)}%)` +
    (numpy
      ? `; numpy float32 ${numpy.ms.toFixed(0)} ms (${numpy.gflops.toFixed(1)} GFLOP/s): ratio ${(gflops / numpy.gflops).toFixed(2)} (numpy BLAS: ${numpy.blas.join(', ')})`
      : ''),
);
console.log(`wrote ${writeResult('moments', result)}`);
