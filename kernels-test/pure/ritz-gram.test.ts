// The tracker's Gram matrix of [V; AV; BV; SV] (ritz-track.ts gram) against one dot product at a time.
import { describe, expect, it } from 'vitest';
import { gram } from '../../src/analysis/ritz-track.js';
import { gaussian } from '../random.js';

describe('ritz-track gram', () => {
  for (const [m, D] of [
    [1, 1],
    [2, 7],
    [3, 65],
    [12, 784],
  ] as const) {
    it(`m = ${m}, D = ${D}: every entry as the plain dot product, bit for bit, and symmetric`, () => {
      const g = gaussian(100 * m + D);
      const rows = [0, 1, 2, 3].map(() => Float64Array.from({ length: m * D }, g));
      const G = gram(rows, m, D);
      const n = 4 * m;
      const row = (q: number) => rows[Math.floor(q / m)]!.subarray((q % m) * D, ((q % m) + 1) * D);
      for (let p = 0; p < n; p++)
        for (let q = 0; q < n; q++) {
          let s = 0;
          for (let i = 0; i < D; i++) s += row(p)[i]! * row(q)[i]!;
          expect(G[p * n + q]).toBe(s);
        }
    });
  }
});
