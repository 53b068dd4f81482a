// The training report's pieces: the sample-grid PNG layout (pixel positions, scale, padding, value
// mapping) and the loss chart's data (moving average, thinning).
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { lossChart, sampleGridPng } from '../../src/report/train-report.js';

describe('train report', () => {
  it('lays images out row-major in the grid, scaled, padded by one white pixel, [-1, 1] -> 0..255', () => {
    // 3 images of H 2 x W 3 (C 1); pixel (y, x) of image i = -1 + (i * 6 + y * 3 + x) / 8.5.
    const H = 2,
      W = 3,
      n = 3,
      scale = 2,
      perRow = 2;
    const x = Float32Array.from({ length: n * H * W }, (_, j) => -1 + j / 8.5);
    const png = PNG.sync.read(Buffer.from(sampleGridPng(x, n, [H, W, 1], perRow, scale)));
    expect([png.width, png.height]).toEqual([perRow * (W * scale + 1) + 1, 2 * (H * scale + 1) + 1]);
    const at = (px: number, py: number) => png.data[(py * png.width + px) * 4]!;
    for (let i = 0; i < n; i++) {
      const ox = 1 + (i % perRow) * (W * scale + 1);
      const oy = 1 + Math.floor(i / perRow) * (H * scale + 1);
      for (let y = 0; y < H * scale; y++) {
        for (let xx = 0; xx < W * scale; xx++) {
          const v = x[i * H * W + Math.floor(y / scale) * W + Math.floor(xx / scale)]!;
          expect(at(ox + xx, oy + y), `image ${i} (${y}, ${xx})`).toBe(Math.round((v + 1) * 127.5));
        }
      }
    }
    expect(at(0, 0)).toBe(255);
    expect(at(1 + W * scale, 1)).toBe(255);
  });

  it('charts the loss with a moving average over about 1% of the run', () => {
    const losses = Float32Array.from({ length: 2 * 400 }, (_, j) =>
      j % 2 === 0 ? j / 2 + 1 : 1 + (j % 4 === 1 ? 0.5 : -0.5),
    );
    const spec = lossChart(losses, 'MSE') as unknown as {
      data: { values: { step: number; loss: number; mean: number }[] };
    };
    const v = spec.data.values;
    expect(v.length).toBe(400);
    expect(v[0]).toEqual({ step: 1, loss: 1.5, mean: 1.5 });
    // A window of 4 alternating values 1.5, 0.5 averages to 1.
    expect(v[399]!.mean).toBeCloseTo(1, 6);
  });
});
