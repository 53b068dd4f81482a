// Pure pieces of the spectrum diagnostics (src/analysis/spectrum-core.ts) against definitions: the real Fourier
// basis is orthonormal and complete, Wiener-Khinchin equals the direct circular autocorrelation, the 1/e
// correlation length on closed-form curves, the radial bins, and the image-only error.
import { describe, expect, it } from 'vitest';
import {
  autocorrelationFromPower,
  correlationLength,
  distanceBins,
  fourierModes,
  fourierModeVector,
  frequencyBins,
  imageShapeOf,
  radialAverage,
} from '../../src/analysis/spectrum-core.js';
import { autocorrelationRef, powerRef } from '../ref/spectrum.js';
import { expectClose } from '../compare.js';
import { randn } from '../random.js';

const SIZES: [number, number][] = [
  [1, 1],
  [5, 5],
  [7, 9],
  [4, 6],
  [2, 3],
];

describe('spectrum core', () => {
  it.each(SIZES)('real Fourier modes of %i x %i are an orthonormal basis', (H, W) => {
    const modes = fourierModes(H, W, H + W);
    expect(modes.length).toBe(H * W);
    const vs = modes.map((m) => fourierModeVector(m, H, W, 2));
    const gram: number[] = [];
    const eye: number[] = [];
    for (let i = 0; i < vs.length; i++) {
      for (let j = 0; j < vs.length; j++) {
        gram.push(vs[i]!.reduce((s, v, d) => s + v * vs[j]![d]!, 0));
        eye.push(i === j ? 1 : 0);
      }
    }
    expectClose(gram, eye, { atol: 1e-12, label: `gram ${H}x${W}` });
  });

  it.each([
    [5, 5, 1],
    [7, 9, 2],
    [4, 6, 1],
  ])('Wiener-Khinchin equals the direct autocorrelation at %i x %i x %i', (H, W, C) => {
    const N = 3;
    const x = randn(N * H * W * C, 11 + H);
    for (const center of ['batch', 'none'] as const) {
      const got = autocorrelationFromPower(powerRef(x, N, H, W, C, center), H, W);
      expectClose(got, autocorrelationRef(x, N, H, W, C, center), { atol: 1e-12, label: `${center} ${H}x${W}` });
    }
  });

  it('correlation length: exp(-r / xi) gives xi, white noise 1 - 1/e, no crossing Infinity', () => {
    for (const xi of [0.7, 2.5, 6]) {
      const c = Float64Array.from({ length: 20 }, (_, r) => Math.exp(-r / xi));
      // Linear interpolation of a convex curve between integer radii: error below (1/8) max |C''| / (e^-1 slope).
      const bound = Math.exp(-Math.floor(xi) / xi) / (xi * xi) / 8 / (Math.exp(-1) / xi);
      expect(Math.abs(correlationLength(c) - xi)).toBeLessThanOrEqual(bound);
    }
    expect(correlationLength([1, 0, 0, 0])).toBeCloseTo(1 - Math.exp(-1), 14);
    expect(correlationLength([1, NaN, 0.2], [0, 1, 2])).toBeCloseTo((2 * (1 - Math.exp(-1))) / 0.8, 14);
    expect(correlationLength([1, 0.9, 0.5])).toBe(Infinity);
  });

  it('radial bins cover every entry; |k| bins on square images are integer lattice radii', () => {
    for (const [H, W] of SIZES) {
      for (const b of [frequencyBins(H, W), distanceBins(H, W)]) expect(b.count.reduce((s, c) => s + c, 0)).toBe(H * W);
    }
    const f = frequencyBins(8, 8);
    expect(f.index[0 * 8 + 3]).toBe(3);
    expect(f.index[3 * 8 + 4]).toBe(5);
    expect(f.index[7 * 8 + 7]).toBe(1);
    const r = radialAverage(
      Float64Array.from({ length: 64 }, (_, i) => f.index[i]!),
      f,
    );
    expectClose(r, f.radius, { label: 'radial mean of the bin number' });
  });

  it('image-only diagnostics name themselves and ask for a height and width', () => {
    expect(() => imageShapeOf('powerSpectrumSteps (power spectrum)', 10, null)).toThrow(
      /powerSpectrumSteps \(power spectrum\) needs image data with a height and width/,
    );
    expect(() => imageShapeOf('modeSoftening', 10, [3, 3])).toThrow(
      /\[3, 3, 1\] holds 9 values per image, but rows have D = 10/,
    );
    expect(imageShapeOf('x', 12, [2, 3, 2])).toEqual([2, 3, 2]);
  });
});
