// The critical-window, pulse and entropic-schedule experiments end to end at small sizes: image data (the
// procedural 8 x 8 shapes written as .npy, empirical denoiser) gives all four critical-time estimates; the
// built-in gmm skips the image-only signals and the collapse with the reason; the pulse table holds the
// t_c pulse, the random pulses and the baselines with the guided step counts; the entropic schedule writes
// entropic-timesteps.json with the grids it sampled.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { npyBytes } from '../data-files.js';
import { proceduralImages } from '../../src/data/shapes.js';
import { disposeSetup, prepareExperiment } from '../../src/experiments/setup.js';
import { runCriticalWindow } from '../../src/experiments/critical-window.js';
import { runPulse } from '../../src/experiments/pulse.js';
import { mlpDef } from '../../src/models/mlp.js';
import { train } from '../../src/models/train.js';
import { learnedDenoiser } from '../../src/models/learned.js';
import { runEntropicSchedule } from '../../src/experiments/entropic-schedule.js';
import { writeExperimentReport } from '../../src/report/experiment-report.js';

const dir = mkdtempSync(join(tmpdir(), 'fluctus-critical-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** 3 classes x 40 procedural 8 x 8 images as (N, 8, 8) f32 + labels .npy files. */
function shapesNpy(): string {
  const ds = proceduralImages({ perClass: 40, seed: 3 });
  const x = join(dir, 'shapes.npy');
  writeFileSync(x, npyBytes(ds.x, [ds.shape[0], 8, 8]));
  writeFileSync(join(dir, 'shapes-labels.npy'), npyBytes(ds.labels, [ds.shape[0]]));
  return x;
}

describeGpu('experiments: critical-window, pulse, entropic-schedule', (getCtx) => {
  it('critical-window on images with the empirical denoiser: four estimates, agreement table, marks, report files', async () => {
    const data = shapesNpy();
    const s = await prepareExperiment(getCtx(), {
      data,
      labels: join(dir, 'shapes-labels.npy'),
      exact: 'empirical',
      referencePerClass: 40,
      seed: 1,
      lateStart: [300, 600],
    });
    try {
      const r = await runCriticalWindow(s, {
        points: 8,
        rows: 48,
        softeningPoints: 4,
        collapseTrajectories: 8,
        collapseSteps: 10,
        samples: 32,
      });
      const est = r.tables[0]!.rows;
      expect(est.map((x) => x[0])).toEqual([
        't_c (mode softening)',
        'xi(x0_hat) steepest change',
        'entropy-rate peak (class decision)',
        'collapse (exact-score sampler)',
      ]);
      for (const row of est) {
        expect(Number.isInteger(row[1])).toBe(true);
        expect(row[1] as number).toBeGreaterThanOrEqual(1);
        expect(row[1] as number).toBeLessThanOrEqual(1000);
      }
      // Every pair of the four estimates, agree = |A - B| <= 100.
      expect(r.tables[1]!.rows).toHaveLength(6);
      for (const p of r.tables[1]!.rows) expect(p[3]).toBe((p[2] as number) <= 100 ? 'yes' : 'no');
      expect([300, 600]).toContain(
        (r.data.marks as { what: string; step: number }[]).find((m) => m.what.startsWith('best late start'))!.step,
      );
      expect(r.warnings).toEqual([]);
      const files = await writeExperimentReport(join(dir, 'cw'), r);
      expect(JSON.parse(readFileSync(files.json, 'utf8')).experiment).toBe('critical-window');
      const html = readFileSync(files.html, 'utf8');
      expect(html).toContain('<svg');
      expect(html).not.toContain('could not be drawn');
    } finally {
      disposeSetup(s);
    }
  });

  it('critical-window on the gmm: image signals and collapse skipped with the reason; entropy rate measured', async () => {
    const s = await prepareExperiment(getCtx(), { data: 'gmm', samplesPerClass: 256, referencePerClass: 32, seed: 2 });
    try {
      const r = await runCriticalWindow(s, { points: 10, rows: 64, samples: 0 });
      const est = r.tables[0]!.rows;
      expect(est.map((x) => x[1] === null)).toEqual([true, true, false, true]);
      expect(r.warnings.join('\n')).toMatch(
        /xi\(t\) and power spectra skipped: they need image data \(a height and a width\)/,
      );
      expect(r.warnings.join('\n')).toMatch(/Mode softening \(t_c\) skipped/);
      expect(r.warnings.join('\n')).toMatch(/Collapse step skipped: .*--exact empirical/);
      expect(r.goals[0]!.met).toBeNull();
    } finally {
      disposeSetup(s);
    }
  });

  it('pulse on the gmm truth: t_c pulse, random pulses of the same width, baselines; guided steps inside the pulse', async () => {
    const s = await prepareExperiment(getCtx(), { data: 'gmm', samplesPerClass: 256, referencePerClass: 16, seed: 3 });
    try {
      const r = await runPulse(s, { samples: 64, seeds: 2, steps: 20, randomPulses: 2, width: 100 });
      const rows = r.tables[0]!.rows;
      expect(rows.map((x) => String(x[0]).split(' ')[0])).toEqual(['no', 'pulse', 'random', 'random', 'CFG']);
      // DDIM 20 steps from 1000 are 53 apart: a 100-step window holds 1 or 2 grid steps, each a second call.
      for (const row of rows.slice(1, 4)) {
        expect([1, 2]).toContain(row[3]);
        expect(row[4]).toBe(20 + (row[3] as number));
      }
      expect(rows[0]![4]).toBe(20);
      expect(rows[4]![4]).toBe(40);
      for (const row of rows) expect((row[5] as number) >= 0 && (row[5] as number) <= 1).toBe(true);
      expect(r.warnings.join(' ')).toMatch(/label leak/);
      expect(r.goals).toHaveLength(1);
    } finally {
      disposeSetup(s);
    }
  });

  it('pulse with a learned class-conditional model: t_c from the online Bayesian classifier, no stand-in', async () => {
    const s = await prepareExperiment(getCtx(), { data: 'gmm', samplesPerClass: 256, referencePerClass: 16, seed: 3 });
    const [N, D] = s.data.shape;
    const trained = await train(
      getCtx(),
      mlpDef(D, s.data.classes, s.schedule, { hidden: 64, blocks: 1 }),
      { x: s.data.x, labels: s.data.labels, rows: N, dim: D, name: 'gmm' },
      { epochs: 1, batch: 128, seed: 0, maxSteps: 20 },
    );
    const d = learnedDenoiser(trained.model);
    try {
      const r = await runPulse(
        { ...s, denoiser: d, denoiserName: 'mlp' },
        { samples: 32, seeds: 1, steps: 10, randomPulses: 1, width: 100 },
      );
      expect(String(r.settings.tcRule)).toMatch(/online Bayesian classifier/);
      expect(r.warnings.join(' ')).not.toMatch(/label leak/);
      const tc = (r.data as { tc: number }).tc;
      expect(tc >= 51 && tc <= 950).toBe(true);
    } finally {
      d.dispose();
      disposeSetup(s);
    }
  });

  it('entropic-schedule: five grids per step count, FD finite, entropic-timesteps.json written', async () => {
    const s = await prepareExperiment(getCtx(), { data: 'gmm', samplesPerClass: 256, referencePerClass: 32, seed: 4 });
    try {
      const r = await runEntropicSchedule(s, {
        samples: 64,
        seeds: 1,
        stepCounts: [5],
        errorSteps: 16,
        errorRows: 128,
      });
      const runs = r.tables[1]!.rows;
      expect(runs.map((x) => x[0])).toEqual(['linear', 'cosine', 'merger-aware', 'entropic', 'rescaled']);
      for (const row of runs) {
        expect(Number.isFinite(row[2] as number)).toBe(true);
        expect(String(row[8]).split(' ')).toHaveLength(5);
      }
      const files = await writeExperimentReport(join(dir, 'es'), r);
      const path = join(dir, 'es', 'entropic-timesteps.json');
      expect(existsSync(path)).toBe(true);
      const f = JSON.parse(readFileSync(path, 'utf8'));
      const grid = runs.find((x) => x[0] === 'entropic')![8];
      expect(f.entropic['5'].timesteps.map((t: number) => t + 1).join(' ')).toBe(grid);
      expect(f.rescaled['5'].sigmas).toHaveLength(5);
      expect(JSON.parse(readFileSync(files.json, 'utf8')).files).toEqual(['entropic-timesteps.json']);
    } finally {
      disposeSetup(s);
    }
  });
});
