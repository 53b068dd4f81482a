// The merger analysis end to end on data with exactly known per-class covariances (DESIGN.md §6):
// `exact` reproduces the Gaussian closed form; `crn` and `mc` stay within a derived sampling
// tolerance of it; a fixed seed gives the same report; bad input is refused.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { analyzeMergers, type AnalyzeOptions } from '../../src/analysis/analyze.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import type { Dataset } from '../../src/data/dataset.js';
import { symmetricEigen } from '../../src/linalg/eigh-cpu.js';
import { standardNormals } from '../../src/kernels/forward_noise.js';
import { STREAM_EPS } from '../../src/analysis/fluctuations.js';
import type { MergerReport } from '../../src/formats/report-types.js';
import { gaussianCurves, pooledCovariance, randomSpd, rowsWithCovariance } from '../ref/analysis.js';
import { expectClose } from '../compare.js';

const D = 7;
const K = 3;
const PER_CLASS = 1500;
const schedule = makeSchedule('linear', 200);
const abarAll = [1, ...schedule.alphasCumprod];

const sigmas = [randomSpd(D, 11, 0.2, 6), randomSpd(D, 12, 0.1, 3), randomSpd(D, 13, 0.5, 4.5)];
const mus = [0, 1, 2].map((k) => Float64Array.from({ length: D }, (_, i) => 0.5 * Math.sin(3 * k + i)));
const counts = [PER_CLASS, PER_CLASS, PER_CLASS];

function gaussianData(): Dataset {
  const x = new Float32Array(K * PER_CLASS * D);
  const labels = new Int32Array(K * PER_CLASS);
  for (let k = 0; k < K; k++) {
    x.set(rowsWithCovariance(PER_CLASS, D, mus[k]!, sigmas[k]!, 100 + k), k * PER_CLASS * D);
    labels.fill(k, k * PER_CLASS, (k + 1) * PER_CLASS);
  }
  return {
    name: 'gaussian-oracle',
    x,
    labels,
    shape: [K * PER_CLASS, D],
    classes: K,
    classNames: ['a', 'b', 'c'],
    imageShape: null,
    source: 'test',
    scale: 'as generated',
  };
}

const sigmaAll = pooledCovariance(sigmas, mus, counts, D);
const identity = Float64Array.from({ length: D * D }, (_, k) => (Math.floor(k / D) === k % D ? 1 : 0));
const lmax = (s: Float64Array) => symmetricEigen(s, D).values[0]!;
// eps over the classes and all data (rests, groups and noise do not move it).
const epsRef = Math.max(...[...sigmas, sigmaAll].map(lmax)) / 400;

function refPair(_report: MergerReport, a: number, b: number) {
  const cov = (e: number) => (e < K ? sigmas[e]! : e === K ? sigmaAll : identity);
  return gaussianCurves(cov(a), cov(b), D, abarAll);
}

const firstBelow = (d: ArrayLike<number>, eps: number) => {
  for (let i = 0; i < d.length; i++) if (d[i]! <= eps) return i;
  return null;
};

// Sampling tolerance of crn / mc against the closed form. With n Gaussian noise rows, B = cov(eps)
// has ||B - I||_2 <= (1 + sqrt(D/n) + t/sqrt(n))^2 - 1 and X = cov(x0, eps) = Sigma^{1/2} G / sqrt(n)
// with G a D x D standard Gaussian matrix, ||G||_2 <= 2 sqrt(D) + t (Davidson-Szarek; t = 6 fails
// with probability < 1e-7). So C_crn(i) - C(i) = (1 - a)(B - I) + sqrt(a(1 - a))(X + X^T) has
// spectral norm <= (1 - a) delta + 2 sqrt(a(1 - a)) sqrt(lambda_max) (2 sqrt(D) + t) / sqrt(n); the
// noise event (a sample z of size n) adds a ||cov(z) - I|| <= a delta. Weyl: |d_crn - d| <= ||E1|| +
// ||E2||; the normalised product moves by at most 2 (||E1||_F / ||C1||_F + ||E2||_F / ||C2||_F),
// with ||E||_F <= sqrt(D) ||E||_2.
function errBound(n: number, lambda: number, a: number, noise: boolean): number {
  const t = 6;
  const delta = (1 + Math.sqrt(D / n) + t / Math.sqrt(n)) ** 2 - 1;
  return (
    (1 - a) * delta +
    (2 * Math.sqrt(a * (1 - a)) * Math.sqrt(lambda) * (2 * Math.sqrt(D) + t)) / Math.sqrt(n) +
    (noise ? a * delta : 0)
  );
}

const frob = (s: Float64Array, a: number) =>
  Math.sqrt(s.reduce((acc, v, k) => acc + (a * v + (Math.floor(k / D) === k % D ? 1 - a : 0)) ** 2, 0));

describeGpu('merger analysis', (get) => {
  const data = gaussianData();
  const run = (opts: Partial<AnalyzeOptions>) =>
    analyzeMergers(get(), data, { schedule, spectralSteps: 'all', ...opts });

  it('exact: M, d and merger steps equal the Gaussian closed form', async () => {
    const { report } = await run({ method: 'exact' });
    // GPU moments are f32 sums of 1500 shifted rows: covariance entries within ~1e-5 of scale (see
    // moments.test.ts); M is a ratio of such sums and d a difference of eigenvalues (|lambda| <= 6).
    expect(report.eps.value).toBeCloseTo(epsRef, 5);
    for (const p of report.pairs.filter((q) => q.kind !== 'class-rest')) {
      const ref = refPair(report, p.a, p.b);
      expectClose(p.M, ref.M, { atol: 2e-5, rtol: 0, label: `M ${p.a}-${p.b}` });
      expectClose(p.d, ref.d, { atol: 1e-4, rtol: 0, label: `d ${p.a}-${p.b}` });
      const want = firstBelow(ref.d, epsRef);
      expect(p.mergerStep, `merger ${p.a}-${p.b}`).toBe(want);
      // The oracle is only sharp if eps is not within rounding of d at the crossing.
      if (want !== null && want > 0) {
        expect(Math.abs(ref.d[want]! - epsRef) / epsRef).toBeGreaterThan(1e-3);
        expect(Math.abs(ref.d[want - 1]! - epsRef) / epsRef).toBeGreaterThan(1e-3);
      }
    }
    // N(0, I) is invariant: the noise event's spectrum is 1 at every step.
    const noise = report.events.find((e) => e.kind === 'noise')!.id;
    for (const row of report.spectra.values[noise]!)
      expectClose(
        row,
        row.map(() => 1),
        { atol: 1e-12, label: 'noise spectrum' },
      );
    expect(report.speciation.lambdaMax).toBeCloseTo(lmax(sigmaAll), 4);
  });

  it('exact with global centring adds (mu_k - mu)(mu_k - mu)^T to each class covariance', async () => {
    const { report } = await run({ method: 'exact', centring: 'global' });
    const mu = new Float64Array(D);
    mus.forEach((m) => m.forEach((v, i) => (mu[i]! += v / K)));
    const shifted = sigmas.map((sg, k) =>
      sg.map((v, q) => v + (mus[k]![Math.floor(q / D)]! - mu[Math.floor(q / D)]!) * (mus[k]![q % D]! - mu[q % D]!)),
    );
    for (const p of report.pairs.filter((q) => q.kind === 'class-class')) {
      const ref = gaussianCurves(shifted[p.a]!, shifted[p.b]!, D, abarAll);
      expectClose(p.M, ref.M, { atol: 2e-5, rtol: 0, label: `global M ${p.a}-${p.b}` });
      expectClose(p.d, ref.d, { atol: 1e-4, rtol: 0, label: `global d ${p.a}-${p.b}` });
    }
  });

  for (const method of ['crn', 'mc'] as const) {
    it(`${method}: within the sampling tolerance of the closed form`, async () => {
      const steps = method === 'mc' ? 11 : 'all';
      const { report } = await run({ method, spectralSteps: steps, seed: 3 });
      const N = K * PER_CLASS;
      for (const p of report.pairs.filter((q) => q.kind !== 'class-rest')) {
        const ref = refPair(report, p.a, p.b);
        const isNoise = p.kind === 'data-noise';
        const [na, nb] = isNoise ? [N, N] : [PER_CLASS, PER_CLASS];
        const [sa, sb] = isNoise ? [sigmaAll, identity] : [sigmas[p.a]!, sigmas[p.b]!];
        const tol = (step: number) => {
          const a = abarAll[step]!;
          return [errBound(na, lmax(sa), a, false), errBound(nb, lmax(sb), a, isNoise)] as const;
        };
        report.spectralSteps.forEach((step, s) => {
          const [e1, e2] = tol(step);
          expect(Math.abs(p.d[s]! - ref.d[step]!), `${method} d ${p.a}-${p.b} step ${step}`).toBeLessThanOrEqual(
            e1 + e2 + 1e-4,
          ); // + the f32 rounding allowed for exact
        });
        report.steps.forEach((step, s) => {
          const [e1, e2] = tol(step);
          const a = abarAll[step]!;
          const bound = 2 * Math.sqrt(D) * (e1 / frob(sa, a) + e2 / frob(sb, a)) + 2e-5;
          expect(Math.abs(p.M[s]! - ref.M[step]!), `${method} M ${p.a}-${p.b} step ${step}`).toBeLessThanOrEqual(bound);
        });
        // The merger step lies where the closed form's d is within the tolerance of eps.
        if (p.mergerStep !== null && method === 'crn') {
          const lo = firstBelow(
            ref.d.map((v, i) => v - tol(i)[0] - tol(i)[1]),
            report.eps.value,
          );
          const hi = firstBelow(
            ref.d.map((v, i) => v + tol(i)[0] + tol(i)[1]),
            report.eps.value,
          );
          expect(p.mergerStep).toBeGreaterThanOrEqual(lo ?? 0);
          if (hi !== null) expect(p.mergerStep).toBeLessThanOrEqual(hi);
        }
      }
    }, 60_000);
  }

  it('crn: C(i) is exactly the covariance of the one-draw noised data, every step', async () => {
    // The data events (classes, all data) against the float64 covariance of x0 and the very eps rows
    // standardNormals draws; the noise event is a Wishart draw in law (crn-basis.test.ts checks it).
    const seed = 9;
    const { report } = await run({ method: 'crn', seed, spectralSteps: 5 });
    const N = K * PER_CLASS;
    const eps = await standardNormals(get(), N, D, { seed, stream: STREAM_EPS });
    // Float64 population covariance of x_i = sqrt(a) x0 + sqrt(1 - a) eps over a set of rows.
    const covOf = (
      rows: number[],
      x: (r: number, c: number) => number,
      e: (r: number, c: number) => number,
      a: number,
    ) => {
      const v = (r: number, c: number) => Math.sqrt(a) * x(r, c) + Math.sqrt(1 - a) * e(r, c);
      const mean = new Float64Array(D);
      for (const r of rows) for (let c = 0; c < D; c++) mean[c]! += v(r, c) / rows.length;
      const out = new Float64Array(D * D);
      for (const r of rows)
        for (let i = 0; i < D; i++)
          for (let j = 0; j < D; j++) out[i * D + j]! += ((v(r, i) - mean[i]!) * (v(r, j) - mean[j]!)) / rows.length;
      return out;
    };
    const xs = (r: number, c: number) => data.x[r * D + c]!;
    const es = (r: number, c: number) => eps[r * D + c]!;
    const classRows = (k: number) => Array.from({ length: PER_CLASS }, (_, q) => k * PER_CLASS + q);
    const allRows = Array.from({ length: N }, (_, r) => r);
    const evCov = (e: number, a: number) => (e < K ? covOf(classRows(e), xs, es, a) : covOf(allRows, xs, es, a));
    for (const [s, step] of report.spectralSteps.entries()) {
      const a = abarAll[step]!;
      for (const p of report.pairs.filter((q) => q.kind === 'class-class')) {
        const c1 = evCov(p.a, a);
        const c2 = evCov(p.b, a);
        const l1 = symmetricEigen(c1, D).values;
        const l2 = symmetricEigen(c2, D).values;
        const d = Math.max(...Array.from(l1, (v, j) => Math.abs(v - l2[j]!)));
        const dot = c1.reduce((acc, v, k) => acc + v * c2[k]!, 0);
        const M =
          Math.abs(dot) / Math.sqrt(c1.reduce((acc, v) => acc + v * v, 0) * c2.reduce((acc, v) => acc + v * v, 0));
        // Same f32 rounding allowance as the exact test.
        expect(Math.abs(p.d[s]! - d), `d ${p.a}-${p.b} step ${step}`).toBeLessThan(1e-4);
        expect(Math.abs(p.M[step]! - M), `M ${p.a}-${p.b} step ${step}`).toBeLessThan(2e-5);
      }
    }
  }, 60_000);

  it('merger steps refined from a coarse spectral grid equal those from every step', async () => {
    // eps above the finite-sample floor of 1500-row classes (~2 sqrt(7 / 1500) = 0.14) so pairs merge.
    const all = await run({ method: 'crn', seed: 4, spectralSteps: 'all', eps: { value: 0.3 } });
    const coarse = await run({ method: 'crn', seed: 4, spectralSteps: 6, eps: { value: 0.3 } });
    expect(coarse.report.spectralSteps).toEqual([0, 40, 80, 120, 160, 200]);
    expect(coarse.report.pairs.map((p) => p.mergerStep)).toEqual(all.report.pairs.map((p) => p.mergerStep));
    expect(all.report.pairs.filter((p) => p.mergerStep !== null).length).toBeGreaterThan(3);
  }, 60_000);

  it('a fixed seed gives the same report; another seed another noise draw', async () => {
    const strip = (r: MergerReport) => ({ ...r, createdAt: '', profile: [], timings: {} });
    const a = await run({ method: 'crn', seed: 5, spectralSteps: 21 });
    const b = await run({ method: 'crn', seed: 5, spectralSteps: 21 });
    const c = await run({ method: 'crn', seed: 6, spectralSteps: 21 });
    expect(strip(b.report)).toEqual(strip(a.report));
    expect(c.report.pairs[0]!.d).not.toEqual(a.report.pairs[0]!.d);
  }, 60_000);

  it('late-start statistics: mean sqrt(abar) mu and the spectrum of abar Sigma + (1 - abar) I', async () => {
    const { lateStart } = await run({ method: 'exact', spectralSteps: 'all', lateStart: [0, 50, 200], lateRank: 3 });
    expect(lateStart!.steps.map((s) => s.step)).toEqual([0, 50, 200]);
    for (const s of lateStart!.steps) {
      const want = symmetricEigen(sigmaAll, D).values.map((l) => s.abar * l + 1 - s.abar);
      expectClose(s.all.eigenvalues, want.slice(0, 3), { atol: 1e-4, rtol: 0, label: `eigenvalues step ${s.step}` });
      // The rest is the mean of the remaining eigenvalues.
      expect(s.all.restVariance).toBeCloseTo(want.slice(3).reduce((x, y) => x + y, 0) / (D - 3), 4);
      expect(s.classes).toHaveLength(K);
      expect(s.all.eigenvectors[0]).toHaveLength(D);
    }
  });

  it('refuses bad input with a message that names the problem', async () => {
    const bad = (patch: Partial<Dataset>) => analyzeMergers(get(), { ...data, ...patch }, { schedule });
    await expect(bad({ labels: data.labels.subarray(1) })).rejects.toThrow(/4499 labels for 4500 rows/);
    const nan = data.x.slice();
    nan[5 * D + 2] = NaN;
    await expect(bad({ x: nan })).rejects.toThrow(/row 5.*column 2|column 2.*row 5/);
    const few = data.labels.slice();
    few.fill(0, 0, PER_CLASS - 1);
    few[PER_CLASS - 1] = 2;
    few.fill(2, PER_CLASS, 2 * PER_CLASS);
    few[PER_CLASS] = 1;
    await expect(bad({ labels: few })).rejects.toThrow(/class 1 \('b'\) has 1 sample; method 'crn' needs at least 2/);
    await expect(bad({ x: new Float32Array(data.x.length).fill(0.5) })).rejects.toThrow(/all 7 features are constant/);
    await expect(analyzeMergers(get(), data, { schedule, method: 'magic' as never })).rejects.toThrow(
      /method 'magic' is not one of crn, mc, exact/,
    );
    await expect(analyzeMergers(get(), data, { schedule, lateStart: [201] })).rejects.toThrow(/late-start step/);
  });
});
