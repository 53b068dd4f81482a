// The three GEMMs and the im2col of one 3x3 convolution layer of the U-Net, timed one by one (wall clock
// around submit + wait): which part of a training step's convolution time is which. (A direct implicit-GEMM
// kernel, 4 or 8 pixels x 4 or 8 output channels per invocation, was tried against these on lavapipe and
// ran at 0.4-7 GFLOP/s against the GEMMs' 9-20: it was not kept.)
//   npx tsx scripts/dev/conv-gemm-time.ts [--n 128 --h 28 --cin 16 --cout 16]
import { requestContext, destroyContext } from '../../src/runtime/context.js';
import { beginBatch, submit, sync } from '../../src/runtime/dispatch.js';
import { createTensor } from '../../src/runtime/tensor.js';
import { encodeMatmul } from '../../src/kernels/matmul.js';
import { conv3x3Kernels } from '../../src/kernels/nn_image_conv.js';
import { encodeIm2col3x3 } from '../../src/kernels/nn_image_ops.js';
import { timeIt } from '../../src/bench/common.js';
import { numArg } from '../args.js';

const [n, h, cin, cout] = [numArg('n', 128), numArg('h', 28), numArg('cin', 16), numArg('cout', 16)];
const w = h;
const P = n * h * w;
const width = 9 * cin;
const ctx = await requestContext();
const k = await conv3x3Kernels(ctx, { n, h, w, cin, cout });
const x = createTensor(ctx, [P * cin], { data: Float32Array.from({ length: P * cin }, (_, i) => Math.sin(i)) });
const wt = createTensor(ctx, [cout * width], {
  data: Float32Array.from({ length: cout * width }, (_, i) => Math.cos(i)),
});
const y = createTensor(ctx, [P * cout]);
const dw = createTensor(ctx, [cout * width]);
const one = async (f: (b: ReturnType<typeof beginBatch>) => void) => {
  const b = beginBatch(ctx, 'dev');
  f(b);
  submit(b);
  await sync(ctx);
};
const parts: [string, number, (b: ReturnType<typeof beginBatch>) => void][] = [
  ['im2col', 0, (b) => encodeIm2col3x3(b, k.image, { x, cols: k.cols, n, h, w, c: cin, rowStart: 0, rows: P })],
  [
    'forward  cols W^T',
    2 * P * width * cout,
    (b) => encodeMatmul(b, k.forward, { a: k.cols, b: wt, c: y, m: P, n: cout, k: width, transB: true }),
  ],
  [
    'weight   dY^T cols',
    2 * P * width * cout,
    (b) =>
      encodeMatmul(b, k.weightGrad, {
        a: y,
        b: k.cols,
        c: dw,
        m: cout,
        n: width,
        k: P,
        transA: true,
        lda: cout,
        beta: 1,
      }),
  ],
  [
    'input    dY W',
    2 * P * width * cout,
    (b) => encodeMatmul(b, k.inputGrad, { a: y, b: wt, c: k.cols, m: P, n: width, k: cout }),
  ],
];
console.log(`conv ${n} x ${h} x ${w}, ${cin} -> ${cout}; chunk rows ${k.chunkRows}`);
for (const [name, flops, f] of parts) {
  const t = await timeIt(() => one(f), 5, 1);
  const plan = name.startsWith('forward')
    ? k.forward
    : name.startsWith('weight')
      ? k.weightGrad
      : name.startsWith('input')
        ? k.inputGrad
        : null;
  console.log(
    `${name.padEnd(20)} ${t.median.toFixed(1)} ms${flops ? ` ${(flops / t.median / 1e6).toFixed(1)} GFLOP/s` : ''} ${plan ? JSON.stringify(plan.build) : ''}`,
  );
}
destroyContext(ctx);
