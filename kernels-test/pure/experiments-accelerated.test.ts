// The accelerated experiment's statistics without a GPU: Student's t quantiles and the full sampler's
// seed-to-seed 95 % interval that the eps sweep is judged against; every result records its eps rule.
import { describe, expect, it } from 'vitest';
import { seedInterval } from '../../src/experiments/accelerated.js';
import { epsSetting, newResult, tQuantile975 } from '../../src/experiments/types.js';

describe('accelerated: intervals', () => {
  it("Student's t 97.5 % quantiles: the table and the large-df expansion", () => {
    expect(tQuantile975(1)).toBe(12.706);
    expect(tQuantile975(4)).toBe(2.776);
    expect(tQuantile975(30)).toBe(2.042);
    // Published values: df 40 2.021, df 120 1.980, df 1000 1.962.
    expect(tQuantile975(40)).toBeCloseTo(2.021, 3);
    expect(tQuantile975(120)).toBeCloseTo(1.98, 3);
    expect(tQuantile975(1000)).toBeCloseTo(1.962, 3);
    expect(() => tQuantile975(0)).toThrow(/df must be an integer >= 1/);
  });

  it('seed interval: mean ± t sd sqrt(1 + 1/S); none for one seed', () => {
    const [lo, hi] = seedInterval([1, 2, 3, 4, 5])!;
    const half = 2.776 * Math.sqrt(2.5) * Math.sqrt(1.2);
    expect(lo).toBeCloseTo(3 - half, 12);
    expect(hi).toBeCloseTo(3 + half, 12);
    expect(seedInterval([0.3])).toBeNull();
  });

  it('every result records the eps rule, ratio and value', () => {
    const r = newResult({ eps: { rule: 'ratio', ratio: 400, value: 0.0154 } }, 'x', 'title', { data: 'gmm' });
    expect(r.settings).toEqual({
      data: 'gmm',
      eps: { rule: 'eps = max over the classes and all data of lambda_max(C(0)) / 400', ratio: 400, value: 0.0154 },
    });
    expect(epsSetting({ rule: 'absolute', ratio: null, value: 0.1 }).rule).toBe('eps given as a value (--eps)');
  });
});
