// Kamb & Ganguli patch denoisers (src/models/patch-denoiser.ts), one predictEps call on real data: sklearn digits
// (8x8, all M = 1797 training images, N = 64 queries) and Fashion-MNIST (28x28, N = 16 queries; LS against M = 2000
// training images, ELS against a subset, --fashion-els-m, default 200, since its cost grows as M H W).
// Queries are training images noised at --step (seeded). Correctness first: a few pixels of the first query row
// against the float64 definition (kernels-test/ref/patch-denoiser.ts).
//   npx tsx scripts/bench/patch-denoiser.ts [-- --k 5 --step 300 --reps 3 --fashion-els-m 200 --fashion-els-n 16
//     --cases digits-ls,digits-els,fashion-ls,fashion-els]
// FLOP per call = N H W P (3 k^2 C + 2 C + 4) with P = M (LS) or M H W (ELS) patches per query pixel: 3 flops per
// patch element (x - a y, fma), the softmax update with the exp counted as one. Patch pairs per second = N H W P / s.
import { destroyContext, requestContext } from '../../src/runtime/context.js';
import { sync } from '../../src/runtime/dispatch.js';
import { createTensor, disposeTensor, readback } from '../../src/runtime/tensor.js';
import { loadDigits, loadFashionMnist } from '../../src/data/builtin.js';
import type { Dataset } from '../../src/data/dataset.js';
import { createPatchDenoiser } from '../../src/models/patch-denoiser.js';
import type { PatchMode } from '../../src/models/patch-layout.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { patchDenoiserRef } from '../../kernels-test/ref/patch-denoiser.js';
import { gaussian } from '../../kernels-test/random.js';
import { argOf, provenance, timeIt, writeResult, numArg, strArg } from './common.js';

const k = numArg('k', 5);
const step = numArg('step', 300);
const reps = numArg('reps', 3);
const fashionElsM = numArg('fashion-els-m', 200);
const fashionElsN = numArg('fashion-els-n', 16);
const cases = new Set(strArg('cases', 'digits-ls,digits-els,fashion-ls,fashion-els').split(','));
const schedule = makeSchedule('linear');
const abar = schedule.alphasCumprod[step - 1]!;

const ctx = await requestContext();
const results: unknown[] = [];

async function bench(name: string, ds: Dataset, mode: PatchMode, M: number, N: number): Promise<void> {
  const [, D] = ds.shape;
  const [H, W] = ds.imageShape!;
  const C = D / (H * W);
  const train = {
    x: ds.x.subarray(0, M * D),
    shape: [M, D] as [number, number],
    imageShape: ds.imageShape,
    labels: ds.labels.subarray(0, M),
    classes: ds.classes,
  };
  const den = await createPatchDenoiser(ctx, train, { mode, schedule, patchSize: k });
  const g = gaussian(7);
  const x = Float32Array.from({ length: N * D }, (_, i) => Math.sqrt(abar) * ds.x[i]! + Math.sqrt(1 - abar) * g());
  const xt = createTensor(ctx, [N, D], { data: x, label: 'bench.xt' });
  // 1. correctness: 6 pixels (corners and middle) of row 0 against float64.
  const pixels = [0, W - 1, (H >> 1) * W + (W >> 1), (H - 1) * W, H * W - 1, W + 1];
  const eps = await den.predictEps(ctx, xt, N, step, null);
  const got = await readback(ctx, eps, 0, D);
  disposeTensor(eps);
  const ref = patchDenoiserRef({
    mode,
    train: { data: train.x, count: M, h: H, w: W, c: C },
    xt: x.subarray(0, D),
    n: 1,
    abar,
    k,
    pixels,
  });
  let worst = 0;
  for (const p of pixels)
    for (let c = 0; c < C; c++) worst = Math.max(worst, Math.abs(got[p * C + c]! - ref.eps[p * C + c]!));
  // As in the GPU tests: x0_hat within 3e-4, eps_hat = (x_t - a x0_hat) / sigma within 5e-4 at this noise level.
  if (!(worst <= 5e-4)) throw new Error(`${name} ${mode}: eps_hat off the float64 reference by ${worst}`);
  // 2. one call: predictEps for N rows and waiting for the GPU (no readback).
  const t = await timeIt(
    async () => {
      const e = await den.predictEps(ctx, xt, N, step, null);
      await sync(ctx);
      disposeTensor(e);
    },
    reps,
    1,
  );
  const P = mode === 'ls' ? M : M * H * W;
  const pairs = N * H * W * P;
  const flops = pairs * (3 * k * k * C + 2 * C + 4);
  const line = {
    data: name,
    mode,
    N,
    M,
    H,
    W,
    C,
    k,
    step,
    ms: t,
    pairsPerS: (pairs / t.median) * 1e3,
    GFLOPs: flops / t.median / 1e6,
    maxEpsErrVsF64: worst,
  };
  console.log(
    `${name} ${mode.toUpperCase()} N=${N} M=${M} k=${k}: ${t.median.toFixed(1)} ms (min ${t.min.toFixed(1)}, max ${t.max.toFixed(1)}), ${(line.pairsPerS / 1e9).toFixed(2)} G patch pairs/s, ${line.GFLOPs.toFixed(1)} GFLOP/s; eps vs f64 ${worst.toExponential(1)}`,
  );
  results.push(line);
  disposeTensor(xt);
  den.dispose();
}

const digits = cases.has('digits-ls') || cases.has('digits-els') ? loadDigits() : null;
if (cases.has('digits-ls')) await bench('digits', digits!, 'ls', 1797, 64);
if (cases.has('digits-els')) await bench('digits', digits!, 'els', 1797, 64);
const fashion = cases.has('fashion-ls') || cases.has('fashion-els') ? loadFashionMnist() : null;
if (cases.has('fashion-ls')) await bench('fashion-mnist', fashion!, 'ls', 2000, 16);
if (cases.has('fashion-els')) await bench('fashion-mnist', fashion!, 'els', fashionElsM, fashionElsN);
console.log(
  `wrote ${writeResult(argOf('cases') !== undefined ? `patch-denoiser-${[...cases].join('-')}` : 'patch-denoiser', { bench: 'patch-denoiser', ...provenance(ctx), flopFormula: 'N H W P (3 k^2 C + 2 C + 4), P = M (LS) or M H W (ELS)', results })}`,
);
destroyContext(ctx);
