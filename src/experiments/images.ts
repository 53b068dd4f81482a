// Sample grids of image data for the experiment reports (grayscale PNG, values in [-1, 1]).
import { sampleGridPng } from '../report/train-report.js';

/** The first `count` rows of x as a PNG grid of 16 per row, scaled up for legibility. */
export function sampleImages(x: Float32Array, imageShape: readonly [number, number], count: number): Uint8Array {
  const [H, W] = imageShape;
  const n = Math.min(count, Math.floor(x.length / (H * W)));
  return sampleGridPng(x, n, [H, W, 1], 16, H <= 8 ? 4 : 2);
}
