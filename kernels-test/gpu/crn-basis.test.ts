// The crn basis on the GPU (src/analysis/crn-basis.ts) against float64 on the host: for every class, rest,
// group and all-data event, A = cov(x0), B = cov(eps), S = cov(x0, eps) + its transpose (population, own or
// global mean) of the very eps rows standardNormals draws; unbalanced classes so rests cut classes into
// several segments; chunks smaller than a segment. The noise event: a Wishart draw, checked by its law.
import { expect, it } from 'vitest';
import { crnBasis, disposeCrnBasis, bartlettChiSquares } from '../../src/analysis/crn-basis.js';
import { planEvents } from '../../src/analysis/events.js';
import { restRows } from '../../src/analysis/fluctuations.js';
import { standardNormals } from '../../src/kernels/forward_noise.js';
import { STREAM_EPS } from '../../src/kernels/philox_streams.js';
import { readback } from '../../src/runtime/tensor.js';
import { expectClose } from '../compare.js';
import { randn, rng } from '../random.js';
import { describeGpu } from './device.js';

const D = 13;
const counts = [70, 41, 23, 55];
const N = counts.reduce((a, b) => a + b, 0);

function data(seed: number) {
  const u = rng(seed);
  const labels = new Int32Array(N);
  // Classes interleaved in data order, so each class's "first rows" are spread through the file.
  const left = [...counts];
  for (let r = 0; r < N; r++) {
    let k = Math.floor(u() * 4);
    while (left[k] === 0) k = (k + 1) % 4;
    left[k]!--;
    labels[r] = k;
  }
  const g = randn(N * D, seed + 1);
  const x = Float32Array.from({ length: N * D }, (_, i) => 3 + labels[Math.floor(i / D)]! + g[i]! * (1 + (i % D) / 4));
  return { x, labels };
}

/** Population co-moments of (x, e) over `rows` about the rows' own means (or x about `centre`). */
function reference(x: Float32Array, e: Float32Array, rows: number[], centre: Float64Array | null) {
  const n = rows.length;
  const mx = new Float64Array(D);
  const me = new Float64Array(D);
  for (const r of rows) for (let c = 0; c < D; c++) (mx[c]! += x[r * D + c]! / n), (me[c]! += e[r * D + c]! / n);
  const A = new Float64Array(D * D);
  const B = new Float64Array(D * D);
  const S = new Float64Array(D * D);
  for (const r of rows) {
    for (let i = 0; i < D; i++) {
      const xi = x[r * D + i]! - mx[i]!;
      const ei = e[r * D + i]! - me[i]!;
      for (let j = 0; j < D; j++) {
        const xj = x[r * D + j]! - mx[j]!;
        const ej = e[r * D + j]! - me[j]!;
        A[i * D + j]! += (xi * xj) / n;
        B[i * D + j]! += (ei * ej) / n;
        S[i * D + j]! += (xi * ej + ei * xj) / n;
      }
    }
  }
  if (centre)
    for (let i = 0; i < D; i++)
      for (let j = 0; j < D; j++) A[i * D + j]! += (mx[i]! - centre[i]!) * (mx[j]! - centre[j]!);
  return [A, B, S];
}

describeGpu('crn basis', (get) => {
  for (const [centring, chunkRows] of [
    ['own', 17],
    ['global', 1000],
  ] as const) {
    it(`every data event equals the float64 moments of its rows (${centring} centring, chunks of ${chunkRows})`, async () => {
      const ctx = get();
      const seed = 11;
      const { x, labels } = data(seed);
      const plan = planEvents(['a', 'b', 'c', 'd'], counts, 900, [{ name: 'ac', classes: [0, 2] }]);
      const basis = await crnBasis(ctx, {
        x,
        labels,
        dim: D,
        counts,
        plan,
        seed,
        noiseCount: 900,
        centring,
        chunkRows,
      });
      try {
        const eps = await standardNormals(ctx, N, D, { seed, stream: STREAM_EPS });
        const rest = restRows(labels, counts);
        const allRows = Array.from({ length: N }, (_, r) => r);
        const global = new Float64Array(D);
        for (const r of allRows) for (let c = 0; c < D; c++) global[c]! += x[r * D + c]! / N;
        for (const ev of plan.events) {
          if (ev.kind === 'noise') continue;
          const rows =
            ev.kind === 'rest'
              ? Array.from(rest.index).filter((_, q) => rest.label[q] === plan.restEvent.indexOf(ev.id))
              : allRows.filter((r) => ev.classes.includes(labels[r]!));
          const ref = reference(x, eps, rows, centring === 'global' ? global : null);
          const got = basis.events[ev.id]!;
          expect(got.count, ev.name).toBe(rows.length);
          for (let m = 0; m < 3; m++) {
            const full = (await readback(ctx, got.mats[m]!)) as Float32Array;
            const packed = Float64Array.from(
              { length: D * D },
              (_, q) => full[Math.floor(q / D) * basis.ld + (q % D)]!,
            );
            // f32 sums over <= 189 centred rows of O(10) values: ~ 1e-5 of the largest entry.
            expectClose(packed, ref[m]!, {
              atol: 2e-5 * Math.max(...ref[m]!.map(Math.abs)),
              rtol: 0,
              seed,
              label: `${ev.name} ${'ABS'[m]}`,
            });
          }
        }
      } finally {
        disposeCrnBasis(basis);
      }
    });
  }

  it('the noise event is a Wishart draw: A, B about I within Marchenko-Pastur bounds, S small, seed-stable', async () => {
    const ctx = get();
    const { x, labels } = data(3);
    const plan = planEvents(['a', 'b', 'c', 'd'], counts, 5000, []);
    const run = () => crnBasis(ctx, { x, labels, dim: D, counts, plan, seed: 4, noiseCount: 5000, centring: 'own' });
    const [one, two] = [await run(), await run()];
    try {
      const z = one.events[plan.noise]!;
      const mats = await Promise.all(z.mats.map((m) => readback(ctx, m)));
      const again = await Promise.all(two.events[plan.noise]!.mats.map((m) => readback(ctx, m)));
      mats.forEach((m, q) => expect(Array.from(m)).toEqual(Array.from(again[q]!)));
      // ||W / n - I|| for n = 5000 rows in 2D = 26 dimensions is about 2 sqrt(26 / 5000) = 0.14.
      for (let i = 0; i < D; i++) {
        for (let j = 0; j < D; j++) {
          const q = i * one.ld + j;
          expect(Math.abs(mats[0]![q]! - (i === j ? 1 : 0))).toBeLessThan(0.15);
          expect(Math.abs(mats[1]![q]! - (i === j ? 1 : 0))).toBeLessThan(0.15);
          expect(Math.abs(mats[2]![q]!)).toBeLessThan(0.3);
          expect(mats[2]![q]).toBeCloseTo(mats[2]![j * one.ld + i]!, 6);
        }
      }
      expect(z.count).toBe(5000);
    } finally {
      disposeCrnBasis(one);
      disposeCrnBasis(two);
    }
  });
});

it('Bartlett chi-square variates have mean dof - i and variance 2 (dof - i)', () => {
  const draws = Array.from({ length: 400 }, (_, s) => bartlettChiSquares(50, 3, s));
  for (let i = 0; i < 3; i++) {
    const v = draws.map((d) => d[i]!);
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const variance = v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1);
    // 400 draws: the mean's sd is sqrt(2 k / 400) ~ 0.5, the variance's relative sd ~ 0.1.
    expect(Math.abs(mean - (50 - i))).toBeLessThan(2.5);
    expect(variance / (2 * (50 - i))).toBeGreaterThan(0.6);
    expect(variance / (2 * (50 - i))).toBeLessThan(1.5);
  }
});
