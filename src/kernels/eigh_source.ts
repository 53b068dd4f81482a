// Where a symmetric matrix for the eigensolvers lives: a GPU tensor (optionally one matrix of a
// stack, from an element offset) or a CPU array that gets uploaded. Shared by eigh.ts and eigh_top.ts.
import { checkFinite, checkInt } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { createTensor, disposeTensor, readback, type Tensor } from '../runtime/tensor.js';

export type SymmetricInput = Tensor | Float32Array | Float64Array;

export interface MatrixOnGpu {
  tensor: Tensor;
  offset: number;
  release: () => void;
}

function isTensor(c: SymmetricInput): c is Tensor {
  return typeof c === 'object' && c !== null && 'buffer' in c && 'shape' in c && 'dtype' in c;
}

/** Checks (d, d) at `offset`; arrays are checked for non-finite values (first bad row, column). */
export function matrixOnGpu(ctx: Context, fn: string, c: SymmetricInput, d: number, offset = 0): MatrixOnGpu {
  checkInt(`${fn}: d`, d, 1, Math.floor(Math.sqrt(ctx.limits.maxStorageBufferBindingSize / 4)));
  if (isTensor(c)) {
    if (c.dtype !== 'f32') throw new Error(`${fn}: c must be an f32 tensor, got ${c.dtype}`);
    checkInt(`${fn}: offset`, offset, 0, Math.max(0, c.size - d * d));
    if (c.size < offset + d * d)
      throw new Error(`${fn}: c holds ${c.size} elements, fewer than offset ${offset} + ${d} x ${d}`);
    if (c.buffer.size > ctx.limits.maxStorageBufferBindingSize) {
      throw new Error(
        `${fn}: c (${c.buffer.size} bytes) exceeds one storage binding of ${ctx.limits.maxStorageBufferBindingSize} bytes`,
      );
    }
    return { tensor: c, offset, release: () => undefined };
  }
  const host = matrixOnHost(fn, c, d);
  const tensor = createTensor(ctx, [d, d], {
    data: host instanceof Float32Array ? host : Float32Array.from(host),
    label: `${fn}.c`,
  });
  return { tensor, offset: 0, release: () => disposeTensor(tensor) };
}

/** The (d, d) matrix on the CPU, checked: arrays as given, tensors read back. */
export function matrixOnHost(fn: string, c: Float32Array | Float64Array, d: number): Float32Array | Float64Array {
  if (!(c instanceof Float32Array || c instanceof Float64Array)) {
    throw new Error(`${fn}: c must be a Tensor, Float32Array or Float64Array`);
  }
  if (c.length !== d * d) throw new Error(`${fn}: c must hold d * d = ${d * d} values for d = ${d}, got ${c.length}`);
  checkFinite(`${fn}: c`, c, d);
  return c;
}

export async function readMatrix(
  ctx: Context,
  fn: string,
  c: SymmetricInput,
  d: number,
  offset = 0,
): Promise<Float32Array | Float64Array> {
  if (!isTensor(c)) return matrixOnHost(fn, c, d);
  const g = matrixOnGpu(ctx, fn, c, d, offset);
  return matrixOnHost(fn, (await readback(ctx, g.tensor, g.offset, d * d)) as Float32Array, d);
}

/** After a non-finite result: names the first bad entry of C, or says the iteration overflowed. */
export async function explainNonFinite(ctx: Context, fn: string, m: MatrixOnGpu, d: number): Promise<never> {
  matrixOnHost(fn, (await readback(ctx, m.tensor, m.offset, d * d)) as Float32Array, d);
  throw new Error(`${fn}: the iteration produced non-finite values from a finite matrix (overflow in f32)`);
}

/** Gaussian vectors from a seeded generator (splitmix32 + Box-Muller), for start bases. */
export function seededGaussian(seed: number): () => number {
  let s = checkInt('seed', seed, 0, 0xffffffff) >>> 0;
  const u = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (((z ^ (z >>> 16)) >>> 0) + 0.5) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
}
