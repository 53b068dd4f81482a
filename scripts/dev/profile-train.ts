// Per-kernel GPU profile of training steps (where a step's time goes): warm-up step, then timed steps.
//   npx tsx scripts/dev/profile-train.ts [unet16|mlp]
import { requestContext, destroyContext } from '../../src/runtime/context.js';
import { formatProfile, profileReport, resetProfile } from '../../src/runtime/profile.js';
import { loadDataset } from '../../src/data/loaders.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { unetDef } from '../../src/models/unet.js';
import { mlpDef } from '../../src/models/mlp.js';
import { train } from '../../src/models/train.js';
const which = process.argv[2] ?? 'unet16';
const ctx = await requestContext({ profile: true });
const ds = loadDataset(which === 'mlp' ? 'digits' : 'fashion-mnist');
const [N, D] = ds.shape;
const def =
  which === 'mlp'
    ? mlpDef(D, ds.classes, makeSchedule('linear', 1000))
    : unetDef([ds.imageShape![0], ds.imageShape![1], 1], ds.classes, makeSchedule('linear', 1000), { c0: 16, c1: 32 });
const data = { x: ds.x, labels: ds.labels, rows: N, dim: D, name: 'x' };
await train(ctx, def, data, { epochs: 1000, batch: 128, seed: 0, maxSteps: 1, lossEvery: 1 });
resetProfile(ctx);
const t0 = performance.now();
const steps = which === 'mlp' ? 50 : 2;
await train(ctx, def, data, { epochs: 1000, batch: 128, seed: 0, maxSteps: steps, lossEvery: steps });
console.log('ms/step', (performance.now() - t0) / steps);
console.log(formatProfile(profileReport(ctx), ctx.profiler!.mode));
destroyContext(ctx);
