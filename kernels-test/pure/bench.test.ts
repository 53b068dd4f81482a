// The benchmark suite's plumbing, without a GPU: the registry's sizes, parameter overrides from the command
// line, the table, and `--compare` (its ratios and its refusals).
import { describe, expect, it } from 'vitest';
import { BENCH_SIZES, type BenchRow, stats } from '../../src/bench/common.js';
import {
  BENCH_CASES,
  BENCH_FORMAT,
  type BenchResult,
  caseParams,
  compareBench,
  formatBench,
  formatMs,
  selectCases,
} from '../../src/bench/run.js';
import { splitBenchArgs } from '../../src/cli/bench.js';

const adapter = { vendor: 'v', architecture: 'a', device: 'd', description: 'desc', isFallback: false };
const limits = {} as BenchResult['limits'];

function result(over: Partial<BenchResult>, rows: [string, number][] = [['kernel', 10]]): BenchResult {
  const r = (label: string, ms: number): BenchRow => ({
    ...{ label, shape: '8 x 8', ms: stats([ms * 0.9, ms, ms * 1.1]), rate: 1, unit: 'GB/s' },
    ...{ peer: { name: 'plain JS', ms: 20 }, ratio: 20 / ms },
  });
  return {
    ...BENCH_FORMAT,
    ...{ version: '0.1.0', commit: 'abc1234', date: '2026-12-06T00:00:00Z', node: 'v20', cpu: 'x' },
    ...{ platform: 'node', adapter, software: false, limits, features: {} as BenchResult['features'] },
    ...{ size: 'small', peer: 'cpu', command: 'fluctus bench noise' },
    cases: [
      {
        ...{ name: 'noise', params: { rows: 8, cols: 8, reps: 2 }, seconds: 1, status: 'ok', check: 'fine' },
        rows: rows.map(([l, ms]) => r(l, ms)),
      },
    ],
    ...over,
  } as BenchResult;
}

describe('bench registry', () => {
  it('every case has every size, with the same parameter names at each', () => {
    expect(BENCH_CASES.length).toBeGreaterThanOrEqual(9);
    for (const c of BENCH_CASES) {
      const keys = Object.keys(c.sizes.small).sort();
      for (const s of BENCH_SIZES) expect(Object.keys(c.sizes[s]).sort(), `${c.name} ${s}`).toEqual(keys);
    }
    expect(new Set(BENCH_CASES.map((c) => c.name)).size).toBe(BENCH_CASES.length);
  });

  it('selects by name in registry order and names unknown cases', () => {
    expect(selectCases(['train', 'noise']).map((c) => c.name)).toEqual(['noise', 'train']);
    expect(selectCases().length).toBe(BENCH_CASES.length);
    expect(() => selectCases(['nosie'])).toThrow(/unknown case nosie; the cases are noise, syrk/);
  });
});

describe('bench parameters from the command line', () => {
  it('splits case names from --name value and --name=value', () => {
    expect(splitBenchArgs(['syrk', '--rows', '300', 'eigh', '--d=129'])).toEqual({
      names: ['syrk', 'eigh'],
      overrides: { rows: '300', d: '129' },
    });
    expect(() => splitBenchArgs(['--reps'])).toThrow(/--reps needs a value/);
  });

  it('applies overrides to the cases that have them, numbers as numbers, kebab-case as camelCase', () => {
    const cases = selectCases(['syrk', 'eigh']);
    const [syrk, eigh] = caseParams(cases, 'small', { reps: '7', 'js-rows': '50', rows: '300,400' });
    expect(syrk).toMatchObject({ reps: 7, jsRows: 50, rows: '300,400', cols: 256 });
    expect(eigh).toMatchObject({ reps: 7, d: 129 });
    expect(cases[0]!.sizes.small.reps).toBe(3); // the registry is not modified
  });

  it('refuses a parameter no selected case has, a non-number and an unknown size', () => {
    expect(() => caseParams(selectCases(['noise']), 'small', { d: '5' })).toThrow(
      /no selected case has a parameter --d; theirs: --rows, --cols, --reps/,
    );
    expect(() => caseParams(selectCases(['noise']), 'small', { rows: 'many' })).toThrow(
      /--rows must be a number, got 'many'/,
    );
    expect(() => caseParams(selectCases(['noise']), 'huge' as 'small')).toThrow(
      /--size 'huge' is not one of small, medium, large/,
    );
  });
});

describe('bench table and comparison', () => {
  it('formats durations for people', () => {
    expect(formatMs(0.1234)).toBe('0.123 ms');
    expect(formatMs(12.34)).toBe('12.3 ms');
    expect(formatMs(4567)).toBe('4.57 s');
    expect(formatMs(123456)).toBe('123 s');
  });

  it('prints a row per timing with the peer and the ratio, a failed case below the table, and the software flag', () => {
    const r = result({ software: true });
    r.cases.push({
      name: 'eigh',
      params: {},
      seconds: 0,
      status: 'failed',
      error: 'eigh: accuracy check failed',
      rows: [],
    });
    const text = formatBench(r);
    expect(text).toMatch(/SOFTWARE fallback/);
    expect(text).toMatch(/noise\s+kernel\s+8 x 8\s+10\.\d ms ±\d+%\s+1\.00 GB\/s\s+plain JS\s+20\.0 ms\s+2\.00x/);
    expect(text).toMatch(/eigh\s+FAILED \(below\)/);
    expect(text).toMatch(/FAILED eigh: eigh: accuracy check failed/);
  });

  it('compares two results: the speed of the second over the first, per row', () => {
    const text = compareBench(result({}), result({ commit: 'def5678' }, [['kernel', 5]]), ['a.json', 'b.json']);
    expect(text).toMatch(/a\.json: fluctus 0\.1\.0 \(abc1234\)/);
    expect(text).toMatch(/noise\s+kernel\s+8 x 8\s+10\.0 ms\s+5\.00 ms\s+2\.00x/);
  });

  it('names the cases only one side has', () => {
    const b = result({});
    b.cases.push({ ...b.cases[0]!, name: 'syrk' });
    expect(compareBench(result({}), b)).toMatch(/not compared: syrk \(only in b\)/);
  });

  it('refuses another format, another size, other parameters and no common case', () => {
    const a = result({});
    expect(() => compareBench(a, { ...a, format: 'x' } as unknown as BenchResult, ['a', 'b'])).toThrow(
      /b is not a fluctus bench result of format version 1/,
    );
    expect(() => compareBench(a, result({ size: 'large' }))).toThrow(/the sizes differ \(a: small, b: large\)/);
    const other = result({});
    other.cases[0]!.params = { rows: 16, cols: 8, reps: 2 };
    expect(() => compareBench(a, other)).toThrow(/case noise ran with other parameters/);
    const none = result({});
    none.cases[0]!.name = 'syrk';
    expect(() => compareBench(a, none)).toThrow(/no case in common/);
  });
});
