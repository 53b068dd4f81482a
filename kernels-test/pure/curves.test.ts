// Merger curves (src/analysis/curves.ts) against the DESIGN §6 Gaussian oracles: explicit float64
// covariances C_k(i) = abar Sigma_k + (1 - abar) I (and the crn form a A + b B + c (X + X^T)) with M
// and d by brute force (Frobenius sums, eigenvalues from symmetricEigen), plus the step rules.
import { describe, expect, it } from 'vitest';
import {
  crnPairM,
  DEFAULT_EPS_RATIO,
  epsFromRule,
  exactPairCurves,
  mergerStep,
  speciation,
  spectralDistance,
  thresholdM,
  type EpsRule,
  type ExactEvent,
} from '../../src/analysis/curves.js';
import { symmetricEigen } from '../../src/linalg/eigh-cpu.js';
import { frobeniusDot, trace } from '../ref/gram.js';
import { withSpectrum } from '../ref/eigh.js';
import { expectClose } from '../compare.js';
import { randn } from '../random.js';

/** DDPM linear schedule, steps 0..T with abar_0 = 1 (from the definition, independent of src/models). */
function linearAbar(T: number): Float64Array {
  const abar = new Float64Array(T + 1);
  abar[0] = 1;
  for (let i = 1; i <= T; i++) abar[i] = abar[i - 1]! * (1 - (1e-4 + ((0.02 - 1e-4) * (i - 1)) / (T - 1)));
  return abar;
}
const ABAR = Float64Array.from([...linearAbar(1000).filter((_, i) => i % 37 === 0), 0]);

/** G G^T / D + 0.1 I for G (D, D) Gaussian: a random SPD matrix, row-major. */
function randomSpd(D: number, seed: number, scale = 1): Float64Array {
  const G = randn(D * D, seed);
  const S = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    for (let j = 0; j < D; j++) {
      let s = 0;
      for (let k = 0; k < D; k++) s += G[i * D + k]! * G[j * D + k]!;
      S[i * D + j] = (scale * s) / D + (i === j ? 0.1 : 0);
    }
  }
  return S;
}

const combine = (terms: [number, Float64Array][], D: number) => {
  const C = new Float64Array(D * D);
  for (const [w, m] of terms) for (let i = 0; i < C.length; i++) C[i] = C[i]! + w * m[i]!;
  return C;
};
const identity = (D: number) => Float64Array.from({ length: D * D }, (_, i) => (i % (D + 1) === 0 ? 1 : 0));

/** Brute force: M and d of two explicit covariances. */
function bruteMd(C1: Float64Array, C2: Float64Array, D: number): { M: number; d: number } {
  const M = Math.abs(frobeniusDot(C1, C2)) / Math.sqrt(frobeniusDot(C1, C1) * frobeniusDot(C2, C2));
  const l1 = symmetricEigen(C1, D).values;
  const l2 = symmetricEigen(C2, D).values;
  let d = 0;
  for (let j = 0; j < D; j++) d = Math.max(d, Math.abs(l1[j]! - l2[j]!));
  return { M, d };
}

function exactEvent(S: Float64Array, D: number): ExactEvent {
  return { eig: symmetricEigen(S, D).values.reverse(), trace: trace(S, D), frob2: frobeniusDot(S, S) };
}

// M: a ratio of sums of D² products, each exact to ~D² 2^-53 relative: < 1e-13 for D = 17.
// d: both sides carry the eigensolver's backward error n 2^-52 ||C||_2 (< 1e-13 ||C|| here, with
// ||C||_2 <= 6): 1e-12 absolute.
const TOL = { atol: 1e-12, rtol: 0 };

describe('exactPairCurves equals brute force on explicit Gaussian covariances', () => {
  const cases: { name: string; D: number; seed: number; scale2: number }[] = [
    { name: 'D = 5', D: 5, seed: 1, scale2: 1 },
    { name: 'D = 5, second event 3x wider', D: 5, seed: 2, scale2: 3 },
    { name: 'D = 17', D: 17, seed: 3, scale2: 1 },
    { name: 'D = 17, second event 0.2x', D: 17, seed: 4, scale2: 0.2 },
  ];
  it.each(cases)('$name', ({ D, seed, scale2 }) => {
    const S1 = randomSpd(D, seed);
    const S2 = randomSpd(D, seed + 50, scale2);
    const got = exactPairCurves(ABAR, exactEvent(S1, D), exactEvent(S2, D), D, frobeniusDot(S1, S2));
    const wantM: number[] = [];
    const wantD: number[] = [];
    for (const a of ABAR) {
      const I = identity(D);
      const r = bruteMd(
        combine(
          [
            [a, S1],
            [1 - a, I],
          ],
          D,
        ),
        combine(
          [
            [a, S2],
            [1 - a, I],
          ],
          D,
        ),
        D,
      );
      wantM.push(r.M);
      wantD.push(r.d);
    }
    expectClose(got.M, wantM, { ...TOL, label: 'M', seed });
    expectClose(got.d, wantD, { ...TOL, label: 'd', seed });
  });
  it('rank-deficient C0 given by its non-zero eigenvalues only (padded with zeros to D)', () => {
    const D = 17;
    const spec1 = [4, 2.5, 1, 0.5, 0.25, ...new Array(12).fill(0)];
    const spec2 = [3, 3, 0.7, ...new Array(14).fill(0)];
    const S1 = withSpectrum(spec1, 77);
    const S2 = withSpectrum(spec2, 78);
    const e1 = { eig: Float64Array.from(spec1.slice(0, 5)), trace: trace(S1, D), frob2: frobeniusDot(S1, S1) };
    const e2 = { eig: Float64Array.from([0.7, 3, 3]), trace: trace(S2, D), frob2: frobeniusDot(S2, S2) };
    const got = exactPairCurves(ABAR, e1, e2, D, frobeniusDot(S1, S2));
    const I = identity(D);
    const want = Array.from(ABAR, (a) =>
      bruteMd(
        combine(
          [
            [a, S1],
            [1 - a, I],
          ],
          D,
        ),
        combine(
          [
            [a, S2],
            [1 - a, I],
          ],
          D,
        ),
        D,
      ),
    );
    expectClose(
      got.M,
      want.map((r) => r.M),
      { ...TOL, label: 'M' },
    );
    expectClose(
      got.d,
      want.map((r) => r.d),
      { ...TOL, label: 'd' },
    );
  });
  it('noise event N(0, I) is invariant: C(i) = I, d = 0 and M = 1 against itself at every step', () => {
    for (const D of [1, 5, 17]) {
      const I = identity(D);
      const noise = exactEvent(I, D);
      // a + (1 - a) is 1 up to one rounding: C(i) = I to 2^-52.
      for (const a of ABAR)
        expectClose(
          combine(
            [
              [a, I],
              [1 - a, I],
            ],
            D,
          ),
          I,
          { atol: 2 ** -52, rtol: 0, label: `C(${a}), D = ${D}` },
        );
      const r = exactPairCurves(ABAR, noise, noise, D, D);
      expectClose(r.M, new Float64Array(ABAR.length).fill(1), { atol: 1e-15, rtol: 0, label: `M, D = ${D}` });
      expect(Array.from(r.d)).toEqual(new Array(ABAR.length).fill(0));
    }
  });
  it('data against noise: d(i) = abar_i * D0 and the merger step is the first abar_i <= eps / D0', () => {
    const D = 5;
    const S = randomSpd(D, 9);
    const data = exactEvent(S, D);
    const r = exactPairCurves(ABAR, data, exactEvent(identity(D), D), D, trace(S, D));
    const D0 = Math.max(...Array.from(data.eig, (l) => Math.abs(l - 1)));
    expectClose(
      r.d,
      Array.from(ABAR, (a) => a * D0),
      { atol: 1e-15, rtol: 1e-15 },
    );
    const eps = epsFromRule({ ratio: DEFAULT_EPS_RATIO }, [data.eig.reduce((m, v) => Math.max(m, v), 0), 1]);
    const steps = Array.from(ABAR, (_, j) => j * 37);
    const first = Array.from(ABAR).findIndex((a) => a * D0 <= eps);
    expect(mergerStep(r.d, steps, eps)).toBe(first < 0 ? null : steps[first]);
    expect(r.M[r.M.length - 1]).toBe(1); // abar = 0: both are I
  });
  it('rejects bad input, naming it', () => {
    const e: ExactEvent = { eig: Float64Array.of(1, 2), trace: 3, frob2: 5 };
    expect(() => exactPairCurves([0.5], e, e, 1, 5)).toThrow(/e1\.eig must have at most dim = 1/);
    expect(() => exactPairCurves([1.5], e, e, 2, 5)).toThrow(/abar\[0\] must be in \[0, 1\], got 1.5/);
    expect(() => exactPairCurves([0.5], e, { ...e, trace: NaN }, 2, 5)).toThrow(/e2\.trace/);
    expect(() => exactPairCurves([0.5], e, e, 0, 5)).toThrow(/dim must be an integer >= 1/);
  });
});

describe('crnPairM equals brute force on explicit a A + b B + c (X + X^T)', () => {
  const products = (P: Float64Array[], Q: Float64Array[]) => P.map((p) => Q.map((q) => frobeniusDot(p, q)));
  it.each([
    { D: 5, seed: 21 },
    { D: 17, seed: 22 },
    { D: 3, seed: 23 },
  ])('D = $D', ({ D, seed }) => {
    const ev = (s: number) => {
      const A = randomSpd(D, s);
      const B = randomSpd(D, s + 1, 0.3).map((v, i) => v + (i % (D + 1) === 0 ? 0.9 : 0));
      const X = randn(D * D, s + 2).map((v) => 0.05 * v);
      const S = X.map((_, k) => X[k]! + X[(k % D) * D + Math.floor(k / D)]!);
      return [A, B, S];
    };
    const m1 = ev(seed * 10);
    const m2 = ev(seed * 10 + 5);
    const got = crnPairM(ABAR, { cross: products(m1, m2), g1: products(m1, m1), g2: products(m2, m2) });
    const want = Array.from(ABAR, (a) => {
      const w: [number, number, number] = [a, 1 - a, Math.sqrt(a * (1 - a))];
      const C1 = combine(
        m1.map((m, k) => [w[k]!, m] as [number, Float64Array]),
        D,
      );
      const C2 = combine(
        m2.map((m, k) => [w[k]!, m] as [number, Float64Array]),
        D,
      );
      return Math.abs(frobeniusDot(C1, C2)) / Math.sqrt(frobeniusDot(C1, C1) * frobeniusDot(C2, C2));
    });
    expectClose(got, want, { ...TOL, label: 'M', seed });
  });
  it('with B = I and X = 0 it is the population form', () => {
    const D = 5;
    const S1 = randomSpd(D, 31);
    const S2 = randomSpd(D, 32);
    const Z = new Float64Array(D * D);
    const m1 = [S1, identity(D), Z];
    const m2 = [S2, identity(D), Z];
    const got = crnPairM(ABAR, { cross: products(m1, m2), g1: products(m1, m1), g2: products(m2, m2) });
    const ref = exactPairCurves(ABAR, exactEvent(S1, D), exactEvent(S2, D), D, frobeniusDot(S1, S2));
    expectClose(got, ref.M, { atol: 1e-14, rtol: 0 });
  });
  it('rejects tables that are not 3 x 3 finite', () => {
    const g = [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ];
    expect(() =>
      crnPairM([0.5], {
        cross: [
          [1, 0],
          [0, 1],
        ],
        g1: g,
        g2: g,
      }),
    ).toThrow(/cross must be a 3 x 3 table/);
    expect(() =>
      crnPairM([0.5], {
        cross: g,
        g1: [
          [1, 0, 0],
          [0, NaN, 0],
          [0, 0, 1],
        ],
        g2: g,
      }),
    ).toThrow(/g1\[1\]\[1\]/);
  });
});

describe('mergerStep, thresholdM, spectralDistance', () => {
  // A known monotone curve d(i) = 2 abar_i on steps 0..1000 (abar decreasing from 1).
  const abar = linearAbar(1000);
  const steps = Array.from(abar, (_, i) => i);
  const d = abar.map((a) => 2 * a);
  it.each([
    ['merges mid-schedule', 0.5, abar.findIndex((a) => 2 * a <= 0.5)],
    ['merges at step 0 (eps = d(0))', 2, 0],
    ['merges at step 0 (eps above d(0))', 5, 0],
    ['never merges (eps below d(T))', d[1000]! / 2, null],
    ['eps = 0 never merges a positive curve', 0, null],
  ] as [string, number, number | null][])('%s', (_, eps, want) => {
    expect(mergerStep(d, steps, eps)).toBe(want);
  });
  it('uses the step numbers of the entries (spectral steps) and skips NaN', () => {
    expect(mergerStep([3, NaN, 1, 0.5], [0, 10, 20, 30], 1)).toBe(20);
    expect(mergerStep([], [], 1)).toBe(null);
    expect(() => mergerStep([1, 2], [0], 1)).toThrow(/steps must have one entry per d value \(2\), got 1/);
    expect(() => mergerStep([1], [0], -1)).toThrow(/eps must be a finite number >= 0, got -1/);
  });
  it('thresholdM is M while d > eps, else 1', () => {
    expect(Array.from(thresholdM([0.2, 0.5, 0.9, 0.7], [3, 2, 1, 1.5], 1.5))).toEqual([0.2, 0.5, 1, 1]);
    expect(() => thresholdM([1], [1, 2], 1)).toThrow(/dOnSameSteps/);
  });
  it('spectralDistance pairs by rank on sorted copies', () => {
    const l1 = Float64Array.of(1, 5, 3);
    const l2 = [2.5, 0.5, 4];
    expect(spectralDistance(l1, l2)).toBe(1); // (5, 3, 1) vs (4, 2.5, 0.5)
    expect(Array.from(l1)).toEqual([1, 5, 3]);
    expect(spectralDistance([], [])).toBe(0);
    expect(() => spectralDistance([1, 2], [1])).toThrow(/same length, got 2 and 1/);
    expect(() => spectralDistance([NaN], [1])).toThrow(/non-finite/);
  });
});

describe('epsFromRule', () => {
  it('ratio rule (default 400) over the largest top eigenvalue; value rule', () => {
    expect(epsFromRule(undefined, [2, 8, 4])).toBe(8 / 400);
    expect(epsFromRule({ ratio: 100 }, [2, 8, 4])).toBe(0.08);
    expect(epsFromRule({ value: 0.3 }, [])).toBe(0.3);
  });
  it.each([
    [{ ratio: 0 }, [1], /ratio must be positive, got 0/],
    [{ ratio: Infinity }, [1], /ratio must be a finite number/],
    [{ value: -1 }, [1], /value must be positive, got -1/],
    [{ value: NaN }, [1], /value must be a finite number/],
    [{ ratio: 400 }, [], /lambdaMax0 must hold at least one positive/],
    [{ ratio: 400 }, [0, 0], /lambdaMax0 must hold at least one positive/],
    [{ ratio: 400 }, [1, NaN], /lambdaMax0\[1\]/],
    [{ ratio: 1, value: 1 }, [1], /exactly one of ratio or value/],
    [{}, [1], /\{ ratio \} or \{ value \}/],
  ] as [EpsRule, number[], RegExp][])('rejects %j with %j', (rule, l, re) => {
    expect(() => epsFromRule(rule, l)).toThrow(re);
  });
});

describe('speciation: Lambda e^{-2 t_S} = 1 with abar = e^{-2t}', () => {
  const abar = linearAbar(1000);
  it.each([4, 1.0001, 37.5, 2 ** 20])('Lambda = %s', (L) => {
    const r = speciation(L, abar);
    expect(r.lambdaMax).toBe(L);
    expect(r.abar).toBe(1 / L);
    expect(Math.abs(r.ouTime - Math.log(L) / 2)).toBeLessThanOrEqual(1e-15 * Math.log(L));
    expect(Math.exp(-2 * r.ouTime) * L).toBeCloseTo(1, 14);
    const first = Array.from(abar).findIndex((a) => a <= 1 / L);
    expect(r.step).toBe(first < 0 ? null : first);
    expect(r.convention).toMatch(/abar = e\^\{-2t\}/);
  });
  it('Lambda <= 1 has no speciation (null), even where abar drops below 1/Lambda', () => {
    expect(speciation(1, abar).step).toBeNull();
    expect(speciation(0.5, abar).step).toBeNull();
    expect(speciation(0.5, abar).abar).toBe(2);
  });
  it('a schedule that never reaches abar_S gives null; abar_0 <= abar_S gives step 0', () => {
    expect(speciation(1e9, abar).step).toBeNull(); // abar_T ~ 4e-5 > 1e-9
    expect(speciation(4, [0.2, 0.1]).step).toBe(0);
  });
  it('rejects a non-positive or non-finite Lambda and abar outside [0, 1]', () => {
    expect(() => speciation(0, abar)).toThrow(/lambdaMax must be positive/);
    expect(() => speciation(NaN, abar)).toThrow(/lambdaMax must be a finite number/);
    expect(() => speciation(2, [1, -0.1])).toThrow(/abar\[1\]/);
  });
});
