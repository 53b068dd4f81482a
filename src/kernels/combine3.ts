// Three-term linear combination of equally laid-out matrices into a slot of a batch: C(i) = a A + b B
// + c S per event and step (DESIGN.md §2, the crn form), feeding the batched eigensolvers. Operates on
// vec4 elements, so callers store matrices with a row stride that is a multiple of 4 (tridiag.ts rowStride).
import { checkInt } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { dispatch, grid2d, type Batch } from '../runtime/dispatch.js';
import { getPipeline, type CachedPipeline, type KernelSpec } from '../runtime/pipeline.js';
import type { Tensor } from '../runtime/tensor.js';

export const COMBINE3: KernelSpec = {
  name: 'combine3',
  libs: ['lib/index.wgsl'],
  storage: ['read', 'read', 'read', 'read_write'],
};
export const COMBINE3_WG = 64;
/** Invocations per dispatch: enough workgroups for every core, each looping over a strided share. */
const PARTS = 64 * COMBINE3_WG;
export const combine3Build = { constants: { WG: COMBINE3_WG } };

export function combine3Pipeline(ctx: Context): Promise<CachedPipeline> {
  return getPipeline(ctx, COMBINE3, combine3Build);
}

export interface Combine3Args {
  /** The three inputs (may be one tensor) and their element offsets (multiples of 4). */
  x: Tensor;
  y: Tensor;
  z: Tensor;
  xOffset?: number;
  yOffset?: number;
  zOffset?: number;
  out: Tensor;
  outOffset?: number;
  /** Elements to combine (a multiple of 4). */
  len: number;
  coef: readonly [number, number, number];
}

const vec4Offset = (name: string, v: number | undefined) => {
  const o = checkInt(`combine3: ${name}`, v ?? 0, 0, 0xffffffff);
  if (o % 4) throw new Error(`combine3: ${name} ${o} is not a multiple of 4 (vec4 elements)`);
  return o / 4;
};

/** Encodes out = coef[0] x + coef[1] y + coef[2] z over `len` elements into the batch. */
export function encodeCombine3(batch: Batch, p: CachedPipeline, a: Combine3Args): void {
  const len = vec4Offset('len', a.len);
  for (const [name, t, off] of [
    ['x', a.x, a.xOffset],
    ['y', a.y, a.yOffset],
    ['z', a.z, a.zOffset],
    ['out', a.out, a.outOffset],
  ] as const) {
    if ((off ?? 0) + a.len > t.size)
      throw new Error(`combine3: ${name} holds ${t.size} elements, fewer than offset ${off ?? 0} + ${a.len}`);
  }
  for (const c of a.coef)
    if (!Number.isFinite(c)) throw new Error(`combine3: coefficients must be finite, got [${a.coef.join(', ')}]`);
  const parts = Math.min(PARTS, Math.max(1, len));
  dispatch(batch, p, {
    params: {
      len,
      x_off: vec4Offset('xOffset', a.xOffset),
      y_off: vec4Offset('yOffset', a.yOffset),
      z_off: vec4Offset('zOffset', a.zOffset),
      o_off: vec4Offset('outOffset', a.outOffset),
      parts,
      ca: a.coef[0],
      cb: a.coef[1],
      cc: a.coef[2],
    },
    bindings: [a.x, a.y, a.z, a.out],
    workgroups: grid2d(batch.ctx, parts, COMBINE3_WG),
    flops: 5 * a.len,
    bytes: 16 * a.len,
  });
}
