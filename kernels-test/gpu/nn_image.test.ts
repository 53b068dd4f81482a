// The image-op kernels (im2col / col2im 3x3, AvgPool2, Upsample2, channel concat, per-(n, c) bias and its
// sums) against the float64 references of kernels-test/ref/nn_image.ts at awkward sizes (pooling and concat
// also with channels in vec4s), chunked and whole, accumulate and overwrite, a grid over 65,535
// workgroups, and bad arguments.
import { afterEach, expect, it } from 'vitest';
import { describeGpu } from './device.js';
import {
  blockPlan,
  disposeImageKernels,
  encodeAddChannelBias,
  encodeAvgPool2,
  encodeChannelSum,
  encodeAvgPool2Backward,
  encodeCol2im3x3,
  encodeConcatChannels,
  encodeConcatChannelsBackward,
  encodeIm2col3x3,
  encodeUpsample2,
  encodeUpsample2Backward,
  imageKernels,
  type ImageKernels,
} from '../../src/kernels/nn_image.js';
import {
  addChannelBias,
  avgPool2,
  avgPool2Backward,
  channelSum,
  col2im3x3,
  concatChannels,
  im2col3x3,
  splitChannels,
  upsample2,
  upsample2Backward,
} from '../ref/nn_image.js';
import { expectSameBits } from '../compare.js';
import type { Batch } from '../../src/runtime/dispatch.js';
import { createTensor, disposeTensor } from '../../src/runtime/tensor.js';
import { abs, add, cleanup, down, expectBound, f32, run, up } from './nn_image_host.js';

// (n, h, w, c): 1 pixel, odd sides, a 1-wide image, 5 and 3 channels, 16 channels at 14 x 14.
const SHAPES: [number, number, number, number][] = [
  [1, 1, 1, 1],
  [2, 5, 7, 3],
  [3, 2, 8, 5],
  [1, 14, 14, 16],
  [2, 7, 1, 1],
  [3, 1, 5, 16],
];
const exact = (a: ArrayLike<number>) => Float32Array.from(a);

describeGpu('nn_image', (get) => {
  let k: ImageKernels;
  afterEach(cleanup);
  it('loads the kernels', async () => {
    k = await imageKernels(get());
  });

  it('im2col3x3 is an exact copy, whole and in chunks of pixels', async () => {
    const ctx = get();
    for (const [n, h, w, c] of SHAPES) {
      const d = { n, h, w, c };
      const P = n * h * w;
      const x = f32(P * c, P + c);
      const ref = exact(im2col3x3(x, d));
      const X = up(ctx, x);
      const cols = up(ctx, ref.length);
      run(ctx, (b) => encodeIm2col3x3(b, k, { x: X, cols, ...d }));
      expectSameBits(await down(ctx, cols), ref, `im2col ${d}`);
      // Chunks of 3 pixels (the last one shorter) land at row 0 of their own tensor.
      for (let p0 = 0; p0 < P; p0 += 3) {
        const rows = Math.min(3, P - p0);
        const part = up(ctx, rows * 9 * c);
        run(ctx, (b) => encodeIm2col3x3(b, k, { x: X, cols: part, ...d, rowStart: p0, rows }));
        expectSameBits(
          await down(ctx, part),
          ref.subarray(p0 * 9 * c, (p0 + rows) * 9 * c),
          `im2col chunk ${p0} of ${JSON.stringify(d)}`,
        );
      }
    }
  });

  it('col2im3x3 accumulates the adjoint of im2col; overwrite and chunked give the same values', async () => {
    const ctx = get();
    for (const [n, h, w, c] of SHAPES) {
      const d = { n, h, w, c };
      const P = n * h * w;
      const seed = 7 * P + c;
      const g = f32(P * 9 * c, seed);
      const dx0 = f32(P * c, seed + 1);
      const ref = add(col2im3x3(g, d), dx0);
      // Sums of at most 9 taps plus the initial value, in order: L = 10 terms.
      const scale = add(col2im3x3(abs(g), d), abs(dx0));
      const G = up(ctx, g);
      const DX = up(ctx, dx0);
      run(ctx, (b) => encodeCol2im3x3(b, k, { cols: G, dx: DX, ...d }));
      expectBound(await down(ctx, DX), ref, scale, 10, `col2im += ${JSON.stringify(d)}`, seed);
      // Overwrite mode in chunks of 4 pixels: each chunk's patch rows in their own tensor.
      const DX2 = up(ctx, dx0);
      run(ctx, (b) => {
        let reached = 0;
        for (let p0 = 0; p0 < P; p0 += 4) {
          const rows = Math.min(4, P - p0);
          const part = up(ctx, g.subarray(p0 * 9 * c, (p0 + rows) * 9 * c));
          encodeCol2im3x3(b, k, {
            cols: part,
            dx: DX2,
            ...d,
            rowStart: p0,
            rows,
            accumulate: false,
            overwriteFrom: reached,
          });
          reached = Math.min(P, p0 + rows + w + 1);
        }
      });
      expectBound(
        await down(ctx, DX2),
        col2im3x3(g, d),
        col2im3x3(abs(g), d),
        10,
        `col2im = chunked ${JSON.stringify(d)}`,
        seed,
      );
    }
  });

  it('avgPool2 and upsample2 forward and backward', async () => {
    const ctx = get();
    // (n, h, w, c) of the pooled side's input: even sides.
    for (const [n, h, w, c] of [
      [1, 2, 2, 1],
      [2, 14, 8, 3],
      [3, 2, 14, 5],
      [1, 8, 8, 16],
      // c a multiple of 4 (the vec4 builds) with odd half-sides.
      [2, 6, 10, 4],
      [1, 14, 14, 32],
    ] as const) {
      const d = { n, h, w, c };
      const seed = n * h * w + c;
      const x = f32(n * h * w * c, seed);
      const dyPool = f32((n * h * w * c) / 4, seed + 1);
      const X = up(ctx, x);
      const Y = up(ctx, dyPool.length);
      const DYP = up(ctx, dyPool);
      const DX = up(ctx, f32(x.length, 99));
      run(ctx, (b) => {
        encodeAvgPool2(b, k, { x: X, y: Y, ...d });
        encodeAvgPool2Backward(b, k, { dy: DYP, dx: DX, ...d });
      });
      // 3 adds and an exact multiply by 1/4: L = 3 on the sum of magnitudes / 4.
      expectBound(await down(ctx, Y), avgPool2(x, d), avgPool2(abs(x), d), 3, `avgPool2 ${JSON.stringify(d)}`, seed);
      // dy / 4 is exact in f32.
      const dxPool = await down(ctx, DX);
      expectSameBits(dxPool, exact(avgPool2Backward(dyPool, d)), `avgPool2Backward ${JSON.stringify(d)}`);
      // Accumulated: one f32 add onto dx0, the bits of adding the overwritten gradient.
      const dx0 = f32(x.length, seed + 2);
      const DXA = up(ctx, dx0);
      run(ctx, (b) => encodeAvgPool2Backward(b, k, { dy: DYP, dx: DXA, ...d, accumulate: true }));
      expectSameBits(
        await down(ctx, DXA),
        Float32Array.from(dxPool, (v, i) => dx0[i]! + v),
        `avgPool2Backward += ${JSON.stringify(d)}`,
      );
      // Upsample2 from the small side (n, h/2, w/2, c).
      const s = { n, h: h / 2, w: w / 2, c };
      const U = up(ctx, x.length);
      const DXS = up(ctx, dyPool.length);
      run(ctx, (b) => {
        encodeUpsample2(b, k, { x: DYP, y: U, ...s });
        encodeUpsample2Backward(b, k, { dy: X, dx: DXS, ...s });
      });
      expectSameBits(await down(ctx, U), exact(upsample2(dyPool, s)), `upsample2 ${JSON.stringify(s)}`);
      expectBound(
        await down(ctx, DXS),
        upsample2Backward(x, s),
        upsample2Backward(abs(x), s),
        3,
        `upsample2Backward ${JSON.stringify(s)}`,
        seed,
      );
    }
  });

  it('concatChannels and its backward (overwrite and accumulate)', async () => {
    const ctx = get();
    for (const [pixels, ca, cb] of [
      [1, 1, 1],
      [35, 3, 5],
      [196, 16, 1],
      [7, 5, 16],
      // Both sides multiples of 4: the vec4 builds.
      [1, 4, 4],
      [37, 16, 32],
      [9, 12, 8],
    ] as const) {
      const seed = pixels + ca * 10 + cb;
      const a = f32(pixels * ca, seed);
      const bb = f32(pixels * cb, seed + 1);
      const dy = f32(pixels * (ca + cb), seed + 2);
      const [A, B, Y] = [up(ctx, a), up(ctx, bb), up(ctx, pixels * (ca + cb))];
      const [DY, DA, DB] = [up(ctx, dy), up(ctx, pixels * ca), up(ctx, pixels * cb)];
      const da0 = f32(pixels * ca, seed + 3);
      const db0 = f32(pixels * cb, seed + 4);
      const [DA2, DB2] = [up(ctx, da0), up(ctx, db0)];
      run(ctx, (b) => {
        encodeConcatChannels(b, k, { a: A, ca, b: B, cb, y: Y, pixels });
        encodeConcatChannelsBackward(b, k, { dy: DY, da: DA, ca, db: DB, cb, pixels });
        encodeConcatChannelsBackward(b, k, { dy: DY, da: DA2, ca, db: DB2, cb, pixels, accumulate: true });
      });
      const tag = `concat (${pixels}, ${ca} + ${cb})`;
      expectSameBits(await down(ctx, Y), exact(concatChannels(a, ca, bb, cb, pixels)), tag);
      const { da, db } = splitChannels(dy, ca, cb, pixels);
      expectSameBits(await down(ctx, DA), exact(da), `${tag} da`);
      expectSameBits(await down(ctx, DB), exact(db), `${tag} db`);
      // One f32 add each: L = 1 (gemmBound adds 2 more roundings of slack).
      expectBound(await down(ctx, DA2), add(da, da0), add(abs(da), abs(da0)), 1, `${tag} da +=`);
      expectBound(await down(ctx, DB2), add(db, db0), add(abs(db), abs(db0)), 1, `${tag} db +=`);
    }
  });

  it('concatChannels with its first part upsampled, and the backward: the bits of upsample2 and concat, and of split and upsample2Backward (overwrite and accumulate)', async () => {
    const ctx = get();
    // (n, h, w) of the half-resolution side, ca, cb: 1 x 1 images, odd sides, vec4 builds (both multiples of 4).
    for (const [n, h, w, ca, cb] of [
      [1, 1, 1, 1, 1],
      [2, 3, 5, 3, 5],
      [1, 7, 7, 16, 16],
      [3, 2, 1, 4, 12],
      [2, 7, 7, 32, 16],
    ] as const) {
      const half = { n, h, w };
      const pixels = 4 * n * h * w;
      const seed = pixels + ca * 10 + cb;
      const a = f32(n * h * w * ca, seed);
      const bb = f32(pixels * cb, seed + 1);
      const dy = f32(pixels * (ca + cb), seed + 2);
      const [da0, db0] = [f32(n * h * w * ca, seed + 3), f32(pixels * cb, seed + 4)];
      const [A, B, DY] = [up(ctx, a), up(ctx, bb), up(ctx, dy)];
      const [Y, DA, DB, DA2, DB2] = [
        up(ctx, pixels * (ca + cb)),
        up(ctx, a.length),
        up(ctx, bb.length),
        up(ctx, da0),
        up(ctx, db0),
      ];
      // The two passes it replaces, on the GPU.
      const [U, Y1, DU, DA1, DB1] = [
        up(ctx, pixels * ca),
        up(ctx, pixels * (ca + cb)),
        up(ctx, pixels * ca),
        up(ctx, a.length),
        up(ctx, bb.length),
      ];
      run(ctx, (b) => {
        encodeConcatChannels(b, k, { a: A, ca, b: B, cb, y: Y, pixels, up: half });
        encodeConcatChannelsBackward(b, k, { dy: DY, da: DA, ca, db: DB, cb, pixels, up: half });
        encodeConcatChannelsBackward(b, k, { dy: DY, da: DA2, ca, db: DB2, cb, pixels, up: half, accumulate: true });
        encodeUpsample2(b, k, { x: A, y: U, ...half, c: ca });
        encodeConcatChannels(b, k, { a: U, ca, b: B, cb, y: Y1, pixels });
        encodeConcatChannelsBackward(b, k, { dy: DY, da: DU, ca, db: DB1, cb, pixels });
        encodeUpsample2Backward(b, k, { dy: DU, dx: DA1, ...half, c: ca });
      });
      const tag = `upsampled concat (${JSON.stringify(half)}, ${ca} + ${cb})`;
      const y = await down(ctx, Y);
      expectSameBits(y, exact(concatChannels(upsample2(a, { ...half, c: ca }), ca, bb, cb, pixels)), tag);
      expectSameBits(y, await down(ctx, Y1), `${tag}: y vs upsample2 + concat`);
      const [da, da1] = [await down(ctx, DA), await down(ctx, DA1)];
      expectSameBits(da, da1, `${tag}: da vs split + upsample2Backward`);
      expectSameBits(await down(ctx, DB), await down(ctx, DB1), `${tag}: db vs split`);
      const ref = splitChannels(dy, ca, cb, pixels);
      const s = { ...half, c: ca };
      expectBound(da, upsample2Backward(ref.da, s), upsample2Backward(abs(ref.da), s), 3, `${tag} da`, seed);
      expectSameBits(
        await down(ctx, DA2),
        Float32Array.from(da, (v, i) => da0[i]! + v),
        `${tag} da +=`,
      );
      expectSameBits(
        await down(ctx, DB2),
        Float32Array.from(ref.db, (v, i) => db0[i]! + v),
        `${tag} db +=`,
      );
    }
    const X = up(ctx, 64);
    expect(() =>
      run(ctx, (b) =>
        encodeConcatChannels(b, k, { a: X, ca: 1, b: X, cb: 1, y: up(ctx, 64), pixels: 8, up: { n: 1, h: 1, w: 3 } }),
      ),
    ).toThrow('concatChannels: pixels = 8, but half-resolution images (1, 1, 3) upsample to 12');
  });

  it('addChannelBias (in place and not) and its backward de += sum over pixels, one and two levels', async () => {
    const ctx = get();
    // hw = 1 and 25 sum in one level; 196 and 4000 in blocks (blockPlan) then over the blocks.
    for (const [n, hw, c] of [
      [1, 1, 1],
      [2, 25, 3],
      [3, 196, 5],
      [1, 4000, 16],
      [3, 49, 16],
    ] as const) {
      const seed = n * hw + c;
      const x = f32(n * hw * c, seed);
      const e = f32(n * c, seed + 1);
      const de0 = f32(n * c, seed + 2);
      const [X, E, Y, DE] = [up(ctx, x), up(ctx, e), up(ctx, x.length), up(ctx, de0)];
      const XI = up(ctx, x);
      run(ctx, (b) => {
        encodeAddChannelBias(b, k, { x: X, e: E, y: Y, n, hw, c });
        encodeAddChannelBias(b, k, { x: XI, e: E, y: XI, n, hw, c });
        encodeChannelSum(b, k, { x: X, out: DE, n, hw, c });
      });
      const tag = `channel bias (${n}, ${hw}, ${c})`;
      const ref = addChannelBias(x, e, n, hw, c);
      const scale = addChannelBias(abs(x), abs(e), n, hw, c);
      expectBound(await down(ctx, Y), ref, scale, 1, tag, seed);
      expectBound(await down(ctx, XI), ref, scale, 1, `${tag} in place`, seed);
      // Two levels of in-order f32 sums (blockRows, then blocks) and the += of de0.
      const { blocks, blockRows } = blockPlan(hw, 1);
      expectBound(
        await down(ctx, DE),
        add(channelSum(x, n, hw, c), de0),
        add(channelSum(abs(x), n, hw, c), abs(de0)),
        blockRows + blocks + 1,
        `${tag} backward`,
        seed,
      );
    }
  });

  it('grids of more than 65,535 workgroups: im2col, and col2im back; channel bias over 4.3 M pixels', async () => {
    const ctx = get();
    // im2col: 2 * 350 * 700 pixels * 9 taps / 64 per workgroup = 68,907 workgroups (a 2-D grid); col2im
    // then maps the 4.4 M patch values back (one invocation per pixel).
    const d = { n: 2, h: 350, w: 700, c: 1 };
    const P = d.n * d.h * d.w;
    const x = f32(P * d.c, 5);
    const X = up(ctx, x);
    const cols = up(ctx, P * 9 * d.c);
    const DX = up(ctx, P * d.c);
    run(ctx, (b) => {
      encodeIm2col3x3(b, k, { x: X, cols, ...d });
      encodeCol2im3x3(b, k, { cols, dx: DX, ...d, accumulate: false });
    });
    expectSameBits(await down(ctx, cols), exact(im2col3x3(x, d)), 'im2col large');
    // col2im(im2col(x)) = x times the number of outputs that read each pixel (4 at corners .. 9 inside).
    const span = (v: number, size: number) => (v > 0 ? 1 : 0) + 1 + (v < size - 1 ? 1 : 0);
    const taps = Float64Array.from({ length: P }, (_, q) => span(Math.floor(q / d.w) % d.h, d.h) * span(q % d.w, d.w));
    const ref = Float64Array.from(x, (v, q) => v * taps[q]!);
    expectBound(await down(ctx, DX), ref, abs(ref), 9, 'col2im large');
    // Channel bias, in place, one invocation per pixel: 2 * 2,100,000 pixels / 64 = 65,625 workgroups.
    const hw = 2_100_000;
    const big = f32(2 * hw, 6);
    const e = [0.5, -2];
    const B = up(ctx, big);
    run(ctx, (b) => encodeAddChannelBias(b, k, { x: B, e: up(ctx, e), y: B, n: 2, hw, c: 1 }));
    expectBound(
      await down(ctx, B),
      addChannelBias(big, e, 2, hw, 1),
      addChannelBias(abs(big), abs(e), 2, hw, 1),
      1,
      'channel bias large',
    );
  });

  it('rejects bad arguments with the argument, the value and what is allowed', async () => {
    const ctx = get();
    const X = up(ctx, 2 * 3 * 3);
    const Y = up(ctx, 100);
    const b = { n: 1, h: 3, w: 3, c: 2 };
    const e = (fn: (bt: Batch) => void) => expect(() => run(ctx, fn));
    e((bt) => encodeAvgPool2(bt, k, { x: X, y: Y, ...b })).toThrow('avgPool2: h must be even, got 3');
    e((bt) => encodeIm2col3x3(bt, k, { x: X, cols: Y, ...b })).toThrow(
      'im2col3x3: cols holds 100 elements, needs at least 162',
    );
    e((bt) => encodeIm2col3x3(bt, k, { x: X, cols: Y, ...b, rowStart: 9 })).toThrow(
      'im2col3x3: rowStart must be an integer in [0, 8], got 9',
    );
    e((bt) => encodeIm2col3x3(bt, k, { x: X, cols: X, ...b, c: 0 })).toThrow(
      'im2col3x3: c must be an integer in [1, 2147483647], got 0',
    );
    e((bt) => encodeConcatChannels(bt, k, { a: X, ca: 1, b: X, cb: 1, y: X, pixels: 2 })).toThrow(
      'concatChannels: a and y must be different tensors',
    );
    e((bt) => encodeAddChannelBias(bt, k, { x: Y, e: Y, y: Y, n: 1, hw: 9, c: 2 })).toThrow(
      'addChannelBias: e and y must be different tensors',
    );
    const I = up(ctx, [1, 2, 3], 'ints');
    const U = createTensor(ctx, [18], { dtype: 'u32' });
    e((bt) => encodeUpsample2(bt, k, { x: U as never, y: Y, n: 1, h: 3, w: 3, c: 2 })).toThrow(
      'upsample2: x must have dtype f32, got u32',
    );
    e((bt) => encodeUpsample2(bt, k, { x: I, y: Y, n: 1, h: 3, w: 3, c: 2 })).toThrow(
      'upsample2: x holds 3 elements, needs at least 18',
    );
    disposeTensor(U);
  });

  it('frees its scratch', () => {
    disposeImageKernels(k);
    expect(k.scratch.size).toBe(0);
  });
});
