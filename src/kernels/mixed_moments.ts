// The normality test's inputs on the GPU (src/analysis/normality-steps.ts): the one-draw noise eps of the
// data rows is generated where it is used (never read back), each column's mixed power sums of (x0, eps)
// come from mixed_moments.wgsl, and the projections of x0 and eps on the top directions from matmul. Only
// the sums (blocks x 14 x D pairs) and the (N, r) projections are read back; the host merges the blocks
// in float64 and centres them. x0 is shifted by its column means before the powers; eps is not (its mean
// is ~ N^-1/2), so centring eps's sums loses ~ 2^-24 mean(eps)^2 / var(eps) ~ 2^-24 / N relative.
// On Fashion-MNIST this replaces a 188 MB readback of eps and a float64 host
// pass over 2 x 47 M values.
import type { Context } from '../runtime/context.js';
import { beginBatch, dispatch, submit, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import { createTensor, disposeTensor, readback, rowChunks, upload, type Tensor } from '../runtime/tensor.js';
import { checkInt, seedKey } from '../runtime/check.js';
import { encodeForwardNoise, forwardNoisePipeline } from './forward_noise.js';
import { encodeMatmul, matmulPlan } from './matmul.js';

export const MIXED_MOMENTS: KernelSpec = {
  name: 'mixed_moments',
  libs: ['lib/twosum.wgsl'],
  storage: ['read', 'read', 'read', 'read_write'],
};
const WG = 64;
/** Rows per block: the compensated sums' error does not grow with it; fewer blocks, less to read back. */
export const MIXED_BLOCK = 1024;
/** The orders (m, n), 1 <= m + n <= 4, of the sums, in the kernel's order. */
export const MIXED_ORDERS: readonly (readonly [number, number])[] = [
  [1, 0],
  [0, 1],
  [2, 0],
  [1, 1],
  [0, 2],
  [3, 0],
  [2, 1],
  [1, 2],
  [0, 3],
  [4, 0],
  [3, 1],
  [2, 2],
  [1, 3],
  [0, 4],
];

export interface MixedMomentsArgs {
  x: Tensor;
  e: Tensor;
  /** Per column, subtracted from x before the powers (the column means, or close to them). */
  shift: Tensor;
  /** (ceil(rows / MIXED_BLOCK), 14, cols) Kahan pairs. */
  out: Tensor;
  rows: number;
  cols: number;
}

export const mixedMomentsBuild = { constants: { WG } };
export const mixedMomentsPipeline = (ctx: Context) => getPipeline(ctx, MIXED_MOMENTS, mixedMomentsBuild);

export function encodeMixedMoments(batch: Batch, p: CachedPipeline, a: MixedMomentsArgs): void {
  const blocks = Math.ceil(a.rows / MIXED_BLOCK);
  if (a.out.size < blocks * MIXED_ORDERS.length * a.cols * 2)
    throw new Error(`mixed_moments: out holds ${a.out.size} values, ${blocks * 28 * a.cols} needed`);
  dispatch(batch, p, {
    params: { rows: a.rows, cols: a.cols, block: MIXED_BLOCK, one: 1 },
    bindings: [a.x, a.e, a.shift, a.out],
    workgroups: [Math.ceil(a.cols / WG), blocks],
    flops: a.rows * a.cols * 14 * 5,
    bytes: a.rows * a.cols * 8,
  });
}

/**
 * Central mixed moments mu[m][n] = mean((x - mean x)^m (e - mean e)^n), m + n <= 4 (a 5 x 5 table per
 * column, mu[0][0] = 1, first moments 0) from raw sums about a shift: sums[c * 14 + t] = sum of
 * dx^m de^n in MIXED_ORDERS' order, dx = x - shift. Binomial expansion about the sums' own means, float64.
 */
export function centredMixedMoments(sums: Float64Array, N: number, cols: number): number[][][] {
  const binom = [[1], [1, 1], [1, 2, 1], [1, 3, 3, 1], [1, 4, 6, 4, 1]];
  return Array.from({ length: cols }, (_, c) => {
    // raw[m][n] = mean(dx^m de^n) about the shift.
    const raw = Array.from({ length: 5 }, () => new Array<number>(5).fill(0));
    raw[0]![0] = 1;
    MIXED_ORDERS.forEach(([m, n], t) => (raw[m]![n] = sums[c * 14 + t]! / N));
    const mx = raw[1]![0]!;
    const me = raw[0]![1]!;
    const mu = Array.from({ length: 5 }, () => new Array<number>(5).fill(0));
    for (let m = 0; m <= 4; m++) {
      for (let n = 0; m + n <= 4; n++) {
        let s = 0;
        for (let a = 0; a <= m; a++)
          for (let b = 0; b <= n; b++)
            s += binom[m]![a]! * binom[n]![b]! * (-mx) ** (m - a) * (-me) ** (n - b) * raw[a]![b]!;
        mu[m]![n] = s;
      }
    }
    mu[0]![0] = 1;
    mu[1]![0] = 0;
    mu[0]![1] = 0;
    return mu;
  });
}

export interface NoisedMomentsOptions {
  seed: number;
  /** Philox stream and step tag of eps (as standardNormals). */
  stream: number;
  step?: number;
}

/**
 * For data x0 (N, D) and directions v (D, r): eps (N, D) ~ N(0, I) as standardNormals draws it, the
 * projections px = x0 v and pe = eps v ((N, r) each) and the central mixed moments of (x0, eps) per
 * coordinate (centredMixedMoments' tables). eps never leaves the GPU; x0 is uploaded in row chunks.
 */
export async function noisedMoments(
  ctx: Context,
  x: Float32Array,
  N: number,
  D: number,
  v: Float32Array,
  r: number,
  opts: NoisedMomentsOptions,
): Promise<{ px: Float32Array; pe: Float32Array; coords: number[][][] }> {
  checkInt('noisedMoments: N', N, 1, 2 ** 31 - 1);
  checkInt('noisedMoments: D', D, 1, 2 ** 31 - 1);
  checkInt('noisedMoments: r', r, 1, D);
  if (x.length !== N * D) throw new Error(`noisedMoments: x holds ${x.length} values, not N * D = ${N * D}`);
  if (v.length !== D * r) throw new Error(`noisedMoments: v holds ${v.length} values, not D * r = ${D * r}`);
  // Shift: the column means of x0 (float64, rounded to f32), so the powers are of centred values.
  const mean = new Float64Array(D);
  for (let i = 0; i < N; i++) for (let c = 0; c < D; c++) mean[c]! += x[i * D + c]!;
  const shift = Float32Array.from(mean, (s) => s / N);
  // Chunks of whole blocks, small enough for one binding and for two (rows, D) buffers.
  const chunks = rowChunks(N, 4 * D, Math.min(ctx.limits.maxStorageBufferBindingSize, 64 << 20), MIXED_BLOCK);
  const per = chunks[0]!.count;
  const blocksPer = Math.ceil(per / MIXED_BLOCK);
  const noise = await forwardNoisePipeline(ctx);
  const mm = await mixedMomentsPipeline(ctx);
  const proj = await matmulPlan(ctx, { m: per, n: r, k: D });
  const t: Tensor[] = [];
  const make = (shape: number[], label: string, data?: ArrayLike<number>) => {
    const x = createTensor(ctx, shape, { label, ...(data ? { data } : {}) });
    t.push(x);
    return x;
  };
  const xT = make([per, D], 'noised_moments.x');
  const zeros = make([per, D], 'noised_moments.zeros');
  const eT = make([per, D], 'noised_moments.e');
  const shiftT = make([D], 'noised_moments.shift', shift);
  const vT = make([D, r], 'noised_moments.v', v);
  const pT = make([2, per, r], 'noised_moments.proj');
  const outT = make([blocksPer, 14, D, 2], 'noised_moments.sums');
  const stepsT = createTensor(ctx, [1], { dtype: 'u32', data: [opts.step ?? 0], label: 'noised_moments.steps' });
  t.push(stepsT);
  const coefT = make([1, 2], 'noised_moments.coef', [0, 1]);
  const sums = new Float64Array(D * 14);
  const px = new Float32Array(N * r);
  const pe = new Float32Array(N * r);
  try {
    for (const { start, count } of chunks) {
      upload(ctx, xT, x.subarray(start * D, (start + count) * D));
      const batch = beginBatch(ctx, 'noised_moments');
      encodeForwardNoise(batch, noise, {
        x0: zeros,
        out: eT,
        steps: stepsT,
        coef: coefT,
        rows: count,
        cols: D,
        rowOffset: start,
        numSteps: 1,
        key: seedKey(opts.seed),
        stream: opts.stream,
      });
      encodeMixedMoments(batch, mm, { x: xT, e: eT, shift: shiftT, out: outT, rows: count, cols: D });
      for (const [q, a] of [xT, eT].entries())
        encodeMatmul(batch, proj, { a, b: vT, c: pT, m: count, n: r, k: D, offsetC: q * per * r });
      submit(batch);
      const p = (await readback(ctx, pT)) as Float32Array;
      px.set(p.subarray(0, count * r), start * r);
      pe.set(p.subarray(per * r, per * r + count * r), start * r);
      const blocks = Math.ceil(count / MIXED_BLOCK);
      const o = (await readback(ctx, outT, 0, blocks * 14 * D * 2)) as Float32Array;
      for (let b = 0; b < blocks; b++)
        for (let q = 0; q < 14; q++)
          for (let c = 0; c < D; c++) {
            const at = ((b * 14 + q) * D + c) * 2;
            sums[c * 14 + q]! += o[at]! + o[at + 1]!;
          }
    }
  } finally {
    t.forEach(disposeTensor);
  }
  return { px, pe, coords: centredMixedMoments(sums, N, D) };
}
