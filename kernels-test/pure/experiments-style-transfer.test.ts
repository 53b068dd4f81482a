// Style-transfer experiment, host parts: default domains, domain checks, MSE / PSNR and chain length.
import { describe, expect, it } from 'vitest';
import { chainSteps, checkDomains, defaultDomains, mseAndPsnr } from '../../src/experiments/style-transfer.js';

describe('domains', () => {
  it.each([
    ['gmm', 4, [0, 1], [2, 3]],
    ['gmm', 5, [0, 1], [2, 3, 4]],
    ['digits', 10, [0, 1, 2, 3, 4], [5, 6, 7, 8, 9]],
    ['fashion-mnist', 10, [0, 2, 4, 6], [5, 7, 9]],
  ])('%s with %i classes', (name, K, src, tgt) => {
    expect(defaultDomains(name, K)).toEqual({ source: src, target: tgt });
  });
  it.each([
    [[], [1], /source domain has no class/],
    [[0], [4], /target class 4 is not a class of the data \(0..3\)/],
    [[0, 1], [1, 2], /class 1 is in both domains/],
  ])('refuses source %j target %j', (s, t, re) => {
    expect(() => checkDomains(s, t, 4)).toThrow(re);
  });
});

describe('mseAndPsnr', () => {
  it('matches the definition', () => {
    const { mse, psnr } = mseAndPsnr([0, 1, 2, 3], [1, 1, 2, 1], 2);
    expect(mse).toBeCloseTo(5 / 4, 15);
    expect(psnr).toBeCloseTo(10 * Math.log10(4 / 1.25), 12);
  });
  it('identical inputs: infinite PSNR', () => {
    expect(mseAndPsnr([1, 2], [1, 2], 1).psnr).toBe(Infinity);
  });
  it('refuses mismatched lengths', () => {
    expect(() => mseAndPsnr([1], [1, 2], 1)).toThrow(/lengths 1 and 2/);
  });
});

describe('chainSteps', () => {
  it.each([
    [1000, 100, 100],
    [500, 100, 50],
    [10, 100, 2],
    [1, 100, 1],
    [2, 100, 2],
    [737, 50, 37],
  ])('start %i, steps %i -> %i', (s, n, want) => {
    expect(chainSteps(s, n, 1000)).toBe(want);
  });
});
