// GroupNorm forward (saved mean / rstd) and backward over NHWC against the float64 reference of
// kernels-test/ref/nn_image_norm.ts (whose backward is checked by finite differences in
// pure/nn_image_ref.test.ts): groups 1 and > 1, one and two reduction levels, the f32 and vec4 (c % 4 == 0)
// builds, with and without per-image channel offsets e (GroupNorm of x + e, whose gradient de is the pixel
// sum of the reference dx), constant groups, bad input.
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeGpu } from './device.js';
import {
  blockPlan,
  disposeImageKernels,
  encodeGroupNorm,
  encodeGroupNormBackward,
  imageKernels,
  type ImageKernels,
} from '../../src/kernels/nn_image.js';
import { groupNorm, groupNormBackward, type GroupDims } from '../ref/nn_image_norm.js';
import { abs, add, cleanup, down, expectBound, f32, run, up } from './nn_image_host.js';
import { silu, siluGrad } from '../ref/nn_dense.js';
import { expectSameBits } from '../compare.js';
import type { Tensor } from '../../src/runtime/tensor.js';

// (n, hw, c, groups): a single value; 5 x 5 with 4 groups of 4; 7 x 7 with groups of 1 channel; 14 x 14 in one
// group (two levels); 8 x 8 x 3; 2 x 7 x 16 in 8 groups of 2; 1 x 1 images; vec4 builds whose quads straddle
// groups of 3 (one image of 3 x 3, and 7 x 7), 1 x 1 images in groups of 1 of a vec4 build, and 33 pixels
// (a last block of 1) of 6 channels in groups of 3.
const CASES: GroupDims[] = [
  { n: 1, hw: 1, c: 1, groups: 1 },
  { n: 2, hw: 25, c: 16, groups: 4 },
  { n: 3, hw: 49, c: 5, groups: 5 },
  { n: 1, hw: 196, c: 16, groups: 1 },
  { n: 2, hw: 64, c: 3, groups: 1 },
  { n: 3, hw: 14, c: 16, groups: 8 },
  { n: 2, hw: 1, c: 3, groups: 3 },
  { n: 1, hw: 9, c: 12, groups: 4 },
  { n: 3, hw: 49, c: 24, groups: 8 },
  { n: 2, hw: 1, c: 8, groups: 8 },
  { n: 1, hw: 33, c: 6, groups: 2 },
];
const EPS = 1e-5;

/**
 * Summation length for the bounds: per channel Welford updates over a block of at most blockRows pixels,
 * then cpg * blocks merges (forward), or blockRows pixels, then blocks, then cpg channels or n images
 * (backward); doubled for the two roundings per update / the product terms, plus a few roundings of the
 * elementwise formula.
 */
function sumLength(d: GroupDims): number {
  const cpg = d.c / d.groups;
  const { blocks, blockRows } = blockPlan(d.hw, 1);
  return 2 * Math.max(blockRows + cpg * blocks, blockRows + blocks + d.n + cpg) + 8;
}

describeGpu('nn_image GroupNorm', (get) => {
  let k: ImageKernels;
  beforeAll(async () => {
    k = await imageKernels(get());
  });
  afterAll(() => disposeImageKernels(k));
  afterEach(cleanup);

  for (const d of CASES) {
    for (const withOffset of [false, true]) {
      it(`forward and backward match float64 for ${JSON.stringify(d)}${withOffset ? ' of x + e' : ''}`, async () => {
        const ctx = get();
        const { n, hw, c, groups } = d;
        const cpg = c / groups;
        const size = n * hw * c;
        const seed = n * 1000 + hw * 10 + c + groups + (withOffset ? 7 : 0);
        const x = f32(size, seed, 2, 0.5);
        const e = withOffset ? f32(n * c, seed + 6, 3) : null;
        const gamma = f32(c, seed + 1, 1, 1);
        const beta = f32(c, seed + 2);
        const dy = f32(size, seed + 3);
        const dg0 = f32(c, seed + 4);
        const db0 = f32(c, seed + 5);
        const de0 = f32(n * c, seed + 8);
        const [X, G, B, Y, M, R, S] = [
          up(ctx, x),
          up(ctx, gamma),
          up(ctx, beta),
          up(ctx, size),
          up(ctx, n * groups),
          up(ctx, n * groups),
          up(ctx, n * c),
        ];
        const [DY, DX, DG, DB, DE] = [up(ctx, dy), up(ctx, f32(size, 9)), up(ctx, dg0), up(ctx, db0), up(ctx, de0)];
        const E = e ? up(ctx, e) : null;
        const off = E ? { offset: E } : {};
        // The arguments the plain and SILU builds share, forward and backward.
        const fwd = { x: X, gamma: G, beta: B, mean: M, rstd: R, shift: S, ...off, n, hw, c, groups, eps: EPS };
        const bwd = { x: X, dy: DY, gamma: G, shift: S, rstd: R, n, hw, c, groups };
        run(ctx, (bt) => {
          encodeGroupNorm(bt, k, { ...fwd, y: Y });
          encodeGroupNormBackward(bt, k, { ...bwd, dx: DX, dgamma: DG, dbeta: DB, ...(E ? { de: DE } : {}) });
        });
        // The norm's input x + e in float64 (the kernels never form it in f32).
        const nc = (i: number) => Math.floor(i / (hw * c)) * c + (i % c);
        const xe = Float64Array.from(x, (v, i) => v + (e ? e[nc(i)]! : 0));
        const ref = groupNorm(xe, gamma, beta, d, EPS);
        const L = sumLength(d);
        // Scales: the group's mean |x| + |e| (for the mean and, times rstd, for xhat), |xhat| and
        // |gamma xhat| + |beta|.
        const xAbs = Float64Array.from(x, (v, i) => Math.abs(v) + (e ? Math.abs(e[nc(i)]!) : 0));
        const absMean = Float64Array.from({ length: n * groups }, (_, ng) => {
          let s = 0;
          const nn = Math.floor(ng / groups);
          const c0 = (ng % groups) * cpg;
          for (let p = 0; p < hw; p++) for (let j = 0; j < cpg; j++) s += xAbs[(nn * hw + p) * c + c0 + j]!;
          return s / (hw * cpg);
        });
        const grp = (i: number) => Math.floor(i / (hw * c)) * groups + Math.floor((i % c) / cpg);
        const xhat = Float64Array.from(xe, (v, i) => (v - ref.mean[grp(i)]!) * ref.rstd[grp(i)]!);
        const yScale = Float64Array.from(
          x,
          (_, i) =>
            Math.abs(gamma[i % c]!) * (ref.rstd[grp(i)]! * absMean[grp(i)]! + Math.abs(xhat[i]!)) +
            Math.abs(beta[i % c]!),
        );
        expectBound(await down(ctx, M), ref.mean, absMean, L, 'mean', seed);
        expectBound(await down(ctx, R), ref.rstd, ref.rstd, L, 'rstd', seed);
        const yGot = await down(ctx, Y);
        expectBound(yGot, ref.y, yScale, L, 'y', seed);
        // SILU build (inference graphs): silu of the same y in the same pass, within a few roundings of exp.
        const Y2 = up(ctx, size);
        run(ctx, (bt) => encodeGroupNorm(bt, k, { ...fwd, y: Y2, silu: true }));
        expectBound(await down(ctx, Y2), Float64Array.from(yGot, silu), abs(yGot), 8, 'silu(y)', seed);

        // Backward: the saved f32 statistics carry relative errors ~ gamma_L, and each gradient term is a sum
        // of dy, gamma dy and gamma dy xhat; the scales bound those sums' magnitudes times (1 + rstd |mean|).
        // `dyAbs` bounds |dy| and its error's scale (the SILU build's dy = da silu'(y) takes y's error).
        const shift = (i: number) => 1 + ref.rstd[grp(i)]! * absMean[grp(i)]!;
        const checkBackward = async (
          dyRef: ArrayLike<number>,
          dyAbs: ArrayLike<number>,
          got: { dx: Tensor<'f32'>; dg: Tensor<'f32'>; db: Tensor<'f32'>; de: Tensor<'f32'> },
          tag: string,
        ) => {
          const g = groupNormBackward(xe, gamma, dyRef, d, EPS);
          const gAbs = new Float64Array(n * groups);
          const gxAbs = new Float64Array(n * groups);
          x.forEach((_, i) => {
            gAbs[grp(i)] += Math.abs(gamma[i % c]! * dyAbs[i]!) / (hw * cpg);
            gxAbs[grp(i)] += Math.abs(gamma[i % c]! * dyAbs[i]! * xhat[i]!) / (hw * cpg);
          });
          const dxScale = Float64Array.from(x, (_, i) => {
            const r = ref.rstd[grp(i)]!;
            return (
              r *
              shift(i) *
              (Math.abs(gamma[i % c]! * dyAbs[i]!) + gAbs[grp(i)]! + (1 + Math.abs(xhat[i]!)) * gxAbs[grp(i)]!)
            );
          });
          const dgScale = Float64Array.from(dg0, Math.abs);
          const dbScale = Float64Array.from(db0, Math.abs);
          x.forEach((_, i) => {
            dgScale[i % c] += dyAbs[i]! * (Math.abs(xhat[i]!) + 1) * shift(i);
            dbScale[i % c] += dyAbs[i]!;
          });
          expectBound(await down(ctx, got.dx), g.dx, dxScale, L, `${tag}dx`, seed);
          expectBound(await down(ctx, got.dg), add(g.dgamma, dg0), dgScale, L, `${tag}dgamma`, seed);
          expectBound(await down(ctx, got.db), add(g.dbeta, db0), dbScale, L, `${tag}dbeta`, seed);
          // de = sum over pixels of dx (e enters as a per-image channel shift of x), bounded by the pixel
          // sum of dx's scale; without an offset de is untouched.
          const deRef = Float64Array.from(de0);
          const deScale = Float64Array.from(de0, Math.abs);
          g.dx.forEach((v, i) => {
            deRef[nc(i)] += v;
            deScale[nc(i)] += dxScale[i]!;
          });
          if (e) expectBound(await down(ctx, got.de), deRef, deScale, L, `${tag}de`, seed);
          else expect(Array.from(await down(ctx, got.de))).toEqual(Array.from(de0));
        };
        await checkBackward(dy, abs(dy), { dx: DX, dg: DG, db: DB, de: DE }, '');
        // SILU build: dy is the gradient of silu(y), with y recomputed from x inside the backward passes;
        // silu' has slope <= 1, so y's error scale joins |dy|'s.
        const [DX2, DG2, DB2, DE2] = [up(ctx, size), up(ctx, dg0), up(ctx, db0), up(ctx, de0)];
        run(ctx, (bt) =>
          encodeGroupNormBackward(bt, k, {
            ...bwd,
            dx: DX2,
            dgamma: DG2,
            dbeta: DB2,
            ...(E ? { de: DE2 } : {}),
            silu: true,
            beta: B,
          }),
        );
        const dySilu = Float64Array.from(dy, (v, i) => v * siluGrad(ref.y[i]!));
        const dySiluAbs = Float64Array.from(dy, (v, i) => Math.abs(v) * (Math.abs(siluGrad(ref.y[i]!)) + yScale[i]!));
        await checkBackward(dySilu, dySiluAbs, { dx: DX2, dg: DG2, db: DB2, de: DE2 }, 'silu ');
      });
    }
  }

  it('backward with accumulate adds dx: the bits of overwriting, then adding in f32 (plain and SILU, f32 and vec4)', async () => {
    const ctx = get();
    // vec4 in 4 groups, f32 channels in groups of 1, two reduction levels with groups straddling quads.
    for (const d of [CASES[1]!, CASES[2]!, CASES[8]!]) {
      const { n, hw, c, groups } = d;
      const size = n * hw * c;
      const seed = 31 + c + hw;
      const [X, G, B, DY] = [
        f32(size, seed, 2, 0.5),
        f32(c, seed + 1, 1, 1),
        f32(c, seed + 2),
        f32(size, seed + 3),
      ].map((v) => up(ctx, v)) as [Tensor<'f32'>, Tensor<'f32'>, Tensor<'f32'>, Tensor<'f32'>];
      const [M, R, S] = [up(ctx, n * groups), up(ctx, n * groups), up(ctx, n * c)];
      const stats = { gamma: G, beta: B, mean: M, rstd: R, shift: S, n, hw, c, groups };
      run(ctx, (bt) => encodeGroupNorm(bt, k, { ...stats, x: X, y: up(ctx, size) }));
      const dx0 = f32(size, seed + 4);
      for (const silu of [false, true]) {
        const got = [];
        for (const accumulate of [false, true]) {
          const DX = up(ctx, accumulate ? dx0 : size);
          const [dgamma, dbeta] = [up(ctx, c), up(ctx, c)];
          const args = {
            x: X,
            dy: DY,
            gamma: G,
            shift: S,
            rstd: R,
            dx: DX,
            accumulate,
            dgamma,
            dbeta,
            n,
            hw,
            c,
            groups,
          };
          run(ctx, (bt) => encodeGroupNormBackward(bt, k, { ...args, ...(silu ? { silu, beta: B } : {}) }));
          got.push(await down(ctx, DX));
        }
        const want = Float32Array.from(got[0]!, (v, i) => dx0[i]! + v);
        expectSameBits(got[1]!, want, `${JSON.stringify(d)}${silu ? ' silu' : ''}: accumulated dx`);
      }
    }
  });

  it('a constant group normalises to beta (rstd = 1 / sqrt(eps)), and adds nothing to dgamma', async () => {
    const ctx = get();
    const [n, hw, c, groups] = [1, 9, 4, 2];
    const x = Float32Array.from({ length: 36 }, (_, i) => (i % 4 < 2 ? 3 : i));
    const gamma = [1, 2, 3, 4];
    const beta = [0.5, -1, 2, 7];
    const [X, G, B, Y, M, R] = [up(ctx, x), up(ctx, gamma), up(ctx, beta), up(ctx, 36), up(ctx, 2), up(ctx, 2)];
    const [S, DY, DX, DG, DB] = [up(ctx, 4), up(ctx, f32(36, 3)), up(ctx, 36), up(ctx, 4), up(ctx, 4)];
    run(ctx, (bt) => {
      encodeGroupNorm(bt, k, {
        x: X,
        y: Y,
        gamma: G,
        beta: B,
        mean: M,
        rstd: R,
        shift: S,
        n,
        hw,
        c,
        groups,
        eps: 1e-4,
      });
      encodeGroupNormBackward(bt, k, {
        x: X,
        dy: DY,
        gamma: G,
        shift: S,
        rstd: R,
        dx: DX,
        dgamma: DG,
        dbeta: DB,
        n,
        hw,
        c,
        groups,
      });
    });
    const y = await down(ctx, Y);
    const dg = await down(ctx, DG);
    expect((await down(ctx, M))[0]).toBe(3);
    expect((await down(ctx, R))[0]).toBeCloseTo(100, 4);
    for (let p = 0; p < hw; p++) expect([y[p * 4], y[p * 4 + 1]]).toEqual([0.5, -1]);
    expect([dg[0], dg[1]]).toEqual([0, 0]);
  });

  it('rejects bad arguments', () => {
    const ctx = get();
    const X = up(ctx, 12);
    const S = up(ctx, 4);
    const a = {
      x: X,
      y: up(ctx, 12),
      gamma: S,
      beta: S,
      mean: up(ctx, 4),
      rstd: up(ctx, 4),
      shift: up(ctx, 4),
      n: 1,
      hw: 4,
      c: 3,
      groups: 2,
    };
    expect(() => run(ctx, (bt) => encodeGroupNorm(bt, k, a))).toThrow('groupNorm: groups = 2 must divide c = 3');
    expect(() => run(ctx, (bt) => encodeGroupNorm(bt, k, { ...a, groups: 3, eps: -1 }))).toThrow(
      'groupNorm: eps must be a finite number >= 0, got -1',
    );
    expect(() => run(ctx, (bt) => encodeGroupNorm(bt, k, { ...a, groups: 3, n: 2 }))).toThrow(
      'groupNorm: x holds 12 elements, needs at least 24',
    );
    const b = {
      x: X,
      dy: a.y,
      gamma: S,
      shift: a.shift,
      rstd: a.rstd,
      dx: a.y,
      dgamma: up(ctx, 3),
      dbeta: up(ctx, 3),
      n: 1,
      hw: 4,
      c: 3,
      groups: 3,
    };
    expect(() => run(ctx, (bt) => encodeGroupNormBackward(bt, k, b))).toThrow(
      'groupNormBackward: dx and dy must be different tensors',
    );
  });
});
