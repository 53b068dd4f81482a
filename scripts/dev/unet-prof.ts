// Where a U-Net training step (or with --sample 1, a DDPM sampling step of --batch images) spends its time:
// a few steps of the U-Net on Fashion-MNIST-shaped data with the per-kernel profile (timestamp queries
// where the adapter has them), sorted by GPU time.
// With --layers 1, also each kernel's time per distinct shape (its dispatches grouped by declared work: a
// U-Net's convolutions differ in it layer by layer), from the trace.
//   npx tsx scripts/dev/unet-prof.ts [--c0 16 --c1 32 --batch 128 --steps 3 --sample 0 --layers 0]
import { requestContext, destroyContext } from '../../src/runtime/context.js';
import { formatProfile, profileReport, resetProfile } from '../../src/runtime/profile.js';
import { resetTrace } from '../../src/runtime/trace.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { unetDef } from '../../src/models/unet.js';
import { disposeModel } from '../../src/models/model.js';
import { train } from '../../src/models/train.js';
import { learnedDenoiser } from '../../src/models/learned.js';
import { sample } from '../../src/samplers/sample.js';
import { ddpmScheduler } from '../../src/samplers/scheduler.js';
import { numArg } from '../args.js';

const [c0, c1, batch, steps] = [numArg('c0', 16), numArg('c1', 32), numArg('batch', 128), numArg('steps', 3)];
const sampling = numArg('sample', 0) !== 0;
const layers = numArg('layers', 0) !== 0;
const [H, W, N] = [28, 28, 2048];
let s = 1;
const x = Float32Array.from(
  { length: N * H * W },
  () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 31 - 1,
);
const labels = Int32Array.from({ length: N }, (_, i) => i % 10);
const ctx = await requestContext({ profile: true, trace: layers });
const def = unetDef([H, W, 1], 10, makeSchedule('linear', 1000), { c0, c1 });
const data = { x, labels, rows: N, dim: H * W, name: 'synthetic' };
const warm = await train(ctx, def, data, { epochs: 1000, batch, seed: 0, maxSteps: 1, lossEvery: 1 });
const sampleOpts = {
  n: batch,
  classes: Int32Array.from({ length: batch }, (_, i) => i % 10),
  seed: 2,
  scheduler: ddpmScheduler(def.schedule!),
};
if (sampling) await sample(ctx, learnedDenoiser(warm.model), { ...sampleOpts, steps: 1 });
resetProfile(ctx);
resetTrace(ctx);
const t0 = performance.now();
if (sampling) await sample(ctx, learnedDenoiser(warm.model), { ...sampleOpts, steps });
else
  disposeModel(
    (await train(ctx, def, data, { epochs: 1000, batch, seed: 1, maxSteps: steps, lossEvery: steps })).model,
  );
const wall = (performance.now() - t0) / steps;
disposeModel(warm.model);
const rows = profileReport(ctx).sort((a, b) => b.ms - a.ms);
const total = rows.reduce((a, q) => a + q.ms, 0);
console.log(
  `unet ${c0}/${c1} ${sampling ? 'sampling' : 'training'}, batch ${batch}: ${wall.toFixed(0)} ms/step wall, ${(total / steps).toFixed(0)} ms/step in kernels, ${rows.reduce((a, q) => a + q.calls, 0) / steps} dispatches/step`,
);
console.log(formatProfile(rows.slice(0, 25), ctx.profiler!.mode));
if (layers) {
  const shapes = new Map<string, { calls: number; ms: number; flops: number }>();
  for (const d of ctx.profiler!.trace!.dispatches) {
    const key = `${d.kernel} ${(d.flops / 1e6).toFixed(1)} MFLOP ${(d.bytes / 1e6).toFixed(1)} MB`;
    const r = shapes.get(key) ?? { calls: 0, ms: 0, flops: d.flops };
    r.calls++;
    r.ms += d.end - d.start;
    shapes.set(key, r);
  }
  console.log('per kernel and shape, ms per step:');
  for (const [key, r] of [...shapes].sort((a, b) => b[1].ms - a[1].ms).slice(0, 30))
    console.log(
      `  ${(r.ms / steps).toFixed(1).padStart(8)}  ${String(r.calls / steps).padStart(5)} calls  ${((r.flops * r.calls) / r.ms / 1e6).toFixed(1).padStart(6)} GFLOP/s  ${key}`,
    );
}
destroyContext(ctx);
