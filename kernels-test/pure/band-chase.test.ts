// The WebAssembly SIMD bulge chase (src/linalg/band-chase.wat via makeBandChase in band.ts) against the
// float64 JS reduction it replaces, bandToTridiagonal: the same d and e bit for bit on random bands of
// awkward orders and bandwidths (odd and even row counts below each block, so both the paired and the
// single last row of the SIMD loop run), skipped rotations (zero columns), graded and extreme scales,
// memory that grows and shrinks back; and the generated module is the bytes of the .wat.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { WASM_BASE64 } from '../../src/linalg/band-chase.wasm.js';
import { bandReduce, bandToTridiagonal, checkBand, makeBandChase } from '../../src/linalg/band.js';
import { gaussian } from '../random.js';

const chase = makeBandChase(WASM_BASE64, checkBand)!;

/** Random lower band storage ((n, b + 1)), entries scaled by scale(j, r), columns in zeroCols zero. */
function band(n: number, b: number, seed: number, scale = (_j: number, _r: number) => 1, zeroCols: number[] = []) {
  const g = gaussian(seed);
  const ab = new Float64Array(n * (b + 1));
  for (let j = 0; j < n; j++)
    for (let r = 0; r <= b; r++) ab[j * (b + 1) + r] = zeroCols.includes(j) ? 0 : g() * scale(j, r);
  return ab;
}

const bits = (x: Float64Array) => Array.from(new BigUint64Array(x.buffer, x.byteOffset, x.length));

function expectSameBits(ab: Float64Array, n: number, b: number) {
  const want = bandToTridiagonal(ab, n, b);
  const got = chase(ab, n, b);
  expect(bits(got.d), `d, n = ${n}, b = ${b}`).toEqual(bits(want.d));
  expect(bits(got.e), `e, n = ${n}, b = ${b}`).toEqual(bits(want.e));
}

describe('band chase (WebAssembly SIMD)', () => {
  it('this runtime has WebAssembly SIMD, and the stage-2 code uses the chase', () => {
    expect(chase).not.toBeNull();
    expect(bandReduce()).not.toBe(bandToTridiagonal);
  });

  const shapes: [number, number][] = [
    [0, 3],
    [1, 4],
    [2, 1],
    [3, 2],
    [4, 3],
    [5, 9],
    [7, 0],
    [9, 1],
    [17, 2],
    [17, 16],
    [33, 3],
    [40, 7],
    [63, 32],
    [64, 32],
    [65, 32],
    [100, 31],
    [131, 5],
    [257, 32],
    [300, 33],
  ];
  for (const [n, b] of shapes)
    it(`n = ${n}, b = ${b}: the same bits as bandToTridiagonal`, () => expectSameBits(band(n, b, n * 7 + b), n, b));

  it('zero columns (rotations skipped), graded and extreme scales: the same bits', () => {
    expectSameBits(band(100, 32, 1, undefined, [0, 31, 32, 50, 99]), 100, 32);
    expectSameBits(
      band(120, 16, 2, (j) => 2 ** (j / 4)),
      120,
      16,
    );
    expectSameBits(
      band(90, 8, 3, (j, r) => 2 ** (300 - 7 * j - r)),
      90,
      8,
    );
    expectSameBits(
      band(70, 12, 4, () => 2 ** -520),
      70,
      12,
    );
  });

  it('grows its memory for a large band and still gives the same bits for small ones after', () => {
    const big = 3000;
    expectSameBits(band(big, 32, 5), big, 32);
    expectSameBits(band(50, 32, 6), 50, 32);
  });

  it('leaves its input as it is and refuses bad arguments as bandToTridiagonal does', () => {
    const ab = band(40, 6, 7);
    const copy = ab.slice();
    chase(ab, 40, 6);
    expect(bits(ab)).toEqual(bits(copy));
    expect(() => chase(new Float64Array(5), 3, 1)).toThrow(/holds 5 values, not n \(b \+ 1\) = 6/);
    expect(() => chase(new Float64Array(5), -1, 1)).toThrow(/n must be/);
    expect(() => chase(new Float64Array(5), 2, 1.5)).toThrow(/b must be/);
  });

  it('band-chase.wasm.ts holds the bytes of band-chase.wat (scripts/build-wasm.mjs --check)', () => {
    expect(() =>
      execFileSync(process.execPath, ['scripts/build-wasm.mjs', '--check'], { stdio: 'pipe' }),
    ).not.toThrow();
  });
});
