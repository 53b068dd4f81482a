// Forward-noising throughput: the fused GPU kernel against plain JS, and the engine's idle waiting against
// dawn.node's busy-poll waiting, in the same run. Correctness first: the whole GPU output against plain JS.
// GB/s counts bytes moved: x0 read once (4 N D) plus every output written (4 S N D).
import { destroyContext, requestContext, type WaitMode } from '../runtime/context.js';
import { beginBatch, submit, sync } from '../runtime/dispatch.js';
import { createTensor, disposeTensor } from '../runtime/tensor.js';
import { profileReport, resetProfile } from '../runtime/profile.js';
import { seedKey } from '../runtime/check.js';
import { encodeForwardNoise, forwardNoise, forwardNoisePipeline } from '../kernels/forward_noise.js';
import { makeSchedule, stepsFromList } from '../schedule/schedules.js';
import { forwardNoiseJs } from './peers/noise-js.js';
import { type BenchCase, row, timeIt } from './common.js';

const STEPS = [1, 100, 200, 400, 600, 800, 900, 1000];

export const noiseBench: BenchCase<{ rows: number; cols: number; reps: number }> = {
  name: 'noise',
  summary: 'forward noising at 8 steps (GB/s) vs plain JS; idle vs busy-poll waiting',
  sizes: {
    small: { rows: 1024, cols: 64, reps: 5 },
    medium: { rows: 8192, cols: 256, reps: 10 },
    large: { rows: 16384, cols: 512, reps: 10 },
  },
  async run(env, { rows: N, cols: D, reps }) {
    const S = STEPS.length;
    const seed = 7;
    const schedule = makeSchedule('linear');
    const { steps, abar } = stepsFromList(schedule, STEPS);
    const x0 = new Float32Array(N * D).map((_, i) => Math.sin(i * 0.013) * 2 + ((i * 7) % 11) / 11);
    const bytes = 4 * N * D * (1 + S);
    const shape = `${N} x ${D}, ${S} steps`;
    if (4 * S * N * D > env.ctx.limits.maxStorageBufferBindingSize)
      throw new Error(
        `noise: the kernel-alone timing binds the whole (${S}, ${N}, ${D}) output: ${4 * S * N * D} bytes exceed this device's maxStorageBufferBindingSize of ${env.ctx.limits.maxStorageBufferBindingSize}; use fewer --rows`,
      );

    // 1. correctness: the whole GPU output against plain JS (float64 Box-Muller).
    const gpuOut = (await forwardNoise(env.ctx, x0, [N, D], { schedule, steps: STEPS, seed }))!;
    const jsOut = forwardNoiseJs(x0, N, D, steps, abar, seedKey(seed));
    let maxErr = 0;
    for (let i = 0; i < jsOut.length; i++) maxErr = Math.max(maxErr, Math.abs(gpuOut[i]! - jsOut[i]!));
    // eps is computed in integer fixed point (error <= 2e-7 max(1,|z|)) and the output in f32.
    if (!(maxErr < 1e-5)) throw new Error(`noise: GPU and JS disagree by ${maxErr} (bound 1e-5)`);

    // 2. plain JS, the peer of every row.
    const js = await timeIt(() => forwardNoiseJs(x0, N, D, steps, abar, seedKey(seed)), Math.min(reps, 3), 1);
    const jsPeer = { name: 'plain JS (Philox + Box-Muller loop)', ms: js.median };
    const gbs = (ms: number) => ({ rate: bytes / 1e6 / ms, unit: 'GB/s' });

    // 3. the kernel alone (data on the GPU, no readback) in each wait mode, and end to end. The bench's own
    // context keeps its wait mode; the other mode gets a context of its own.
    const rows = [];
    const detail: Record<string, unknown> = { bytesPerRun: bytes, maxAbsErrVsJs: maxErr, jsMs: js };
    const own = env.ctx.waitMode;
    for (const wait of [own, own === 'idle' ? 'poll' : 'idle'] as WaitMode[]) {
      const ctx = wait === own ? env.ctx : await requestContext({ wait, profile: true });
      const p = await forwardNoisePipeline(ctx);
      const x0T = createTensor(ctx, [N, D], { data: x0, label: 'bench.x0' });
      const outT = createTensor(ctx, [S, N, D], { label: 'bench.out' });
      const stepsT = createTensor(ctx, [S], { dtype: 'u32', data: steps, label: 'bench.steps' });
      const coefT = createTensor(ctx, [S, 2], {
        data: Array.from(abar, (a: number) => [Math.sqrt(a), Math.sqrt(1 - a)]).flat(),
        label: 'bench.coef',
      });
      const run = async () => {
        const b = beginBatch(ctx, 'bench noise');
        encodeForwardNoise(b, p, {
          ...{ x0: x0T, out: outT, steps: stepsT, coef: coefT },
          ...{ rows: N, cols: D, rowOffset: 0, numSteps: S, key: seedKey(seed) },
        });
        submit(b);
        await sync(ctx);
      };
      await run();
      resetProfile(ctx);
      const wall = await timeIt(run, reps);
      // The GPU's own timer where the context profiles (fluctus bench --trace), else wall clock only.
      const timer = ctx.profiler ? profileReport(ctx).find((r) => r.kernel === 'forward_noise') : undefined;
      const e2e = await timeIt(
        () => forwardNoise(ctx, x0, [N, D], { schedule, steps: STEPS, seed }),
        Math.max(3, reps >> 1),
        1,
      );
      [x0T, outT, stepsT, coefT].forEach(disposeTensor);
      if (ctx !== env.ctx) destroyContext(ctx);
      rows.push(row(`kernel, ${wait} wait`, shape, wall, gbs(wall.median), jsPeer));
      rows.push(row(`end to end, ${wait} wait`, shape, e2e, gbs(e2e.median), jsPeer));
      detail[wait] = { kernelGpuTimerMsMean: timer ? timer.ms / timer.calls : null };
    }
    return {
      check: `max |gpu - js| = ${maxErr.toExponential(2)} over ${jsOut.length} values (bound 1e-5)`,
      rows,
      detail,
    };
  },
};
