// matmul.wgsl (every registered build) against the float64 reference: transposes, alpha/beta,
// offsets and leading dimensions on sub-blocks, awkward shapes, the 2-D grid, autotune, bad input.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import {
  GEMM_BUILDS,
  MATMUL,
  buildRuns,
  buildsFor,
  encodeMatmul,
  gemmParams,
  matmul,
  matmulPlan,
  type GemmBuild,
} from '../../src/kernels/matmul.js';
import { adapterKey, forgetTuning, tune, tuneFingerprint, tuneLog } from '../../src/kernels/autotune.js';
import { beginBatch, submit } from '../../src/runtime/dispatch.js';
import { createTensor, disposeTensor, readback } from '../../src/runtime/tensor.js';
import { gemmBound, matmulAbsRef, matmulRef, scaled, type GemmRefArgs } from '../ref/matmul.js';
import { mirrorUpperRef } from '../ref/syrk.js';
import type { Context } from '../../src/runtime/context.js';
import { expectClose, expectSameBits } from '../compare.js';
import { randn } from '../random.js';

const f32 = (n: number, seed: number) => Float32Array.from(randn(n, seed));

/** Compares with the per-element bound gemmBound(k) * scale (see ref/matmul.ts for the derivation). */
function expectGemm(got: ArrayLike<number>, x: GemmRefArgs, label: string, seed: number): void {
  const [g, r] = scaled(got, matmulRef(x), matmulAbsRef(x));
  expectClose(g, r, { atol: gemmBound(x.k), rtol: 0, label, seed });
}

// (m, n, k): 1; not multiples of 4 or of any tile; a k of 1; primes; larger than one tile each way.
const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [63, 65, 64],
  [7, 131, 3],
  [130, 97, 257],
  [5, 3, 1],
];
const TRANS: [boolean, boolean][] = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
];

// Shapes (m, n, k) around every build's edges: 1; the workgroup of 8 (7, 8, 9); the subgroup builds'
// 32 x 64 tile (31 .. 33 rows, 63 .. 65 columns) and their 4-step k loop (k = 1, 3, 4, 5, 7, 8 and
// the prime 257, remainder 1); a prime m and n.
const EDGES: [number, number, number][] = [
  [1, 1, 1],
  [7, 9, 3],
  [8, 8, 4],
  [9, 7, 5],
  [33, 31, 7],
  [32, 64, 8],
  [31, 65, 257],
  [65, 63, 4],
  [131, 67, 5],
];

interface EdgeCase extends GemmRefArgs {
  mirror?: boolean;
  batch?: number;
  strideA?: number;
  strideB?: number;
  strideC?: number;
  /** Elements of the A, B and C buffers (C beyond the (m, n) block holds NaN too). */
  sizes: [number, number, number];
}

/** Runs one product with a given build on fresh buffers; returns C. */
async function runEdge(ctx: Context, build: GemmBuild, x: EdgeCase, swap = false): Promise<Float32Array> {
  const plan = await matmulPlan(ctx, { m: x.m, n: x.n, k: x.k, transA: x.transA, transB: x.transB }, { build, swap });
  const t = [x.a, x.b, x.c].map((d, i) =>
    createTensor(ctx, [x.sizes[i]!], { data: Float32Array.from(d), label: `edge.${'abc'[i]}` }),
  );
  const batch = beginBatch(ctx, 'edge');
  encodeMatmul(batch, plan, { ...x, a: t[0]!, b: t[1]!, c: t[2]! });
  submit(batch);
  const got = await readback(ctx, t[2]!);
  t.forEach(disposeTensor);
  return got;
}

/** The float64 result of an edge case: entries it leaves alone keep C0's NaN. */
function edgeRef(x: EdgeCase): [Float64Array, Float64Array] {
  let ref = matmulRef(x);
  let scale = matmulAbsRef(x);
  if (x.mirror) {
    ref = mirrorUpperRef(ref, x.n, x.offsetC, x.ldc);
    scale = mirrorUpperRef(scale, x.n, x.offsetC, x.ldc);
  }
  return [ref, scale];
}

describeGpu('matmul', (get) => {
  for (const [transA, transB] of TRANS) {
    for (const build of buildsFor(transA, transB)) {
      it(`build ${JSON.stringify(build)}, transA=${transA}, transB=${transB}: every shape matches float64`, async () => {
        for (const [m, n, k] of SHAPES) {
          const seed = m * 7 + n * 13 + k;
          const a = f32(m * k, seed);
          const b = f32(k * n, seed + 1);
          const got = await matmul(get(), a, transA ? [k, m] : [m, k], b, transB ? [n, k] : [k, n], {
            transA,
            transB,
            build,
          });
          expectGemm(got, { a, b, c: new Float64Array(m * n), m, n, k, transA, transB }, `(${m}, ${n}, ${k})`, seed);
        }
      });
    }
  }

  for (const [transA, transB] of TRANS) {
    it(`every build, transA=${transA}, transB=${transB}: tile edges, upper and mirror, beta = 0 over NaN, odd strides; swapped plans`, async () => {
      const ctx = get();
      const runs = (b: GemmBuild) => buildRuns(b, ctx.features);
      const builds = buildsFor(transA, transB).filter(runs);
      // Swapped plans (full products only) run the kernel on op(B)^T op(A)^T: the builds of those transposes.
      const swapped = buildsFor(!transB, !transA).filter(runs);
      for (const [m0, n0, k] of EDGES) {
        // Full products of (m, n); upper and mirrored ones of (m, m). Leading dimensions and offsets
        // aligned (vec4 paths) or not (their scalar fallbacks), C padded; C0 all NaN (beta = 0 must not
        // read it), or finite with beta != 0.
        for (const mode of ['full', 'upper', 'mirror'] as const) {
          const m = m0;
          const n = mode === 'full' ? n0 : m0;
          for (const odd of [false, true]) {
            const seed = m * 1009 + n * 31 + k + (odd ? 7 : 0);
            const [ar, ac] = transA ? [k, m] : [m, k];
            const [br, bc] = transB ? [n, k] : [k, n];
            const pad = odd ? 3 : 4;
            const [lda, ldb, ldc] = [ac + pad, bc + pad, n + pad];
            const [offsetA, offsetB, offsetC] = odd ? [5, 2, 3] : [4, 8, 4];
            const sizes: [number, number, number] = [offsetA + ar * lda, offsetB + br * ldb, offsetC + m * ldc];
            const beta = odd ? 0.5 : 0;
            const x: EdgeCase = {
              a: f32(sizes[0], seed),
              b: f32(sizes[1], seed + 1),
              c: beta ? f32(sizes[2], seed + 2) : new Float32Array(sizes[2]).fill(NaN),
              m,
              n,
              k,
              transA,
              transB,
              alpha: -1.5,
              beta,
              offsetA,
              offsetB,
              offsetC,
              lda,
              ldb,
              ldc,
              upper: mode !== 'full',
              mirror: mode === 'mirror',
              sizes,
            };
            const [ref, scale] = edgeRef(x);
            const label = `(${m}, ${n}, ${k}) ${mode}${odd ? ' odd strides, beta 0.5' : ', beta 0 over NaN'}`;
            let first: Float32Array | null = null;
            const plans = [
              ...builds.map((build) => ({ build, swap: false })),
              ...(mode === 'full' ? swapped.map((build) => ({ build, swap: true })) : []),
            ];
            for (const { build, swap } of plans) {
              const got = await runEdge(ctx, build, x, swap);
              const what = `${label} ${swap ? 'swapped ' : ''}${JSON.stringify(build)}`;
              // NaN exactly where C0's NaN must survive; the rest within the bound.
              for (let i = 0; i < got.length; i++)
                if (Number.isNaN(got[i]!) !== Number.isNaN(ref[i]!))
                  throw new Error(`${what}: [${i}] got ${got[i]}, want ${ref[i]}`);
              const keep = (v: ArrayLike<number>) =>
                Float64Array.from(Array.from(v).filter((_, i) => !Number.isNaN(ref[i]!)));
              const [g, r] = scaled(keep(got), keep(ref), keep(scale));
              expectClose(g, r, { atol: gemmBound(k), rtol: 0, label: what, seed });
              // Swapped or not, every element sums the same products over k in the same order.
              if (first) expectSameBits(got, first, `${what} vs ${JSON.stringify(builds[0])}`);
              else first = got;
            }
          }
        }
      }
    });
  }

  it('batched products: every problem of one dispatch equals its own product (every build, full, upper and mirror, swapped plans, aligned and odd strides)', async () => {
    const ctx = get();
    const runs = (b: GemmBuild) => buildRuns(b, ctx.features);
    for (const [transA, transB] of TRANS) {
      const builds = buildsFor(transA, transB).filter(runs);
      const swapped = buildsFor(!transB, !transA).filter(runs);
      for (const [m, n0, k] of [
        [33, 31, 7],
        [9, 7, 65],
        [1, 1, 1],
      ] as [number, number, number][]) {
        for (const mode of ['full', 'mirror'] as const) {
          const n = mode === 'full' ? n0 : m;
          for (const odd of [false, true]) {
            const count = 3;
            const seed = m * 101 + n * 7 + k + (odd ? 1 : 0);
            const [ar, ac] = transA ? [k, m] : [m, k];
            const [br, bc] = transB ? [n, k] : [k, n];
            const [lda, ldb, ldc] = odd ? [ac + 1, bc + 3, n + 1] : [ac + 4 - (ac % 4), bc + 4 - (bc % 4), n + 2];
            const [offsetA, offsetB, offsetC] = odd ? [1, 6, 5] : [4, 8, 0];
            // Problem p's operands start stride elements after problem p - 1's (beyond its span).
            const stride = (rows: number, ld: number) => rows * ld + (odd ? 3 : 4);
            const [strideA, strideB, strideC] = [stride(ar, lda), stride(br, ldb), stride(m, ldc)];
            const sizes: [number, number, number] = [
              offsetA + count * strideA,
              offsetB + count * strideB,
              offsetC + count * strideC,
            ];
            const one = {
              a: f32(sizes[0], seed),
              b: f32(sizes[1], seed + 1),
              c: f32(sizes[2], seed + 2),
              m,
              n,
              k,
              transA,
              transB,
              alpha: 0.5,
              beta: -1.25,
              lda,
              ldb,
              ldc,
              upper: mode === 'mirror',
              mirror: mode === 'mirror',
              sizes,
            };
            // The float64 reference: the problems one after another on the same buffers.
            let ref: Float64Array = Float64Array.from(one.c);
            let scale: Float64Array = Float64Array.from(one.c, Math.abs);
            for (let p = 0; p < count; p++) {
              const at = {
                offsetA: offsetA + p * strideA,
                offsetB: offsetB + p * strideB,
                offsetC: offsetC + p * strideC,
              };
              const [r] = edgeRef({ ...one, ...at, c: ref });
              const [, sc] = edgeRef({ ...one, ...at, c: scale });
              [ref, scale] = [r!, sc!];
            }
            const x: EdgeCase = { ...one, offsetA, offsetB, offsetC, batch: count, strideA, strideB, strideC };
            const plans = [
              ...builds.map((build) => ({ build, swap: false })),
              ...(mode === 'full' ? swapped.map((build) => ({ build, swap: true })) : []),
            ];
            for (const { build, swap } of plans) {
              const got = await runEdge(ctx, build, x, swap);
              const what = `batch of ${count} (${m}, ${n}, ${k}) ${mode} ${transA} ${transB}${odd ? ' odd' : ''} ${swap ? 'swapped ' : ''}${JSON.stringify(build)}`;
              const [g, r] = scaled(got, ref, scale);
              expectClose(g, r, { atol: gemmBound(k), rtol: 0, label: what, seed });
            }
          }
        }
      }
    }
  });

  it('every build gives the same bits (sums over k in the same order)', async () => {
    const [m, n, k] = [70, 45, 129];
    const a = f32(m * k, 3);
    const b = f32(k * n, 4);
    // A^T B with m = 68 (vec4-aligned rows, so the vec4 builds take their vec4 path).
    const m4 = 68;
    const a4 = f32(k * m4, 3);
    const outs = [];
    for (const build of GEMM_BUILDS) outs.push(await matmul(get(), a4, [k, m4], b, [k, n], { build, transA: true }));
    for (let i = 1; i < outs.length; i++)
      expectSameBits(
        outs[i]!,
        outs[0]!,
        `build ${JSON.stringify(GEMM_BUILDS[i])} vs ${JSON.stringify(GEMM_BUILDS[0])}`,
      );
    const scalarOnly = buildsFor(false, false);
    const plain = [];
    for (const build of scalarOnly) plain.push(await matmul(get(), a, [m, k], b, [k, n], { build }));
    for (let i = 1; i < plain.length; i++)
      expectSameBits(plain[i]!, plain[0]!, `build ${JSON.stringify(scalarOnly[i])}`);
  });

  it('vec4 builds: aligned strides take the vec4 path (edges of m, n not multiples of 4), unaligned ones the scalar path', async () => {
    const ctx = get();
    // op(A) = A^T with A (k, lda) and B (k, ldb): m = 63 and n = 65 inside rows padded to 64 and 68.
    const [m, n, k, lda, ldb] = [63, 65, 37, 64, 68];
    const A = f32(k * lda + 8, 13);
    const B = f32(k * ldb + 8, 14);
    const C = f32(m * n, 15);
    for (const build of GEMM_BUILDS.filter((b) => b.vec4)) {
      const plan = await matmulPlan(ctx, { m, n, k, transA: true }, { build });
      for (const [offsetA, offsetB] of [
        [4, 8],
        [0, 0],
        [1, 3],
      ]) {
        const x = { a: A, b: B, c: C, m, n, k, transA: true, lda, ldb, offsetA, offsetB, alpha: -0.5, beta: 2 };
        const tensors = [A, B, C].map((d) => createTensor(ctx, [d.length], { data: d }));
        const args = { ...x, a: tensors[0]!, b: tensors[1]!, c: tensors[2]! };
        expect(gemmParams(ctx, plan, args, false, 'matmul').pipeline).toBe(
          offsetA % 4 === 0 && offsetB % 4 === 0 ? plan.pipeline : plan.fallback,
        );
        const batch = beginBatch(ctx, 'vec4');
        encodeMatmul(batch, plan, args);
        submit(batch);
        const got = await readback(ctx, tensors[2]!);
        tensors.forEach(disposeTensor);
        expectGemm(got, x, `vec4 ${JSON.stringify(build)} offsets ${offsetA}, ${offsetB}`, 13);
      }
    }
  });

  it('alpha and beta: C = alpha op(A) op(B) + beta C0', async () => {
    const [m, n, k] = [33, 19, 40];
    const a = f32(k * m, 5);
    const b = f32(k * n, 6);
    const c = f32(m * n, 7);
    for (const [alpha, beta] of [
      [2.5, -0.5],
      [1, 1],
      [-1, 0],
      [0, 2],
    ] as const) {
      const got = await matmul(get(), a, [k, m], b, [k, n], { transA: true, alpha, beta, c });
      expectGemm(got, { a, b, c, m, n, k, transA: true, alpha, beta }, `alpha ${alpha} beta ${beta}`, 5);
    }
  });

  it('offsets and leading dimensions multiply sub-blocks and leave the rest of C untouched', async () => {
    const ctx = get();
    // Sub-blocks of (40, 50) A, (60, 30) B and (45, 35) C buffers.
    const [m, n, k] = [13, 11, 17];
    const A = f32(40 * 50, 8);
    const B = f32(60 * 30, 9);
    const C = f32(45 * 35, 10);
    for (const [transA, transB] of TRANS) {
      for (const build of buildsFor(transA, transB)) {
        const x = {
          a: A,
          b: B,
          c: C,
          m,
          n,
          k,
          transA,
          transB,
          alpha: 0.75,
          beta: 1.5,
          offsetA: 3 * 50 + 7,
          lda: 50,
          offsetB: 5 * 30 + 2,
          ldb: 30,
          offsetC: 4 * 35 + 9,
          ldc: 35,
        };
        const tensors = [A, B, C].map((d, i) => createTensor(ctx, [d.length], { data: d, label: `sub.${'abc'[i]}` }));
        const plan = await matmulPlan(ctx, { m, n, k, transA, transB }, { build });
        const batch = beginBatch(ctx, 'sub');
        encodeMatmul(batch, plan, { ...x, a: tensors[0]!, b: tensors[1]!, c: tensors[2]! });
        submit(batch);
        const got = await readback(ctx, tensors[2]!);
        tensors.forEach(disposeTensor);
        expectGemm(got, x, `sub-block ${JSON.stringify(build)} ${transA} ${transB}`, 8);
      }
    }
  });

  it('covers more than 65,535 tiles per dimension with a 2-D grid', async () => {
    const ctx = get();
    // With C in one binding and >= 512 outputs per workgroup, a real device's limits (65,535 per
    // dimension, 128 MiB bindings) are never exceeded on lavapipe; lowering the limit here makes
    // grid2d split the same dispatch into rows of workgroups, as it would for a 4 GiB binding.
    const saved = ctx.limits.maxComputeWorkgroupsPerDimension;
    ctx.limits.maxComputeWorkgroupsPerDimension = 7;
    try {
      const [m, n, k] = [150, 140, 9];
      const a = f32(m * k, 11);
      const b = f32(k * n, 12);
      const got = await matmul(ctx, a, [m, k], b, [k, n], { build: GEMM_BUILDS[0] });
      expectGemm(got, { a, b, c: new Float64Array(m * n), m, n, k }, '2-D grid', 11);
    } finally {
      ctx.limits.maxComputeWorkgroupsPerDimension = saved;
    }
  });

  it("autotune does not time a candidate's first run (its compile)", async () => {
    const ctx = get();
    forgetTuning(ctx);
    const file = join(mkdtempSync(join(tmpdir(), 'fluctus-tune-')), 'tune.json');
    // 'new' runs in 10 ms but its first run takes 1000 (lavapipe compiling it); 'old' always takes 20. Timing
    // the first run would drop 'new' as more than 3 times slower than the fastest.
    const runs = new Map<string, number>();
    const time = async (c: string) => {
      runs.set(c, (runs.get(c) ?? 0) + 1);
      return c === 'new' ? (runs.get(c) === 1 ? 1000 : 10) : 20;
    };
    const choice = await tune(ctx, 'test|first-run', ['old', 'new'], time, (x, y) => x === y, {
      file,
      kernels: [MATMUL],
      untimedFirst: true,
    });
    expect(choice).toBe('new');
    // One untimed run, the warm-up and four rounds each.
    expect([...runs.values()]).toEqual([6, 6]);
    forgetTuning(ctx);
  });

  it('autotune picks a registered build once per shape class, and caches it in a JSON file', async () => {
    const ctx = get();
    forgetTuning(ctx);
    // In a folder that does not exist yet: the cache creates it.
    const file = join(mkdtempSync(join(tmpdir(), 'fluctus-tune-')), 'new', 'tune.json');
    const before = tuneLog.length;
    const p1 = await matmulPlan(ctx, { m: 100, n: 90, k: 80 }, { tuneCache: file });
    expect(tuneLog.length).toBe(before + 1);
    expect(GEMM_BUILDS).toContainEqual(p1.build);
    const p2 = await matmulPlan(ctx, { m: 120, n: 70, k: 200 }, { tuneCache: file });
    expect(tuneLog.length).toBe(before + 1);
    expect(p2.build).toEqual(p1.build);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    const entry = saved[adapterKey(ctx)]['matmul|00|mmm'];
    expect(entry.choice).toEqual(p1.build);
    // The fingerprint of the sources and candidates it was chosen among.
    expect(entry.code).toBe(
      tuneFingerprint(
        [MATMUL],
        buildsFor(false, false).filter((b) => buildRuns(b, ctx.features)),
      ),
    );
    forgetTuning(ctx);
    await matmulPlan(ctx, { m: 100, n: 90, k: 80 }, { tuneCache: file });
    expect(tuneLog.length).toBe(before + 1);
    // A choice made among other sources (an older version) or stored bare (before fingerprints) is
    // tuned again and replaced.
    for (const stale of [{ ...entry, code: 'other code' }, entry.choice]) {
      saved[adapterKey(ctx)]['matmul|00|mmm'] = stale;
      writeFileSync(file, JSON.stringify(saved));
      forgetTuning(ctx);
      const n0 = tuneLog.length;
      await matmulPlan(ctx, { m: 100, n: 90, k: 80 }, { tuneCache: file });
      expect(tuneLog.length).toBe(n0 + 1);
      expect(JSON.parse(readFileSync(file, 'utf8'))[adapterKey(ctx)]['matmul|00|mmm'].code).toBe(entry.code);
    }
    const t0 = tuneLog.length;
    // Another process adds choices after this one read the file: a later tune here keeps them.
    saved['another adapter'] = { 'matmul|00|sss': 'theirs' };
    saved[adapterKey(ctx)]['syrk|00|lll'] = 'theirs too';
    writeFileSync(file, JSON.stringify(saved));
    const p3 = await matmulPlan(ctx, { m: 30, n: 20, k: 10 }, { tuneCache: file });
    expect(tuneLog.length).toBe(t0 + 1);
    const merged = JSON.parse(readFileSync(file, 'utf8'));
    expect(merged['another adapter']).toEqual({ 'matmul|00|sss': 'theirs' });
    expect(merged[adapterKey(ctx)]['syrk|00|lll']).toBe('theirs too');
    // m = 30, n = 20 (8..31: 'b'), k = 10.
    expect(merged[adapterKey(ctx)]['matmul|00|bbs'].choice).toMatchObject(p3.build);
    // Small m split by tile height: column sums (m = 1) and the band reduction's Z^T (m = 32) tune apart.
    const t1 = tuneLog.length;
    await matmulPlan(ctx, { m: 1, n: 100, k: 300, transA: true }, { tuneCache: file });
    await matmulPlan(ctx, { m: 32, n: 100, k: 300, transA: true }, { tuneCache: file });
    await matmulPlan(ctx, { m: 63, n: 100, k: 300, transA: true }, { tuneCache: file });
    expect(tuneLog.length).toBe(t1 + 2);
    const keys = Object.keys(JSON.parse(readFileSync(file, 'utf8'))[adapterKey(ctx)]);
    expect(keys).toEqual(expect.arrayContaining(['matmul|10|aml', 'matmul|10|cml']));
    forgetTuning(ctx);
  });

  it('autotune times swapped plans for C with few columns, and the plan it picks matches float64', async () => {
    const ctx = get();
    forgetTuning(ctx);
    const [m, n, k] = [700, 12, 37];
    const plan = await matmulPlan(ctx, { m, n, k, transB: true });
    expect(tuneLog.at(-1)!.key).toMatch(/\|swap$/);
    expect(typeof plan.swap).toBe('boolean');
    const a = f32(m * k, 21);
    const b = f32(n * k, 22);
    const got = await matmul(ctx, a, [m, k], b, [n, k], { transB: true });
    expectGemm(got, { a, b, c: new Float64Array(m * n), m, n, k, transB: true }, 'autotuned skinny C', 21);
    forgetTuning(ctx);
  });

  it('a steady-state loop compiles nothing new', async () => {
    const ctx = get();
    const build = GEMM_BUILDS[0];
    await matmul(ctx, f32(12, 1), [3, 4], f32(20, 2), [4, 5], { build });
    const before = ctx.compiles;
    for (let i = 1; i < 5; i++) await matmul(ctx, f32(4 * i * 6, i), [4 * i, 6], f32(6 * 7, i), [6, 7], { build });
    expect(ctx.compiles).toBe(before);
  });

  it('rejects bad arguments with the argument, the value and what is allowed', async () => {
    const ctx = get();
    const a = new Float32Array(6);
    await expect(matmul(ctx, a, [2, 3], a, [2, 3])).rejects.toThrow(
      /inner dimensions differ: op\(A\) is \(2, 3\) and op\(B\) is \(2, 3\)/,
    );
    await expect(matmul(ctx, a, [2, 4], a, [3, 2])).rejects.toThrow(/matmul: a: shape \[2, 4\] needs 8 values, got 6/);
    await expect(matmul(ctx, a, [2, 3], a, [3, 2], { alpha: NaN })).rejects.toThrow(/alpha must be finite, got NaN/);
    await expect(
      matmul(ctx, a, [2, 3], a, [3, 2], {
        build: { tm: 8, tn: 8, wg: 3, wx: 1, vec4: false, tiled: false, subgroup: false },
      }),
    ).rejects.toThrow(/not one of the registered builds/);
    const plan = await matmulPlan(ctx, { m: 2, n: 2, k: 3 }, { build: GEMM_BUILDS[0] });
    const t = createTensor(ctx, [6]);
    const batch = beginBatch(ctx, 'bad');
    expect(() => encodeMatmul(batch, plan, { a: t, b: t, c: t, m: 2, n: 2, k: 3, lda: 2 })).toThrow(
      /matmul: lda must be an integer in \[3, /,
    );
    expect(() => encodeMatmul(batch, plan, { a: t, b: t, c: t, m: 2, n: 2, k: 3, offsetA: 1 })).toThrow(
      /matmul: A: elements \[1, 7\) exceed the tensor's 6 elements/,
    );
    expect(() => encodeMatmul(batch, plan, { a: t, b: t, c: t, m: 2, n: 2, k: 3, transA: true })).toThrow(
      /plan was built for transA=false/,
    );
    await expect(matmulPlan(ctx, { m: 2, n: 2, k: 3 }, { build: GEMM_BUILDS.find((b) => b.vec4) })).rejects.toThrow(
      /vec4 builds need transA=true, transB=false/,
    );
    // A swapped plan names the caller's arguments, and computes no triangles.
    const swapped = await matmulPlan(ctx, { m: 2, n: 2, k: 3 }, { build: GEMM_BUILDS[0], swap: true });
    expect(() => encodeMatmul(batch, swapped, { a: t, b: t, c: t, m: 2, n: 2, k: 3, ldb: 1 })).toThrow(
      /matmul: ldb must be an integer in \[2, /,
    );
    expect(() => encodeMatmul(batch, swapped, { a: t, b: t, c: t, m: 2, n: 2, k: 3, upper: true })).toThrow(
      /swapped plan cannot compute an upper triangle/,
    );
    await expect(
      matmulPlan(ctx, { m: 2, n: 2, k: 3, upper: true }, { build: GEMM_BUILDS[0], swap: true }),
    ).rejects.toThrow(/swapped plan cannot compute an upper triangle/);
    disposeTensor(t);
  });
});
