// The explorer page's pure parts without a browser or GPU: the procedural images, datasets from
// dropped files (.npy / IDX, gzipped through DecompressionStream), option checks and their mapping to
// analyzeMergers options, and the curve checksum the browser test compares.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { proceduralImages, SHAPE_CLASSES } from '../../src/data/shapes.js';
import { datasetFromFiles, gunzipIfNeeded } from '../../src/web/explorer/files.js';
import {
  EXPLORER_DEFAULTS,
  analyzeOptionsOf,
  builtinData,
  checkOptions,
  limitData,
  type ExplorerOptions,
} from '../../src/web/explorer/options.js';
import { curveChecksum } from '../../src/web/explorer/summary.js';
import { pca2 } from '../../src/web/explorer/traj-view.js';
import { idxBytes, npyBytes } from '../data-files.js';

const opts = (patch: Partial<ExplorerOptions>): ExplorerOptions => ({ ...EXPLORER_DEFAULTS, ...patch });

describe('procedural images', () => {
  it('shape, labels, range, determinism', () => {
    const a = proceduralImages({ classes: 3, perClass: 5, seed: 7 });
    expect([a.shape, a.imageShape, a.classes, a.classNames]).toEqual([[15, 64], [8, 8], 3, [...SHAPE_CLASSES]]);
    expect(Array.from(a.labels)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2]);
    expect(a.x.every((v) => v >= -1 && v <= 1)).toBe(true);
    expect(proceduralImages({ classes: 3, perClass: 5, seed: 7 }).x).toEqual(a.x);
    expect(proceduralImages({ classes: 3, perClass: 5, seed: 8 }).x).not.toEqual(a.x);
  });
  it('stripes vary along their axis: rows of a horizontal-stripe image, columns of a vertical one', () => {
    const a = proceduralImages({ classes: 2, perClass: 64, noise: 0, seed: 3 });
    // Mean variance along a row (x varies) for class 0 is 0; along a column for class 1 is 0.
    const spread = (k: number, alongRow: boolean) => {
      let s = 0;
      for (let i = k * 64; i < (k + 1) * 64; i++) {
        for (let u = 0; u < 8; u++) {
          const line = Array.from({ length: 8 }, (_, v) => a.x[i * 64 + (alongRow ? u * 8 + v : v * 8 + u)]!);
          s += Math.max(...line) - Math.min(...line);
        }
      }
      return s;
    };
    expect([spread(0, true), spread(1, false)]).toEqual([0, 0]);
    expect(Math.min(spread(0, false), spread(1, true))).toBeGreaterThan(64);
  });
  it.each([
    [{ classes: 4 }, /shapes: classes must be an integer in \[2, 3\], got 4/],
    [{ perClass: 1 }, /perClass/],
    [{ size: 3 }, /size/],
  ])('refuses %j', (o, msg) => expect(() => proceduralImages(o)).toThrow(msg));
});

describe('datasets from dropped files', () => {
  const imgs = idxBytes(
    Array.from({ length: 4 * 6 }, (_, i) => (i * 37) % 256),
    [4, 2, 3],
  );
  const labels = idxBytes([5, 2, 5, 2], [4]);
  it('IDX images + labels, either order: u8 pixels to [-1, 1], labels remapped', () => {
    for (const files of [
      [
        { name: 'a-images-idx3-ubyte', bytes: imgs },
        { name: 'a-labels-idx1-ubyte', bytes: labels },
      ],
      [
        { name: 'l', bytes: labels },
        { name: 'i', bytes: imgs },
      ],
    ]) {
      const d = datasetFromFiles(files);
      expect([d.shape, d.imageShape, d.classNames, Array.from(d.labels), d.scale]).toEqual([
        [4, 6],
        [2, 3],
        ['2', '5'],
        [1, 0, 1, 0],
        'pixels / 127.5 - 1',
      ]);
      expect(d.x[1]).toBeCloseTo(37 / 127.5 - 1, 6);
    }
  });
  it('.npy (N, D) f4 + .npy labels, gzipped, via DecompressionStream', async () => {
    const x = Float32Array.from({ length: 10 }, (_, i) => i / 4);
    const files = [
      { name: 'x.npy.gz', bytes: new Uint8Array(gzipSync(npyBytes(x, [5, 2]))) },
      { name: 'y.npy', bytes: npyBytes(Int32Array.from([0, 1, 0, 1, 1]), [5]) },
    ];
    const d = datasetFromFiles(await Promise.all(files.map(gunzipIfNeeded)));
    expect([d.shape, d.imageShape, d.classes, d.name, d.scale]).toEqual([[5, 2], null, 2, 'x', 'as stored']);
    expect(d.x).toEqual(x);
  });
  it.each([
    [[{ name: 'a', bytes: imgs }], /drop two files/],
    [
      [
        { name: 'a', bytes: imgs },
        { name: 'b', bytes: imgs },
      ],
      /one data array .* and one labels array/,
    ],
    [
      [
        { name: 'a.txt', bytes: new TextEncoder().encode('hello') },
        { name: 'b', bytes: labels },
      ],
      /a.txt: neither a .npy nor an IDX file/,
    ],
    [
      [
        { name: 'a', bytes: imgs },
        { name: 'b', bytes: idxBytes([1, 2, 3], [3]) },
      ],
      /has 3 entries but a has 4 rows/,
    ],
  ])('refuses bad drops %#', (files, msg) => expect(() => datasetFromFiles(files)).toThrow(msg));
  it('bad gzip names the file', async () => {
    await expect(gunzipIfNeeded({ name: 'z.gz', bytes: Uint8Array.from([0x1f, 0x8b, 1, 2, 3]) })).rejects.toThrow(
      /z.gz: not a valid gzip file/,
    );
  });
});

describe('explorer options', () => {
  it('defaults are valid and map to the analysis options (method exact: see EXPLORER_DEFAULTS)', () => {
    checkOptions(EXPLORER_DEFAULTS);
    const data = builtinData(EXPLORER_DEFAULTS);
    expect([data.name, data.shape, data.classes]).toEqual(['gmm', [4 * 8192, 8], 4]);
    const a = analyzeOptionsOf(EXPLORER_DEFAULTS, data);
    expect([a.schedule.name, a.schedule.T, a.method, a.centring, a.linkage, a.seed, a.eps, a.alpha, a.groups]).toEqual([
      'linear',
      1000,
      'exact',
      'own',
      'average',
      0,
      { ratio: 400 },
      0.05,
      [],
    ]);
  });
  it('eps, groups, spectral steps and the per-class limit pass through', () => {
    const o = opts({ eps: 0.02, groups: 'a=0,1;b=2,3', spectralSteps: 'all', samplesPerClass: 10 });
    const data = limitData(o, builtinData(o));
    const a = analyzeOptionsOf(o, data);
    expect([data.shape[0], a.eps, a.groups, a.spectralSteps]).toEqual([
      40,
      { value: 0.02 },
      [
        { name: 'a', classes: [0, 1] },
        { name: 'b', classes: [2, 3] },
      ],
      'all',
    ]);
    expect(builtinData(opts({ data: 'shapes' })).imageShape).toEqual([8, 8]);
  });
  it.each([
    [{ method: 'fast' as 'crn' }, /method 'fast' is not one of crn, mc, exact/],
    [{ eps: 1, epsRatio: 2 }, /either eps or eps ratio/],
    [{ steps: 1 }, /steps T must be an integer in \[2, 100000\], got 1/],
    [{ alpha: 1 }, /alpha must be in \(0, 1\)/],
    [{ gmm: { ...EXPLORER_DEFAULTS.gmm, classes: 1 } }, /gmm classes/],
    [
      { trajectories: { ...EXPLORER_DEFAULTS.trajectories, lateStart: 1001 } },
      /late-start step must be an integer in \[1, 1000\]/,
    ],
    [
      { trajectories: { ...EXPLORER_DEFAULTS.trajectories, sampler: 'euler' as 'ddpm' } },
      /sampler 'euler' is not one of ddpm, ddim/,
    ],
  ])('refuses %j', (patch, msg) => expect(() => checkOptions(opts(patch))).toThrow(msg));
});

describe('curve checksum', () => {
  it('counts M rows, d rows and merger markers once per pair', () => {
    const m = [
      { pair: 'p', curve: 'M(i)', step: 0, value: 0.5 },
      { pair: 'p', curve: 'M~', step: 10, value: 1 },
    ];
    const d = [{ pair: 'p', step: 0, d: Math.E }];
    const marks = [{ pair: 'p', step: 7, abar: 0.5 }];
    const spec = {
      vconcat: [
        { layer: [{ data: { values: m } }, { data: { values: marks } }] },
        { layer: [{ data: { values: d } }, { data: { values: marks } }] },
      ],
    };
    expect(curveChecksum(spec as never, 10)).toEqual({
      mRows: 2,
      sumM: 1.5,
      sumMStep: 1,
      dRows: 1,
      sumD: Math.E,
      sumLogD: 1,
      pairs: ['p'],
      markers: [{ pair: 'p', step: 7 }],
    });
  });
});

describe('trajectory helpers', () => {
  it('pca2 finds the two axes of an axis-aligned ellipse', () => {
    const N = 400;
    const x = new Float32Array(N * 3);
    for (let i = 0; i < N; i++) x.set([3 * Math.cos(i), 0.01 * Math.sin(7 * i), Math.sin(i)], 3 * i);
    const { basis } = pca2(x, N, 3);
    expect(Math.abs(basis[0]![0]!)).toBeCloseTo(1, 3);
    expect(Math.abs(basis[1]![2]!)).toBeCloseTo(1, 3);
  });
});
