// Philox4x32-10 on the GPU: raw 32-bit words or N(0, 1) deviates for arbitrary counters.
import { checkInt, seedKey } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { beginBatch, dispatch, grid2d, submit } from '../runtime/dispatch.js';
import { getPipeline, type KernelSpec } from '../runtime/pipeline.js';
import { createTensor, disposeTensor, readback } from '../runtime/tensor.js';

/** Library parts every kernel that draws normals concatenates before its own file. */
export const RNG_LIBS = ['lib/index.wgsl', 'lib/philox.wgsl', 'lib/normal_tables.wgsl', 'lib/normal.wgsl'];

export const PHILOX: KernelSpec = { name: 'philox', libs: RNG_LIBS, storage: ['read', 'read_write'] };
export const PHILOX_WG = 64;

export type PhiloxOutput = 'words' | 'normal' | 'transform';
const OUTPUTS: readonly PhiloxOutput[] = ['words', 'normal', 'transform'];

export interface PhiloxOptions {
  /** Either a seed (integer in [0, 2^53), split into the two key words) or the raw key. */
  seed?: number;
  key?: readonly [number, number];
  /**
   * 'words' (default): the Philox output words. 'normal': the four N(0, 1) deviates lib/normal.wgsl
   * makes from each output block. 'transform': those deviates made from the counters themselves
   * taken as the words (no Philox), to check the transform at chosen inputs.
   */
  output?: PhiloxOutput;
}

export function philoxBuild(output: PhiloxOutput) {
  return { constants: { WG: PHILOX_WG }, variant: { normal: output !== 'words', transform: output === 'transform' } };
}

/** counters: (count, 4) u32 words. Returns (count, 4) words, or (count, 4) f32 normals. */
export async function philox(
  ctx: Context,
  counters: Uint32Array,
  opts: PhiloxOptions & { output: 'normal' | 'transform' },
): Promise<Float32Array>;
export async function philox(ctx: Context, counters: Uint32Array, opts?: PhiloxOptions): Promise<Uint32Array>;
export async function philox(
  ctx: Context,
  counters: Uint32Array,
  opts: PhiloxOptions = {},
): Promise<Uint32Array | Float32Array> {
  if (counters.length % 4 !== 0)
    throw new Error(`philox: counters must hold 4 words per block, got ${counters.length} words`);
  const key = opts.key ? opts.key.map((k, i) => checkInt(`key[${i}]`, k, 0, 0xffffffff)) : seedKey(opts.seed ?? 0);
  const count = counters.length / 4;
  const output = opts.output ?? 'words';
  if (!OUTPUTS.includes(output)) throw new Error(`philox: output '${output}' is not one of ${OUTPUTS.join(', ')}`);
  const normal = output !== 'words';
  const p = await getPipeline(ctx, PHILOX, philoxBuild(output));
  const ctr = createTensor(ctx, [count, 4], { dtype: 'u32', data: counters, label: 'philox.ctr' });
  const out = createTensor(ctx, [count, 4], { dtype: normal ? 'f32' : 'u32', label: 'philox.out' });
  try {
    const batch = beginBatch(ctx, 'philox');
    dispatch(batch, p, {
      params: { key, count },
      bindings: [ctr, out],
      workgroups: grid2d(ctx, count, PHILOX_WG),
      bytes: 32 * count,
    });
    submit(batch);
    return await readback(ctx, out);
  } finally {
    disposeTensor(ctr);
    disposeTensor(out);
  }
}
