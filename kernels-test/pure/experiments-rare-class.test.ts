// Rare-class experiment, host parts: the imbalanced counts and the per-class subset.
import { describe, expect, it } from 'vitest';
import { imbalancedCounts } from '../../src/experiments/rare-class.js';
import { takePerClass } from '../../src/experiments/guidance-common.js';
import type { Dataset } from '../../src/data/dataset.js';

describe('imbalancedCounts', () => {
  it.each([
    [[8192, 8192, 8192, 8192], [0], 0.03, [246, 8192, 8192, 8192]],
    [[100, 80, 60, 40], [3], 0.05, [100, 80, 60, 4]], // median of 100, 80, 60 is 80
    [[100, 80, 60, 40], [0, 1], 0.5, [25, 25, 60, 40]], // median of 60, 40 is 50
    [[10, 10, 10], [2], 0.01, [10, 10, 2]], // at least 2 rows (a covariance needs two)
    [[3, 100, 100], [0], 0.5, [3, 100, 100]], // never more than the class has
  ])('%j, rare %j, fraction %s -> %j', (counts, rare, f, want) => {
    expect(imbalancedCounts(counts, rare, f)).toEqual(want);
  });
  it.each([
    [[5], 0.1, /rare class 5 is not a class/],
    [[], 0.1, /between 1 and 2/],
    [[0, 1, 2], 0.1, /between 1 and 2/],
    [[0], 0, /fraction must be in \(0, 1\]/],
  ])('refuses rare %j fraction %s', (rare, f, re) => {
    expect(() => imbalancedCounts([10, 10, 10], rare, f)).toThrow(re);
  });
});

describe('takePerClass', () => {
  const ds: Dataset = {
    name: 't',
    x: Float32Array.from({ length: 12 }, (_, i) => i),
    labels: Int32Array.from([0, 1, 0, 2, 1, 0]),
    shape: [6, 2],
    classes: 3,
    classNames: ['a', 'b', 'c'],
    imageShape: null,
    source: 's',
    scale: 'as stored',
  };
  it('keeps the first rows of each class in order', () => {
    const s = takePerClass(ds, [2, 1, 0], 'sub');
    expect(s.shape).toEqual([3, 2]);
    expect(Array.from(s.labels)).toEqual([0, 1, 0]);
    expect(Array.from(s.x)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(s.name).toBe('sub');
  });
  it('refuses a wrong number of counts', () => {
    expect(() => takePerClass(ds, [1, 1])).toThrow(/2 counts for 3 classes/);
  });
});
