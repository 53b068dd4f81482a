// Direct 2-D DFT of NHWC image batches as two passes (shaders/dft_rows.wgsl, shaders/dft_power.wgsl): a DFT
// along x for every row, then along y with the batch's power |F|^2 (summed over channels) and per-channel sums
// of F, in partial sums per group of images that the host adds in float64. Exact phases: the host builds the
// twiddle tables (cos, sin)(2 pi m / W) in float64 and the kernels index them by kx x mod W.
import type { Context } from '../runtime/context.js';
import { dispatch, grid2d, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import type { Tensor } from '../runtime/tensor.js';

export const DFT_ROWS: KernelSpec = {
  name: 'dft_rows',
  libs: ['lib/index.wgsl'],
  storage: ['read', 'read', 'read', 'read_write'],
};
export const DFT_POWER: KernelSpec = {
  name: 'dft_power',
  libs: ['lib/index.wgsl'],
  storage: ['read', 'read', 'read_write'],
};
export const DFT_WG = 64;

export interface DftKernels {
  rows: CachedPipeline;
  power: CachedPipeline;
}

export async function dftKernels(ctx: Context): Promise<DftKernels> {
  return {
    rows: await getPipeline(ctx, DFT_ROWS, { constants: { WG: DFT_WG } }),
    power: await getPipeline(ctx, DFT_POWER, { constants: { WG: DFT_WG } }),
  };
}

/** (m, 2) f32 table of (cos, sin)(2 pi j / m), computed in float64. */
export function twiddles(m: number): Float32Array {
  const t = new Float32Array(2 * m);
  for (let j = 0; j < m; j++) {
    t[2 * j] = Math.cos((2 * Math.PI * j) / m);
    t[2 * j + 1] = Math.sin((2 * Math.PI * j) / m);
  }
  return t;
}

export interface DftPowerArgs {
  /** Input v = ca * a + cb * b, each (n, h, w, c) f32 (b is not read when cb = 0; pass a again). */
  a: Tensor;
  b: Tensor;
  ca: number;
  cb: number;
  /** Twiddle tables (w, 2) and (h, 2) from twiddles(). */
  twW: Tensor;
  twH: Tensor;
  /** Scratch (n * h * w * c, 2) f32: the row DFTs. */
  g: Tensor;
  /** Output (groups, h * w, 1 + 2c) f32, overwritten: per group sum_{n,c} |F|^2 and per channel sum_n F. */
  out: Tensor;
  n: number;
  h: number;
  w: number;
  c: number;
  /** Images per group (groups = ceil(n / perGroup)). */
  perGroup: number;
}

export function dftGroups(n: number, perGroup: number): number {
  return Math.ceil(n / perGroup);
}

export function encodeDftPower(batch: Batch, k: DftKernels, x: DftPowerArgs): void {
  const elems = x.n * x.h * x.w * x.c;
  const groups = dftGroups(x.n, x.perGroup);
  if (x.g.size < 2 * elems) throw new Error(`dft: scratch g has ${x.g.size} values, needs ${2 * elems}`);
  if (x.out.size < groups * x.h * x.w * (1 + 2 * x.c))
    throw new Error(`dft: out has ${x.out.size} values, needs ${groups * x.h * x.w * (1 + 2 * x.c)}`);
  for (const [name, v] of [
    ['ca', x.ca],
    ['cb', x.cb],
  ] as const) {
    if (!Number.isFinite(v) || Math.abs(v) > 3.4e38) throw new Error(`dft: ${name} = ${v} is not a finite f32`);
  }
  dispatch(batch, k.rows, {
    params: { rows: x.n, h: x.h, w: x.w, c: x.c, ca: x.ca, cb: x.cb },
    bindings: [x.a, x.b, x.twW, x.g],
    workgroups: grid2d(batch.ctx, elems, DFT_WG),
    // Per output: w terms of (1 or 2 scaling flops + 2 multiplies + 2 adds).
    flops: elems * x.w * (x.cb !== 0 ? 6 : 5),
    bytes: 4 * elems * x.w * (x.cb !== 0 ? 2 : 1) + 8 * elems,
  });
  dispatch(batch, k.power, {
    params: { rows: x.n, h: x.h, w: x.w, c: x.c, per_group: x.perGroup, groups },
    bindings: [x.g, x.twH, x.out],
    workgroups: grid2d(batch.ctx, groups * x.h * x.w, DFT_WG),
    // Per (image, ky, kx, c): h complex multiply-adds (8 flops) and |F|^2 plus two sums (5).
    flops: elems * (8 * x.h + 5),
    bytes: 8 * elems * x.h + 4 * groups * x.h * x.w * (1 + 2 * x.c),
  });
}
