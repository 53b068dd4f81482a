// The Ritz tracker (ritz-track.ts) on a host engine: at every step, each tracked value is a lower bound
// of its eigenvalue up to the rounding allowance, and within its error estimate of it, whether the windows
// grow (loose accuracy) or shrink and keep only their leading steps (tight accuracy).
import { describe, expect, it } from 'vitest';
import { trackTopEigenvalues } from '../../src/analysis/ritz-track.js';
import { crnCoef, type CrnEngine } from '../../src/analysis/crn-engine.js';
import { symmetricEigen } from '../../src/linalg/eigh-cpu.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { gaussian } from '../random.js';
import { symmRowsRef } from '../ref/symm_block.js';

const D = 24;
const schedule = makeSchedule('linear', 120);

/** A (spiked, eigenvalues 40, 20, 9, ... well apart), B (near I), S (small symmetric) for one event. */
function event(seed: number): Float64Array[] {
  const g = gaussian(seed);
  const sym = (scale: number, diag: (i: number) => number) => {
    const m = new Float64Array(D * D);
    for (let i = 0; i < D; i++)
      for (let j = 0; j <= i; j++) {
        const v = scale * g() + (i === j ? diag(i) : 0);
        m[i * D + j] = m[j * D + i] = v;
      }
    return m;
  };
  return [sym(0.05, (i) => (i < 3 ? [40, 20, 9][i]! : 1 + 0.1 * i)), sym(0.05, () => 1), sym(0.1, () => 0)];
}

function hostEngine(mats: Float64Array[][]): CrnEngine & { calls: number; perEvent: number[] } {
  const engine = {
    calls: 0,
    perEvent: mats.map(() => 0),
    dim: D,
    size: () => D,
    events: mats.map(() => ({ count: 100, mean: new Float64Array(D) })),
    schedule,
    async products(requests: readonly { e: number; V: Float64Array }[], m: number) {
      engine.calls++;
      for (const { e } of requests) engine.perEvent[e]!++;
      return requests.map(({ e, V }) => mats[e]!.map((M) => symmRowsRef(M, V, m, D)));
    },
    async topEigen(requests: readonly { e: number; step: number; r: number }[]) {
      return requests.map(({ e, step, r }) => {
        const eig = symmetricEigen(combined(mats[e]!, step), D, { vectors: true });
        return {
          values: eig.values.slice(0, r),
          vectors: eig.vectors!.slice(0, r * D),
          trace: 0,
          converged: true,
          topResidual: 0,
        };
      });
    },
  };
  return engine as unknown as CrnEngine & { calls: number; perEvent: number[] };
}

function combined(mats: Float64Array[], step: number): Float64Array {
  const coef = crnCoef(schedule, step);
  const c = new Float64Array(D * D);
  mats.forEach((m, p) => m.forEach((v, q) => (c[q]! += coef[p]! * v)));
  return c;
}

describe('trackTopEigenvalues', () => {
  const mats = [event(1), event(2)];
  const k = 3;
  const exact = mats.map((m) =>
    Array.from({ length: schedule.T + 1 }, (_, i) => symmetricEigen(combined(m, i), D).values),
  );

  /** Every step's values bound their eigenvalues from below, within the error estimates. */
  const expectBounds = (tracks: { values: Float64Array[]; err: Float64Array[]; roundoff: Float64Array }[]) =>
    tracks.forEach((tr, e) => {
      for (let i = 0; i <= schedule.T; i++) {
        for (let j = 0; j < k; j++) {
          const lambda = exact[e]![i]![j]!;
          const theta = tr.values[i]![j]!;
          expect(theta, `event ${e} step ${i} rank ${j}`).toBeLessThanOrEqual(lambda + tr.roundoff[i]! + 1e-12);
          expect(lambda - theta, `event ${e} step ${i} rank ${j}`).toBeLessThanOrEqual(tr.err[i]![j]! + 1e-12);
        }
      }
    });

  for (const [label, need] of [
    ['loose accuracy', 0.5],
    ['tight accuracy (windows shrink)', 1e-3],
  ] as const) {
    it(`${label}: every step's values bound their eigenvalues from below within the estimates`, async () => {
      const engine = hostEngine(mats);
      const res = await trackTopEigenvalues(engine, [0, 1], { k, m: 6, need: () => [need, need], width: 32 });
      expectBounds(res.tracks);
      // Three products per event and window tried (the two events go to the engine in two halves).
      expect(res.products).toBe(3 * engine.calls);
      // Tight accuracy shrinks the windows below the first width; loose accuracy widens them.
      if (need < 0.1) expect(res.windows).toBeGreaterThan((schedule.T + 1) / 32);
      else expect(res.windows).toBeLessThan((schedule.T + 1) / 32);
    });
  }

  it('an event whose pairs need little accuracy keeps its subspace: fewer products, values still bounds', async () => {
    const engine = hostEngine(mats);
    const res = await trackTopEigenvalues(engine, [0, 1], { k, m: 6, need: () => [1e-3, 1e3], width: 32 });
    expectBounds(res.tracks);
    const [tight, loose] = engine.perEvent as [number, number];
    // The loose event renews only at the start; the tight one many times (9 here).
    expect(loose).toBe(1);
    expect(tight).toBeGreaterThan(5);
    expect(res.products).toBe(3 * (tight + loose));
  });
});
