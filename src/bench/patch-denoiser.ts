// Kamb & Ganguli patch denoisers (src/models/patch-denoiser.ts), one predictEps call on image data: cases
// <data>-<mode>, data cifar (procedural 32 x 32 x 3, built in), digits (8 x 8, all M = 1797 images, N = 64
// queries) or fashion (28 x 28, N = 16; LS against M = 2000 images, ELS against --els-m, default 200, since its
// cost grows as M H W), mode ls or els. Queries are training images noised at --step (seeded). Correctness
// first: six pixels of the first query row against the float64 definition (kernels-test/ref/patch-denoiser.ts).
// No peer: no library a user would reach for implements these denoisers.
// FLOP per call = N H W P (3 k^2 C + 2 C + 4) with P = M (LS) or M H W (ELS) patches per query pixel: 3 flops
// per patch element (x - a y, fma), the softmax update with the exp counted as one.
import { sync } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback } from '../runtime/tensor.js';
import { loadDigits, loadFashionMnist } from '../data/builtin.js';
import { cifarShaped } from '../data/bench-shapes.js';
import type { Dataset } from '../data/dataset.js';
import { createPatchDenoiser } from '../models/patch-denoiser.js';
import type { PatchMode } from '../models/patch-layout.js';
import { makeSchedule } from '../schedule/schedules.js';
import { patchDenoiserRef } from '../../kernels-test/ref/patch-denoiser.js';
import { gaussian } from '../../kernels-test/random.js';
import { type BenchCase, type BenchEnv, type BenchRow, row, timeIt } from './common.js';

type Params = { cases: string; k: number; step: number; reps: number; elsM: number; elsN: number };

/** Image rows with their (H, W) or (H, W, C) shape (the patch denoisers read C = D / (H W) channels). */
type Images = Omit<Dataset, 'imageShape'> & { imageShape: readonly number[] };

async function one(env: BenchEnv, p: Params, ds: Images, mode: PatchMode, M: number, N: number) {
  const ctx = env.ctx;
  const schedule = makeSchedule('linear');
  const abar = schedule.alphasCumprod[p.step - 1]!;
  const [, D] = ds.shape;
  const [H, W] = ds.imageShape as [number, number];
  const C = D / (H * W);
  const train = {
    x: ds.x.subarray(0, M * D),
    shape: [M, D] as [number, number],
    imageShape: ds.imageShape,
    labels: ds.labels.subarray(0, M),
    classes: ds.classes,
  };
  const den = await createPatchDenoiser(ctx, train, { mode, schedule, patchSize: p.k });
  const g = gaussian(7);
  const x = Float32Array.from({ length: N * D }, (_, i) => Math.sqrt(abar) * ds.x[i]! + Math.sqrt(1 - abar) * g());
  const xt = createTensor(ctx, [N, D], { data: x, label: 'bench.xt' });
  try {
    // 1. correctness: 6 pixels (corners and middle) of row 0 against float64.
    const pixels = [0, W - 1, (H >> 1) * W + (W >> 1), (H - 1) * W, H * W - 1, W + 1];
    const eps = await den.predictEps(ctx, xt, N, p.step, null);
    const got = await readback(ctx, eps, 0, D);
    disposeTensor(eps);
    const ref = patchDenoiserRef({
      ...{ mode, train: { data: train.x, count: M, h: H, w: W, c: C } },
      ...{ xt: x.subarray(0, D), n: 1, abar, k: p.k, pixels },
    });
    let worst = 0;
    for (const px of pixels)
      for (let c = 0; c < C; c++) worst = Math.max(worst, Math.abs(got[px * C + c]! - ref.eps[px * C + c]!));
    // As in the GPU tests: x0_hat within 3e-4, eps_hat = (x_t - a x0_hat) / sigma within 5e-4 at this noise level.
    if (!(worst <= 5e-4)) throw new Error(`patch: ${ds.name} ${mode}: eps_hat off the float64 reference by ${worst}`);
    // 2. one call: predictEps for N rows and waiting for the GPU (no readback).
    const run = async () => {
      const e = await den.predictEps(ctx, xt, N, p.step, null);
      await sync(ctx);
      disposeTensor(e);
    };
    const t = await timeIt(run, p.reps, 1);
    const P = mode === 'ls' ? M : M * H * W;
    const flops = N * H * W * P * (3 * p.k * p.k * C + 2 * C + 4);
    const shape = `${N} queries, M ${M}, ${H}x${W}x${C}, k ${p.k}`;
    return {
      row: row(`${ds.name} ${mode.toUpperCase()}`, shape, t, { rate: flops / t.median / 1e6, unit: 'GFLOP/s' }, null),
      worst,
    };
  } finally {
    disposeTensor(xt);
    den.dispose();
  }
}

export const patchBench: BenchCase<Params> = {
  name: 'patch',
  summary: 'LS / ELS patch denoisers (Kamb & Ganguli): one predictEps call on images',
  sizes: {
    small: { cases: 'cifar-ls,cifar-els', k: 5, step: 300, reps: 3, elsM: 20, elsN: 4 },
    medium: { cases: 'digits-ls,digits-els', k: 5, step: 300, reps: 3, elsM: 200, elsN: 16 },
    large: { cases: 'digits-ls,digits-els,fashion-ls,fashion-els', k: 5, step: 300, reps: 3, elsM: 200, elsN: 16 },
  },
  async run(env, p) {
    if (!Number.isInteger(p.step) || p.step < 1 || p.step > 1000)
      throw new Error(`patch: --step must be an integer in [1, 1000], got ${p.step}`);
    const rows: BenchRow[] = [];
    const checks: string[] = [];
    const cache = new Map<string, Images>();
    const load = (name: string) => {
      const make: Record<string, () => Images> = {
        cifar: () => ({ ...cifarShaped({ perClass: 20, seed: 1 }), imageShape: [32, 32, 3] }),
        digits: () => ({ ...loadDigits(), imageShape: [8, 8] }),
        fashion: () => ({ ...loadFashionMnist(), imageShape: [28, 28] }),
      };
      if (!(name in make)) throw new Error(`patch: data '${name}' is not one of ${Object.keys(make).join(', ')}`);
      if (!cache.has(name)) cache.set(name, make[name]!());
      return cache.get(name)!;
    };
    for (const c of String(p.cases).split(',')) {
      const [data, mode] = c.split('-') as [string, string];
      if (mode !== 'ls' && mode !== 'els') throw new Error(`patch: case '${c}' is not <data>-ls or <data>-els`);
      const ds = load(data);
      const [M, N] =
        mode === 'els' && data !== 'digits'
          ? [p.elsM, p.elsN]
          : data === 'digits'
            ? [ds.shape[0], 64]
            : [Math.min(2000, ds.shape[0]), 16];
      const r = await one(env, p, ds, mode, Math.min(M, ds.shape[0]), N);
      rows.push(r.row);
      checks.push(`${c} ${r.worst.toExponential(1)}`);
    }
    return {
      check: `eps_hat at 6 pixels within 5e-4 of float64: ${checks.join(', ')}`,
      rows,
      detail: { flopFormula: 'N H W P (3 k^2 C + 2 C + 4), P = M (LS) or M H W (ELS)' },
    };
  },
};
