// The benchmarks' procedural datasets: shapes, determinism, range, and classes that differ.
import { describe, expect, it } from 'vitest';
import { cifarShaped, latentShaped } from '../../src/data/bench-shapes.js';

function classMeanGap(x: Float32Array, labels: Int32Array, D: number, a: number, b: number): number {
  const ma = new Float64Array(D);
  const mb = new Float64Array(D);
  let na = 0;
  let nb = 0;
  for (let r = 0; r < labels.length; r++) {
    const m = labels[r] === a ? ma : labels[r] === b ? mb : null;
    if (!m) continue;
    if (labels[r] === a) na++;
    else nb++;
    for (let i = 0; i < D; i++) m[i]! += x[r * D + i]!;
  }
  let s = 0;
  for (let i = 0; i < D; i++) s += (ma[i]! / na - mb[i]! / nb) ** 2;
  return Math.sqrt(s);
}

describe('bench-shapes', () => {
  it('cifar-shaped: 10 classes of 32 x 32 x 3 in [-1, 1], seeded', () => {
    const d = cifarShaped({ perClass: 6, seed: 3 });
    expect(d.shape).toEqual([60, 3072]);
    expect(d.classes).toBe(10);
    expect(Array.from(d.labels.slice(0, 12))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]);
    expect(d.x.every((v) => v >= -1 && v <= 1)).toBe(true);
    expect(cifarShaped({ perClass: 6, seed: 3 }).x).toEqual(d.x);
    expect(cifarShaped({ perClass: 6, seed: 4 }).x).not.toEqual(d.x);
    // Horizontal and vertical gradients differ by a fixed pattern far above the pixel noise.
    expect(classMeanGap(d.x, d.labels, 3072, 6, 7)).toBeGreaterThan(10);
  });

  it('latent-shaped: 4096-dimensional codes, fewer rows per class than dimensions', () => {
    const d = latentShaped({ perClass: 3, seed: 2, rank: 4 });
    expect(d.shape).toEqual([30, 4096]);
    expect(d.x.every(Number.isFinite)).toBe(true);
    expect(latentShaped({ perClass: 3, seed: 2, rank: 4 }).x).toEqual(d.x);
    expect(classMeanGap(d.x, d.labels, 4096, 0, 1)).toBeGreaterThan(2);
    expect(() => latentShaped({ perClass: 1 })).toThrow(/perClass/);
  });
});
