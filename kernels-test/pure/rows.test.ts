// The row kernels (src/linalg/rows.ts): the WebAssembly build gives the JS build's bits, and the JS build
// gives plain dot products, combinations and eigh-cpu's orthonormaliseRows, at awkward sizes.
import { describe, expect, it } from 'vitest';
import { orthonormaliseRows } from '../../src/linalg/eigh-cpu.js';
import { jsRows, makeWasmRows, rowKernels } from '../../src/linalg/rows.js';
import { WASM_BASE64 } from '../../src/linalg/rows.wasm.js';
import { gaussian } from '../random.js';

const wasm = makeWasmRows(WASM_BASE64);
const SHAPES = [
  [1, 1],
  [2, 3],
  [3, 7],
  [5, 64],
  [7, 65],
  [12, 784],
  [48, 101],
] as const;

function rows(seed: number, n: number, D: number): Float64Array {
  const g = gaussian(seed);
  return Float64Array.from({ length: n * D }, g);
}

function plainDot(X: Float64Array, p: number, Y: Float64Array, q: number, D: number): number {
  let s = 0;
  for (let i = 0; i < D; i++) s += X[p * D + i]! * Y[q * D + i]!;
  return s;
}

describe('row kernels', () => {
  it('the WebAssembly build loads here (Node has WebAssembly SIMD) and is the one rowKernels() picks', () => {
    expect(wasm).not.toBeNull();
    expect(rowKernels()).not.toBe(jsRows);
    expect(makeWasmRows('')).toBeNull();
  });

  for (const [n, D] of SHAPES) {
    it(`gram and cross, ${n} rows of ${D}: plain dot products bit for bit, both builds`, () => {
      const Z = rows(n * 1000 + D, n, D);
      const Y = rows(n * 1000 + D + 1, n + 2, D);
      for (const k of [jsRows, wasm!]) {
        const G = k.gram(Z, n, D);
        const C = k.cross(Z, n, Y, n + 2, D);
        for (let p = 0; p < n; p++) {
          for (let q = 0; q < n; q++) expect(G[p * n + q]).toBe(plainDot(Z, Math.min(p, q), Z, Math.max(p, q), D));
          for (let q = 0; q < n + 2; q++) expect(C[p * (n + 2) + q]).toBe(plainDot(Z, p, Y, q, D));
        }
      }
    });

    it(`combine, ${n} rows of ${D}: both builds give sum_a S[r, a] x_a in order, zeros skipped`, () => {
      const X = rows(n + 3 * D, n, D);
      const S = rows(n + 3 * D + 1, n, n);
      // Zero coefficients (skipped) and a -0 entry of X (0 + -0 is +0 in both builds).
      for (let r = 0; r < n; r += 2) S[r * n + (r % n)] = 0;
      X[0] = -0;
      const want = new Float64Array(n * D);
      for (let r = 0; r < n; r++)
        for (let a = 0; a < n; a++)
          if (S[r * n + a] !== 0)
            for (let i = 0; i < D; i++) want[r * D + i] = want[r * D + i]! + S[r * n + a]! * X[a * D + i]!;
      for (const k of [jsRows, wasm!]) {
        const out = new Float64Array(n * D).fill(Number.NaN);
        k.combine(S, X, out, n, D);
        expect(Array.from(out)).toEqual(Array.from(want));
      }
    });

    it(`orthonormalise, ${n} rows of ${D}: the WebAssembly build gives orthonormaliseRows' bits`, () => {
      if (n > D) return;
      const x = rows(n * 7 + D, n, D);
      const a = x.slice();
      const b = x.slice();
      const fill = (seed: number) => () => Float64Array.from({ length: D }, gaussian(seed));
      orthonormaliseRows(a, n, D, fill(1));
      wasm!.orthonormalise(b, n, D, fill(1));
      expect(Array.from(b)).toEqual(Array.from(a));
    });
  }

  it('orthonormalise: dependent and zero rows are refilled as orthonormaliseRows refills them', () => {
    const D = 33;
    const x = rows(5, 6, D);
    x.copyWithin(2 * D, 0, D); // row 2 = row 0
    x.fill(0, 4 * D, 5 * D); // row 4 = 0
    const a = x.slice();
    const b = x.slice();
    const calls: number[][] = [[], []];
    const fill = (log: number[]) => {
      const g = gaussian(9);
      return (row: number) => {
        log.push(row);
        return Float64Array.from({ length: D }, g);
      };
    };
    orthonormaliseRows(a, 6, D, fill(calls[0]!));
    wasm!.orthonormalise(b, 6, D, fill(calls[1]!));
    expect(calls[0]).toEqual([2, 4]);
    expect(calls[1]).toEqual(calls[0]);
    expect(Array.from(b)).toEqual(Array.from(a));
    // Orthonormal to rounding.
    for (let p = 0; p < 6; p++)
      for (let q = 0; q < 6; q++) expect(Math.abs(plainDot(b, p, b, q, D) - (p === q ? 1 : 0))).toBeLessThan(1e-14);
  });

  it('orthonormalise: a basis that cannot be extended is an error in both builds', () => {
    const D = 2;
    const x = new Float64Array(3 * D).fill(1);
    const zero = () => new Float64Array(D);
    expect(() => orthonormaliseRows(x.slice(), 3, D, zero)).toThrow(/cannot extend the basis past 1 vectors/);
    expect(() => wasm!.orthonormalise(x.slice(), 3, D, zero)).toThrow(/cannot extend the basis past 1 vectors/);
  });
});
