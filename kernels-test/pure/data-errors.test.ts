// Dataset loaders on bad input: every error names the file and the problem (row/line/column where
// there is one). Files are written to a temp dir per case; see data.test.ts for the good paths.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireFile } from '../../src/data/builtin.js';
import { loadDataset, type LoadOptions } from '../../src/data/loaders.js';
import { parseIdx } from '../../src/data/parse.js';
import { idxBytes, npyBytes, pngBytes, write } from '../data-files.js';

const f32 = (n: number, at: Record<number, number> = {}) => Float32Array.from({ length: n }, (_, i) => at[i] ?? i / 10);
const labels = (n: number) => Int32Array.from({ length: n }, (_, i) => i % 3);
const gray = (w: number, h: number) => Array.from({ length: w * h }, (_, i) => (i * 40) % 256);

// [name, files to write (relative path -> bytes or text), spec (relative), options, expected message]
type Files = Record<string, Uint8Array | string>;
const cases: [string, Files, string, LoadOptions, RegExp][] = [
  [
    'labels of the wrong length',
    { 'data.npy': npyBytes(f32(100 * 2), [100, 2]), 'labels.npy': npyBytes(labels(99), [99]) },
    'data.npy',
    { labels: 'labels.npy' },
    /labels\.npy has 99 entries but \S*data\.npy has 100 rows/,
  ],
  [
    'non-integer labels',
    { 'd.npy': npyBytes(f32(4 * 2), [4, 2]), 'l.npy': npyBytes(Float32Array.from([0, 1.5, 2, 0]), [4]) },
    'd.npy',
    { labels: 'l.npy' },
    /l\.npy: label at index 1 is 1\.5; labels must be integers/,
  ],
  [
    'NaN in .npy (row, column)',
    { 'd.npy': npyBytes(f32(4 * 3, { 7: NaN }), [4, 3]), 'l.npy': npyBytes(labels(4), [4]) },
    'd.npy',
    { labels: 'l.npy' },
    /d\.npy: non-finite value NaN at row 2, column 1/,
  ],
  [
    'Inf in 3-D .npy',
    { 'd.npy': npyBytes(f32(2 * 2 * 2, { 4: -Infinity }), [2, 2, 2]), 'l.npy': npyBytes(labels(2), [2]) },
    'd.npy',
    { labels: 'l.npy' },
    /d\.npy: non-finite value -Infinity at row 1, column 0/,
  ],
  [
    'f8 value beyond float32',
    { 'd.npy': npyBytes(Float64Array.from([1, 1e300]), [2, 1]), 'l.npy': npyBytes(labels(2), [2]) },
    'd.npy',
    { labels: 'l.npy' },
    /d\.npy: value 1e\+300 does not fit in float32 at row 1, column 0/,
  ],
  [
    '.npy without --labels',
    { 'd.npy': npyBytes(f32(4), [2, 2]) },
    'd.npy',
    {},
    /d\.npy: needs labels: pass --labels <file\.npy> holding 2 integers/,
  ],
  [
    '.npy 4-D',
    { 'd.npy': npyBytes(f32(8), [2, 2, 2, 1]), 'l.npy': npyBytes(labels(2), [2]) },
    'd.npy',
    { labels: 'l.npy' },
    /d\.npy: array of dtype f4 has shape \(2, 2, 2, 1\); expected \(N, D\) or \(N, H, W\)/,
  ],
  [
    '.npy big-endian',
    { 'd.npy': npyBytes(f32(4), [2, 2], { descr: '>f4' }), 'l.npy': npyBytes(labels(2), [2]) },
    'd.npy',
    { labels: 'l.npy' },
    /d\.npy: dtype '>f4' is not supported/,
  ],
  [
    '.npy bool',
    { 'd.npy': npyBytes([true, false, true, true], [2, 2]), 'l.npy': npyBytes(labels(2), [2]) },
    'd.npy',
    { labels: 'l.npy' },
    /d\.npy: dtype 'b1' is not supported/,
  ],
  [
    '.npy shorter than its header says',
    { 'd.npy': npyBytes(f32(3), [2, 2], { descr: '<f4' }), 'l.npy': npyBytes(labels(2), [2]) },
    'd.npy',
    { labels: 'l.npy' },
    /d\.npy: header declares shape \(2, 2\) = 4 values but the file holds 3/,
  ],
  [
    'labels of shape (N, 2)',
    { 'd.npy': npyBytes(f32(4), [2, 2]), 'l.npy': npyBytes(labels(4), [2, 2]) },
    'd.npy',
    { labels: 'l.npy' },
    /l\.npy: labels must have shape \(N\) or \(N, 1\), got \(2, 2\)/,
  ],
  [
    'labels in an unsupported format',
    { 'd.npy': npyBytes(f32(4), [2, 2]), 'l.csv': '0\n1\n' },
    'd.npy',
    { labels: 'l.csv' },
    /l\.csv: labels must be a \.npy or IDX file/,
  ],
  ['.gz that is not gzip', { 'd.csv.gz': '1,2\n' }, 'd.csv.gz', {}, /d\.csv\.gz: not a valid gzip file/],
  [
    'CSV NaN (line, column)',
    { 'nan.csv': 'a,b,label\n1,2,0\n3,nan,1\n' },
    'nan.csv',
    {},
    /nan\.csv: non-finite value NaN at line 3, column 1/,
  ],
  [
    'CSV ragged row',
    { 'ragged.csv': '1,2,0\n3,4,1\n5,6\n' },
    'ragged.csv',
    {},
    /ragged\.csv: line 3 has 2 columns, expected 3/,
  ],
  [
    'CSV ragged after a header and a blank line',
    { 'r.csv': 'a,b,y\n\n1,2,0\n3,4,5,1\n' },
    'r.csv',
    {},
    /r\.csv: line 4 has 4 columns, expected 3 \(as on line 1\)/,
  ],
  [
    'CSV non-number cell',
    { 'c.csv': '1,2,0\nabc,4,1\n' },
    'c.csv',
    {},
    /c\.csv: line 2, column 0: 'abc' is not a number/,
  ],
  ['CSV empty cell', { 'c.csv': '1,2,0\n3,,1\n' }, 'c.csv', {}, /c\.csv: line 2, column 1: '' is not a number/],
  [
    'CSV non-integer label',
    { 'c.csv': '1,2,0\n3,4,0.5\n' },
    'c.csv',
    {},
    /c\.csv: line 2: label 0\.5 in column 2 is not an integer/,
  ],
  [
    'CSV unknown label column',
    { 'c.csv': 'a,b\n1,0\n' },
    'c.csv',
    { labels: 'zz' },
    /c\.csv: label column 'zz' not found; use a column name \(a, b\) or a column number 0\.\.1/,
  ],
  ['CSV single column', { 'c.csv': '1\n2\n' }, 'c.csv', {}, /c\.csv: needs at least 2 columns/],
  ['CSV empty', { 'c.csv': '\n' }, 'c.csv', {}, /c\.csv: is empty/],
  ['CSV header only', { 'c.csv': 'a,label\n' }, 'c.csv', {}, /c\.csv: has a header but no data rows/],
  [
    'IDX without labels',
    { 'x-images-idx3-ubyte': idxBytes(gray(2, 2), [1, 2, 2]) },
    'x-images-idx3-ubyte',
    {},
    /x-images-idx3-ubyte: needs labels: pass --labels .*looked for \S*x-labels-idx1-ubyte/,
  ],
  [
    'IDX labels file as the dataset',
    { 'x-labels-idx1-ubyte': idxBytes([1, 2], [2]) },
    'x-labels-idx1-ubyte',
    {},
    /x-labels-idx1-ubyte: is 1-D \(a labels file\?\)/,
  ],
  [
    'IDX truncated',
    { 'x.idx': idxBytes(gray(2, 2), [1, 2, 2]).subarray(0, 18) },
    'x.idx',
    { labels: 'x.idx' },
    /x\.idx: IDX header declares shape \[1,2,2\] \(4 bytes of data\) but the file has 2/,
  ],
  ['IDX bad magic', { 'x.idx': Uint8Array.from([1, 0, 8, 1, 0, 0, 0, 0]) }, 'x.idx', {}, /x\.idx: not an IDX file/],
  [
    'IDX unknown type',
    { 'x.idx': Uint8Array.from([0, 0, 7, 1, 0, 0, 0, 0]) },
    'x.idx',
    {},
    /x\.idx: unknown IDX data type 0x7/,
  ],
  [
    'images of different sizes',
    { 'png/c/a.png': pngBytes(gray(3, 2), 3, 2, 1), 'png/c/b.png': pngBytes(gray(3, 3), 3, 3, 1) },
    'png',
    {},
    /png\/c\/b\.png: is 3x3 but \S*png\/c\/a\.png is 3x2; all images must have the same size/,
  ],
  ['corrupt PNG', { 'png/c/a.png': 'not a png' }, 'png', {}, /png\/c\/a\.png: not a readable PNG/],
  ['empty folder', { 'empty/': '' }, 'empty', {}, /empty: is empty; expected one subfolder of \.png images per class/],
  [
    'folder without class subfolders',
    { 'flat/a.png': pngBytes(gray(2, 2), 2, 2, 1) },
    'flat',
    {},
    /flat: has no class subfolders/,
  ],
  [
    'class folder without PNG',
    { 'pf/a/x.png': pngBytes(gray(2, 2), 2, 2, 1), 'pf/b/readme.txt': 'x' },
    'pf',
    {},
    /pf\/b: class folder has no \.png images/,
  ],
  [
    '--labels with a PNG folder',
    { 'pl/a/x.png': pngBytes(gray(2, 2), 2, 2, 1) },
    'pl',
    { labels: 'x.npy' },
    /labels: a PNG folder takes its labels from its class subfolders/,
  ],
  [
    'unknown extension',
    { 'data.txt': '1,2\n' },
    'data.txt',
    {},
    /data\.txt: unknown file type; supported: \.npy .*IDX .*\.csv .*folder/,
  ],
  [
    'missing path',
    {},
    'nope.npy',
    {},
    /dataset '\S*nope\.npy' is neither a built-in \(gmm, digits, fashion-mnist, cifar-shaped, latent-shaped\) nor an existing file or folder/,
  ],
];

const optionCases: [string, string, LoadOptions, RegExp][] = [
  ['unknown split', 'gmm', { split: 'val' as 'train' }, /split must be one of train, test, got 'val'/],
  ['limit 0', 'gmm', { limit: 0 }, /limit must be an integer in \[1, /],
  ['limit 1.5', 'gmm', { limit: 1.5 }, /limit must be an integer/],
  ['negative seed', 'gmm', { seed: -1 }, /seed must be an integer in \[0, /],
  [
    'labels with a built-in',
    'digits',
    { labels: 'y.npy' },
    /labels: only for datasets given by path, not the built-in 'digits'/,
  ],
  ['test split of digits', 'digits', { split: 'test' }, /split 'test' exists only for fashion-mnist, not 'digits'/],
];

describe('loadDataset: bad files', () => {
  let dir = '';
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'fluctus-data-err-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  cases.forEach(([name, files, spec, opts, want], n) => {
    it(name, () => {
      const root = join(dir, String(n));
      mkdirSync(root);
      for (const [rel, bytes] of Object.entries(files)) {
        if (rel.endsWith('/')) mkdirSync(join(root, rel), { recursive: true });
        else write(join(root, rel), bytes);
      }
      // labels with an extension name a file in the case's dir; others are CSV column names
      const o = { ...opts, labels: opts.labels && /\.\w+$/.test(opts.labels) ? join(root, opts.labels) : opts.labels };
      expect(() => loadDataset(join(root, spec), o)).toThrow(want);
    });
  });
});

describe('loadDataset: bad options', () => {
  for (const [name, spec, opts, want] of optionCases)
    it(name, () => expect(() => loadDataset(spec, opts)).toThrow(want));
});

describe('built-in files missing, and parser edge cases', () => {
  it('missing Debian file: names the file, the package and both commands', () => {
    expect(() =>
      requireFile('fashion-mnist', '/nonexistent/train-images-idx3-ubyte.gz', 'dataset-fashion-mnist'),
    ).toThrow(
      'fashion-mnist: missing /nonexistent/train-images-idx3-ubyte.gz (from the Debian package dataset-fashion-mnist). ' +
        'Install it with: sudo apt-get install dataset-fashion-mnist  (or: npm run get-data)',
    );
  });
  it('parseIdx on gzip bytes asks to decompress', () => {
    expect(() => parseIdx(gzipSync(idxBytes([1], [1])), 'a.gz')).toThrow(/a\.gz: is gzip-compressed/);
  });
});
