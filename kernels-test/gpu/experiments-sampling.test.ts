// The accelerated, late-start and zero-shot experiments end to end at small sizes on the built-in gmm with
// its true mixture: the tables carry what the experiments promise (calls saved = 1 - merger step / T for
// DDPM on every step, FD of each run, goals), and the report files are written.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { disposeSetup, prepareExperiment } from '../../src/experiments/setup.js';
import { runAccelerated } from '../../src/experiments/accelerated.js';
import { runLateStart } from '../../src/experiments/late-start.js';
import { runZeroShot } from '../../src/experiments/zero-shot.js';
import { writeExperimentReport } from '../../src/report/experiment-report.js';

describeGpu('experiments: accelerated, late-start, zero-shot', (getCtx) => {
  it('accelerated: the merger start saves exactly 1 - i*/T of the DDPM calls and reports FD and PRDC per start', async () => {
    const s = await prepareExperiment(getCtx(), { data: 'gmm', samplesPerClass: 256, referencePerClass: 64, seed: 5 });
    try {
      const r = await runAccelerated(s, { samples: 64, seeds: 2, sampler: 'ddim', steps: 20, epsSweep: [50, 400] });
      // The eps rule is recorded; the sweep holds the other ratio only (400 is the headline), with its own merger step.
      expect(r.settings.eps).toEqual({
        rule: 'eps = max over the classes and all data of lambda_max(C(0)) / 400',
        ratio: 400,
        value: s.analysis.eps.value,
      });
      expect(r.summary).toContain('eps = lambda_max / 400');
      const sweep = r.tables.find((t) => t.id === 'eps-sweep')!;
      expect(sweep.rows.map((x) => x[0])).toEqual([50]);
      // A larger eps (ratio 50) lets the data merge with the noise no later than at ratio 400.
      expect(sweep.rows[0]![2] as number).toBeLessThanOrEqual(s.analysis.dataNoise.mergerStep!);
      expect(sweep.rows[0]![1] as number).toBeCloseTo(s.analysis.eps.value * 8, 6);
      const rows = r.tables[0]!.rows;
      const i = s.analysis.dataNoise.mergerStep!;
      expect(i).toBeGreaterThan(1);
      expect(rows[0]![0]).toMatch(/^full/);
      expect(rows[0]![2]).toBe(20);
      const merger = rows.find((x) => String(x[0]).startsWith('data–noise merger'))!;
      expect(merger[1]).toBe(Math.max(1, Math.round((20 * i) / 1000)));
      expect(merger[3]).toBeCloseTo(1 - (merger[2] as number) / 20, 12);
      for (const row of rows) for (const v of row.slice(4, 12)) expect(Number.isFinite(v as number)).toBe(true);
      expect(r.goals.map((g) => g.goal).slice(0, 2)).toEqual([
        '≥ 35% fewer denoiser calls from the data–noise merger step',
        'FD from the data–noise merger step within the seed-to-seed spread of the full sampler',
      ]);
      const dir = mkdtempSync(join(tmpdir(), 'fluctus-exp-'));
      try {
        const files = await writeExperimentReport(dir, r);
        expect(JSON.parse(readFileSync(files.json, 'utf8')).experiment).toBe('accelerated');
        expect(readFileSync(files.html, 'utf8')).toContain('<svg');
        expect(existsSync(`${files.json}.tmp-${process.pid}`)).toBe(false);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      // One seed has no seed-to-seed spread: the spread verdict is undecided, not judged against a range of one.
      const one = await runAccelerated(s, { samples: 64, seeds: 1, sampler: 'ddim', steps: 20, epsSweep: [] });
      const spreadGoal = one.goals.find((g) => g.goal.includes('seed-to-seed spread'))!;
      expect(spreadGoal.met).toBeNull();
      expect(spreadGoal.measured).toMatch(/one seed has no spread/);
    } finally {
      disposeSetup(s);
    }
  });

  it('late-start: plain, N(0, I) at s and the Gaussian late start at every swept s; best s is one of the swept steps', async () => {
    const s = await prepareExperiment(getCtx(), {
      data: 'gmm',
      samplesPerClass: 256,
      referencePerClass: 64,
      seed: 1,
      lateStart: [300, 600],
    });
    try {
      const r = await runLateStart(s, { samples: 64, stepCounts: [5] });
      expect(r.tables[0]!.rows).toHaveLength(2);
      for (const row of r.tables[0]!.rows) {
        expect([300, 600]).toContain(row[3]);
        expect(row[5]).toBeCloseTo((row[2] as number) / (row[4] as number), 12);
      }
      expect(r.tables[1]!.rows).toHaveLength(4);
      expect(r.goals).toHaveLength(2);
    } finally {
      disposeSetup(s);
    }
  });

  it('zero-shot: weightings and the closed-form check on the truth', async () => {
    const s = await prepareExperiment(getCtx(), {
      data: 'gmm',
      samplesPerClass: 256,
      referencePerClass: 16,
      seed: 2,
      separation: 1,
    });
    try {
      const r = await runZeroShot(s, { steps: 12, testPerClass: 8 });
      expect(r.tables[0]!.rows.map((x) => x[0])).toEqual([
        'uniform',
        'inverse-snr',
        'shared-window',
        'per-class-window',
        'per-class-window-absolute',
      ]);
      // Every accuracy lies inside its own 95 % interval; every claim has a verdict or is undecided.
      for (const row of r.tables[0]!.rows) {
        const [lo, hi] = String(row[2]).split('–').map(Number);
        expect(Number(row[1])).toBeGreaterThanOrEqual(lo!);
        expect(Number(row[1])).toBeLessThanOrEqual(hi!);
      }
      expect(r.goals).toHaveLength(3);
      const check = r.data.check as { maxRelMeanErr: number; bayes: number };
      // 32 rows x 4 classes, D = 32, one noise: the mean over 128 errors is within a few % of its expectation.
      expect(check.maxRelMeanErr).toBeLessThan(0.1);
      expect(r.data.denoiserCalls).toBe(12 * 4);
    } finally {
      disposeSetup(s);
    }
  });
});
