// Covariance products x^T x of centred data at Fashion-MNIST's shape (60000 x 784) and one class's
// (6000 x 784): our autotuned SYRK (upper triangle + mirror) against numpy/OpenBLAS `x.T @ x` (Debian's
// python3-numpy via /usr/bin/python3, same run, same data; skipped with a message when absent) and a
// plain-JS loop. Correctness is checked first (sampled entries against float64).
//   npx tsx scripts/bench/syrk.ts [-- --reps 3 --js-rows 300 --only 6000]
// GFLOP/s everywhere counts the full product, 2 N D^2 (numpy's x.T @ x convention); our kernel only
// does the upper triangle, N D (D + 1) flops, so its own arithmetic rate is (D + 1) / (2 D) of the
// figure. The ratio to numpy is a ratio of times and does not depend on the convention.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { destroyContext, requestContext } from '../../src/runtime/context.js';
import { beginBatch, submit, sync } from '../../src/runtime/dispatch.js';
import { createTensor, disposeTensor, rowChunks } from '../../src/runtime/tensor.js';
import { encodeSyrk, syrk, syrkPlan } from '../../src/kernels/syrk.js';
import { tuneLog } from '../../src/kernels/autotune.js';
import { gemmBound } from '../../kernels-test/ref/matmul.js';
import { rng } from '../../kernels-test/random.js';
import { provenance, timeIt, writeResult, numArg, strArg } from './common.js';

const reps = numArg('reps', 3);
const jsRows = numArg('js-rows', 300);
const only = numArg('only', 0);
/** --peer torch: time PyTorch `x.T @ x` on CUDA (python3 on PATH) instead of numpy, for GPU machines. */
const peer = strArg('peer', 'numpy');
if (peer !== 'numpy' && peer !== 'torch') throw new Error(`syrk bench: --peer '${peer}' is not one of numpy, torch`);
const D = 784;
const shapes = [6000, 60000].filter((n) => !only || n === only);

/** Pixel-like data in [0, 1) (Fashion-MNIST is not installed here), centred per column in float64. */
function centredData(N: number, seed: number): Float32Array {
  const u = rng(seed);
  const x = new Float32Array(N * D);
  for (let i = 0; i < x.length; i++) x[i] = Math.floor(u() * u() * 256) / 255;
  const mean = new Float64Array(D);
  for (let n = 0; n < N; n++) for (let d = 0; d < D; d++) mean[d]! += x[n * D + d]! / N;
  for (let n = 0; n < N; n++) for (let d = 0; d < D; d++) x[n * D + d] = x[n * D + d]! - mean[d]!;
  return x;
}

/** Sampled entries (i, j) of x^T x in float64 and their |x|^T |x| scale. */
function sampledRef(x: Float32Array, N: number, pairs: [number, number][]) {
  return pairs.map(([i, j]) => {
    let s = 0;
    let a = 0;
    for (let n = 0; n < N; n++) {
      s += x[n * D + i]! * x[n * D + j]!;
      a += Math.abs(x[n * D + i]! * x[n * D + j]!);
    }
    return { s, a };
  });
}

/** The BLAS Debian's alternatives point numpy at: OpenBLAS is ~30x faster than the reference BLAS. */
function blasLibrary(): string {
  try {
    return realpathSync('/etc/alternatives/libblas.so.3-x86_64-linux-gnu');
  } catch {
    return 'unknown';
  }
}

function numpyMs(x: Float32Array, N: number): { ms: number[]; blas: string } | string {
  const python = peer === 'torch' ? 'python3' : '/usr/bin/python3';
  try {
    execFileSync(python, ['-c', peer === 'torch' ? 'import torch; assert torch.cuda.is_available()' : 'import numpy'], {
      stdio: 'ignore',
    });
  } catch {
    return peer === 'torch'
      ? 'PyTorch with CUDA is not available to python3; column skipped'
      : 'numpy is not available to /usr/bin/python3 (Debian package python3-numpy); column skipped';
  }
  const dir = mkdtempSync(join(tmpdir(), 'fluctus-syrk-'));
  try {
    writeFileSync(join(dir, 'x.f32'), x);
    const py =
      peer === 'torch'
        ? [
            'import numpy as np, time, sys, json, torch',
            `x = torch.from_numpy(np.fromfile(sys.argv[1], dtype=np.float32).reshape(${N}, ${D})).cuda()`,
            'torch.backends.cuda.matmul.allow_tf32 = False',
            'c = x.T @ x; torch.cuda.synchronize()',
            'ms = []',
            `for _ in range(${Math.max(reps, 10)}):`,
            '    torch.cuda.synchronize(); t = time.perf_counter(); c = x.T @ x; torch.cuda.synchronize(); ms.append((time.perf_counter() - t) * 1e3)',
            'print(json.dumps(ms))',
          ].join('\n')
        : [
            'import numpy as np, time, sys, json',
            `x = np.fromfile(sys.argv[1], dtype=np.float32).reshape(${N}, ${D})`,
            'c = x.T @ x',
            'ms = []',
            `for _ in range(${Math.max(reps, 3)}):`,
            '    t = time.perf_counter(); c = x.T @ x; ms.append((time.perf_counter() - t) * 1e3)',
            'c.astype(np.float32).tofile(sys.argv[2])',
            'print(json.dumps(ms))',
          ].join('\n');
    const out = execFileSync(python, ['-c', py, join(dir, 'x.f32'), join(dir, 'c.f32')], { encoding: 'utf8' });
    return { ms: JSON.parse(out) as number[], blas: peer === 'torch' ? 'torch CUDA (fp32, TF32 off)' : blasLibrary() };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The straightforward loop: for each row, C[i, j] += x[n, i] x[n, j] over the upper triangle. */
function jsSyrk(x: Float32Array, N: number): Float64Array {
  const c = new Float64Array(D * D);
  for (let n = 0; n < N; n++) {
    const row = n * D;
    for (let i = 0; i < D; i++) {
      const xi = x[row + i]!;
      const ci = i * D;
      for (let j = i; j < D; j++) c[ci + j]! += xi * x[row + j]!;
    }
  }
  return c;
}

const ctx = await requestContext();
const rows: Record<string, unknown>[] = [];
for (const N of shapes) {
  const flops = 2 * N * D * D;
  const x = centredData(N, N);
  // 1. correctness: the end-to-end syrk() result on sampled entries (and the diagonal) against float64.
  const full = await syrk(ctx, x, [N, D]);
  const u = rng(7);
  const pairs: [number, number][] = Array.from({ length: 200 }, () => [Math.floor(u() * D), Math.floor(u() * D)]);
  for (let d = 0; d < D; d += 97) pairs.push([d, d]);
  const ref = sampledRef(x, N, pairs);
  let worst = 0;
  pairs.forEach(([i, j], t) => (worst = Math.max(worst, Math.abs(full[i * D + j]! - ref[t]!.s) / ref[t]!.a)));
  if (!(worst <= gemmBound(N)))
    throw new Error(`syrk bench: ${N} x ${D}: error ${worst} of the |x|^T|x| scale exceeds the bound ${gemmBound(N)}`);
  console.log(
    `${N} x ${D}: correct (worst sampled error ${worst.toExponential(2)} of scale; bound ${gemmBound(N).toExponential(2)})`,
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
        a: X,
        c: C,
        rows: ch.count,
        cols: D,
        offsetA: ch.start * D,
        beta: i ? 1 : 0,
        mirror: i === chunks.length - 1,
      }),
    );
    submit(b);
    await sync(ctx);
  };
  const kernel = await timeIt(run, reps, 1);
  const e2e = await timeIt(() => syrk(ctx, x, [N, D]), Math.min(reps, 2), 0);
  [X, C].forEach(disposeTensor);
  const gf = (ms: number) => flops / ms / 1e6;
  console.log(
    `  ours  ${JSON.stringify(plan.build)}: kernel ${kernel.median.toFixed(0)} ms (${gf(kernel.median).toFixed(1)} GFLOP/s), end to end ${e2e.median.toFixed(0)} ms`,
  );

  // 3. numpy in a child process (the GPU is idle meanwhile), same data.
  const np = numpyMs(x, N);
  let numpy: unknown;
  let ratio: number | null = null;
  if (typeof np === 'string') {
    console.log(`  numpy: ${np}`);
    numpy = { skipped: np };
  } else {
    const s = [...np.ms].sort((a, b) => a - b)[Math.floor(np.ms.length / 2)]!;
    ratio = s / kernel.median;
    numpy = { ms: np.ms, medianMs: s, GFLOPs: gf(s), blas: np.blas };
    console.log(
      `  ${peer} x.T @ x (${np.blas}): ${s.toFixed(0)} ms (${gf(s).toFixed(1)} GFLOP/s); ours / numpy speed = ${ratio.toFixed(3)}x`,
    );
  }

  // 4. plain JS on the first jsRows rows, scaled: its rate does not depend on N.
  const jsN = Math.min(jsRows, N);
  const js = await timeIt(() => jsSyrk(x, jsN), 1, 0);
  const jsGf = (2 * jsN * D * D) / js.median / 1e6;
  console.log(`  plain JS (${jsN} rows, scaled): ${jsGf.toFixed(2)} GFLOP/s`);
  rows.push({
    shape: [N, D],
    flopsCounted: flops,
    flopsUpperTriangle: N * D * (D + 1),
    build: plan.build,
    chunks: chunks.length,
    worstSampledError: worst,
    ours: { kernelMs: kernel, GFLOPs: gf(kernel.median), endToEndMs: e2e },
    numpy,
    js: { rows: jsN, ms: js.median, GFLOPs: jsGf, scaledMs: flops / jsGf / 1e6 },
    ratioToNumpy: ratio,
    ratioToJs: gf(kernel.median) / jsGf,
  });
}
for (const t of tuneLog)
  console.log(
    `autotune ${t.key}: ${t.candidates.map((c, i) => `${JSON.stringify(c)} ${t.ms[i]!.toFixed(2)} ms`).join('; ')}`,
  );
const result = {
  bench: 'syrk',
  peer,
  ...provenance(ctx),
  data: 'synthetic pixel-like [0, 1) values, centred per column (Fashion-MNIST not installed)',
  flopConvention: '2 N D^2',
  tunes: tuneLog,
  rows,
};
console.log(`wrote ${writeResult(peer === 'torch' ? 'syrk-torch' : 'syrk', result)}`);
destroyContext(ctx);
