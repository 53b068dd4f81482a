// The one comparison helper: |got - ref| <= atol + rtol * |ref| element-wise, failing with the worst
// index and the first mismatches. Tolerances wider than the defaults carry a derivation at the call.
import { expect } from 'vitest';

export interface Tolerance {
  atol?: number;
  rtol?: number;
  label?: string;
  seed?: number;
}

export function expectClose(got: ArrayLike<number>, ref: ArrayLike<number>, tol: Tolerance = {}): void {
  const atol = tol.atol ?? 1e-6;
  const rtol = tol.rtol ?? 1e-5;
  const tag = `${tol.label ?? 'values'}${tol.seed !== undefined ? ` (seed ${tol.seed})` : ''}`;
  expect(got.length, `${tag}: length`).toBe(ref.length);
  let worst = -1;
  let worstRatio = 0;
  const bad: string[] = [];
  for (let i = 0; i < ref.length; i++) {
    const g = got[i]!;
    const r = ref[i]!;
    const err = Math.abs(g - r);
    const allowed = atol + rtol * Math.abs(r);
    const ratio = Number.isNaN(err) ? Infinity : err / allowed;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = i;
    }
    if (ratio > 1 && bad.length < 5) bad.push(`[${i}] got ${g} want ${r} (|err| ${err.toExponential(2)})`);
  }
  if (worstRatio > 1) {
    const n = Array.from(ref).filter((r, i) => !(Math.abs(got[i]! - r) <= atol + rtol * Math.abs(r))).length;
    throw new Error(
      `${tag}: ${n} of ${ref.length} outside atol ${atol} + rtol ${rtol}; worst at [${worst}] ` +
        `(${worstRatio.toFixed(1)}x the tolerance); first: ${bad.join('; ')}`,
    );
  }
}

/** Bit-for-bit equality of two float or integer arrays, reporting the first differing index. */
export function expectSameBits(a: Float32Array | Uint32Array, b: Float32Array | Uint32Array, label = 'values'): void {
  const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
  expect(ua.length, `${label}: length`).toBe(ub.length);
  for (let i = 0; i < ua.length; i++) {
    if (ua[i] !== ub[i]) throw new Error(`${label}: first different bits at [${i}]: ${a[i]} vs ${b[i]}`);
  }
}
