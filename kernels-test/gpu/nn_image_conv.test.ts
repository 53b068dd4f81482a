// conv3x3 forward and backward (im2col + matmul + bias kernels, and the implicit GEMM of the forward
// product and dx with 8, 16 and 32 rows per tile, with scalar and vec4 loads) against the direct float64 convolution of
// kernels-test/ref/nn_image.ts: awkward sizes, accumulation into the gradients, chunked patch matrices
// (y and db: same bits as one chunk), dx overwrite mode, no bias / no dx, the autotuned path, bad arguments.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { adapterKey } from '../../src/kernels/autotune.js';
import { describeGpu } from './device.js';
import {
  conv3x3Kernels,
  disposeConv3x3Kernels,
  disposeImageKernels,
  encodeConv3x3Backward,
  encodeConv3x3Forward,
  imageKernels,
  type ImageKernels,
} from '../../src/kernels/nn_image.js';
import { GEMM_BUILDS } from '../../src/kernels/matmul.js';
import type { ConvPath } from '../../src/kernels/nn_image_conv.js';
import {
  dwSplits,
  encodeConv3x3Implicit,
  encodeConv3x3ImplicitDw,
  IMPLICIT_ROWS,
  implicitConvPlan,
  implicitDwPlan,
  implicitRuns,
} from '../../src/kernels/conv3x3_implicit.js';
import type { Context } from '../../src/runtime/context.js';
import { conv3x3, conv3x3Backward, type ConvDims } from '../ref/nn_image.js';
import { expectSameBits } from '../compare.js';
import { abs, add, cleanup, down, expectBound, f32, run, up } from './nn_image_host.js';

// lavapipe compiles a pipeline at its first dispatch: a 32-row implicit build takes about 20 s, and a test
// that runs several builds of several heights with a cold shader cache (a fresh machine, as in CI) needs
// more than the default 120 s.
const COLD_COMPILE_MS = 360_000;

// A scalar build serves all three transpose pairs and skips autotuning (every build sums in the same order).
const build = GEMM_BUILDS.find((b) => !b.vec4 && !b.tiled && b.tm === 4 && b.tn === 4)!;

// (n, h, w, cin, cout): 1 x 1 images, odd sides, 1-wide images, c in 1, 3, 5, 16.
const CASES: ConvDims[] = [
  { n: 1, h: 1, w: 1, cin: 1, cout: 1 },
  { n: 2, h: 5, w: 7, cin: 3, cout: 5 },
  { n: 3, h: 2, w: 8, cin: 5, cout: 16 },
  { n: 1, h: 14, w: 14, cin: 16, cout: 3 },
  { n: 2, h: 7, w: 1, cin: 1, cout: 16 },
  { n: 3, h: 5, w: 5, cin: 16, cout: 1 },
  // More than two 32-row tiles of output channels (forward) and of input channels (dx).
  { n: 1, h: 3, w: 5, cin: 67, cout: 70 },
  // Both sides multiples of 4 but not of 8 (the vec4 builds, forward and dx) with partial tiles.
  { n: 2, h: 9, w: 11, cin: 12, cout: 20 },
];

interface Data {
  x: Float32Array;
  W: Float32Array;
  b: Float32Array;
  dy: Float32Array;
  dW0: Float32Array;
  db0: Float32Array;
  dx0: Float32Array;
}

function data(d: ConvDims, seed: number): Data {
  const P = d.n * d.h * d.w;
  const K = 9 * d.cin;
  return {
    x: f32(P * d.cin, seed),
    W: f32(d.cout * K, seed + 1, 1 / Math.sqrt(K)),
    b: f32(d.cout, seed + 2),
    dy: f32(P * d.cout, seed + 3),
    dW0: f32(d.cout * K, seed + 4),
    db0: f32(d.cout, seed + 5),
    dx0: f32(P * d.cin, seed + 6),
  };
}

/** A case's data (seeded by its shape) and its x, W, b and dY on the GPU. */
function uploaded(ctx: Context, d: ConvDims) {
  const seed = d.n * 100 + d.h * 10 + d.w + d.cin + d.cout;
  const v = data(d, seed);
  return { seed, v, X: up(ctx, v.x), W: up(ctx, v.W), B: up(ctx, v.b), DY: up(ctx, v.dy) };
}

describeGpu('nn_image conv3x3', (get) => {
  let image: ImageKernels;
  beforeAll(async () => {
    image = await imageKernels(get());
  });
  afterAll(() => disposeImageKernels(image));
  afterEach(cleanup);

  /** Runs forward and backward on the GPU; returns y, dW, db, dx (gradients start at dW0, db0, dx0). */
  async function gpu(d: ConvDims, v: Data, maxScratchBytes?: number, accumulateDx = true, path?: ConvPath | 'auto') {
    const ctx = get();
    const k = await conv3x3Kernels(
      ctx,
      d,
      path === 'auto' ? { image, maxScratchBytes } : { build, image, maxScratchBytes, path },
    );
    const [X, W, B, Y, DY] = [up(ctx, v.x), up(ctx, v.W), up(ctx, v.b), up(ctx, v.dy.length), up(ctx, v.dy)];
    const [DW, DB, DX] = [up(ctx, v.dW0), up(ctx, v.db0), up(ctx, v.dx0)];
    run(ctx, (bt) => {
      encodeConv3x3Forward(bt, k, { x: X, weight: W, bias: B, y: Y, n: d.n, h: d.h, w: d.w });
      encodeConv3x3Backward(bt, k, {
        x: X,
        weight: W,
        dy: DY,
        dweight: DW,
        dbias: DB,
        dx: DX,
        accumulateDx,
        n: d.n,
        h: d.h,
        w: d.w,
      });
    });
    const out = {
      y: await down(ctx, Y),
      dW: await down(ctx, DW),
      db: await down(ctx, DB),
      dx: await down(ctx, DX),
      chunkRows: k.chunkRows,
    };
    disposeConv3x3Kernels(k);
    return out;
  }

  for (const d of CASES) {
    it(`forward and backward match the direct float64 convolution for ${JSON.stringify(d)}`, async () => {
      const seed = d.n * 1000 + d.h * 100 + d.w * 10 + d.cin + d.cout;
      const v = data(d, seed);
      const P = d.n * d.h * d.w;
      const got = await gpu(d, v);
      // y: a 9 cin FMA recursion (matmul), then the bias add: L = 9 cin + 1 on sum |W||x| + |b|.
      expectBound(got.y, conv3x3(v.x, v.W, v.b, d), conv3x3(abs(v.x), abs(v.W), abs(v.b), d), 9 * d.cin + 1, 'y', seed);
      const ref = conv3x3Backward(v.x, v.W, v.dy, d);
      const mag = conv3x3Backward(abs(v.x), abs(v.W), abs(v.dy), d);
      // dW: FMA recursion over the P pixels onto dW0 (beta = 1).
      expectBound(got.dW, add(ref.dweight, v.dW0), add(mag.dweight, abs(v.dW0)), P + 1, 'dweight', seed);
      // db: sums over P pixels in two levels (each at most P terms) onto db0.
      expectBound(got.db, add(ref.dbias, v.db0), add(mag.dbias, abs(v.db0)), P + 1, 'dbias', seed);
      // dx: dcols = dY W (cout terms), then at most 9 taps and the += of dx0.
      expectBound(got.dx, add(ref.dx, v.dx0), add(mag.dx, abs(v.dx0)), d.cout + 10, 'dx', seed);
    });
  }

  /** On a device without subgroups the implicit path must be refused, naming what is missing (then true). */
  async function refusedWithoutSubgroups(path: 8 | 16 | 32): Promise<boolean> {
    const ctx = get();
    if (implicitRuns(ctx)) return false;
    await expect(conv3x3Kernels(ctx, CASES[1]!, { image, path })).rejects.toThrow(/needs the subgroups feature/);
    return true;
  }

  for (const path of [8, 16, 32] as const) {
    it(
      `implicit GEMM, ${path} rows per tile: y (same bits as im2col + GEMM) and dx (accumulated and overwritten) match float64 on every case`,
      async () => {
        if (await refusedWithoutSubgroups(path)) return;
        for (const d of CASES) {
          const seed = d.n * 1000 + d.h * 100 + d.w * 10 + d.cin + d.cout + path;
          const v = data(d, seed);
          const P = d.n * d.h * d.w;
          const got = await gpu(d, v, undefined, true, path);
          const plain = await gpu(d, v, undefined, true, 'gemm');
          const label = `${JSON.stringify(d)} rows ${path}`;
          // The same products summed over k = (tap, channel) in the same order as the patch-matrix GEMM.
          expectSameBits(got.y, plain.y, `y ${label}`);
          const ref = conv3x3Backward(v.x, v.W, v.dy, d);
          const mag = conv3x3Backward(abs(v.x), abs(v.W), abs(v.dy), d);
          // dx: one FMA recursion over 9 cout (tap, channel) terms, then beta = 1 adds dx0.
          expectBound(got.dx, add(ref.dx, v.dx0), add(mag.dx, abs(v.dx0)), 9 * d.cout + 1, `dx ${label}`, seed);
          // dW: pixel splits of FMA chains, then their sum onto dW0: P + 1 terms in some order.
          expectBound(got.dW, add(ref.dweight, v.dW0), add(mag.dweight, abs(v.dW0)), P + 1, `dW ${label}`, seed);
          const over = await gpu(d, v, undefined, false, path);
          expectBound(over.dx, ref.dx, mag.dx, 9 * d.cout, `dx overwritten ${label}`, seed);
        }
      },
      COLD_COMPILE_MS,
    );
  }

  for (const rows of IMPLICIT_ROWS) {
    it(
      `implicit GEMM with vec4 loads, ${rows} rows per tile: the same bits as with scalar loads (forward with bias and beta, dx, dW)`,
      async () => {
        if (await refusedWithoutSubgroups(rows)) return;
        const ctx = get();
        // Channels multiples of 4 (the vec4 builds of the forward and dx run) and of 8 (those of dW); odd
        // sides, partial tiles of rows, pixels and columns.
        for (const d of [
          { n: 2, h: 9, w: 11, cin: 12, cout: 20 },
          { n: 1, h: 5, w: 3, cin: 8, cout: 36 },
          { n: 3, h: 7, w: 7, cin: 16, cout: 16 },
        ]) {
          const { v, X, W, B, DY } = uploaded(ctx, d);
          for (const mode of ['forward', 'inputGrad'] as const) {
            const plan = await implicitConvPlan(ctx, rows, mode);
            const scalar = { ...plan, vec4: plan.pipeline, vec4WithBias: plan.withBias };
            const fwd = mode === 'forward';
            const outs = [];
            for (const p of [plan, scalar]) {
              const out = up(ctx, fwd ? v.dy : v.dx0);
              run(ctx, (bt) =>
                encodeConv3x3Implicit(bt, p, {
                  mode,
                  weight: W,
                  src: fwd ? X : DY,
                  out,
                  ...d,
                  alpha: 0.75,
                  beta: fwd ? 0.5 : 1,
                  bias: fwd ? B : undefined,
                }),
              );
              outs.push(await down(ctx, out));
            }
            expectSameBits(outs[0]!, outs[1]!, `${mode} ${JSON.stringify(d)} rows ${rows}: vec4 vs scalar loads`);
          }
          const plan = await implicitDwPlan(ctx, rows);
          const dws = [];
          for (const p of [plan, { ...plan, vec4: plan.pipeline }]) {
            const [dweight, part] = [up(ctx, v.dW0), up(ctx, 4 * d.cout * 9 * d.cin)];
            run(ctx, (bt) => encodeConv3x3ImplicitDw(bt, p, { x: X, dy: DY, dweight, part, ...d }));
            dws.push(await down(ctx, dweight));
          }
          expectSameBits(dws[0]!, dws[1]!, `dW ${JSON.stringify(d)} rows ${rows}: vec4 vs scalar loads`);
        }
      },
      COLD_COMPILE_MS,
    );
  }

  it(
    'implicit GEMM, 1 row per tile (forward with bias, alpha and beta; dW): the same bits as 8-row tiles',
    async () => {
      if (await refusedWithoutSubgroups(8)) return;
      const ctx = get();
      // One and three output rows; cin a multiple of 4 (the vec4 build) and not (scalar); odd sides, batch 1.
      for (const d of [
        { n: 2, h: 9, w: 11, cin: 16, cout: 1 },
        { n: 1, h: 5, w: 7, cin: 3, cout: 1 },
        { n: 3, h: 7, w: 5, cin: 8, cout: 3 },
      ]) {
        const { seed, v, X, W, B } = uploaded(ctx, d);
        const outs = [];
        for (const rows of [1, 8] as const) {
          const plan = await implicitConvPlan(ctx, rows, 'forward');
          const out = up(ctx, v.dy);
          const args = { mode: 'forward' as const, weight: W, src: X, out, ...d, alpha: 0.75, beta: 0.5, bias: B };
          run(ctx, (bt) => encodeConv3x3Implicit(bt, plan, args));
          outs.push(await down(ctx, out));
        }
        expectSameBits(outs[0]!, outs[1]!, `${JSON.stringify(d)}: 1-row vs 8-row tiles`);
        const P = d.n * d.h * d.w;
        const ref = conv3x3(v.x, v.W, v.b, d).map(
          (y, i) => 0.75 * (y - v.b[i % d.cout]!) + 0.5 * v.dy[i]! + v.b[i % d.cout]!,
        );
        const mag = conv3x3(abs(v.x), abs(v.W), abs(v.b), d).map((y, i) => y + Math.abs(v.dy[i]!));
        expect(ref.length).toBe(P * d.cout);
        expectBound(outs[0]!, ref, mag, 9 * d.cin + 3, `y ${JSON.stringify(d)} rows 1`, seed);
        // dW (cout rows): pixel splits reduced onto dW0.
        const DY = up(ctx, v.dy);
        const dws = [];
        for (const rows of [1, 8] as const) {
          const plan = await implicitDwPlan(ctx, rows);
          const [dweight, part] = [up(ctx, v.dW0), up(ctx, 4 * d.cout * 9 * d.cin)];
          run(ctx, (bt) => encodeConv3x3ImplicitDw(bt, plan, { x: X, dy: DY, dweight, part, ...d }));
          dws.push(await down(ctx, dweight));
        }
        expectSameBits(dws[0]!, dws[1]!, `dW ${JSON.stringify(d)}: 1-row vs 8-row tiles`);
        const bwd = conv3x3Backward(v.x, v.W, v.dy, d);
        const bmag = conv3x3Backward(abs(v.x), abs(v.W), abs(v.dy), d);
        expectBound(
          dws[0]!,
          add(bwd.dweight, v.dW0),
          add(bmag.dweight, abs(v.dW0)),
          P + 1,
          `dW ${JSON.stringify(d)} rows 1`,
          seed,
        );
      }
      await expect(implicitConvPlan(ctx, 1, 'inputGrad')).rejects.toThrow(
        /1-row tiles are a forward and weight-gradient build only/,
      );
    },
    COLD_COMPILE_MS,
  );

  it('implicit dW in several pixel splits matches float64, with the same bits at every tile height', async () => {
    if (await refusedWithoutSubgroups(16)) return;
    // 663 pixels: dwSplits gives 2 splits of 332 and 331 pixels (the second crosses an image boundary).
    const d = { n: 3, h: 13, w: 17, cin: 5, cout: 7 };
    expect(dwSplits(663, 5, 7)).toBe(2);
    const v = data(d, 55);
    const a = await gpu(d, v, undefined, true, 16);
    for (const rows of [8, 32] as const) {
      const b = await gpu(d, v, undefined, true, rows);
      expectSameBits(b.dW, a.dW, `dW rows ${rows} vs 16`);
      expectSameBits(b.dx, a.dx, `dx rows ${rows} vs 16`);
    }
    const ref = conv3x3Backward(v.x, v.W, v.dy, d);
    const mag = conv3x3Backward(abs(v.x), abs(v.W), abs(v.dy), d);
    expectBound(a.dW, add(ref.dweight, v.dW0), add(mag.dweight, abs(v.dW0)), 664, 'dW split', 55);
  });

  it('the autotuned path (im2col + GEMM or implicit) matches float64 at a U-Net layer shape', async () => {
    const d = { n: 2, h: 9, w: 11, cin: 16, cout: 32 };
    const v = data(d, 91);
    const got = await gpu(d, v, undefined, true, 'auto');
    expectBound(
      got.y,
      conv3x3(v.x, v.W, v.b, d),
      conv3x3(abs(v.x), abs(v.W), abs(v.b), d),
      9 * d.cin + 1,
      'y auto',
      91,
    );
    const ref = conv3x3Backward(v.x, v.W, v.dy, d);
    const mag = conv3x3Backward(abs(v.x), abs(v.W), abs(v.dy), d);
    expectBound(got.dx, add(ref.dx, v.dx0), add(mag.dx, abs(v.dx0)), 9 * d.cout + 10, 'dx auto', 91);
    expectBound(got.dW, add(ref.dweight, v.dW0), add(mag.dweight, abs(v.dW0)), 199, 'dW auto', 91);
    // dx and dW: implicit on CPU-emulated adapters with subgroups, im2col + GEMM on hardware GPUs (by rule, not timing).
    const ctx = get();
    const k = await conv3x3Kernels(ctx, d, { image });
    const grads = ctx.adapterInfo.isFallback && implicitRuns(ctx);
    expect([k.implicitInputGrad !== null, k.implicitWeightGrad !== null]).toEqual([grads, grads]);
    disposeConv3x3Kernels(k);
  });

  it('the path choice keeps 1- to 3-channel sides apart from the 16-channel class, and 16 channels from 32: each has its own entry', async () => {
    const ctx = get();
    if (!implicitRuns(ctx)) {
      // Without the implicit kernels there is nothing to choose: im2col + GEMM, no tuning, no entries.
      const k = await conv3x3Kernels(ctx, { n: 1, h: 6, w: 5, cin: 16, cout: 16 }, { image });
      expect(k.implicitForward).toBeNull();
      disposeConv3x3Kernels(k);
      return;
    }
    const file = join(mkdtempSync(join(tmpdir(), 'fluctus-conv-tune-')), 'tune.json');
    for (const [cin, cout] of [
      [1, 16],
      [16, 16],
      [16, 1],
      [3, 3],
      [32, 32],
    ] as const) {
      const k = await conv3x3Kernels(ctx, { n: 1, h: 6, w: 5, cin, cout }, { image, tuneCache: file });
      disposeConv3x3Kernels(k);
    }
    const keys = Object.keys(JSON.parse(readFileSync(file, 'utf8'))[adapterKey(ctx)]).filter((key) =>
      key.startsWith('conv3x3|forward|'),
    );
    // Channel classes: 't' below 4, then dimClass ('b' 8..31, 'c' 32..63).
    expect(keys.sort()).toEqual([
      'conv3x3|forward|sbb',
      'conv3x3|forward|sbt',
      'conv3x3|forward|scc',
      'conv3x3|forward|stb',
      'conv3x3|forward|stt',
    ]);
  });

  it('chunked patch matrices give the same bits as one chunk, and dx overwrite mode', async () => {
    const d = { n: 3, h: 5, w: 7, cin: 3, cout: 5 };
    const v = data(d, 41);
    const whole = await gpu(d, v);
    const compiles = get().compiles;
    // 4 * 9 * 3 * 8 bytes: chunks of 8 pixels (13 chunks over 105 pixels, the last of 1).
    const parts = await gpu(d, v, 4 * 27 * 8);
    expect(parts.chunkRows).toBe(8);
    expect(whole.chunkRows).toBe(105);
    expectSameBits(parts.y, whole.y, 'y');
    // dW sums over pixels chunk by chunk onto dW0, and a pixel's dx adds the taps of two chunks in two
    // steps: the same terms in another rounding order, so within twice the bound of one.
    const P = 105;
    const mag = conv3x3Backward(abs(v.x), abs(v.W), abs(v.dy), d);
    expectBound(parts.dx, whole.dx, add(mag.dx, abs(v.dx0)), 2 * (d.cout + 10), 'dx chunked vs whole');
    expectBound(parts.dW, whole.dW, add(mag.dweight, abs(v.dW0)), 2 * P + 2, 'dW chunked vs whole');
    expectSameBits(parts.db, whole.db, 'db');
    const over = await gpu(d, v, 4 * 27 * 8, false);
    const ref = conv3x3Backward(v.x, v.W, v.dy, d);
    expectBound(over.dx, ref.dx, mag.dx, d.cout + 10, 'dx overwritten, chunked');
    // New kernels objects for other sizes and scratch caps reuse the cached pipelines.
    expect(get().compiles).toBe(compiles);
  });

  it(
    'a residual and its bias added in the forward pass: the same bits as adding them after, on every path; float64',
    async () => {
      const ctx = get();
      // Forward with vec4 loads (cin 12) and scalar (cin 3), partial tiles, one output channel, batch 1; each
      // tile height once (a cold compile of the 32-row builds takes about 20 s on lavapipe).
      for (const [d, heights] of [
        [{ n: 2, h: 9, w: 11, cin: 12, cout: 20 }, [8]],
        [{ n: 1, h: 5, w: 7, cin: 3, cout: 5 }, [16]],
        [{ n: 3, h: 7, w: 5, cin: 16, cout: 1 }, [1]],
      ] as const) {
        const { seed, v, X, W, B } = uploaded(ctx, d);
        const P = d.n * d.h * d.w;
        const [res, rb] = [f32(P * d.cout, seed + 7), f32(d.cout, seed + 8)];
        const [RES, RB] = [up(ctx, res), up(ctx, rb)];
        const paths: ConvPath[] = ['gemm', ...(implicitRuns(ctx) ? heights : [])];
        // The convolution alone, then the adds in f32 on the host: conv + b, then + (residual + its bias).
        const plainK = await conv3x3Kernels(ctx, d, { build, image, path: 'gemm' });
        const Y0 = up(ctx, P * d.cout);
        run(ctx, (bt) => encodeConv3x3Forward(bt, plainK, { x: X, weight: W, bias: B, y: Y0, ...d }));
        const y0 = await down(ctx, Y0);
        disposeConv3x3Kernels(plainK);
        for (const withBias of [false, true]) {
          const want = Float32Array.from(y0, (y, i) => y + Math.fround(res[i]! + (withBias ? rb[i % d.cout]! : 0)));
          for (const path of paths) {
            // 1-row tiles have no input-gradient build, so are never a whole layer's path: the 8-row kernels'
            // forward plan swapped.
            const k = await conv3x3Kernels(ctx, d, { build, image, path: path === 1 ? 8 : path, residual: true });
            if (path === 1) k.implicitForward = await implicitConvPlan(ctx, 1, 'forward', { residual: true });
            const Y = up(ctx, P * d.cout);
            const args = { x: X, weight: W, bias: B, y: Y, residual: RES, ...(withBias ? { residualBias: RB } : {}) };
            run(ctx, (bt) => encodeConv3x3Forward(bt, k, { ...args, ...d }));
            const got = await down(ctx, Y);
            const label = `${JSON.stringify(d)} path ${path}${withBias ? ' with the residual bias' : ''}`;
            expectSameBits(got, want, label);
            const ref = conv3x3(v.x, v.W, v.b, d).map((y, i) => y + res[i]! + (withBias ? rb[i % d.cout]! : 0));
            const mag = conv3x3(abs(v.x), abs(v.W), abs(v.b), d).map(
              (y, i) => y + Math.abs(res[i]!) + (withBias ? Math.abs(rb[i % d.cout]!) : 0),
            );
            expectBound(got, ref, mag, 9 * d.cin + 3, label, seed);
            disposeConv3x3Kernels(k);
          }
        }
      }
      // Bad calls name what is wrong.
      const d = { n: 1, h: 5, w: 7, cin: 3, cout: 5 };
      const { X, W, B } = uploaded(ctx, d);
      const [Y, RES] = [up(ctx, 35 * 5), up(ctx, 35 * 5)];
      const plain = await conv3x3Kernels(ctx, d, { build, image });
      const k = await conv3x3Kernels(ctx, d, { build, image, residual: true });
      const call = (kk: typeof k, extra: object) => () =>
        run(ctx, (bt) => encodeConv3x3Forward(bt, kk, { x: X, weight: W, y: Y, ...d, ...extra }));
      expect(call(plain, { bias: B, residual: RES })).toThrow(
        'conv3x3Forward: a residual needs kernels made with { residual: true }',
      );
      expect(call(k, { residual: RES })).toThrow('conv3x3Forward: a residual needs the bias');
      expect(call(k, { bias: B, residualBias: B })).toThrow('conv3x3Forward: residualBias without a residual');
      expect(call(k, { bias: B, residual: B })).toThrow(
        'conv3x3Forward: residual holds 5 elements, needs at least 175',
      );
      expect(call(k, { bias: B, residual: Y })).toThrow(/residual.*y/);
      disposeConv3x3Kernels(plain);
      disposeConv3x3Kernels(k);
      if (!implicitRuns(ctx)) return;
      const plan = await implicitConvPlan(ctx, 8, 'forward');
      expect(() =>
        run(ctx, (bt) =>
          encodeConv3x3Implicit(bt, plan, { mode: 'forward', weight: W, src: X, out: Y, ...d, bias: B, residual: RES }),
        ),
      ).toThrow('the plan was made without residual builds');
      await expect(implicitConvPlan(ctx, 8, 'inputGrad', { residual: true })).rejects.toThrow(
        'a residual is a forward build only',
      );
    },
    COLD_COMPILE_MS,
  );

  it('without bias and without dx', async () => {
    const ctx = get();
    const d = { n: 2, h: 2, w: 5, cin: 5, cout: 3 };
    const v = data(d, 77);
    const k = await conv3x3Kernels(ctx, d, { build, image });
    const [X, W, Y, DY, DW] = [up(ctx, v.x), up(ctx, v.W), up(ctx, v.dy.length), up(ctx, v.dy), up(ctx, v.dW0)];
    run(ctx, (bt) => {
      encodeConv3x3Forward(bt, k, { x: X, weight: W, y: Y, n: d.n, h: d.h, w: d.w });
      encodeConv3x3Backward(bt, k, { x: X, weight: W, dy: DY, dweight: DW, n: d.n, h: d.h, w: d.w });
    });
    expectBound(
      await down(ctx, Y),
      conv3x3(v.x, v.W, null, d),
      conv3x3(abs(v.x), abs(v.W), null, d),
      9 * d.cin,
      'y without bias',
    );
    const mag = conv3x3Backward(abs(v.x), abs(v.W), abs(v.dy), d);
    expectBound(
      await down(ctx, DW),
      add(conv3x3Backward(v.x, v.W, v.dy, d).dweight, v.dW0),
      add(mag.dweight, abs(v.dW0)),
      21,
      'dW without dx',
    );
    // A smaller batch than the kernels were made for reuses them.
    const small = { ...d, n: 1 };
    const Y1 = up(ctx, 10 * 3);
    run(ctx, (bt) => encodeConv3x3Forward(bt, k, { x: X, weight: W, y: Y1, n: 1, h: 2, w: 5 }));
    expectBound(
      await down(ctx, Y1),
      conv3x3(v.x.subarray(0, 50), v.W, null, small),
      conv3x3(abs(v.x.subarray(0, 50)), abs(v.W), null, small),
      45,
      'y, n = 1',
    );
    expect(() => run(ctx, (bt) => encodeConv3x3Forward(bt, k, { x: X, weight: W, y: Y1, n: 2, h: 2, w: 5 }))).toThrow(
      'conv3x3Forward: y holds 30 elements, needs at least 60',
    );
    expect(() => run(ctx, (bt) => encodeConv3x3Forward(bt, k, { x: X, weight: Y, y: Y1, n: 1, h: 2, w: 5 }))).toThrow(
      'conv3x3Forward: weight holds 60 elements, needs at least 135',
    );
    disposeConv3x3Kernels(k);
    await expect(conv3x3Kernels(ctx, { ...d, cin: 0 }, { build, image })).rejects.toThrow(
      'conv3x3Kernels: cin must be an integer in [1, 2147483647], got 0',
    );
    await expect(conv3x3Kernels(ctx, d, { build, image, maxScratchBytes: 100 })).rejects.toThrow(
      'conv3x3Kernels: maxScratchBytes must be an integer in [180, 9007199254740991], got 100',
    );
  });
});
