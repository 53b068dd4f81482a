// Host helpers for the image-op GPU tests: seeded f32 inputs, tensors in and out, one batch per call,
// and the comparison against a float64 reference under a per-element bound gamma_L * scale
// (gemmBound from ref/matmul.ts: (L + 2) u / (1 - (L + 2) u), u = 2^-24, for sums of L terms).
import type { Context } from '../../src/runtime/context.js';
import { beginBatch, submit, type Batch } from '../../src/runtime/dispatch.js';
import { createTensor, disposeTensor, readback, type Tensor } from '../../src/runtime/tensor.js';
import { gemmBound, scaled } from '../ref/matmul.js';
import { expectClose } from '../compare.js';
import { randn } from '../random.js';

export const f32 = (n: number, seed: number, scale = 1, shift = 0) =>
  Float32Array.from(randn(n, seed), (v) => scale * v + shift);

/** Tensors made by `up` in this test, destroyed by `cleanup`. */
const made: Tensor[] = [];

export function up(ctx: Context, data: ArrayLike<number> | number, label = 'test'): Tensor<'f32'> {
  const t =
    typeof data === 'number'
      ? createTensor(ctx, [data], { label })
      : createTensor(ctx, [Math.max(1, data.length)], { data, label });
  made.push(t);
  return t;
}

export const down = (ctx: Context, t: Tensor<'f32'>, length?: number) => readback(ctx, t, 0, length ?? t.size);

export function cleanup(): void {
  for (const t of made.splice(0)) disposeTensor(t);
}

/** Encodes with `fn` into one batch and submits it. */
export function run(ctx: Context, fn: (b: Batch) => void): void {
  const batch = beginBatch(ctx, 'nn_image test');
  fn(batch);
  submit(batch);
}

/** |got - ref| <= gamma_L * scale element-wise (scale: float64 bound of the summed magnitudes). */
export function expectBound(
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
  scale: ArrayLike<number>,
  L: number,
  label: string,
  seed?: number,
): void {
  const [g, r] = scaled(got, ref, scale);
  expectClose(g, r, { atol: gemmBound(L), rtol: 0, label, seed });
}

export const abs = (a: ArrayLike<number>) => Float64Array.from(a, Math.abs);
export const add = (a: ArrayLike<number>, b: ArrayLike<number>) => Float64Array.from(a, (v, i) => v + b[i]!);
