// Covariance products x^T x of centred data (SYRK: upper triangle + mirror) at Fashion-MNIST's shape (large:
// 60000 x 784 and one class's 6000 x 784): ours against numpy/OpenBLAS `x.T @ x` (or PyTorch on CUDA with
// --peer cuda) in the same run on the same data, else a plain-JS loop. Correctness first: sampled entries
// against float64, within the GEMM bound of kernels-test/ref/matmul.ts.
// GFLOP/s everywhere counts the full product, 2 N D^2 (numpy's x.T @ x convention); our kernel only does the
// upper triangle, N D (D + 1) flops. The ratio is a ratio of times and does not depend on the convention.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beginBatch, submit, sync } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, rowChunks } from '../runtime/tensor.js';
import { encodeSyrk, syrk, syrkPlan } from '../kernels/syrk.js';
import { tuneLog } from '../kernels/autotune.js';
import { gemmBound } from '../../kernels-test/ref/matmul.js';
import { rng } from '../../kernels-test/random.js';
import {
  type BenchCase,
  type BenchRow,
  blasName,
  findPython,
  median,
  PY_BLAS,
  row,
  runPython,
  timeIt,
} from './common.js';

/** Pixel-like data in [0, 1), centred per column in float64. */
function centredData(N: number, D: number, seed: number): Float32Array {
  const u = rng(seed);
  const x = new Float32Array(N * D);
  for (let i = 0; i < x.length; i++) x[i] = Math.floor(u() * u() * 256) / 255;
  const mean = new Float64Array(D);
  for (let n = 0; n < N; n++) for (let d = 0; d < D; d++) mean[d]! += x[n * D + d]! / N;
  for (let n = 0; n < N; n++) for (let d = 0; d < D; d++) x[n * D + d] = x[n * D + d]! - mean[d]!;
  return x;
}

/** numpy's (or PyTorch-CUDA's) `x.T @ x` on the same data in a child process: ms per product, or why not. */
function peerMs(cuda: boolean, x: Float32Array, N: number, D: number, reps: number) {
  const py = findPython(cuda ? 'torch+cuda' : 'numpy');
  if (typeof py === 'string') return py;
  const dir = mkdtempSync(join(tmpdir(), 'fluctus-syrk-'));
  try {
    writeFileSync(join(dir, 'x.f32'), x);
    const load = `x = np.fromfile(sys.argv[1], dtype=np.float32).reshape(${N}, ${D})`;
    const code = cuda
      ? [
          'import numpy as np, time, sys, json, torch',
          `${load}; x = torch.from_numpy(x).cuda()`,
          'torch.backends.cuda.matmul.allow_tf32 = False',
          'c = x.T @ x; torch.cuda.synchronize()',
          'ms = []',
          `for _ in range(${Math.max(reps, 10)}):`,
          '    torch.cuda.synchronize(); t = time.perf_counter(); c = x.T @ x; torch.cuda.synchronize(); ms.append((time.perf_counter() - t) * 1e3)',
          "print(json.dumps({'ms': ms, 'blas': ['cuBLAS']}))",
        ]
      : [
          'import numpy as np, time, sys, json',
          load,
          'c = x.T @ x',
          'ms = []',
          `for _ in range(${Math.max(reps, 3)}):`,
          '    t = time.perf_counter(); c = x.T @ x; ms.append((time.perf_counter() - t) * 1e3)',
          PY_BLAS,
          "print(json.dumps({'ms': ms, 'blas': BLAS}))",
        ];
    const { ms, blas } = runPython<{ ms: number[]; blas: string[] }>(py, ['-c', code.join('\n'), join(dir, 'x.f32')]);
    return { name: `${py.version} x.T @ x (${cuda ? 'fp32, TF32 off' : blasName(blas)})`, ms };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The straightforward loop: for each row, C[i, j] += x[n, i] x[n, j] over the upper triangle. */
function jsSyrk(x: Float32Array, N: number, D: number): Float64Array {
  const c = new Float64Array(D * D);
  for (let n = 0; n < N; n++) {
    const r = n * D;
    for (let i = 0; i < D; i++) {
      const xi = x[r + i]!;
      const ci = i * D;
      for (let j = i; j < D; j++) c[ci + j]! += xi * x[r + j]!;
    }
  }
  return c;
}

export const syrkBench: BenchCase<{ rows: string; cols: number; reps: number; jsRows: number }> = {
  name: 'syrk',
  summary: 'covariance product x^T x (SYRK, autotuned) vs numpy/OpenBLAS x.T @ x and plain JS',
  sizes: {
    small: { rows: '2000', cols: 256, reps: 3, jsRows: 200 },
    medium: { rows: '6000', cols: 784, reps: 3, jsRows: 300 },
    large: { rows: '6000,60000', cols: 784, reps: 3, jsRows: 300 },
  },
  async run(env, p) {
    const D = p.cols;
    const shapes = String(p.rows).split(',').map(Number);
    if (!shapes.every((n) => Number.isInteger(n) && n > 0))
      throw new Error(`syrk: --rows must be positive integers separated by commas, got '${p.rows}'`);
    const ctx = env.ctx;
    const rows: BenchRow[] = [];
    const detail: Record<string, unknown>[] = [];
    const checks: string[] = [];
    for (const N of shapes) {
      const flops = 2 * N * D * D;
      const x = centredData(N, D, N);
      // 1. correctness: the end-to-end syrk() result on sampled entries (and the diagonal) against float64.
      const full = await syrk(ctx, x, [N, D]);
      const u = rng(7);
      const pairs: [number, number][] = Array.from({ length: 200 }, () => [Math.floor(u() * D), Math.floor(u() * D)]);
      for (let d = 0; d < D; d += 97) pairs.push([d, d]);
      let worst = 0;
      for (const [i, j] of pairs) {
        let s = 0;
        let a = 0;
        for (let n = 0; n < N; n++) {
          s += x[n * D + i]! * x[n * D + j]!;
          a += Math.abs(x[n * D + i]! * x[n * D + j]!);
        }
        worst = Math.max(worst, Math.abs(full[i * D + j]! - s) / a);
      }
      if (!(worst <= gemmBound(N)))
        throw new Error(`syrk: ${N} x ${D}: error ${worst} of the |x|^T|x| scale exceeds the bound ${gemmBound(N)}`);
      checks.push(
        `${N} x ${D}: sampled error ${worst.toExponential(2)} of |x|^T|x| (bound ${gemmBound(N).toExponential(2)})`,
      );

      // 2. the kernel alone: x on the GPU (row chunks that fit one binding, accumulated with beta = 1).
      const plan = await syrkPlan(ctx, { rows: N, cols: D });
      const X = createTensor(ctx, [N, D], { data: x, label: 'bench.x' });
      const C = createTensor(ctx, [D, D], { label: 'bench.c' });
      const chunks = rowChunks(N, 4 * D, ctx.limits.maxStorageBufferBindingSize);
      const run = async () => {
        const b = beginBatch(ctx, 'bench syrk');
        chunks.forEach((ch, i) =>
          encodeSyrk(b, plan, {
            ...{ a: X, c: C, rows: ch.count, cols: D, offsetA: ch.start * D },
            ...{ beta: i ? 1 : 0, mirror: i === chunks.length - 1 },
          }),
        );
        submit(b);
        await sync(ctx);
      };
      const kernel = await timeIt(run, p.reps, 1);
      const e2e = await timeIt(() => syrk(ctx, x, [N, D]), Math.min(p.reps, 2), 0);
      [X, C].forEach(disposeTensor);
      const gf = (ms: number) => ({ rate: flops / ms / 1e6, unit: 'GFLOP/s' });

      // 3. the peer: numpy (or PyTorch-CUDA) in a child process, the GPU idle meanwhile; else plain JS on the
      // first jsRows rows, scaled (its rate does not depend on N).
      const np = env.peer === 'none' ? 'peers off (--peer none)' : peerMs(env.peer === 'cuda', x, N, D, p.reps);
      let peer: BenchRow['peer'];
      if (typeof np === 'string') {
        env.log(`syrk: ${np}; timing plain JS instead`);
        const jsN = Math.min(p.jsRows, N);
        const js = await timeIt(() => jsSyrk(x, jsN, D), 1, 0);
        peer = { name: `plain JS loop (${jsN} rows, scaled)`, ms: (js.median * N) / jsN };
      } else peer = { name: np.name, ms: median(np.ms) };
      const shape = `${N} x ${D}`;
      rows.push(row('kernel (data on the GPU)', shape, kernel, gf(kernel.median), peer));
      rows.push(row('end to end (upload, readback)', shape, e2e, gf(e2e.median), peer));
      detail.push({ shape: [N, D], build: plan.build, chunks: chunks.length, worstSampledError: worst });
    }
    return {
      check: checks.join('; '),
      rows,
      detail: {
        data: 'pixel-like [0, 1) values, centred per column',
        flopConvention: '2 N D^2',
        shapes: detail,
        tunes: tuneLog.map((t) => ({ ...t })),
      },
    };
  },
};
