// Runtime pieces that need no GPU: Params reflection and packing (WGSL alignment rules), the
// #if preprocessor adapter, chunk planning, grids, argument checks.
import { describe, expect, it } from 'vitest';
import { packParams, preprocess, reflectParams } from '../../src/runtime/shader.js';
import { rowChunks } from '../../src/runtime/tensor.js';
import { grid2d } from '../../src/runtime/dispatch.js';
import { checkFinite, checkInt, checkMatrix, seedKey } from '../../src/runtime/check.js';
import { planNoiseChunks } from '../../src/kernels/forward_noise.js';
import { learnedMs, predictMs, updateModel, waitKey } from '../../src/runtime/wait.js';
import type { Context } from '../../src/runtime/context.js';
import { writeFileAtomic } from '../../src/runtime/atomic-write.js';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

describe('reflectParams: offsets and size follow WGSL alignment', () => {
  const cases: [string, string, [string, number][], number][] = [
    [
      'scalars',
      'struct Params { a: u32, b: f32, c: i32 }',
      [
        ['a', 0],
        ['b', 4],
        ['c', 8],
      ],
      12,
    ],
    [
      'vec2 after scalar',
      'struct Params { n: u32, key: vec2<u32> }',
      [
        ['n', 0],
        ['key', 8],
      ],
      16,
    ],
    [
      'vec2 first',
      'struct Params {\n key: vec2<u32>, // seed\n rows: u32,\n}',
      [
        ['key', 0],
        ['rows', 8],
      ],
      16,
    ],
    [
      'vec4 pads the struct',
      'struct Params { a: f32, v: vec4<f32>, b: u32 }',
      [
        ['a', 0],
        ['v', 16],
        ['b', 32],
      ],
      48,
    ],
    [
      'forward_noise layout',
      'struct Params { key: vec2<u32>, rows: u32, cols: u32, row_offset: u32, num_steps: u32, stream: u32, quads: u32 }',
      [
        ['key', 0],
        ['rows', 8],
        ['cols', 12],
        ['row_offset', 16],
        ['num_steps', 20],
        ['stream', 24],
        ['quads', 28],
      ],
      32,
    ],
  ];
  for (const [name, src, offsets, size] of cases) {
    it(name, () => {
      const l = reflectParams(src, 't.wgsl')!;
      expect(l.fields.map((f) => [f.name, f.offset])).toEqual(offsets);
      expect(l.size).toBe(size);
    });
  }
  it('no Params struct gives null', () => expect(reflectParams('fn f() {}', 't.wgsl')).toBeNull());
  it('refuses vec3 and names the field', () => {
    expect(() => reflectParams('struct Params { v: vec3<f32> }', 't.wgsl')).toThrow(
      /t\.wgsl: Params field v has type vec3<f32>/,
    );
  });
});

describe('packParams', () => {
  const layout = reflectParams('struct Params { key: vec2<u32>, n: u32, scale: f32, shift: i32 }', 't.wgsl')!;
  it('writes every field little-endian at its offset', () => {
    const view = new DataView(new ArrayBuffer(256));
    packParams(layout, { key: [0xffffffff, 7], n: 5, scale: 0.5, shift: -3 }, view, 64, 'k');
    expect([view.getUint32(64, true), view.getUint32(68, true), view.getUint32(72, true)]).toEqual([0xffffffff, 7, 5]);
    expect(view.getFloat32(76, true)).toBe(0.5);
    expect(view.getInt32(80, true)).toBe(-3);
  });
  const bad: [string, Record<string, number | number[]>, RegExp][] = [
    ['missing', { key: [1, 2], n: 1, scale: 1 }, /k: parameter 'shift' is missing/],
    ['unknown', { key: [1, 2], n: 1, scale: 1, shift: 0, extra: 1 }, /k: unknown parameter 'extra'/],
    ['wrong arity', { key: [1], n: 1, scale: 1, shift: 0 }, /'key' needs 2 values, got 1/],
    ['negative u32', { key: [1, 2], n: -1, scale: 1, shift: 0 }, /'n' = -1 is not a valid u32/],
    ['fractional i32', { key: [1, 2], n: 1, scale: 1, shift: 0.5 }, /'shift' = 0.5 is not a valid i32/],
  ];
  for (const [name, values, msg] of bad) {
    it(`rejects ${name}`, () =>
      expect(() => packParams(layout, values, new DataView(new ArrayBuffer(64)), 0, 'k')).toThrow(msg));
  }
});

describe('preprocess (#if variants through wgsl-preprocessor)', () => {
  const src = 'a\n#if f16\nhalf\n#elif subgroups\nsub\n#else\nplain\n#endif\nz\n';
  it('selects the branch of the first true flag', () => {
    expect(preprocess(src, { f16: true, subgroups: true }, 'x.wgsl')).toMatch(/half/);
    expect(preprocess(src, { f16: false, subgroups: true }, 'x.wgsl')).toMatch(/sub/);
    expect(preprocess(src, { f16: false, subgroups: false }, 'x.wgsl')).toMatch(/plain/);
    expect(preprocess(src, { f16: false, subgroups: false }, 'x.wgsl')).not.toMatch(/half|sub/);
  });
  it('an unknown flag is an error naming the file', () => {
    expect(() => preprocess(src, { f16: true }, 'x.wgsl')).toThrow(/x\.wgsl: #elif subgroups: unknown variant flag/);
  });
});

describe('chunking', () => {
  it('rowChunks covers every row once within the byte limit', () => {
    for (const [rows, rowBytes, max, mult] of [
      [1, 4, 4, 1],
      [1000, 12, 1000, 1],
      [97, 40, 400, 4],
      [5, 8, 1 << 20, 1],
    ] as const) {
      const chunks = rowChunks(rows, rowBytes, max, mult);
      expect(chunks.reduce((s, c) => s + c.count, 0)).toBe(rows);
      chunks.forEach((c, i) => {
        expect(c.count * rowBytes).toBeLessThanOrEqual(max);
        if (i > 0) expect(c.start).toBe(chunks[i - 1]!.start + chunks[i - 1]!.count);
        if (i < chunks.length - 1) expect(c.count % mult).toBe(0);
      });
    }
    expect(() => rowChunks(3, 100, 64)).toThrow(/one row of 100 bytes exceeds the binding limit of 64/);
  });
  it('planNoiseChunks keeps input and output chunks within the limit', () => {
    expect(planNoiseChunks(1000, 10, 3, 1 << 20)).toEqual({ rowsPerChunk: 1000, stepsPerChunk: 3 });
    expect(planNoiseChunks(1000, 10, 3, 1200)).toEqual({ rowsPerChunk: 10, stepsPerChunk: 3 });
    expect(planNoiseChunks(1000, 10, 50, 1200)).toEqual({ rowsPerChunk: 1, stepsPerChunk: 30 });
  });
  it('grid2d spills into y beyond the per-dimension limit', () => {
    const ctx = { limits: { maxComputeWorkgroupsPerDimension: 65535 } } as Context;
    expect(grid2d(ctx, 64 * 65535, 64)).toEqual([65535, 1]);
    const [x, y] = grid2d(ctx, 64 * 65535 + 1, 64);
    expect(y).toBe(2);
    expect(x * y * 64).toBeGreaterThanOrEqual(64 * 65535 + 1);
    expect(x).toBeLessThanOrEqual(65535);
  });
});

describe('argument checks name the argument and what is allowed', () => {
  it('checkInt', () => {
    expect(checkInt('steps', 3, 1, 10)).toBe(3);
    expect(() => checkInt('step', 0, 1, 1000)).toThrow('step must be an integer in [1, 1000], got 0');
    expect(() => checkInt('seed', 1.5, 0, 9)).toThrow(/seed must be an integer/);
  });
  it('checkFinite names the first bad row and column', () => {
    const x = new Float32Array(12);
    x[7] = NaN;
    x[10] = Infinity;
    expect(() => checkFinite('x0', x, 3)).toThrow('x0: non-finite value NaN at row 2, column 1');
    expect(() => checkFinite('x0', x, 3, 100)).toThrow(/row 102, column 1/);
  });
  it('checkMatrix', () => {
    expect(checkMatrix('x', new Float32Array(6), [2, 3])).toEqual([2, 3]);
    expect(() => checkMatrix('x', new Float32Array(5), [2, 3])).toThrow('x: shape [2, 3] needs 6 values, got 5');
    expect(() => checkMatrix('x', new Float32Array(6), [6])).toThrow(/shape must be \[rows, cols\]/);
  });
  it('seedKey splits a 53-bit seed into two words', () => {
    expect(seedKey(0)).toEqual([0, 0]);
    expect(seedKey(2 ** 32 + 5)).toEqual([5, 1]);
    expect(seedKey(Number.MAX_SAFE_INTEGER)).toEqual([0xffffffff, 0x1fffff]);
    expect(() => seedKey(-1)).toThrow(/seed must be an integer/);
    expect(() => seedKey('7')).toThrow(/seed must be an integer/);
  });
});

describe('wait model (idle waiting)', () => {
  it('one large submit sets the rate that many tiny submits could not', () => {
    let m = updateModel(undefined, 2, 50); // tiny submits: 2 ms of overhead each
    for (let i = 0; i < 20; i++) m = updateModel(m, 2 + 0.1 * (i % 3), 50);
    expect(predictMs(m, 50)).toBeLessThan(3);
    m = updateModel(m, 1002, 1e9); // a large one: 1 s of work beyond the overhead
    expect(predictMs(m, 1e9)).toBeGreaterThan(900);
    expect(predictMs(m, 1e9)).toBeLessThan(1100);
    expect(predictMs(m, 5e8)).toBeGreaterThan(450);
    expect(predictMs(m, 5e8)).toBeLessThan(560);
  });
  it('never predicts more than twice the longest wait seen', () => {
    const m = updateModel(updateModel(undefined, 1, 10), 10, 20);
    expect(predictMs(m, 1e12)).toBe(20);
  });
  it('learns the time of a wait entered at once, 0.7 of it (not measured) when it ends right after a sleep', () => {
    expect(learnedMs({ since: 0, entered: 0.2, polledFrom: 0.2, done: 12, slept: false }, 5)).toEqual({
      ms: 12,
      measured: true,
    });
    const early = learnedMs({ since: 0, entered: 0.2, polledFrom: 9, done: 9.5, slept: true }, 10)!;
    expect(early.ms).toBeCloseTo(6.65, 12);
    expect(early.measured).toBe(false);
    expect(learnedMs({ since: 0, entered: 0.2, polledFrom: 9, done: 14, slept: true }, 10)).toEqual({
      ms: 14,
      measured: true,
    });
  });
  it("does not learn a host's delay: a wait entered late teaches only a shorter time", () => {
    // Submitted at 0, the host came to wait 5 s later (its own work), the GPU had long finished.
    const late = { since: 0, entered: 5000, polledFrom: 5000, done: 5000.5, slept: false };
    expect(learnedMs(late, 3)).toBeNull();
    expect(learnedMs(late, null)).toBeNull();
    expect(learnedMs(late, 8000)).toEqual({ ms: 5000.5, measured: true });
    // Entered 3 ms late but the GPU was still busy: polled 600 ms until it finished, so done - since is
    // its time, learned with no model yet (else such waits are polled in full forever).
    const busy = { since: 0, entered: 3, polledFrom: 3, done: 603, slept: false };
    expect(learnedMs(busy, null)).toEqual({ ms: 603, measured: true });
    expect(learnedMs(busy, 100)).toEqual({ ms: 603, measured: true });
  });
  it('the longest wait grows only from measured waits, so oversleeping cannot feed on itself', () => {
    let m = updateModel(undefined, 100, 1e6);
    // Ten waits that each ended right after a sleep of 0.9 x twice the cap: the cap stays.
    for (let i = 0; i < 10; i++) m = updateModel(m, 0.7 * 1.8 * m.maxMs, 1e6, false);
    expect(m.maxMs).toBe(100);
    expect(updateModel(m, 150, 1e6).maxMs).toBe(150);
  });
  it('one model per kernel set and order of magnitude of work', () => {
    expect(waitKey(['matmul', 'add', 'matmul'], 1000)).toBe(waitKey(['add', 'matmul'], 1500));
    expect(waitKey(['matmul'], 170)).not.toBe(waitKey(['matmul'], 9.2e6));
    expect(waitKey([], 0)).toBe('copy|0');
  });
});

describe('writeFileAtomic', () => {
  it('writes text and bytes, replacing the file, and leaves no temp file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluctus-atomic-'));
    try {
      const path = join(dir, 'a.txt');
      writeFileAtomic(path, 'first');
      writeFileAtomic(path, new Uint8Array([104, 105]));
      expect(readFileSync(path, 'utf8')).toBe('hi');
      expect(readdirSync(dir)).toEqual(['a.txt']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
  it('removes the temp file when the rename fails, and rethrows', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluctus-atomic-'));
    try {
      mkdirSync(join(dir, 'taken'));
      writeFileSync(join(dir, 'taken', 'x'), '');
      // A non-empty folder of that name: the temp file is written, the rename onto it fails.
      expect(() => writeFileAtomic(join(dir, 'taken'), 'text')).toThrow();
      expect(readdirSync(dir)).toEqual(['taken']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
