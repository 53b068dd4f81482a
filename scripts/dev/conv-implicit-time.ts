// The implicit-GEMM convolution (src/kernels/conv3x3_implicit.ts) against im2col + GEMM (the autotuned
// plans of nn_image_conv.ts) for one layer of the U-Net: forward y = conv(x) and the input gradient
// dx = conv^T(dY), checked against each other first, then timed (wall clock around submit + wait, best
// of --rounds); each tile height with scalar loads and with the vec4 builds (when the channels allow),
// interleaved (the forward pass also in 1-row tiles). Development only.
//   npx tsx scripts/dev/conv-implicit-time.ts [--n 128 --h 28 --cin 16 --cout 16 --rounds 3 --bias 0]
import { requestContext } from '../../src/runtime/context.js';
import { beginBatch, submit, sync, type Batch } from '../../src/runtime/dispatch.js';
import { createTensor, readback } from '../../src/runtime/tensor.js';
import { conv3x3Kernels, encodeConv3x3Backward, encodeConv3x3Forward } from '../../src/kernels/nn_image_conv.js';
import {
  encodeConv3x3Implicit,
  IMPLICIT_ROWS_WITH_1,
  IMPLICIT_ROWS,
  implicitConvPlan,
} from '../../src/kernels/conv3x3_implicit.js';
import { numArg } from '../args.js';

const [n, h, cin, cout, rounds] = [
  numArg('n', 128),
  numArg('h', 28),
  numArg('cin', 16),
  numArg('cout', 16),
  numArg('rounds', 3),
];
const w = h;
const P = n * h * w;
const ctx = await requestContext({ wait: 'poll' });
const fill = (len: number, s: number) => Float32Array.from({ length: len }, (_, i) => Math.sin(s * i + 1));
const x = createTensor(ctx, [P * cin], { data: fill(P * cin, 0.37) });
const wt = createTensor(ctx, [cout * 9 * cin], { data: fill(cout * 9 * cin, 0.11) });
const dy = createTensor(ctx, [P * cout], { data: fill(P * cout, 0.23) });
const y = createTensor(ctx, [P * cout]);
const dx = createTensor(ctx, [P * cin]);
const dw = createTensor(ctx, [cout * 9 * cin]);
// --bias 1: the forward passes add a bias (as every U-Net convolution does).
const bias = numArg('bias', 0) ? createTensor(ctx, [cout], { data: fill(cout, 0.7) }) : undefined;
const k = await conv3x3Kernels(ctx, { n, h, w, cin, cout }, { path: 'gemm' });
const time = async (f: (b: Batch) => void) => {
  let best = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    const b = beginBatch(ctx, 'conv-implicit-time');
    f(b);
    submit(b);
    await sync(ctx);
    best = Math.min(best, performance.now() - t0);
  }
  return best;
};
const maxDiff = (u: Float32Array, v: Float32Array) => u.reduce((m, a, i) => Math.max(m, Math.abs(a - v[i]!)), 0);
for (const mode of ['forward', 'inputGrad'] as const) {
  const out = mode === 'forward' ? y : dx;
  const gemm = (b: Batch) =>
    mode === 'forward'
      ? encodeConv3x3Forward(b, k, { x, weight: wt, bias, y, n, h, w })
      : encodeConv3x3Backward(b, k, { x, weight: wt, dy, dweight: dw, dx, accumulateDx: false, n, h, w });
  const gemmMs = await time(gemm);
  const want = await readback(ctx, out);
  const flops = 2 * P * cin * cout * 9;
  console.log(
    `${mode} n ${n} ${h}x${w} ${cin} -> ${cout}: im2col + GEMM ${gemmMs.toFixed(1)} ms${mode === 'inputGrad' ? ' (with dW)' : ''}`,
  );
  for (const rows of mode === 'forward' ? IMPLICIT_ROWS_WITH_1 : IMPLICIT_ROWS) {
    const plan = await implicitConvPlan(ctx, rows, mode);
    // The scalar-load builds in the vec4 slots: what runs when the channels are not a multiple of 4.
    const scalar = { ...plan, vec4: plan.pipeline, vec4WithBias: plan.withBias };
    for (const [loads, p] of [
      ['scalar', scalar],
      ['vec4', plan],
    ] as const) {
      const src = mode === 'forward' ? x : dy;
      const withBias = mode === 'forward' ? { bias } : {};
      const run = (b: Batch) =>
        encodeConv3x3Implicit(b, p, { mode, weight: wt, src, out, n, h, w, cin, cout, ...withBias });
      const ms = await time(run);
      const got = await readback(ctx, out);
      console.log(
        `  implicit rows ${rows}, ${loads} loads: ${ms.toFixed(1)} ms, ${(flops / ms / 1e6).toFixed(1)} GFLOP/s, max |diff| ${maxDiff(got, want).toExponential(2)}`,
      );
    }
  }
}
