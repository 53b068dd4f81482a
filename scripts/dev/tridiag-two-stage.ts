// Full spectra of batches of random symmetric matrices: the one-stage reduction (src/kernels/tridiag.ts:
// Householder tridiagonalisation with matrix-vector products on the GPU) against the two-stage one
// (src/kernels/tridiag2.ts: dense -> band on the GPU in GEMMs, band -> tridiagonal on the host) at half-
// bandwidths 16 and 32, interleaved per repetition so that load from other work hits every variant alike.
// GPU = submit to completion of the reduction; host = readback + the float64 host stages (two-stage:
// band -> tridiagonal and QL split). Checks first that every variant gives the same spectrum (to f32
// rounding: 1e-5 ||A||).
//   npx tsx scripts/dev/tridiag-two-stage.ts [--sizes 784:16,1300:8,3072:2] [--reps 3] [--variants one,b16,b32]
import { requestContext } from '../../src/runtime/context.js';
import { beginBatch, submit, sync } from '../../src/runtime/dispatch.js';
import { upload } from '../../src/runtime/tensor.js';
import * as one from '../../src/kernels/tridiag.js';
import * as two from '../../src/kernels/tridiag2.js';
import { gaussian } from '../../kernels-test/random.js';
import { numArg, stats, strArg } from '../bench/common.js';

const sizes = strArg('sizes', '784:16,1300:8,3072:2')
  .split(',')
  .map((s) => s.split(':').map(Number) as [number, number]);
const reps = numArg('reps', 3);
const names = strArg('variants', 'one,b16,b32').split(',');

interface Variant {
  name: string;
  /** Writes the matrices, reduces them, returns [gpu ms, host ms, spectra]. */
  run: (host: Float32Array, count: number) => Promise<[number, number, Float64Array[]]>;
  dispose: () => void;
}

const ctx = await requestContext();
/** CPU time of this process (all threads: lavapipe's workers and the host code), milliseconds. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
/** [GPU phase, host phase] CPU milliseconds of the last run. */
const cpu: [number, number][] = [];
console.log(`adapter: ${ctx.adapterInfo.description || ctx.adapterInfo.device}`);

async function variant(name: string, n: number, count: number): Promise<Variant> {
  const timed = async (
    write: (host: Float32Array) => void,
    encode: (batch: ReturnType<typeof beginBatch>) => void,
    finish: () => Promise<Float64Array[]>,
    host: Float32Array,
  ): Promise<[number, number, Float64Array[]]> => {
    write(host);
    await sync(ctx);
    const c0 = cpuMs();
    const t0 = performance.now();
    const batch = beginBatch(ctx, 'tridiag');
    encode(batch);
    submit(batch);
    await sync(ctx);
    const t1 = performance.now();
    const c1 = cpuMs();
    const values = await finish();
    cpu.push([c1 - c0, cpuMs() - c1]);
    return [t1 - t0, performance.now() - t1, values];
  };
  if (name === 'one') {
    const plan = await one.tridiagPlan(ctx, n);
    const work = one.tridiagWork(ctx, n, one.tridiagCapacity(ctx, n, count));
    return {
      name,
      run: (host, c) =>
        timed(
          (h) => upload(ctx, work.a, h),
          (batch) => one.encodeTridiag(batch, plan, work, c),
          () => one.tridiagEigenvalues(ctx, work, c),
          host,
        ),
      dispose: () => one.disposeTridiagWork(work),
    };
  }
  // bB or bBwW: half-bandwidth B, W invocations per workgroup in the panel kernels.
  const [b, wg] = name.replace(/^b/, '').split('w').map(Number) as [number, number | undefined];
  const plan = await two.tridiagPlan(ctx, n, { band: b, wg });
  const work = two.tridiagWork(ctx, n, two.tridiagCapacity(ctx, n, count, b), b);
  return {
    name,
    run: (host, c) =>
      timed(
        (h) => upload(ctx, work.a, h),
        (batch) => two.encodeTridiag(batch, plan, work, c),
        () => two.tridiagEigenvalues(ctx, work, c),
        host,
      ),
    dispose: () => two.disposeTridiagWork(work),
  };
}

for (const [n, count] of sizes) {
  const ld = one.rowStride(n);
  const host = new Float32Array(count * ld * ld);
  for (let m = 0; m < count; m++) {
    const g = gaussian(1000 * n + m);
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) host[m * ld * ld + i * ld + j] = host[m * ld * ld + j * ld + i] = g();
  }
  const variants: Variant[] = [];
  for (const name of names) variants.push(await variant(name, n, count));
  // Warm-up (pipelines, wait model) and the correctness check.
  const ref: Float64Array[][] = [];
  for (const v of variants) ref.push((await v.run(host, count))[2]);
  let worst = 0;
  for (let m = 0; m < count; m++) {
    const norm = Math.max(Math.abs(ref[0]![m]![0]!), Math.abs(ref[0]![m]![n - 1]!));
    for (const r of ref)
      for (let i = 0; i < n; i++) worst = Math.max(worst, Math.abs(r[m]![i]! - ref[0]![m]![i]!) / norm);
  }
  console.log(`n = ${n}, batch ${count}: largest spectrum difference between variants ${worst.toExponential(2)} ||A||`);
  if (worst > 1e-5) throw new Error('variants disagree');
  const gpu = new Map<string, number[]>(names.map((x) => [x, []]));
  const wall = new Map<string, number[]>(names.map((x) => [x, []]));
  const gpuCpu = new Map<string, number[]>(names.map((x) => [x, []]));
  const hostCpu = new Map<string, number[]>(names.map((x) => [x, []]));
  const split = { band: [] as number[], ql: [] as number[] };
  for (let r = 0; r < reps; r++) {
    // Rotate the order each repetition.
    for (let q = 0; q < variants.length; q++) {
      const v = variants[(q + r) % variants.length]!;
      const h0 = { ...two.tridiagHostMs };
      const [g, h] = await v.run(host, count);
      gpu.get(v.name)!.push(g / count);
      wall.get(v.name)!.push(h / count);
      const [cg, ch] = cpu[cpu.length - 1]!;
      gpuCpu.get(v.name)!.push(cg / count);
      hostCpu.get(v.name)!.push(ch / count);
      if (v.name === 'b32') {
        split.band.push((two.tridiagHostMs.band - h0.band) / count);
        split.ql.push((two.tridiagHostMs.ql - h0.ql) / count);
      }
    }
  }
  for (const v of variants) {
    const g = stats(gpu.get(v.name)!);
    const h = stats(wall.get(v.name)!);
    const cg = stats(gpuCpu.get(v.name)!);
    const ch = stats(hostCpu.get(v.name)!);
    const r = (x: { median: number; min: number; max: number }) =>
      `${x.median.toFixed(0)} (${x.min.toFixed(0)}-${x.max.toFixed(0)})`;
    console.log(
      `  ${v.name.padEnd(7)} per matrix, wall ms: GPU ${r(g)}, host ${r(h)}, total ${(g.median + h.median).toFixed(0)}; ` +
        `CPU ms: GPU ${r(cg)}, host ${r(ch)}`,
    );
    v.dispose();
  }
  if (split.band.length)
    console.log(
      `  b32 host split: band -> tridiagonal ${stats(split.band).median.toFixed(0)} ms, QL ${stats(split.ql).median.toFixed(0)} ms`,
    );
}
