// Forward-noising throughput: the fused GPU kernel against plain JS, and the engine's idle waiting
// against dawn.node's busy-poll waiting, in the same run. Correctness is checked first.
//   npm run bench:noise [-- --rows 8192 --cols 256 --reps 10]
// GB/s counts bytes moved: x0 read once (4 N D) plus every output written (4 S N D).
import { destroyContext, requestContext, type WaitMode } from '../../src/runtime/context.js';
import { beginBatch, submit, sync } from '../../src/runtime/dispatch.js';
import { createTensor, disposeTensor } from '../../src/runtime/tensor.js';
import { profileReport, resetProfile } from '../../src/runtime/profile.js';
import { encodeForwardNoise, forwardNoise, forwardNoisePipeline } from '../../src/kernels/forward_noise.js';
import { makeSchedule, stepsFromList } from '../../src/schedule/schedules.js';
import { seedKey } from '../../src/runtime/check.js';
import { forwardNoiseJs } from './peers/noise-js.js';
import { provenance, timeIt, writeResult, numArg } from './common.js';

const N = numArg('rows', 8192);
const D = numArg('cols', 256);
const reps = numArg('reps', 10);
const stepList = [1, 100, 200, 400, 600, 800, 900, 1000];
const S = stepList.length;
const seed = 7;
const schedule = makeSchedule('linear');
const { steps, abar } = stepsFromList(schedule, stepList);
const x0 = new Float32Array(N * D).map((_, i) => Math.sin(i * 0.013) * 2 + ((i * 7) % 11) / 11);
const bytes = 4 * N * D * (1 + S);

// 1. correctness: the whole GPU output against plain JS (float64 Box-Muller).
const check = await requestContext({ wait: 'poll' });
const gpuOut = (await forwardNoise(check, x0, [N, D], { schedule, steps: stepList, seed }))!;
const jsOut = forwardNoiseJs(x0, N, D, steps, abar, seedKey(seed));
let maxErr = 0;
for (let i = 0; i < jsOut.length; i++) maxErr = Math.max(maxErr, Math.abs(gpuOut[i]! - jsOut[i]!));
const prov = provenance(check);
destroyContext(check);
// eps is computed in integer fixed point (error <= 2e-7 max(1,|z|)) and the output in f32.
if (!(maxErr < 1e-5)) throw new Error(`noise bench: GPU and JS disagree by ${maxErr}`);
console.log(`correct: max |gpu - js| = ${maxErr.toExponential(2)} over ${jsOut.length} values`);

// 2. the kernel alone (data on the GPU, no readback), in each wait mode, and end to end.
const gpu: Record<string, unknown> = {};
for (const wait of ['poll', 'idle'] as WaitMode[]) {
  const ctx = await requestContext({ wait, profile: true });
  if (4 * S * N * D > ctx.limits.maxStorageBufferBindingSize) {
    throw new Error(
      `noise bench: the kernel-alone timing binds the whole (${S}, ${N}, ${D}) output: ` +
        `${4 * S * N * D} bytes exceed this device's maxStorageBufferBindingSize of ${ctx.limits.maxStorageBufferBindingSize}; use fewer --rows`,
    );
  }
  const p = await forwardNoisePipeline(ctx);
  const x0T = createTensor(ctx, [N, D], { data: x0 });
  const outT = createTensor(ctx, [S, N, D]);
  const stepsT = createTensor(ctx, [S], { dtype: 'u32', data: steps });
  const coefT = createTensor(ctx, [S, 2], {
    data: Array.from(abar, (a: number) => [Math.sqrt(a), Math.sqrt(1 - a)]).flat(),
  });
  const run = async () => {
    const b = beginBatch(ctx, 'bench');
    encodeForwardNoise(b, p, {
      x0: x0T,
      out: outT,
      steps: stepsT,
      coef: coefT,
      rows: N,
      cols: D,
      rowOffset: 0,
      numSteps: S,
      key: seedKey(seed),
    });
    submit(b);
    await sync(ctx);
  };
  await run();
  resetProfile(ctx);
  const wall = await timeIt(run, reps);
  const gpuMs = profileReport(ctx).find((r) => r.kernel === 'forward_noise')!;
  const e2e = await timeIt(
    () => forwardNoise(ctx, x0, [N, D], { schedule, steps: stepList, seed }),
    Math.max(3, reps / 2),
    1,
  );
  gpu[wait] = {
    kernelWallMs: wall,
    kernelGpuMsMean: gpuMs.ms / gpuMs.calls,
    kernelGBs: bytes / 1e6 / wall.median,
    endToEndMs: e2e,
    endToEndGBs: bytes / 1e6 / e2e.median,
  };
  console.log(
    `${wait.padEnd(4)}: kernel ${wall.median.toFixed(1)} ms (${(bytes / 1e6 / wall.median).toFixed(2)} GB/s, GPU timer ${(gpuMs.ms / gpuMs.calls).toFixed(1)} ms), end to end ${e2e.median.toFixed(1)} ms`,
  );
  [x0T, outT, stepsT, coefT].forEach(disposeTensor);
  destroyContext(ctx);
}

// 3. the plain-JS peer.
const js = await timeIt(() => forwardNoiseJs(x0, N, D, steps, abar, seedKey(seed)), 3, 1);
console.log(`js  : ${js.median.toFixed(1)} ms (${(bytes / 1e6 / js.median).toFixed(2)} GB/s)`);

const g = gpu as Record<WaitMode, { kernelWallMs: { median: number }; endToEndMs: { median: number } }>;
const result = {
  bench: 'noise',
  ...prov,
  shape: { rows: N, cols: D, steps: S },
  bytesPerRun: bytes,
  maxAbsErrVsJs: maxErr,
  gpu,
  js: { ms: js, GBs: bytes / 1e6 / js.median },
  ratios: {
    idleOverPollKernelSpeed: g.poll.kernelWallMs.median / g.idle.kernelWallMs.median,
    gpuIdleOverJsEndToEnd: js.median / g.idle.endToEndMs.median,
    gpuIdleOverJsKernel: js.median / g.idle.kernelWallMs.median,
  },
};
console.log(JSON.stringify(result.ratios));
console.log(`wrote ${writeResult('noise', result)}`);
