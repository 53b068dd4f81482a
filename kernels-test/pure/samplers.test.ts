// Sampler pieces that need no GPU: grids (linspace from a start step, diffusers' spacings), update
// coefficients against the reference derivation, scheduler objects, guidance weights and call counts,
// late-start factors and the float64 draw formula, and their bad-input errors.
import { describe, expect, it } from 'vitest';
import { makeSchedule, respace } from '../../src/schedule/schedules.js';
import {
  checkGuidance,
  combineLateStart,
  ddimCoefficients,
  ddimScheduler,
  ddpmCoefficients,
  ddpmScheduler,
  gaussianFactor,
  guidanceAt,
  guidanceCalls,
  samplerGrid,
  type Guidance,
} from '../../src/samplers/index.js';
import { expectClose } from '../compare.js';
import { randn } from '../random.js';
import { coefficientsRef, lateStartRowRef, linspaceGridRef, type RefKind } from '../ref/samplers.js';

const linear = makeSchedule('linear', 1000);
const cosine = makeSchedule('cosine', 100);

describe('sampler grids', () => {
  for (const [s, n] of [
    [1000, 10],
    [1000, 1000],
    [600, 7],
    [37, 5],
    [2, 2],
    [5, 1],
    [1, 1],
    [999, 3],
    [101, 4],
  ] as const) {
    it(`linspace(0, ${s}, ${n}) runs from ${s} down to 1 (numpy linspace, round half to even)`, () => {
      const g = samplerGrid(linear, n, { start: s });
      expect(Array.from(g.steps)).toEqual(linspaceGridRef(s, n));
      expect(g.steps[0]).toBe(s);
      if (n > 1) expect(g.steps[n - 1]).toBe(1);
      for (let k = 1; k < n; k++) expect(g.steps[k]).toBeLessThan(g.steps[k - 1]!);
      g.steps.forEach((t, k) => {
        expect(g.alphasCumprod[k]).toBe(linear.alphasCumprod[t - 1]);
        expect(g.prevAlphasCumprod[k]).toBe(k + 1 < n ? linear.alphasCumprod[g.steps[k + 1]! - 1] : 1);
      });
    });
  }

  it("the full grid is schedules.ts respace 'linspace' (diffusers' timesteps + 1); trailing starts at s, leading ends at 1", () => {
    expect(Array.from(samplerGrid(linear, 50).steps)).toEqual(Array.from(respace(linear, 50, 'linspace').steps));
    expect(Array.from(samplerGrid(linear, 4, { start: 600, spacing: 'trailing' }).steps)).toEqual([600, 450, 300, 150]);
    expect(Array.from(samplerGrid(linear, 4, { start: 600, spacing: 'leading' }).steps)).toEqual([451, 301, 151, 1]);
  });

  it('rejects a start step outside 1..T, more steps than the start step and unknown spacings', () => {
    expect(() => samplerGrid(linear, 5, { start: 0 })).toThrow(/start step must be an integer in \[1, 1000\], got 0/);
    expect(() => samplerGrid(linear, 5, { start: 1001 })).toThrow(
      /start step must be an integer in \[1, 1000\], got 1001/,
    );
    expect(() => samplerGrid(linear, 8, { start: 7 })).toThrow(
      /number of steps \(at most the start step 7\) must be an integer in \[1, 7\], got 8/,
    );
    expect(() => samplerGrid(linear, 0)).toThrow(/must be an integer in \[1, 1000\], got 0/);
    expect(() => samplerGrid(linear, 5, { spacing: 'uniform' as never })).toThrow(
      /unknown spacing 'uniform'; valid spacings: leading, trailing, linspace/,
    );
  });
});

describe('update coefficients', () => {
  const kinds: RefKind[] = [
    { kind: 'ddpm', variance: 'fixed_small' },
    { kind: 'ddpm', variance: 'fixed_large' },
    { kind: 'ddim', eta: 0 },
    { kind: 'ddim', eta: 0.37 },
    { kind: 'ddim', eta: 1 },
  ];
  for (const kind of kinds) {
    it(`${JSON.stringify(kind)} matches the x0-form reference on a cosine grid from 83`, () => {
      const g = samplerGrid(cosine, 9, { start: 83 });
      g.steps.forEach((_, k) => {
        const last = k === g.steps.length - 1;
        const [a, p] = [g.alphasCumprod[k]!, g.prevAlphasCumprod[k]!];
        const c = kind.kind === 'ddpm' ? ddpmCoefficients(a, p, kind.variance, last) : ddimCoefficients(a, p, kind.eta);
        const r = coefficientsRef(kind, a, p, last);
        expectClose([c.a, c.b, c.sigma], [r.a, r.b, r.sigma], { atol: 1e-12, rtol: 1e-10 });
      });
    });
  }

  it("DDIM eta = 1 is DDPM 'fixed_small'; the last step adds no noise; eta = 0 adds none anywhere", () => {
    const ddpm = ddpmScheduler(linear);
    const ddim = ddimScheduler(linear, { eta: 1 });
    const det = ddimScheduler(linear);
    const large = ddpmScheduler(linear, { variance: 'fixed_large' });
    for (const s of [ddpm, ddim, det, large])
      expect(Array.from(s.setTimesteps(12, { start: 700 }))).toEqual(linspaceGridRef(700, 12));
    for (const t of ddpm.timesteps) {
      const [p, q] = [ddpm.coefficients(t), ddim.coefficients(t)];
      expectClose([q.a, q.b, q.sigma], [p.a, p.b, p.sigma], { atol: 1e-14, rtol: 1e-12 });
      expect(det.coefficients(t).sigma).toBe(0);
    }
    expect(ddpm.coefficients(1).sigma).toBe(0);
    expect(large.coefficients(1).sigma).toBe(0);
    expect(large.coefficients(700).sigma).toBeGreaterThan(ddpm.coefficients(700).sigma);
  });

  it('scheduler objects reject bad options and steps off the grid', () => {
    expect(() => ddimScheduler(linear, { eta: 1.5 })).toThrow(/ddim scheduler: eta must be in \[0, 1\], got 1.5/);
    expect(() => ddimScheduler(linear, { eta: -0.1 })).toThrow(/eta must be in \[0, 1\], got -0.1/);
    expect(() => ddpmScheduler(linear, { variance: 'learned' as never })).toThrow(
      /ddpm scheduler: unknown variance 'learned'; valid: fixed_small, fixed_large/,
    );
    const s = ddpmScheduler(linear);
    expect(() => s.coefficients(1000)).toThrow(/ddpm scheduler: call setTimesteps before step or coefficients/);
    s.setTimesteps(3);
    expect(Array.from(s.timesteps)).toEqual([1000, 501, 1]);
    expect(() => s.coefficients(999)).toThrow(/ddpm scheduler: step 999 is not on the grid \[1000, 501, 1\]/);
  });
});

describe('guidance weights', () => {
  const table: [string, Guidance | undefined, number, string, string | null, number, number][] = [
    ['none', undefined, 50, 'cond', null, 0, 1],
    ['constant w = 1 is conditional alone', { kind: 'constant', w: 1 }, 50, 'cond', null, 0, 1],
    ['constant w = 0 is unconditional alone', { kind: 'constant', w: 0 }, 50, 'uncond', null, 0, 1],
    ['constant w = 3', { kind: 'constant', w: 3 }, 50, 'uncond', 'cond', 3, 2],
    ['interval, inside (lo included)', { kind: 'interval', w: 3, lo: 20, hi: 60 }, 20, 'uncond', 'cond', 3, 2],
    ['interval, inside (hi included)', { kind: 'interval', w: 3, lo: 20, hi: 60 }, 60, 'uncond', 'cond', 3, 2],
    ['interval, outside: conditional', { kind: 'interval', w: 3, lo: 20, hi: 60 }, 61, 'cond', null, 0, 1],
    [
      'interval, outside weight 2',
      { kind: 'interval', w: 0.5, lo: 20, hi: 60, outside: 2 },
      10,
      'uncond',
      'cond',
      2,
      2,
    ],
    ['pulse, inside', { kind: 'pulse', w: 4, centre: 50, width: 5 }, 52, 'uncond', 'cond', 4, 2],
    ['pulse, outside', { kind: 'pulse', w: 4, centre: 50, width: 5 }, 53, 'cond', null, 0, 1],
    [
      'negative window, inside',
      { kind: 'negative', w: 1.5, lo: 10, hi: 30, negativeClass: 2 },
      10,
      'negative',
      'cond',
      2.5,
      2,
    ],
    ['negative window, w = 0 inside', { kind: 'negative', w: 0, lo: 10, hi: 30 }, 20, 'cond', null, 0, 1],
    ['negative window, outside', { kind: 'negative', w: 1.5, lo: 10, hi: 30, outside: 3 }, 31, 'uncond', 'cond', 3, 2],
  ];
  for (const [name, g, t, a, b, w, calls] of table) {
    it(name, () => {
      if (g) checkGuidance(g, 100, 4);
      expect(guidanceAt(g, t)).toEqual({ a, b, w, calls });
    });
  }

  it('counts calls over a grid', () => {
    const steps = linspaceGridRef(100, 10);
    expect(guidanceCalls(undefined, steps)).toBe(10);
    expect(guidanceCalls({ kind: 'constant', w: 2 }, steps)).toBe(20);
    expect(guidanceCalls({ kind: 'interval', w: 2, lo: 30, hi: 70 }, steps)).toBe(14);
    expect(guidanceCalls({ kind: 'pulse', w: 2, centre: 1, width: 0 }, steps)).toBe(11);
  });
});

describe('late-start factors', () => {
  it('the float64 draw matches the reference formula; a full covariance factors back to itself', () => {
    const [D, r, n] = [7, 3, 4];
    const V = [
      [1, 0, 0, 0, 0, 0, 0],
      [0, 0.6, 0.8, 0, 0, 0, 0],
      [0, 0.8, -0.6, 0, 0, 0, 0],
    ];
    const g = { mean: Array.from(randn(D, 1)), eigenvalues: [4, 2, 0.5], eigenvectors: V, restVariance: 0.3 };
    const z = randn(n * (D + r), 2);
    const f = gaussianFactor(g, D, 'g');
    const got = combineLateStart(z, n, D, r, new Array(n).fill(f));
    for (let i = 0; i < n; i++) {
      const zi = z.subarray(i * (D + r), (i + 1) * (D + r));
      expectClose(
        got.subarray(i * D, (i + 1) * D),
        lateStartRowRef(g.mean, V, g.eigenvalues, 0.3, zi.subarray(D), zi.subarray(0, D)),
        { atol: 1e-14, rtol: 1e-13 },
      );
    }
    // u u^T + v v^T with u = (1, 0.5, 0), v = (0, 0.4, 0.3): rank 2, so one eigenvalue is 0 up to rounding.
    const cov = [1, 0.5, 0, 0.5, 0.41, 0.12, 0, 0.12, 0.09];
    const full = gaussianFactor({ mean: [0, 0, 0], covariance: cov }, 3, 'full');
    const back = cov.map((_, ij) =>
      full.sqrtValues.reduce(
        (s, sv, j) => s + sv * sv * full.vectors[j * 3 + Math.floor(ij / 3)]! * full.vectors[j * 3 + (ij % 3)]!,
        0,
      ),
    );
    expectClose(back, cov, { atol: 1e-14, rtol: 1e-12 });
  });

  const bad: [string, Parameters<typeof gaussianFactor>[0], RegExp][] = [
    [
      'a mean of the wrong length',
      { mean: [0, 0], eigenvalues: [], eigenvectors: [], restVariance: 1 },
      /g: mean must hold D = 3 values, got 2/,
    ],
    [
      'more eigenvalues than D',
      { mean: [0, 0, 0], eigenvalues: [1, 1, 1, 1], eigenvectors: [], restVariance: 1 },
      /g: eigenvalues must hold r <= D = 3 values, got 4/,
    ],
    [
      'missing eigenvectors',
      { mean: [0, 0, 0], eigenvalues: [1], eigenvectors: [], restVariance: 1 },
      /g: eigenvectors must hold r = 1 rows, got 0/,
    ],
    [
      'a negative eigenvalue',
      { mean: [0, 0, 0], eigenvalues: [-1], eigenvectors: [[1, 0, 0]], restVariance: 1 },
      /g: eigenvalues\[0\] must be finite and >= 0, got -1/,
    ],
    [
      'eigenvectors that are not orthonormal',
      {
        mean: [0, 0, 0],
        eigenvalues: [1, 1],
        eigenvectors: [
          [1, 0, 0],
          [0.6, 0.8, 0],
        ],
        restVariance: 1,
      },
      /g: eigenvectors must be orthonormal rows; row 1 . row 0 = 0.6/,
    ],
    [
      'a negative rest variance',
      { mean: [0, 0, 0], eigenvalues: [], eigenvectors: [], restVariance: -0.5 },
      /g: restVariance must be finite and >= 0, got -0.5/,
    ],
    [
      'a covariance of the wrong size',
      { mean: [0, 0, 0], covariance: [1, 0, 0, 1] },
      /g: covariance must hold D \* D = 9 values, got 4/,
    ],
    [
      'an indefinite covariance',
      { mean: [0, 0, 0], covariance: [1, 2, 0, 2, 1, 0, 0, 0, 1] },
      /g: covariance is not positive semi-definite: smallest eigenvalue -(1\b|0\.99999)/,
    ],
    [
      'a non-finite mean',
      { mean: [0, NaN, 0], covariance: [1, 0, 0, 0, 1, 0, 0, 0, 1] },
      /g: mean: non-finite value NaN at row 0, column 1/,
    ],
  ];
  for (const [name, g, re] of bad) it(`rejects ${name}`, () => expect(() => gaussianFactor(g, 3, 'g')).toThrow(re));
});
