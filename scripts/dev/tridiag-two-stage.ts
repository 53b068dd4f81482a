// Full spectra of batches of random symmetric matrices by the two-stage reduction (src/kernels/tridiag.ts):
// end to end in one chunk against stagedEigenvalues' overlapped chunks; and the parts:
// per matrix, GPU = stage 1 (dense -> band; submit to completion), host = readback + stage 2 split into
// band -> tridiagonal and QL; wall clock and this process's CPU time (lavapipe's worker threads included:
// on a loaded machine CPU time is the steadier figure). Repetitions after one warm-up.
// The one-stage reduction it replaced was timed against it in the same run (interleaved) by this script
// at commit 9d7fe0f (`git show 9d7fe0f:scripts/dev/tridiag-two-stage.ts`, variants `one` and `b32`);
// the numbers are in that commit's successor's message and the tridiag.ts header.
//   npx tsx scripts/dev/tridiag-two-stage.ts [--sizes 784:16,1300:8,3072:2] [--reps 3]
import { requestContext } from '../../src/runtime/context.js';
import { beginBatch, submit, sync } from '../../src/runtime/dispatch.js';
import { readback, upload } from '../../src/runtime/tensor.js';
import {
  disposeTridiagWork,
  encodeTridiag,
  rowStride,
  stagedChunk,
  stagedEigenvalues,
  TRIDIAG_BAND,
  tridiagCapacity,
  tridiagPlan,
  tridiagWork,
} from '../../src/kernels/tridiag.js';
import { bandReduce } from '../../src/linalg/band.js';
import { tridiagonalQl } from '../../src/linalg/eigh-cpu.js';
import { gaussian } from '../../kernels-test/random.js';
import { numArg, strArg } from '../args.js';
import { stats } from '../../src/bench/common.js';

const sizes = strArg('sizes', '784:16,1300:8,3072:2')
  .split(',')
  .map((s) => s.split(':').map(Number) as [number, number]);
const reps = numArg('reps', 3);

const ctx = await requestContext();
console.log(`adapter: ${ctx.adapterInfo.description || ctx.adapterInfo.device}; band ${TRIDIAG_BAND}`);
/** CPU time of this process (all threads), milliseconds. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

for (const [n, want] of sizes) {
  const ld = rowStride(n);
  const count = tridiagCapacity(ctx, n, want);
  const host = new Float32Array(count * ld * ld);
  for (let m = 0; m < count; m++) {
    const g = gaussian(1000 * n + m);
    for (let i = 0; i < n; i++)
      for (let j = 0; j <= i; j++) host[m * ld * ld + i * ld + j] = host[m * ld * ld + j * ld + i] = g();
  }
  const plan = await tridiagPlan(ctx, n);
  const work = tridiagWork(ctx, n, count);
  const rows: Record<string, number[]> = { gpu: [], gpuCpu: [], read: [], band: [], ql: [] };
  for (let r = 0; r <= reps; r++) {
    upload(ctx, work.a, host);
    await sync(ctx);
    const c0 = cpuMs();
    const t0 = performance.now();
    const batch = beginBatch(ctx, 'tridiag');
    encodeTridiag(batch, plan, work, count);
    submit(batch);
    await sync(ctx);
    const t1 = performance.now();
    const c1 = cpuMs();
    const per = n * (TRIDIAG_BAND + 1);
    const band = await readback(ctx, work.band, 0, count * per);
    const t2 = performance.now();
    let bandMs = 0;
    let qlMs = 0;
    for (let i = 0; i < count; i++) {
      const s0 = performance.now();
      const { d, e } = bandReduce()(band.subarray(i * per, (i + 1) * per), n, TRIDIAG_BAND);
      const s1 = performance.now();
      tridiagonalQl(d, e, n);
      qlMs += performance.now() - s1;
      bandMs += s1 - s0;
    }
    if (r === 0) continue;
    rows.gpu!.push((t1 - t0) / count);
    rows.gpuCpu!.push((c1 - c0) / count);
    rows.read!.push((t2 - t1) / count);
    rows.band!.push(bandMs / count);
    rows.ql!.push(qlMs / count);
  }
  // End to end, one chunk (GPU, then host) against stagedEigenvalues' chunks (host overlapping the GPU).
  const ends: Record<string, number[]> = { one: [], staged: [] };
  const staged = stagedChunk(count, count);
  const fill = (_b: unknown, start: number, size: number) =>
    ctx.device.queue.writeBuffer(work.a.buffer, 0, host.buffer, start * ld * ld * 4, size * ld * ld * 4);
  for (let r = 0; r <= reps; r++) {
    for (const [name, chunk] of [
      ['one', count],
      ['staged', staged],
    ] as const) {
      const t0 = performance.now();
      await stagedEigenvalues(ctx, plan, work, count, chunk, fill);
      if (r > 0) ends[name]!.push((performance.now() - t0) / count);
    }
  }
  disposeTridiagWork(work);
  const f = (k: string) => {
    const s = stats(rows[k]!);
    return `${s.median.toFixed(0)} (${s.min.toFixed(0)}-${s.max.toFixed(0)})`;
  };
  const total = ['gpu', 'read', 'band', 'ql'].reduce((s, k) => s + stats(rows[k]!).median, 0);
  console.log(
    `n = ${n}, batch ${count}, per matrix, ms: GPU ${f('gpu')} (CPU time ${f('gpuCpu')}); host: readback ` +
      `${f('read')}, band -> tridiagonal ${f('band')}, QL ${f('ql')}; total ${total.toFixed(0)}`,
  );
  const g = (k: string) => stats(ends[k]!).median.toFixed(0);
  console.log(`  end to end per matrix: one chunk ${g('one')} ms, chunks of ${staged} (staged) ${g('staged')} ms`);
}
