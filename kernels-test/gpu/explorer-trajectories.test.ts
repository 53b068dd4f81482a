// The explorer's reverse trajectories (src/web/explorer/trajectories.ts) in Node: the grids of both
// chains, one state per visited step, the late-start Gaussian equal to the data's own noised moments,
// and the oracle of DESIGN.md §6 for the exact empirical denoiser: every chain ends on a training row.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { gaussianMixture } from '../../src/data/gmm.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { lateStartGaussian, reverseTrajectories } from '../../src/web/explorer/trajectories.js';
import { proceduralImages } from '../../src/data/shapes.js';

function nearestRow(x: Float32Array, t: number, y: Float32Array, N: number, D: number): number {
  let best = Infinity;
  for (let r = 0; r < N; r++) {
    let s = 0;
    for (let d = 0; d < D; d++) s += (x[t * D + d]! - y[r * D + d]!) ** 2;
    best = Math.min(best, s);
  }
  return Math.sqrt(best);
}

describeGpu('explorer trajectories', (get) => {
  const schedule = makeSchedule('linear', 1000);

  it.each([
    ['gmm, DDPM', gaussianMixture({ classes: 3, dim: 5, perClass: 40, seed: 2 }), 'ddpm' as const],
    ['shapes 8x8, DDIM', proceduralImages({ classes: 2, perClass: 30, seed: 2 }), 'ddim' as const],
  ])('%s: grids, states and samples on training rows', async (_, data, sampler) => {
    const [N, D] = data.shape;
    const ticks: number[] = [];
    const tr = await reverseTrajectories(get(), data, schedule, {
      n: 5,
      sampler,
      samplerSteps: 12,
      lateStep: 601,
      rank: 3,
      seed: 9,
      onStep: (d) => ticks.push(d),
    });
    // Plain: linspace(0, T, 12) from T; late: round(12 * 601 / 1000) = 7 steps from s = 601; both end at 0.
    expect([tr.plain.steps[0], tr.plain.steps.length, tr.plain.steps.at(-2), tr.plain.steps.at(-1)]).toEqual([
      1000, 13, 1, 0,
    ]);
    expect([tr.late.steps[0], tr.late.steps.length, tr.late.steps.at(-1), tr.lateStep]).toEqual([601, 8, 0, 601]);
    expect(ticks).toEqual(Array.from({ length: 19 }, (_, i) => i + 1));
    for (const c of [tr.plain, tr.late]) {
      expect(c.states.length).toBe(c.steps.length);
      expect(c.states.every((s) => s.length === 5 * D && s.every(Number.isFinite))).toBe(true);
      // abar_1 = 1 - 1e-4: x0_hat is the nearest training row (softmax logits scale 1 / (1 - abar) = 1e4)
      // and the last update (no noise) lands on it. 1e-4 is two orders above the f32 rounding of that
      // update (~1e-6 for |x| <= 10); measured ~3e-7.
      const last = c.states.at(-1)!;
      for (let t = 0; t < 5; t++) expect(nearestRow(last, t, data.x, N, D), `${c.label} row ${t}`).toBeLessThan(1e-4);
    }
  });

  it('late-start Gaussian: mean sqrt(abar) m, full-rank eigenvalues abar lambda(C0) + 1 - abar', async () => {
    const data = gaussianMixture({ classes: 2, dim: 3, perClass: 50, seed: 4 });
    const [N, D] = data.shape;
    const s = 300;
    const abar = schedule.alphasCumprod[s - 1]!;
    const g = await lateStartGaussian(get(), data, schedule, s, D, 0);
    const mean = Array.from({ length: D }, (_, d) => {
      let m = 0;
      for (let r = 0; r < N; r++) m += data.x[r * D + d]!;
      return m / N;
    });
    // trace(C(s)) = abar trace(C0) + (1 - abar) D: the sum of all D eigenvalues.
    let tr0 = 0;
    for (let d = 0; d < D; d++) for (let r = 0; r < N; r++) tr0 += (data.x[r * D + d]! - mean[d]!) ** 2 / N;
    g.mean.forEach((v, d) => expect(v).toBeCloseTo(Math.sqrt(abar) * mean[d]!, 5));
    expect(g.eigenvalues.reduce((a, b) => a + b, 0)).toBeCloseTo(abar * tr0 + (1 - abar) * D, 4);
    expect(g.restVariance).toBe(0);
  });
});
