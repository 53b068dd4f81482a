// The crn merger search on the GPU engine (D > 64: tracked Ritz values, certified lower bounds, full
// spectra at candidates) against brute force: the float64 spectrum of every event at every step from the
// same basis, and the first step with d <= eps. Spiked classes (the top ranks decide d) and an eps near the
// finite-sample floor (the bulk decides: candidates fail and the search must move on); re-crossings must be
// real; the number of full spectra stays far below one per event and step.
import { expect, it } from 'vitest';
import { crnBasis, disposeCrnBasis } from '../../src/analysis/crn-basis.js';
import { crnMergers } from '../../src/analysis/crn-mergers.js';
import { planEvents } from '../../src/analysis/events.js';
import { crnPairM } from '../../src/analysis/curves.js';
import { expectClose } from '../compare.js';
import { symmetricEigen } from '../../src/linalg/eigh-cpu.js';
import { readback } from '../../src/runtime/tensor.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { gaussian } from '../random.js';
import { describeGpu } from './device.js';

const D = 72;
const schedule = makeSchedule('linear', 150);
const abar = [1, ...schedule.alphasCumprod];

/** Classes with a few strong spikes of different sizes on a unit bulk. */
function data(seed: number, counts: number[]) {
  const N = counts.reduce((a, b) => a + b, 0);
  const g = gaussian(seed);
  const x = new Float32Array(N * D);
  const labels = new Int32Array(N);
  let r = 0;
  counts.forEach((n, k) => {
    for (let q = 0; q < n; q++, r++) {
      labels[r] = k;
      for (let c = 0; c < D; c++) {
        const spike = c < 3 ? [9, 5, 3][c]! * (1 + 0.6 * k) : 1;
        x[r * D + c] = Math.sqrt(spike) * g() + 0.2 * k;
      }
    }
  });
  return { x, labels };
}

describeGpu('crn merger search', (get) => {
  const cases = [
    ['eps from the spikes (lambda_max / 20, above the floor)', { ratio: 20 }, [900, 700, 800], 'own'],
    ['eps near the finite-sample floor', { value: 0.62 }, [900, 700, 800], 'own'],
    // Fewer rows than dimensions: classes and rests take their spectra from Gram matrices.
    ['Gram events (n < D), own centring', { value: 3 }, [50, 61, 66], 'own'],
    ['Gram events (n < D), global centring (one more Gram row)', { value: 3 }, [50, 61, 66], 'global'],
  ] as const;
  for (const [label, epsRule, counts, centring] of cases) {
    it(`merger steps equal brute force over every step: ${label}`, async () => {
      const ctx = get();
      const seed = 5;
      const N = counts.reduce((a, b) => a + b, 0);
      const { x, labels } = data(seed, [...counts]);
      const plan = planEvents(['a', 'b', 'c'], [...counts], N, []);
      const steps = Array.from({ length: schedule.T + 1 }, (_, i) => i);
      const res = await crnMergers(ctx, {
        x,
        labels,
        dim: D,
        counts: [...counts],
        plan,
        schedule,
        seed,
        noiseCount: N,
        centring,
        epsRule,
        reportSteps: steps,
        directions: 4,
      });
      const basis = await crnBasis(ctx, {
        x,
        labels,
        dim: D,
        counts: [...counts],
        plan,
        seed,
        noiseCount: N,
        centring,
      });
      try {
        // Brute force in float64 on the host from the same basis.
        const mats: Float64Array[][] = [];
        for (const ev of basis.events) {
          const host: Float64Array[] = [];
          for (const t of ev.mats) {
            const full = (await readback(ctx, t)) as Float32Array;
            host.push(Float64Array.from({ length: D * D }, (_, q) => full[Math.floor(q / D) * basis.ld + (q % D)]!));
          }
          mats.push(host);
        }
        const spectrum = (e: number, i: number) => {
          const a = abar[i]!;
          const w = [a, 1 - a, Math.sqrt(a * (1 - a))];
          const c = new Float64Array(D * D);
          mats[e]!.forEach((m, p) => m.forEach((v, q) => (c[q]! += w[p]! * v)));
          return symmetricEigen(c, D).values;
        };
        const spectra = basis.events.map((_, e) => steps.map((i) => spectrum(e, i)));
        let merged = 0;
        plan.pairs.forEach((p, q) => {
          const d = steps.map((i) =>
            Math.max(...Array.from(spectra[p.a]![i]!, (v, j) => Math.abs(v - spectra[p.b]![i]![j]!))),
          );
          const want = d.findIndex((v) => v <= res.eps);
          const got = res.pairs[q]!.mergerStep;
          // Sharp only when no step's d lies within f32 rounding of eps.
          if (d.some((v) => Math.abs(v - res.eps) < 1e-4 * res.eps)) return;
          expect(got, `${p.a}-${p.b}`).toBe(want < 0 ? null : want);
          if (got !== null) merged++;
          for (const i of res.pairs[q]!.recrossings ?? [])
            expect(d[i]!, `recrossing ${p.a}-${p.b} at ${i}`).toBeGreaterThan(res.eps);
          // dLower is a lower bound of d at every step.
          res.pairs[q]!.dLower!.forEach((v, i) =>
            expect(v, `dLower ${p.a}-${p.b} at ${i}`).toBeLessThanOrEqual(d[i]! + 1e-4),
          );
        });
        expect(merged).toBeGreaterThan(0);
        // M(i) from the engine's Frobenius products (gathered into one readback) against float64 products.
        const fro = (e: number, f: number) =>
          mats[e]!.map((P) => mats[f]!.map((Q) => P.reduce((s, v, i) => s + v * Q[i]!, 0)));
        plan.pairs.forEach((p, q) => {
          const M = crnPairM(abar, { cross: fro(p.a, p.b), g1: fro(p.a, p.a), g2: fro(p.b, p.b) });
          expectClose(res.pairs[q]!.M, M, { atol: 1e-5, rtol: 0, label: `M ${p.a}-${p.b}` });
        });
        // Far fewer full spectra than events x steps.
        expect(res.search.fullSpectra).toBeLessThan((plan.events.length * (schedule.T + 1)) / 10);
      } finally {
        disposeCrnBasis(basis);
        res.dispose();
      }
    }, 300_000);
  }
});
