// Host-side layout of the patch denoisers (src/models/patch-layout.ts): patch size rules, image shapes, class
// sorting, zero padding against the reference's patches, row order and splits. No GPU.
import { describe, expect, it } from 'vitest';
import {
  defaultPatchSize,
  fullPatchSize,
  imageRange,
  imageShapeOf,
  labelRuns,
  MIN_PATCHES_PER_SPLIT,
  padImages,
  patchSizeRule,
  rowOrder,
  sortByClass,
  splitCount,
  TARGET_INVOCATIONS,
} from '../../src/models/patch-layout.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { patchOf } from '../ref/patch-denoiser.js';
import { rng } from '../random.js';

const schedule = makeSchedule('linear', 10);

describe('patch layout', () => {
  it('full coverage needs k = 2 max(H, W) - 1; the default size grows from 3 with sqrt(1 - abar)', () => {
    expect([fullPatchSize(8, 8), fullPatchSize(28, 28), fullPatchSize(5, 7), fullPatchSize(1, 1)]).toEqual([
      15, 55, 13, 1,
    ]);
    // k = max(3, odd nearest sqrt(1 - abar) max(H, W)), at most the full size.
    const cases: [number, number, number, number][] = [
      [28, 28, 0.9999, 3],
      [28, 28, 0.5, 19],
      [28, 28, 0, 29],
      [28, 28, 0.9, 9],
      [8, 8, 0, 9],
      [8, 8, 0.5, 5],
      [2, 1, 0, 3],
      [1, 1, 0, 1],
    ];
    for (const [h, w, abar, k] of cases) expect(defaultPatchSize(h, w, abar), `${h}x${w} abar ${abar}`).toBe(k);
  });

  it('patch size rules: one k, an array of T sizes (step i at [i - 1]), a callback; clamped to full coverage', () => {
    expect(patchSizeRule(5, schedule, 8, 8)(7)).toBe(5);
    expect(patchSizeRule(31, schedule, 8, 8)(7)).toBe(15);
    const arr = patchSizeRule([1, 1, 3, 3, 3, 5, 5, 5, 7, 7], schedule, 8, 8);
    expect([1, 3, 6, 10].map(arr)).toEqual([1, 3, 5, 7]);
    const fn = patchSizeRule((_step, abar) => (abar > 0.99 ? 1 : 3), schedule, 8, 8);
    expect([1, 10].map(fn)).toEqual([1, 3]);
    expect(patchSizeRule(undefined, schedule, 8, 8)(10)).toBe(defaultPatchSize(8, 8, schedule.alphasCumprod[9]!));
    expect(() => patchSizeRule(0, schedule, 8, 8)).toThrow(/odd integer >= 1, got 0/);
    expect(() => patchSizeRule(2.5, schedule, 8, 8)).toThrow(/odd integer >= 1, got 2.5/);
    expect(() => patchSizeRule([3, 3], schedule, 8, 8)).toThrow(/2 entries; expected one per step \(T = 10\)/);
    expect(() => patchSizeRule([3, 3, 3, 3, 3, 3, 3, 3, 4, 3], schedule, 8, 8)).toThrow(
      /at step 9 \(index 8\) must be an odd integer >= 1, got 4/,
    );
    expect(() => patchSizeRule(() => 6, schedule, 8, 8)(2)).toThrow(/at step 2 must be an odd integer >= 1, got 6/);
  });

  it('image shapes: [H, W] is one channel; non-image data and mismatches are refused', () => {
    expect(imageShapeOf([8, 8], 64)).toEqual([8, 8, 1]);
    expect(imageShapeOf([5, 7, 3], 105)).toEqual([5, 7, 3]);
    expect(() => imageShapeOf(null, 32)).toThrow(
      /no image shape; an image shape \[H, W\] or \[H, W, C\] is needed .* dimension 32/,
    );
    expect(() => imageShapeOf([8, 8], 65)).toThrow(/holds 64 values but rows have 65/);
    expect(() => imageShapeOf([8], 8)).toThrow(/must be \[H, W\] or \[H, W, C\]/);
    expect(() => imageShapeOf([2, 2, 5], 20)).toThrow(/at most 4 channels/);
  });

  it('sorts images by class, stably, with class starts', () => {
    const x = Float32Array.from({ length: 6 * 2 }, (_, i) => i);
    const { x: sx, starts } = sortByClass(x, 6, 2, [2, 0, 2, 1, 0, 0], 4);
    expect(Array.from(starts)).toEqual([0, 3, 4, 6, 6]);
    expect(Array.from(sx)).toEqual([2, 3, 8, 9, 10, 11, 6, 7, 0, 1, 4, 5]);
    expect(imageRange(-1, starts)).toEqual([0, 6]);
    expect(imageRange(2, starts)).toEqual([4, 6]);
    expect(imageRange(3, starts)).toEqual([6, 6]);
    expect(() => sortByClass(x, 6, 2, [0, 0, 0, 0, 0, 4], 4)).toThrow(/label 4 of image 5 is outside 0..3/);
  });

  it('zero padding gives the reference patches as windows', () => {
    const [count, h, w, c] = [3, 5, 4, 2];
    const u = rng(3);
    const x = Float32Array.from({ length: count * h * w * c }, () => u());
    for (const k of [1, 3, 5, 9]) {
      const r = (k - 1) / 2;
      const [hp, wp] = [h + 2 * r, w + 2 * r];
      const pad = padImages(x, 1, 2, h, w, c, r);
      for (let i = 0; i < 2; i++) {
        for (let py = 0; py < h; py++) {
          for (let px = 0; px < w; px++) {
            const want = patchOf({ data: x, count, h, w, c }, i + 1, py, px, k);
            const got = new Float64Array(k * k * c);
            for (let dy = 0; dy < k; dy++) {
              for (let e = 0; e < k * c; e++) got[dy * k * c + e] = pad[((i * hp + py + dy) * wp + px) * c + e]!;
            }
            expect(Array.from(got)).toEqual(Array.from(want));
          }
        }
      }
    }
  });

  it('rows run in label order (null class first) and split into runs', () => {
    const { order, label } = rowOrder(Int32Array.from([2, -1, 0, 2, 1, 0, -1]), 7);
    expect(Array.from(order)).toEqual([1, 6, 2, 5, 4, 0, 3]);
    expect(Array.from(label)).toEqual([-1, -1, 0, 0, 1, 2, 2]);
    expect(labelRuns(label, 1, 6)).toEqual([
      { start: 1, end: 2, label: -1 },
      { start: 2, end: 4, label: 0 },
      { start: 4, end: 5, label: 1 },
      { start: 5, end: 6, label: 2 },
    ]);
    expect(Array.from(rowOrder(null, 3).order)).toEqual([0, 1, 2]);
  });

  it('splits fill TARGET_INVOCATIONS with at least MIN_PATCHES_PER_SPLIT patches each', () => {
    expect(splitCount(TARGET_INVOCATIONS, 1e6)).toBe(1);
    expect(splitCount(512, 1e6)).toBe(TARGET_INVOCATIONS / 512);
    expect(splitCount(1, 10 * MIN_PATCHES_PER_SPLIT)).toBe(10);
    expect(splitCount(1, 1)).toBe(1);
  });
});
