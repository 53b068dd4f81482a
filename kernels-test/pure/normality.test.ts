// D'Agostino–Pearson K² (src/analysis/normality.ts) against scipy.stats.normaltest / skewtest /
// kurtosistest literals, and the moments of y = alpha x + beta e against direct float64 moments.
import { describe, expect, it } from 'vitest';
import {
  centralMoments,
  centralMomentsOfCombination,
  k2FromMoments,
  mixedCentralMoments,
  normaltest,
  type MixedMoments,
} from '../../src/analysis/normality.js';
import { expectClose } from '../compare.js';
import { randn, rng } from '../random.js';

interface Literal {
  name: string;
  kind: string;
  n: number;
  m2: number;
  m3: number;
  m4: number;
  zSkew: number;
  zKurt: number;
  k2: number;
  p: number;
}

/** Float64 literals printed by `/usr/bin/python3 scripts/dev/normality-literals.py` (the provenance). */
const SCIPY: Literal[] = [
  {
    name: 'normal, n = 8',
    kind: 'normal',
    n: 8,
    m2: 0.7273596803332878,
    m3: -0.025825569775846435,
    m4: 1.002838640940257,
    zSkew: -0.07016738391345913,
    zKurt: -0.5601169549589986,
    k2: 0.31865446499779965,
    p: 0.8527172765039502,
  },
  {
    name: 'normal, n = 20',
    kind: 'normal',
    n: 20,
    m2: 0.7832473967845898,
    m3: -0.05365549650709524,
    m4: 1.3888568186860402,
    zSkew: -0.17389414960596364,
    zKurt: -0.5259498542065882,
    k2: 0.3068624244071127,
    p: 0.8577597655736692,
  },
  {
    name: 'normal, n = 1000',
    kind: 'normal',
    n: 1000,
    m2: 0.9852047168462834,
    m3: -0.02045291433578414,
    m4: 2.778276494478393,
    zSkew: -0.27197670126965406,
    zKurt: -0.8488954651026928,
    k2: 0.7945948367054397,
    p: 0.6721340908878812,
  },
  {
    name: 'exponential, n = 8',
    kind: 'exponential',
    n: 8,
    m2: 0.4212109080355851,
    m3: 0.2277053590157044,
    m4: 0.45221408306076455,
    zSkew: 1.3894363561915248,
    zKurt: 0.47615644161077525,
    k2: 2.1572583447942173,
    p: 0.3400613717897383,
  },
  {
    name: 'exponential, n = 20',
    kind: 'exponential',
    n: 20,
    m2: 0.5233225410812838,
    m3: 0.4156639852792562,
    m4: 0.9612025254138448,
    zSkew: 2.2377225113797077,
    zKurt: 1.1424340658832417,
    k2: 6.312557632826021,
    p: 0.04258390915559309,
  },
  {
    name: 'exponential, n = 1000',
    kind: 'exponential',
    n: 1000,
    m2: 0.9413430174578693,
    m3: 1.605605043780651,
    m4: 6.0140195487874575,
    zSkew: 16.106265350055015,
    zKurt: 9.669518511404288,
    k2: 352.911371768773,
    p: 2.324177646761617e-77,
  },
  {
    name: 'laplace, n = 8',
    kind: 'laplace',
    n: 8,
    m2: 1.0942024466760192,
    m3: -0.2531475950957218,
    m4: 2.6086289914711185,
    zSkew: -0.3724976414251501,
    zKurt: -0.06607535220716308,
    k2: 0.14312044503660035,
    p: 0.9309402123427092,
  },
  {
    name: 'laplace, n = 20',
    kind: 'laplace',
    n: 20,
    m2: 1.2711661071950033,
    m3: -0.42947321740114147,
    m4: 4.873516376892136,
    zSkew: -0.6676628541280469,
    zKurt: 0.6263379605565493,
    k2: 0.8380729276165473,
    p: 0.6576802133053794,
  },
  {
    name: 'laplace, n = 1000',
    kind: 'laplace',
    n: 1000,
    m2: 1.9170472896150654,
    m3: -0.20900189702709243,
    m4: 18.36240026019312,
    zSkew: -1.0224863585677828,
    zKurt: 7.044753261018549,
    k2: 50.67402686208869,
    p: 9.914592729041703e-12,
  },
  {
    name: 'student-t3, n = 8',
    kind: 'student-t3',
    n: 8,
    m2: 1.1710932560300522,
    m3: -0.23299105970938291,
    m4: 2.8642165872357483,
    zSkew: -0.3097051629314186,
    zKurt: -0.21511401116488363,
    k2: 0.14219132574582222,
    p: 0.9313727900689314,
  },
  {
    name: 'student-t3, n = 20',
    kind: 'student-t3',
    n: 20,
    m2: 1.3794928895620828,
    m3: -0.49701879513585584,
    m4: 5.576359674361276,
    zSkew: -0.6831831550210474,
    zKurt: 0.5217868577927711,
    k2: 0.739000748269766,
    p: 0.6910795256018509,
  },
  {
    name: 'student-t3, n = 1000',
    kind: 'student-t3',
    n: 1000,
    m2: 2.409031684028204,
    m3: -1.016634818041117,
    m4: 48.14621932121968,
    zSkew: -3.4750352354438303,
    zKurt: 11.078205242868243,
    k2: 134.80250129068958,
    p: 5.345751559831147e-30,
  },
  {
    name: 'uniform, n = 8',
    kind: 'uniform',
    n: 8,
    m2: 0.302490234375,
    m3: 0.01682281494140625,
    m4: 0.15448075532913208,
    zSkew: 0.17040582596772294,
    zKurt: -0.9790160750361041,
    k2: 0.9875106207028405,
    p: 0.6103301062802389,
  },
  {
    name: 'uniform, n = 20',
    kind: 'uniform',
    n: 20,
    m2: 0.306748046875,
    m3: 0.01379168701171877,
    m4: 0.16522281999588012,
    zSkew: 0.1823634219924459,
    zKurt: -1.829971257546137,
    k2: 3.3820512211257854,
    p: 0.18433037583287767,
  },
  {
    name: 'uniform, n = 1000',
    kind: 'uniform',
    n: 1000,
    m2: 0.3329666941795349,
    m3: 0.0002777417671265949,
    m4: 0.19938262304408477,
    zSkew: 0.018799766009466548,
    zKurt: -27.28429291557866,
    k2: 744.432993334298,
    p: 2.2306396834142186e-162,
  },
  {
    name: 'ramp 1..8 (skew exactly 0: scipy sets y = 1)',
    kind: 'ramp',
    n: 8,
    m2: 5.25,
    m3: 0.0,
    m4: 48.5625,
    zSkew: 1.0108048609177787,
    zKurt: -0.8238198962461388,
    k2: 1.7004056883060088,
    p: 0.42732824212143383,
  },
  {
    name: '[1..7, 8000]',
    kind: 'spike',
    n: 8,
    m2: 6993005.25,
    m3: 41937021000.0,
    m4: 300398472328548.5,
    zSkew: 3.5717735103604067,
    zKurt: 3.1937195460349175,
    k2: 22.95741054803778,
    p: 1.0348124379791826e-5,
  },
  {
    name: 'offset 1e6 + exponential, n = 20',
    kind: 'offset-exponential',
    n: 20,
    m2: 0.5233225410903712,
    m3: 0.41566398537153815,
    m4: 0.961202525556482,
    zSkew: 2.237722511747494,
    zKurt: 1.1424340662507722,
    k2: 6.312557635311787,
    p: 0.04258390910266625,
  },
];

/** The samples of scripts/dev/normality-literals.py: F^{-1}(van der Corput base 2), order (7 k) mod n. */
function vanDerCorput(n: number): Float64Array {
  const u = new Float64Array(n);
  for (let j = 1; j <= n; j++) {
    let x = 0;
    let f = 0.5;
    for (let k = j; k > 0; k >>= 1, f *= 0.5) x += f * (k & 1);
    u[j - 1] = x;
  }
  return Float64Array.from({ length: n }, (_, k) => u[(7 * k) % n]!);
}
const SAMPLERS: Record<string, ((n: number) => Float64Array) | undefined> = {
  uniform: (n) => vanDerCorput(n).map((u) => u * 2 - 1),
  exponential: (n) => vanDerCorput(n).map((u) => -Math.log1p(-u)),
  laplace: (n) => vanDerCorput(n).map((u) => -Math.sign(u - 0.5) * Math.log1p(-2 * Math.abs(u - 0.5))),
  ramp: () => Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
  spike: () => Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8000]),
  'offset-exponential': (n) => vanDerCorput(n).map((u) => 1e6 + -Math.log1p(-u)),
};

function expectRel(label: string, got: number, want: number, rtol: number, atol = 0): void {
  const err = Math.abs(got - want);
  if (!(err <= atol + rtol * Math.abs(want)))
    throw new Error(`${label}: got ${got}, want ${want} (abs err ${err.toExponential(2)})`);
}

describe('k2FromMoments equals scipy.stats.normaltest given the same moments', () => {
  // Same formulas in the same order; only libm differs (V8's fdlibm-derived pow/log/sqrt against
  // glibc), a few ulps per call over ~20 calls, and z ~ asinh is well conditioned: 1e-12 relative.
  // p = exp(-K²/2) turns an absolute error dK² into a relative one dK²/2 (K² up to 745): 1e-10.
  it.each(SCIPY)('$name', (c) => {
    const r = k2FromMoments(c.n, c.m2, c.m3, c.m4);
    expectRel('zSkew', r.zSkew, c.zSkew, 1e-12, 1e-15);
    expectRel('zKurt', r.zKurt, c.zKurt, 1e-12, 1e-15);
    expectRel('k2', r.k2, c.k2, 1e-12, 1e-15);
    expectRel('p', r.p, c.p, 1e-10);
    expect(r.p).toBe(Math.exp(-r.k2 / 2));
  });
});

describe('normaltest(x) on the same samples', () => {
  // Here the moments are recomputed in TypeScript (naive two-pass sums against numpy's pairwise sums,
  // log1p of V8 against numpy). Each moment then carries a relative error ~ n * 2^-53 times the
  // cancellation factor sum|d^p| / |sum d^p|, which is largest for m3 of the near-symmetric
  // uniform n = 1000 sample (m3 = 2.8e-4 from terms of size ~0.3: factor ~ 1e3), so z values are
  // compared to 1e-9 relative and 1e-12 absolute. The 1e6-offset sample differs more: its mean (sum
  // ~2e7, ulp 3.7e-9) is off by delta ~ 1e-10 between the two summation orders, which moves
  // m3 by 3 m2 delta and m4 by 4 m3 delta ~ 2e-10 relative: 1e-8 there.
  it.each(SCIPY.filter((c) => SAMPLERS[c.kind] !== undefined))('$name', (c) => {
    const x = SAMPLERS[c.kind]!(c.n);
    const tol = c.kind.startsWith('offset') ? 1e-8 : 1e-9;
    const m = centralMoments(x);
    expectRel('m2', m.m2, c.m2, 1e-12);
    expectRel('m3', m.m3, c.m3, tol, 1e-15);
    expectRel('m4', m.m4, c.m4, tol);
    const r = normaltest(x);
    expectRel('zSkew', r.zSkew, c.zSkew, tol, 1e-12);
    expectRel('zKurt', r.zKurt, c.zKurt, tol, 1e-12);
    expectRel('k2', r.k2, c.k2, tol, 1e-12);
    expectRel('p', r.p, c.p, 10 * tol);
  });
});

describe('normality edge cases', () => {
  it.each([0, 1, 7, 7.5, -8, NaN])('n = %s is rejected, naming n', (n) => {
    expect(() => k2FromMoments(n, 1, 0, 3)).toThrow(/^n must be an integer >= 8/);
  });
  it('normaltest rejects 7 samples, naming n', () => {
    expect(() => normaltest([1, 2, 3, 4, 5, 6, 7])).toThrow(/n = 7/);
  });
  it('non-finite moments are rejected, naming the argument', () => {
    expect(() => k2FromMoments(10, NaN, 0, 3)).toThrow(/^m2 /);
    expect(() => k2FromMoments(10, 1, Infinity, 3)).toThrow(/^m3 /);
    expect(() => k2FromMoments(10, 1, 0, -Infinity)).toThrow(/^m4 /);
  });
  it('m2 = 0 (constant column) gives NaN, not an error', () => {
    const r = k2FromMoments(10, 0, 0, 0);
    for (const v of [r.k2, r.p, r.zSkew, r.zKurt]) expect(v).toBeNaN();
    const s = normaltest(new Float64Array(12).fill(3.7));
    for (const v of [s.k2, s.p, s.zSkew, s.zKurt]) expect(v).toBeNaN();
    // scipy's relative rule: a rounding residue m2 <= (1e-15 mean)² is still constant data.
    expect(k2FromMoments(10, 1e-31, 0, 1e-62, 1e3).k2).toBeNaN();
    expect(k2FromMoments(10, 1e-31, 0, 3e-62, 0).k2).not.toBeNaN();
  });
  it('n = 8 works without complaint (scipy only warns below 20)', () => {
    expect(Number.isFinite(k2FromMoments(8, 1, 0.1, 2.5).k2)).toBe(true);
  });
});

/** Direct biased central moments of y = alpha x + beta e (independent of the binomial expansion). */
function directMoments(alpha: number, beta: number, x: Float64Array, e: Float64Array) {
  return centralMoments(x.map((v, i) => alpha * v + beta * e[i]!));
}

describe('centralMomentsOfCombination: the binomial expansion of the mixed moments', () => {
  const n = 997;
  const seeds = [11, 12, 13];
  // x: skewed and offset (exponential-like, mean ~5); e: normal noise correlated with x, so every
  // mixed term of the expansion is non-zero.
  const cases = seeds.map((seed) => {
    const u = rng(seed);
    const x = Float64Array.from({ length: n }, () => 5 - Math.log1p(-u()));
    const z = randn(n, seed + 100);
    const e = z.map((v, i) => v + 0.3 * (x[i]! - 5));
    return { seed, x, e };
  });
  const abars = [1, 0.999, 0.9, 0.5, 0.1, 1e-3, 0];
  it.each(cases)('seed $seed, every abar of a grid', ({ seed, x, e }) => {
    const mu = mixedCentralMoments(x, e);
    for (const abar of abars) {
      const alpha = Math.sqrt(abar);
      const beta = Math.sqrt(1 - abar);
      const got = centralMomentsOfCombination(alpha, beta, mu);
      const want = directMoments(alpha, beta, x, e);
      // Both sides are float64 sums of n = 997 centred terms (relative rounding ~ 1e-14); the
      // expansion adds at most 5 terms of mixed sign with |terms| <= a few times |m_p|: 1e-11.
      expectClose([got.m2, got.m3, got.m4], [want.m2, want.m3, want.m4], {
        rtol: 1e-11,
        atol: 1e-13,
        label: `abar ${abar}`,
        seed,
      });
    }
  });
  it('alpha = 1, beta = 0 gives the moments of x; alpha = 0, beta = 1 those of e', () => {
    const { x, e } = cases[0]!;
    const mu = mixedCentralMoments(x, e);
    const mx = centralMoments(x);
    const me = centralMoments(e);
    const a = centralMomentsOfCombination(1, 0, mu);
    const b = centralMomentsOfCombination(0, 1, mu);
    expectClose([a.m2, a.m3, a.m4], [mx.m2, mx.m3, mx.m4], { rtol: 1e-14, atol: 0 });
    expectClose([b.m2, b.m3, b.m4], [me.m2, me.m3, me.m4], { rtol: 1e-14, atol: 0 });
  });
  it('mixedCentralMoments has the table shape with exact 1 and 0 entries', () => {
    const mu = mixedCentralMoments([1, 2, 4], [0, 1, 1]);
    expect(mu.map((r) => r.length)).toEqual([5, 4, 3, 2, 1]);
    expect([mu[0]![0], mu[1]![0], mu[0]![1]]).toEqual([1, 0, 0]);
    expect(mu[1]![1]).toBeCloseTo(((1 - 7 / 3) * (0 - 2 / 3) + (2 - 7 / 3) / 3 + (4 - 7 / 3) / 3) / 3, 15);
  });
  it('DESIGN §6 oracle: Rademacher ±1 plus N(0, 1) noise has m4(x_i) = 3 - 2 abar², m2 = 1', () => {
    // Population moments: x = ±1 (mu20 = mu40 = 1, mu30 = 0), e ~ N(0, 1) independent (mu02 = 1,
    // mu04 = 3, mu22 = mu20 mu02 = 1, odd mixed moments 0).
    const mu: MixedMoments = [[1, 0, 1, 0, 3], [0, 0, 0, 0], [1, 0, 1], [0, 0], [1]];
    for (const abar of [1, 0.75, 0.5, 0.2, 0]) {
      const m = centralMomentsOfCombination(Math.sqrt(abar), Math.sqrt(1 - abar), mu);
      expectRel(`m2 at abar ${abar}`, m.m2, 1, 1e-15);
      expectRel(`m3 at abar ${abar}`, m.m3, 0, 0, 0);
      expectRel(`m4 at abar ${abar}`, m.m4, 3 - 2 * abar * abar, 1e-15);
    }
  });
  it('missing or non-finite table entries are rejected, naming the entry', () => {
    expect(() => centralMomentsOfCombination(1, 1, [[1, 0, 1], [0, 0], [1]])).toThrow(/mixed\[0\]\[3\]/);
    expect(() => centralMomentsOfCombination(NaN, 1, [[1]])).toThrow(/^alpha /);
  });
});
