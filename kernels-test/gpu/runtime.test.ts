// The runtime on a real device: batching with per-dispatch parameters, >65,535 workgroups, the
// pipeline cache, compile errors that name file:line:col, readback, profiling, device loss, idle waits.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { requestContext, destroyContext } from '../../src/runtime/context.js';
import { beginBatch, dispatch, grid2d, submit, sync } from '../../src/runtime/dispatch.js';
import { getPipeline, type KernelSpec } from '../../src/runtime/pipeline.js';
import { createTensor, disposeTensor, readback } from '../../src/runtime/tensor.js';
import { profileReport } from '../../src/runtime/profile.js';
import { expectClose } from '../compare.js';
import { randn } from '../random.js';

const AXPB: KernelSpec = {
  name: '../kernels-test/fixtures/axpb',
  libs: ['lib/index.wgsl'],
  storage: ['read', 'read_write'],
};
const BROKEN: KernelSpec = { name: '../kernels-test/fixtures/broken', storage: ['read_write'] };
const WG = 64;

describeGpu('runtime', (get) => {
  it('batches many dispatches with their own parameters in one submit', async () => {
    const ctx = get();
    const p = await getPipeline(ctx, AXPB, { constants: { WG }, variant: { negate: false } });
    const n = 1000;
    const seed = 11;
    const x = Float32Array.from(randn(n, seed));
    const xt = createTensor(ctx, [n], { data: x, label: 'x' });
    const outs = Array.from({ length: 40 }, (_, k) => createTensor(ctx, [n], { label: `y${k}` }));
    const batch = beginBatch(ctx, 'axpb-many');
    outs.forEach((y, k) =>
      dispatch(batch, p, { params: { a: k, b: -k / 2, n }, bindings: [xt, y], workgroups: grid2d(ctx, n, WG) }),
    );
    submit(batch);
    for (const [k, y] of outs.entries()) {
      const got = await readback(ctx, y);
      expectClose(
        got,
        Array.from(x, (v) => Math.fround(k * v) - k / 2),
        { label: `dispatch ${k}`, seed },
      );
    }
    [xt, ...outs].forEach(disposeTensor);
  });

  it('covers sizes that need more than 65,535 workgroups', async () => {
    const ctx = get();
    const p = await getPipeline(ctx, AXPB, { constants: { WG }, variant: { negate: true } });
    for (const n of [1, WG - 1, WG, WG + 1, 100_003, WG * 65535 + 77]) {
      const x = new Float32Array(n).map((_, i) => (i % 1009) - 500);
      const xt = createTensor(ctx, [n], { data: x });
      const yt = createTensor(ctx, [n]);
      const batch = beginBatch(ctx);
      const grid = grid2d(ctx, n, WG);
      dispatch(batch, p, { params: { a: 2, b: 1, n }, bindings: [xt, yt], workgroups: grid });
      submit(batch);
      const y = await readback(ctx, yt);
      expectClose(
        y,
        Array.from(x, (v) => -(2 * v + 1)),
        { atol: 0, rtol: 0, label: `n=${n} grid ${grid}` },
      );
      disposeTensor(xt);
      disposeTensor(yt);
    }
  });

  it('compiles each (kernel, constants, variant) once; a steady-state loop compiles nothing', async () => {
    const ctx = get();
    await getPipeline(ctx, AXPB, { constants: { WG }, variant: { negate: false } });
    const before = ctx.compiles;
    for (let i = 0; i < 5; i++) await getPipeline(ctx, AXPB, { variant: { negate: false }, constants: { WG } });
    expect(ctx.compiles).toBe(before);
    await getPipeline(ctx, AXPB, { constants: { WG: 32 }, variant: { negate: false } });
    expect(ctx.compiles).toBe(before + 1);
  });

  it('a shader error names the file, line and column', async () => {
    await expect(getPipeline(get(), BROKEN)).rejects.toThrow(
      /broken\.wgsl failed to compile:\n.*broken\.wgsl:5:\d+: error/,
    );
  });

  it('an unknown variant flag and a wrong binding count are errors naming the kernel', async () => {
    const ctx = get();
    await expect(getPipeline(ctx, AXPB, { constants: { WG }, variant: {} })).rejects.toThrow(
      /#if negate: unknown variant flag/,
    );
    const p = await getPipeline(ctx, AXPB, { constants: { WG }, variant: { negate: false } });
    expect(() => dispatch(beginBatch(ctx), p, { params: { a: 1, b: 1, n: 1 }, bindings: [], workgroups: [1] })).toThrow(
      /expected 2 storage bindings, got 0/,
    );
  });

  it('readback of a range, and range errors', async () => {
    const ctx = get();
    const t = createTensor(ctx, [10], { dtype: 'u32', data: Array.from({ length: 10 }, (_, i) => i * 3) });
    expect([...(await readback(ctx, t, 2, 3))]).toEqual([6, 9, 12]);
    await expect(readback(ctx, t, 8, 5)).rejects.toThrow(/readback of 5 elements at 8 exceeds its 10 elements/);
    disposeTensor(t);
  });

  it('buffers beyond the device limit are refused with the limit named', () => {
    const ctx = get();
    expect(() => createTensor(ctx, [ctx.limits.maxBufferSize], { label: 'huge' })).toThrow(
      /huge: \d+ bytes exceed the device's maxBufferSize/,
    );
  });
});

describeGpu(
  'runtime: profiling',
  (get) => {
    it('reports time, GFLOP/s and GB/s per kernel', async () => {
      const ctx = get();
      const p = await getPipeline(ctx, AXPB, { constants: { WG }, variant: { negate: false } });
      const n = 1 << 20;
      const xt = createTensor(ctx, [n]);
      const yt = createTensor(ctx, [n]);
      const batch = beginBatch(ctx);
      for (let i = 0; i < 4; i++)
        dispatch(batch, p, {
          params: { a: 1, b: 0, n },
          bindings: [xt, yt],
          workgroups: grid2d(ctx, n, WG),
          flops: 2 * n,
          bytes: 8 * n,
        });
      submit(batch);
      await sync(ctx);
      const [row] = profileReport(ctx);
      expect(row!.kernel).toContain('axpb');
      expect(row!.calls).toBe(4);
      expect(row!.ms).toBeGreaterThan(0);
      expect(row!.gbps).toBeCloseTo((row!.bytes / row!.ms) * 1e-6, 6);
      expect(ctx.profiler!.mode).toBe(ctx.features.timestampQuery ? 'timestamp' : 'wall');
      disposeTensor(xt);
      disposeTensor(yt);
    });

    it('concurrent readbacks (two request streams) count each submission once and lose none', async () => {
      const ctx = get();
      const p = await getPipeline(ctx, AXPB, { constants: { WG }, variant: { negate: false } });
      const n = 1 << 16;
      const xt = createTensor(ctx, [n]);
      const ts = [0, 1, 2].map(() => createTensor(ctx, [n]));
      const before = profileReport(ctx).find((r) => r.kernel.includes('axpb'))?.calls ?? 0;
      const run = (t: (typeof ts)[number], b: number) => {
        const batch = beginBatch(ctx);
        dispatch(batch, p, { params: { a: 0, b, n }, bindings: [xt, t], workgroups: grid2d(ctx, n, WG), flops: n });
        submit(batch);
        return readback(ctx, t, 0, 1);
      };
      // Both readbacks wait for both submissions; the third is submitted while they wait.
      const first = run(ts[0]!, 1);
      const second = run(ts[1]!, 2);
      const third = Promise.resolve().then(() => run(ts[2]!, 3));
      expect((await Promise.all([first, second, third])).map((r) => r[0])).toEqual([1, 2, 3]);
      await sync(ctx);
      expect(profileReport(ctx).find((r) => r.kernel.includes('axpb'))!.calls - before).toBe(3);
      expect(ctx.pending).toEqual([]);
      for (const t of [xt, ...ts]) disposeTensor(t);
    });
  },
  { profile: true },
);

/** CPU seconds (user + system) this thread has used: Linux's /proc/thread-self/stat, in clock ticks of 10 ms. */
function threadCpuSeconds(): number {
  const stat = readFileSync('/proc/thread-self/stat', 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

describeGpu('runtime: idle waits', (get) => {
  it('an idle wait naps instead of taking a core from the GPU (on lavapipe, from the GPU itself)', async () => {
    const ctx = get();
    // Idle waiting is the default where the "GPU" runs on the host's cores (Node, fallback adapter); any
    // adapter in Node waits so when asked to.
    const mode = ctx.waitMode;
    ctx.waitMode = 'idle';
    const p = await getPipeline(ctx, AXPB, { constants: { WG }, variant: { negate: false } });
    const n = 1 << 22;
    const xt = createTensor(ctx, [n]);
    const yt = createTensor(ctx, [n]);
    // Undeclared work (no flops, no bytes): no sleep first, the whole wait is what dawn.node's busy loop
    // would poll, about one core for as long as it lasts. A first run sizes the timed one to ~0.5 s.
    const run = async (count: number) => {
      const batch = beginBatch(ctx);
      for (let i = 0; i < count; i++)
        dispatch(batch, p, { params: { a: 1, b: i % 60, n }, bindings: [xt, yt], workgroups: grid2d(ctx, n, WG) });
      submit(batch);
      const cpu0 = threadCpuSeconds();
      const t0 = performance.now();
      await sync(ctx);
      return { wall: (performance.now() - t0) / 1000, cpu: threadCpuSeconds() - cpu0 };
    };
    try {
      const first = await run(60);
      // A multiple of 60 dispatches, so the last one writes b = 59.
      const { wall, cpu } = await run(60 * Math.min(2000, Math.ceil(0.5 / Math.max(first.wall, 1e-4))));
      expect(wall).toBeGreaterThan(0.2);
      // Busy polling used about `wall` (0.9-1.0 of it, measured); naps a few per cent.
      expect(cpu).toBeLessThan(0.3 * wall);
      expect([...(await readback(ctx, yt, 0, 2))]).toEqual([59, 59]);
    } finally {
      ctx.waitMode = mode;
      disposeTensor(xt);
      disposeTensor(yt);
    }
  });
});

describeGpu('runtime: device loss', () => {
  it('a lost device surfaces as an Error naming the kernel in flight, without hanging', async () => {
    const ctx = await requestContext({ label: 'loss' });
    const p = await getPipeline(ctx, AXPB, { constants: { WG }, variant: { negate: false } });
    const n = 1 << 22;
    const xt = createTensor(ctx, [n]);
    const yt = createTensor(ctx, [n]);
    const batch = beginBatch(ctx);
    dispatch(batch, p, { params: { a: 1, b: 0, n }, bindings: [xt, yt], workgroups: grid2d(ctx, n, WG) });
    submit(batch);
    ctx.device.destroy();
    await expect(sync(ctx)).rejects.toThrow(/GPU device lost \(destroyed.*while running .*axpb/);
    destroyContext(ctx);
  });
});
