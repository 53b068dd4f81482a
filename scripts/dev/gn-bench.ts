// GroupNorm + SiLU forward and backward (with a conditioning offset) alone on the U-Net's largest shape
// (per-kernel GPU time).
//   npx tsx scripts/dev/gn-bench.ts [--n 250 --hw 784 --c 16 --groups 8 --reps 10]
import { requestContext, destroyContext } from '../../src/runtime/context.js';
import { formatProfile, profileReport, resetProfile } from '../../src/runtime/profile.js';
import { beginBatch, submit, sync } from '../../src/runtime/dispatch.js';
import { createTensor } from '../../src/runtime/tensor.js';
import { encodeGroupNorm, encodeGroupNormBackward, imageKernels } from '../../src/kernels/nn_image.js';
import { numArg } from '../args.js';

const [n, hw, c, groups, reps] = [
  numArg('n', 250),
  numArg('hw', 784),
  numArg('c', 16),
  numArg('groups', 8),
  numArg('reps', 10),
];
const ctx = await requestContext({ profile: true });
const k = await imageKernels(ctx);
const t = (len: number, fill = 0.5) =>
  createTensor(ctx, [len], { data: Float32Array.from({ length: len }, (_, i) => fill + Math.sin(i)) });
const [x, y, dy, dx] = [t(n * hw * c), t(n * hw * c), t(n * hw * c), t(n * hw * c)];
const [gamma, beta, dg, db] = [t(c, 1), t(c), t(c), t(c)];
const [mean, rstd, shift, e, de] = [t(n * groups), t(n * groups), t(n * c), t(n * c), t(n * c)];
const run = async () => {
  const b = beginBatch(ctx, 'gn');
  for (let r = 0; r < reps; r++) {
    encodeGroupNorm(b, k, { x, y, gamma, beta, mean, rstd, shift, offset: e, n, hw, c, groups, silu: true });
    encodeGroupNormBackward(b, k, {
      x,
      dy,
      gamma,
      shift,
      rstd,
      dx,
      dgamma: dg,
      dbeta: db,
      de,
      silu: true,
      beta,
      n,
      hw,
      c,
      groups,
    });
  }
  submit(b);
  await sync(ctx);
};
await run();
resetProfile(ctx);
await run();
console.log(`groupNorm n ${n} hw ${hw} c ${c} groups ${groups}, ${reps} reps`);
console.log(
  formatProfile(
    profileReport(ctx).sort((a, b) => b.ms - a.ms),
    ctx.profiler!.mode,
  ),
);
destroyContext(ctx);
