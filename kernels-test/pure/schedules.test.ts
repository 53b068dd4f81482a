// Schedules, converters, respacing, EDM grid (src/schedule/schedules.ts). Expected values are derived in
// the test from the definitions (separate loops, closed forms) or are float64 literals computed with
// python3 + numpy 2.4 as stated next to them.
import { describe, expect, it } from 'vitest';
import {
  abarAt,
  abarToOuTime,
  abarToSigma,
  edmSigmas,
  makeSchedule,
  nearestStep,
  ouTimeToAbar,
  respace,
  sigmaToAbar,
  stepsFromList,
  type ScheduleName,
  type Spacing,
} from '../../src/schedule/schedules.js';

/** |got - want| <= rtol * |want| (+ a tiny atol for values at 0). */
function expectRel(got: number, want: number, rtol = 1e-12, atol = 0): void {
  const err = Math.abs(got - want);
  if (!(err <= atol + rtol * Math.abs(want))) {
    throw new Error(`got ${got}, want ${want} (abs err ${err}, rtol ${rtol})`);
  }
}

const linear = makeSchedule('linear');
const cosine = makeSchedule('cosine');

describe('makeSchedule: linear (DDPM)', () => {
  it('shape and beta endpoints', () => {
    expect(linear.name).toBe('linear');
    expect(linear.T).toBe(1000);
    expect(linear.betas.length).toBe(1000);
    expect(linear.alphasCumprod.length).toBe(1000);
    expect(linear.betas[0]).toBe(1e-4);
    expect(linear.betas[999]).toBe(0.02);
  });
  it('betas follow the linspace formula', () => {
    for (let i = 1; i <= 1000; i++) expectRel(linear.betas[i - 1]!, 1e-4 + ((0.02 - 1e-4) * (i - 1)) / 999, 1e-14);
  });
  it('abar_1 = 1 - 1e-4 exactly', () => expect(linear.alphasCumprod[0]).toBe(1 - 1e-4));
  it('abar_i from a log-sum of log1p(-beta_i)', () => {
    let logSum = 0;
    for (let i = 1; i <= 1000; i++) {
      logSum += Math.log1p(-(1e-4 + ((0.02 - 1e-4) * (i - 1)) / 999));
      // 1000 products each rounding by <= 2^-53: relative drift well under 1e-12.
      expectRel(linear.alphasCumprod[i - 1]!, Math.exp(logSum), 1e-12);
    }
  });
  it('T = 1 gives [betaStart] like numpy linspace(start, end, 1)', () => {
    const s = makeSchedule('linear', 1);
    expect(Array.from(s.betas)).toEqual([1e-4]);
    expect(Array.from(s.alphasCumprod)).toEqual([1 - 1e-4]);
  });
  it('betaStart / betaEnd options', () => {
    const s = makeSchedule('linear', 3, { betaStart: 0.1, betaEnd: 0.3 });
    expectRel(s.betas[1]!, 0.2, 1e-15);
    expectRel(s.alphasCumprod[2]!, 0.9 * 0.8 * 0.7, 1e-15);
  });
});

describe('makeSchedule: cosine (iDDPM, s = 0.008, max_beta = 0.999)', () => {
  const T = 1000;
  const f = (t: number): number => Math.cos(((t / T + 0.008) / 1.008) * (Math.PI / 2)) ** 2;
  it('abar_i = f(i) / f(0) for every unclipped step', () => {
    for (let i = 1; i < T; i++) expectRel(cosine.alphasCumprod[i - 1]!, f(i) / f(0), 1e-11);
  });
  it('only beta_T is clipped at 0.999', () => {
    const clipped = [];
    for (let i = 1; i <= T; i++) if (cosine.betas[i - 1]! >= 0.999) clipped.push(i);
    expect(clipped).toEqual([1000]);
    expect(cosine.betas[T - 1]).toBe(0.999);
    expectRel(cosine.alphasCumprod[T - 1]!, cosine.alphasCumprod[T - 2]! * 0.001, 1e-12);
  });
  it('abar is strictly decreasing in (0, 1)', () => {
    for (let i = 1; i < T; i++) expect(cosine.alphasCumprod[i]!).toBeLessThan(cosine.alphasCumprod[i - 1]!);
    expect(cosine.alphasCumprod[0]!).toBeLessThan(1);
    expect(cosine.alphasCumprod[T - 1]!).toBeGreaterThan(0);
  });
  it('small T: abar_i = f(i) / f(0) with T = 4 and s = 0', () => {
    const s = makeSchedule('cosine', 4, { s: 0, maxBeta: 0.9999 });
    // f(t) = cos^2(t pi / 8): abar_1 = cos^2(pi/8), abar_2 = 1/2, abar_3 = sin^2(pi/8).
    expectRel(s.alphasCumprod[0]!, Math.cos(Math.PI / 8) ** 2, 1e-14);
    expectRel(s.alphasCumprod[1]!, 0.5, 1e-14);
    expectRel(s.alphasCumprod[2]!, Math.sin(Math.PI / 8) ** 2, 1e-14);
    expect(s.betas[3]).toBe(0.9999); // f(4) = cos^2(pi/2) ~ 0, so beta_4 ~ 1 is clipped
  });
});

describe('makeSchedule: python3 literals', () => {
  // python3, numpy float64: b = np.linspace(1e-4, 0.02, 1000); ac = np.cumprod(1 - b);
  // cosine: betas = [min(1 - f(i+1)/f(i), 0.999) for i in range(1000)], f as in iDDPM; ac = np.cumprod(1 - betas).
  const cases: [ScheduleName, number, number][] = [
    ['linear', 500, 0.07858724288177824],
    ['linear', 1000, 4.035829765375676e-5],
    ['cosine', 1, 0.999958715775178],
    ['cosine', 500, 0.4938435904406382],
    ['cosine', 999, 2.4287669070348544e-6],
    ['cosine', 1000, 2.4287669070348567e-9],
  ];
  for (const [name, step, want] of cases) {
    it(`${name} abar_${step}`, () => expectRel(abarAt(makeSchedule(name), step), want, 1e-12));
  }
});

describe('makeSchedule and abarAt: errors', () => {
  const cases: [string, () => unknown, RegExp][] = [
    [
      'unknown name lists the valid ones',
      () => makeSchedule('sigmoid' as ScheduleName),
      /unknown schedule 'sigmoid'; valid schedules: linear, cosine/,
    ],
    ['T = 0', () => makeSchedule('linear', 0), /T must be an integer in \[1, 1000000\], got 0/],
    ['T fractional', () => makeSchedule('cosine', 10.5), /T must be an integer in \[1, 1000000\], got 10\.5/],
    [
      'betaStart out of range',
      () => makeSchedule('linear', 10, { betaStart: 0 }),
      /betaStart must be in \(0, 1\), got 0/,
    ],
    ['betaEnd out of range', () => makeSchedule('linear', 10, { betaEnd: 1 }), /betaEnd must be in \(0, 1\), got 1/],
    ['negative s', () => makeSchedule('cosine', 10, { s: -0.1 }), /s must be a finite number >= 0, got -0\.1/],
    ['maxBeta = 1', () => makeSchedule('cosine', 10, { maxBeta: 1 }), /maxBeta must be in \(0, 1\), got 1/],
    ['abarAt step 0', () => abarAt(linear, 0), /step must be an integer in \[1, 1000\], got 0/],
    ['abarAt step T + 1', () => abarAt(linear, 1001), /step must be an integer in \[1, 1000\], got 1001/],
    ['abarAt fractional step', () => abarAt(linear, 2.5), /step must be an integer in \[1, 1000\], got 2\.5/],
    ['abarAt NaN', () => abarAt(linear, NaN), /step must be an integer in \[1, 1000\], got NaN/],
  ];
  for (const [name, fn, msg] of cases) it(name, () => expect(fn).toThrow(msg));
  it('abarAt reads alphasCumprod[step - 1]', () => {
    expect(abarAt(linear, 1)).toBe(linear.alphasCumprod[0]);
    expect(abarAt(linear, 1000)).toBe(linear.alphasCumprod[999]);
  });
});

describe('converters', () => {
  // Closed forms: abar = 1/2 <-> sigma = 1 <-> t = ln(2)/2; abar = 1 <-> sigma = 0 <-> t = 0;
  // abar = 0.2 <-> sigma = 2; abar = e^{-2} <-> t = 1.
  const known: [number, number, number][] = [
    [1, 0, 0],
    [0.5, 1, Math.LN2 / 2],
    [0.2, 2, Math.log(5) / 2],
    [Math.exp(-2), Math.sqrt(Math.exp(2) - 1), 1],
  ];
  for (const [abar, sigma, t] of known) {
    it(`abar = ${abar}: sigma = ${sigma}, t = ${t}`, () => {
      expectRel(abarToSigma(abar), sigma, 1e-15, 1e-300);
      expectRel(abarToOuTime(abar), t, 1e-15, 1e-300);
      expectRel(sigmaToAbar(sigma), abar, 1e-15);
      expectRel(ouTimeToAbar(t), abar, 1e-15);
    });
  }
  it('round-trips over every abar of both schedules', () => {
    for (const s of [linear, cosine]) {
      const sig = abarToSigma(s.alphasCumprod);
      const t = abarToOuTime(s.alphasCumprod);
      const a1 = sigmaToAbar(sig);
      const a2 = ouTimeToAbar(t);
      for (let i = 0; i < s.T; i++) {
        expectRel(a1[i]!, s.alphasCumprod[i]!, 1e-12);
        expectRel(a2[i]!, s.alphasCumprod[i]!, 1e-12);
        expectRel(sig[i]!, Math.exp(t[i]!) * Math.sqrt(-Math.expm1(-2 * t[i]!)), 1e-11); // sigma = sqrt(e^{2t} - 1)
      }
    }
  });
  it('arrays give Float64Array, numbers give numbers', () => {
    const out = abarToSigma([0.5, 0.2]);
    expect(out).toBeInstanceOf(Float64Array);
    expect(Array.from(out)).toEqual([1, abarToSigma(0.2)]);
    expect(typeof ouTimeToAbar(0.3)).toBe('number');
  });
  const errors: [string, () => unknown, RegExp][] = [
    ['abarToSigma(0)', () => abarToSigma(0), /abar must be in \(0, 1\], got 0/],
    ['abarToSigma(1.5)', () => abarToSigma(1.5), /abar must be in \(0, 1\], got 1\.5/],
    ['abarToSigma array names the index', () => abarToSigma([0.5, 0.9, -1]), /abar\[2\] must be in \(0, 1\], got -1/],
    ['abarToOuTime(NaN)', () => abarToOuTime(NaN), /abar must be in \(0, 1\], got NaN/],
    ['sigmaToAbar(-1)', () => sigmaToAbar(-1), /sigma must be in \[0, inf\), got -1/],
    ['sigmaToAbar(Infinity)', () => sigmaToAbar(Infinity), /sigma must be in \[0, inf\), got Infinity/],
    ['ouTimeToAbar(-0.5)', () => ouTimeToAbar(-0.5), /t must be in \[0, inf\), got -0\.5/],
    ['ouTimeToAbar array names the index', () => ouTimeToAbar([1, NaN]), /t\[1\] must be in \[0, inf\), got NaN/],
  ];
  for (const [name, fn, msg] of errors) it(name, () => expect(fn).toThrow(msg));
});

describe('respace: steps match diffusers set_timesteps + 1', () => {
  // python3, numpy 2.4 (diffusers' formulas, timestep t -> step t + 1):
  //   leading:  (np.arange(0, n) * (T // n)).round()[::-1] + 1
  //   trailing: np.round(np.arange(T, 0, -T / n)).astype(np.int64) - 1 + 1
  //   linspace: np.linspace(0, T - 1, n).round()[::-1] + 1
  // T = 10 cases hit numpy's round-half-to-even (7.5 -> 8, 2.5 -> 2, 4.5 -> 4, 1.5 -> 2).
  const cases: [number, number, Spacing, number[]][] = [
    [1000, 10, 'leading', [901, 801, 701, 601, 501, 401, 301, 201, 101, 1]],
    [1000, 10, 'trailing', [1000, 900, 800, 700, 600, 500, 400, 300, 200, 100]],
    [1000, 10, 'linspace', [1000, 889, 778, 667, 556, 445, 334, 223, 112, 1]],
    [1000, 3, 'leading', [667, 334, 1]],
    [1000, 3, 'trailing', [1000, 667, 333]],
    [1000, 3, 'linspace', [1000, 501, 1]],
    [1000, 7, 'leading', [853, 711, 569, 427, 285, 143, 1]],
    [1000, 7, 'trailing', [1000, 857, 714, 571, 429, 286, 143]],
    [1000, 7, 'linspace', [1000, 833, 667, 501, 334, 167, 1]],
    [10, 4, 'trailing', [10, 8, 5, 2]],
    [10, 3, 'linspace', [10, 5, 1]],
    [10, 7, 'linspace', [10, 9, 7, 5, 4, 3, 1]],
    [10, 7, 'trailing', [10, 9, 7, 6, 4, 3, 1]],
    [10, 1, 'leading', [1]],
    [10, 1, 'trailing', [10]],
    [10, 1, 'linspace', [1]],
  ];
  for (const [T, n, spacing, want] of cases) {
    it(`T = ${T}, n = ${n}, ${spacing}`, () => {
      const s = makeSchedule('linear', T);
      const r = respace(s, n, spacing);
      expect(r.steps).toBeInstanceOf(Int32Array);
      expect(Array.from(r.steps)).toEqual(want);
    });
  }
  it("default spacing is 'leading'", () => expect(Array.from(respace(linear, 3).steps)).toEqual([667, 334, 1]));
  for (const spacing of ['leading', 'trailing', 'linspace'] as Spacing[]) {
    it(`n = T, ${spacing}: every step from T down to 1, betas unchanged`, () => {
      const r = respace(cosine, 1000, spacing);
      for (let k = 0; k < 1000; k++) expect(r.steps[k]).toBe(1000 - k);
      for (let k = 0; k < 1000; k++) expectRel(r.betas[k]!, cosine.betas[999 - k]!, 1e-9);
    });
  }
});

describe('respace keeps abar at the chosen steps', () => {
  const cases: [ScheduleName, number, Spacing][] = [
    ['linear', 50, 'leading'],
    ['linear', 25, 'trailing'],
    ['linear', 17, 'linspace'],
    ['cosine', 50, 'trailing'],
    ['cosine', 100, 'leading'],
    ['cosine', 9, 'linspace'],
  ];
  for (const [name, n, spacing] of cases) {
    it(`${name}, n = ${n}, ${spacing}`, () => {
      const s = makeSchedule(name);
      const r = respace(s, n, spacing);
      expect(r.alphasCumprod.length).toBe(n);
      expect(r.betas.length).toBe(n);
      for (let k = 0; k < n; k++) {
        expect(r.alphasCumprod[k]).toBe(s.alphasCumprod[r.steps[k]! - 1]);
        if (k > 0) expect(r.steps[k]!).toBeLessThan(r.steps[k - 1]!);
      }
      // The respaced chain, run from the smallest step up, has the same abar: prod_{j >= k} (1 - betas[j]).
      // Storing beta rounds it by 2^-53 absolutely, i.e. 1 - beta by 2^-53 / (1 - beta) relatively
      // (large near abar_T of the cosine schedule, where 1 - beta ~ 1e-3..1e-8); summed over the chain.
      let minKeep = 1;
      for (let k = 0; k < n; k++) minKeep = Math.min(minKeep, 1 - r.betas[k]!);
      const rtol = (4 * n * 2 ** -53) / minKeep;
      let p = 1;
      for (let k = n - 1; k >= 0; k--) {
        p *= 1 - r.betas[k]!;
        expectRel(p, r.alphasCumprod[k]!, rtol);
        expect(r.betas[k]!).toBeGreaterThan(0);
        expect(r.betas[k]!).toBeLessThan(1);
      }
    });
  }
  const errors: [string, () => unknown, RegExp][] = [
    ['n = 0', () => respace(linear, 0), /n must be an integer in \[1, 1000\], got 0/],
    ['n > T', () => respace(linear, 1001, 'trailing'), /n must be an integer in \[1, 1000\], got 1001/],
    ['fractional n', () => respace(linear, 2.5), /n must be an integer in \[1, 1000\], got 2\.5/],
    [
      'unknown spacing lists the valid ones',
      () => respace(linear, 10, 'karras' as Spacing),
      /unknown spacing 'karras'; valid spacings: leading, trailing, linspace/,
    ],
  ];
  for (const [name, fn, msg] of errors) it(name, () => expect(fn).toThrow(msg));
});

describe('edmSigmas (Karras et al. 2022 eq. 5)', () => {
  it('n = 10 matches python3 literals', () => {
    // python3, numpy: r = np.linspace(0, 1, 10); a = 0.002**(1/7); b = 80**(1/7); (b + r*(a - b))**7
    const want = [
      80.0, 42.41518931851267, 21.10867673619376, 9.723201355260132, 4.066123602953759, 1.501741979068008,
      0.46997905799774714, 0.11663856352517864, 0.020435334553438746, 0.002000000000000003,
    ];
    const got = edmSigmas(10);
    expect(got.length).toBe(10);
    for (let k = 0; k < 10; k++) expectRel(got[k]!, want[k]!, 1e-13);
  });
  const grids: [number, number, number, number][] = [
    [2, 0.002, 80, 7],
    [18, 0.002, 80, 7],
    [40, 0.01, 10, 3],
    [1000, 0.002, 80, 7],
  ];
  for (const [n, sigmaMin, sigmaMax, rho] of grids) {
    it(`n = ${n}, [${sigmaMin}, ${sigmaMax}], rho = ${rho}: endpoints and strict descent`, () => {
      const g = edmSigmas(n, { sigmaMin, sigmaMax, rho });
      expectRel(g[0]!, sigmaMax, 1e-14);
      expectRel(g[n - 1]!, sigmaMin, 1e-12);
      for (let k = 1; k < n; k++) expect(g[k]!).toBeLessThan(g[k - 1]!);
      // Uniform in sigma^(1/rho): equal gaps there.
      const gap = g[1]! ** (1 / rho) - g[0]! ** (1 / rho);
      for (let k = 1; k < n; k++) expectRel(g[k]! ** (1 / rho) - g[k - 1]! ** (1 / rho), gap, 1e-9);
    });
  }
  it('appendZero adds one trailing 0 (k-diffusion get_sigmas_karras)', () => {
    const g = edmSigmas(5, { appendZero: true });
    expect(g.length).toBe(6);
    expect(g[5]).toBe(0);
    expect(Array.from(g.subarray(0, 5))).toEqual(Array.from(edmSigmas(5)));
  });
  it('n = 1 gives [sigmaMax]', () => expect(Array.from(edmSigmas(1))).toEqual([80]));
  const errors: [string, () => unknown, RegExp][] = [
    ['n = 0', () => edmSigmas(0), /n must be an integer in \[1, 1000000\], got 0/],
    ['sigmaMin = 0', () => edmSigmas(5, { sigmaMin: 0 }), /sigmaMin must be finite and > 0, got 0/],
    [
      'sigmaMax <= sigmaMin',
      () => edmSigmas(5, { sigmaMin: 1, sigmaMax: 1 }),
      /sigmaMax must be finite and > sigmaMin \(1\), got 1/,
    ],
    ['rho = 0', () => edmSigmas(5, { rho: 0 }), /rho must be finite and > 0, got 0/],
  ];
  for (const [name, fn, msg] of errors) it(name, () => expect(fn).toThrow(msg));
});

describe('nearestStep (nearest in log-sigma)', () => {
  // python3, numpy: sig = np.sqrt((1 - ac) / ac) for the linear schedule above;
  // i = np.argmin(np.abs(np.log(sig) - np.log(s))); step = i + 1, abar = ac[i].
  const cases: [number, number, number][] = [
    [1, 259, 0.5002447287382928],
    [0.1, 27, 0.9903528779212758],
    [10, 675, 0.009855989215021127],
  ];
  for (const [sigma, step, abar] of cases) {
    it(`linear, sigma = ${sigma} -> step ${step}`, () => {
      const r = nearestStep(linear, sigma);
      expect(r.step).toBe(step);
      expectRel(r.abar, abar, 1e-12);
    });
  }
  it('the sigma of every step maps back to that step', () => {
    for (const s of [linear, cosine]) {
      const sig = abarToSigma(s.alphasCumprod);
      for (let i = 1; i <= s.T; i++)
        expect(nearestStep(s, sig[i - 1]!)).toEqual({ step: i, abar: s.alphasCumprod[i - 1] });
    }
  });
  it('sigmas beyond the ends clamp to steps 1 and T', () => {
    expect(nearestStep(linear, 1e-9).step).toBe(1);
    expect(nearestStep(linear, 1e9).step).toBe(1000);
    expect(nearestStep(cosine, 1e12)).toEqual({ step: 1000, abar: cosine.alphasCumprod[999] });
  });
  it('between two steps picks the nearer in log-sigma, not in sigma', () => {
    // Steps 2 and 3 of a 4-step schedule have sigmas 1 and 4 (log midpoint 2): 1.9 goes to step 2, and
    // 2.1 to step 3 in log-sigma although it is nearer step 2's sigma in sigma itself.
    const s = { name: 'linear' as const, T: 4, betas: new Float64Array(4), alphasCumprod: sigmaToAbar([0.5, 1, 4, 8]) };
    expect(nearestStep(s, 1.9).step).toBe(2);
    expect(nearestStep(s, 2.1).step).toBe(3);
  });
  const errors: [string, () => unknown, RegExp][] = [
    ['sigma = 0', () => nearestStep(linear, 0), /sigma must be finite and > 0, got 0/],
    ['sigma = -1', () => nearestStep(linear, -1), /sigma must be finite and > 0, got -1/],
    ['sigma = Infinity', () => nearestStep(linear, Infinity), /sigma must be finite and > 0, got Infinity/],
  ];
  for (const [name, fn, msg] of errors) it(name, () => expect(fn).toThrow(msg));
});

describe('stepsFromList', () => {
  it('keeps order and looks up abar', () => {
    const r = stepsFromList(linear, [1000, 600, 1]);
    expect(r.steps).toBeInstanceOf(Int32Array);
    expect(Array.from(r.steps)).toEqual([1000, 600, 1]);
    expect(Array.from(r.abar)).toEqual([linear.alphasCumprod[999], linear.alphasCumprod[599], linear.alphasCumprod[0]]);
  });
  it('accepts typed arrays', () =>
    expect(Array.from(stepsFromList(cosine, new Int32Array([5, 3])).steps)).toEqual([5, 3]));
  const errors: [string, ArrayLike<number>, RegExp][] = [
    ['empty list', [], /steps must hold at least one step/],
    ['0 at index 1', [10, 0, -3], /steps\[1\] must be an integer in \[1, 1000\], got 0/],
    ['T + 1 at index 0', [1001], /steps\[0\] must be an integer in \[1, 1000\], got 1001/],
    ['fractional at index 2', [3, 2, 1.5], /steps\[2\] must be an integer in \[1, 1000\], got 1\.5/],
    ['NaN at index 0', new Float64Array([NaN]), /steps\[0\] must be an integer in \[1, 1000\], got NaN/],
  ];
  for (const [name, steps, msg] of errors) it(name, () => expect(() => stepsFromList(linear, steps)).toThrow(msg));
});
