// Smoke tests of the experiments at tiny sizes: each runs end to end on the built-in gmm with its exact
// denoiser and returns tables, at least one chart that renders, and goals with measured figures.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { disposeSetup, prepareExperiment, type ExperimentSetup } from '../../src/experiments/setup.js';
import { renderExperimentHtml } from '../../src/report/experiment-report.js';
import type { ExperimentResult } from '../../src/experiments/types.js';
import { runGuidance } from '../../src/experiments/guidance.js';
import { runRareClass } from '../../src/experiments/rare-class.js';
import { runStyleTransfer } from '../../src/experiments/style-transfer.js';

async function withSetup(
  ctx: Parameters<typeof prepareExperiment>[0],
  fn: (s: ExperimentSetup) => Promise<ExperimentResult>,
): Promise<ExperimentResult> {
  const s = await prepareExperiment(ctx, { data: 'gmm', samplesPerClass: 64, referencePerClass: 48, seed: 0 });
  try {
    return await fn(s);
  } finally {
    disposeSetup(s);
  }
}

async function expectReport(r: ExperimentResult, tables: string[]): Promise<void> {
  expect(r.tables.map((t) => t.id)).toEqual(expect.arrayContaining(tables));
  for (const t of r.tables) for (const row of t.rows) expect(row.length, `table ${t.id}`).toBe(t.columns.length);
  expect(r.charts.length).toBeGreaterThanOrEqual(1);
  expect(r.goals.length).toBeGreaterThanOrEqual(1);
  for (const g of r.goals) expect(g.measured.length).toBeGreaterThan(0);
  const html = await renderExperimentHtml(r);
  expect(html).not.toMatch(/could not be drawn/);
}

describeGpu('experiments guidance, rare-class, style-transfer', (getCtx) => {
  it('guidance: named configurations, a 3-window grid and its cost', async () => {
    const r = await withSetup(getCtx(), (s) => runGuidance(s, { samples: 16, steps: 4, gridStep: 500, seeds: 1 }));
    await expectReport(r, ['configurations', 'fresh-seeds', 'merger-windows', 'grid', 'exact-model']);
    const d = r.data as {
      searchCalls: number;
      grid: { calls: number; fdCond: number }[];
      mergerWindows: [number, number][];
    };
    expect(d.grid.length).toBe(3);
    // Every candidate: 4 class batches of 4 steps, 1 call outside the window, 2 inside.
    expect(d.searchCalls).toBe(d.grid.reduce((a, c) => a + c.calls, 0));
    for (const c of d.grid) {
      expect(c.calls).toBeGreaterThanOrEqual(16);
      expect(c.calls).toBeLessThanOrEqual(32);
      expect(Number.isFinite(c.fdCond)).toBe(true);
    }
    for (const [lo, hi] of d.mergerWindows) expect(1 <= lo && lo <= hi && hi <= 1000).toBe(true);
  }, 20_000);

  it('rare-class: imbalanced subset, refit, both windows scored on the rare class', async () => {
    const r = await withSetup(getCtx(), (s) => runRareClass(s, { samples: 8, steps: 4, seeds: 1, fraction: 0.05 }));
    await expectReport(r, ['rare', 'windows']);
    const d = r.data as { counts: number[] };
    expect(d.counts).toEqual([3, 64, 64, 64]);
    expect(r.tables.find((t) => t.id === 'rare')!.rows.length).toBe(8);
  }, 20_000);

  it('style-transfer: SDEdit over strengths with the merger step marked', async () => {
    const r = await withSetup(getCtx(), (s) => runStyleTransfer(s, { samples: 8, steps: 10, strengths: [250, 1000] }));
    await expectReport(r, ['strengths', 'mergers']);
    const rows = (r.data as { rows: { start: number; merger: boolean; mse: number; inTarget: number }[] }).rows;
    expect(rows.filter((x) => x.merger).length).toBe(1);
    for (const x of rows) {
      expect(x.mse).toBeGreaterThan(0);
      expect(x.inTarget).toBeGreaterThanOrEqual(0);
    }
    // Full strength forgets the source: its outputs are farther from it than the weakest strength's.
    expect(rows[rows.length - 1]!.mse).toBeGreaterThan(rows[0]!.mse);
  }, 20_000);
});
