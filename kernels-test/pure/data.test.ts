// Dataset loaders without a GPU: the pure parsers (IDX, .npy, CSV) on bytes written here from the
// format specs, loadDataset on temp files of every supported kind, limit/remap rules, and the
// Debian-installed built-ins (digits, fashion-mnist) when present. Bad inputs: data-errors.test.ts.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DIGITS_CSV, fashionFiles } from '../../src/data/builtin.js';
import { gaussianMixture } from '../../src/data/gmm.js';
import { GMM_DIM, GMM_PER_CLASS, loadDataset, type LoadOptions } from '../../src/data/loaders.js';
import { parseCsv, parseIdx, parseNpy } from '../../src/data/parse.js';
import { idxBytes, npyBytes, pngBytes, write } from '../data-files.js';
import { randn } from '../random.js';

const f32 = (a: ArrayLike<number>) => Float32Array.from(a);
const px = (a: ArrayLike<number>) => Float32Array.from(a, (v) => v / 127.5 - 1);

describe('parseIdx', () => {
  const cases: [string, Uint8Array, string, number[], number[]][] = [
    [
      'u8 (2, 2, 3)',
      idxBytes([0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255], [2, 2, 3]),
      'u8',
      [2, 2, 3],
      [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255],
    ],
    ['u8 labels (5)', idxBytes([9, 0, 0, 3, 0], [5]), 'u8', [5], [9, 0, 0, 3, 0]],
    ['i32 big-endian (3)', idxBytes([-1, 65536, 2 ** 31 - 1], [3], 0x0c), 'i32', [3], [-1, 65536, 2 ** 31 - 1]],
    ['f32 big-endian (1, 2)', idxBytes([1.5, -0.25], [1, 2], 0x0d), 'f32', [1, 2], [1.5, -0.25]],
  ];
  for (const [name, bytes, dtype, shape, data] of cases) {
    it(name, () => {
      const a = parseIdx(bytes, 'x.idx');
      expect([a.dtype, a.shape, Array.from(a.data)]).toEqual([dtype, shape, data]);
    });
  }
  it('reads from a view with a byte offset', () => {
    const b = idxBytes([7, 8], [2]);
    const padded = new Uint8Array(b.length + 3);
    padded.set(b, 3);
    expect(Array.from(parseIdx(padded.subarray(3)).data)).toEqual([7, 8]);
  });
});

describe('parseNpy', () => {
  const cases: [string, Uint8Array, string, number[], number[]][] = [
    [
      'f4 (2, 3)',
      npyBytes(f32([0.5, -1, 2, 3, 4, 1e-3]), [2, 3]),
      'f4',
      [2, 3],
      Array.from(f32([0.5, -1, 2, 3, 4, 1e-3])),
    ],
    [
      'f8 (1, 2, 2)',
      npyBytes(Float64Array.from([0.1, 0.2, 0.3, 0.4]), [1, 2, 2]),
      'f8',
      [1, 2, 2],
      [0.1, 0.2, 0.3, 0.4],
    ],
    ['u1 (3)', npyBytes(Uint8Array.from([0, 128, 255]), [3]), 'u1', [3], [0, 128, 255]],
    ['i8 (3) to float64', npyBytes(BigInt64Array.from([-5n, 0n, 2n ** 40n]), [3]), 'i8', [3], [-5, 0, 2 ** 40]],
    // Fortran order: memory holds columns; (2, 3) [[1, 2, 3], [4, 5, 6]] is stored 1 4 2 5 3 6.
    [
      'f4 Fortran (2, 3)',
      npyBytes(f32([1, 4, 2, 5, 3, 6]), [2, 3], { fortran: true }),
      'f4',
      [2, 3],
      [1, 2, 3, 4, 5, 6],
    ],
    // (2, 2, 2) Fortran: element (i, j, k) at i + 2 j + 4 k.
    [
      'i4 Fortran (2, 2, 2)',
      npyBytes(Int32Array.from([0, 100, 10, 110, 1, 101, 11, 111]), [2, 2, 2], { fortran: true }),
      'i4',
      [2, 2, 2],
      [0, 1, 10, 11, 100, 101, 110, 111],
    ],
  ];
  for (const [name, bytes, dtype, shape, data] of cases) {
    it(name, () => {
      const a = parseNpy(bytes, 'a.npy');
      expect([a.dtype, a.shape, Array.from(a.data)]).toEqual([dtype, shape, data]);
    });
  }
  it('writer: data starts at a multiple of 64 after a header ending in a newline', () => {
    const b = npyBytes(f32([1]), [1]);
    expect([(b.length - 4) % 64, b[b.length - 5]]).toEqual([0, 0x0a]);
  });
  it('reads from a Buffer view at an odd byte offset', () => {
    const b = npyBytes(f32([1, 2]), [2]);
    const padded = new Uint8Array(b.length + 1);
    padded.set(b, 1);
    expect(Array.from(parseNpy(padded.subarray(1)).data)).toEqual([1, 2]);
  });
});

describe('parseCsv', () => {
  const cases: [string, string, string[] | null, number[][], number[]][] = [
    [
      'no header',
      '1,2,0\n3,4,1\n',
      null,
      [
        [1, 2, 0],
        [3, 4, 1],
      ],
      [1, 2],
    ],
    ['header', 'a,b,label\n1.5,-2e-1,3\n', ['a', 'b', 'label'], [[1.5, -0.2, 3]], [2]],
    [
      'blank lines skipped, line numbers kept, CRLF',
      '1,2\r\n\r\n3,4\r\n',
      null,
      [
        [1, 2],
        [3, 4],
      ],
      [1, 3],
    ],
    [
      'spaces trimmed, nan/inf parsed',
      ' 1 , nan\n-inf,+2\n',
      null,
      [
        [1, NaN],
        [-Infinity, 2],
      ],
      [1, 2],
    ],
    [
      'numbered columns (pandas integer labels) and a name are a header',
      '0,1,label\n1,2,0\n',
      ['0', '1', 'label'],
      [[1, 2, 0]],
      [2],
    ],
    ['1-based numbered columns are a header too', '1,2,label\n1,2,0\n', ['1', '2', 'label'], [[1, 2, 0]], [2]],
  ];
  for (const [name, text, header, rows, lines] of cases) {
    it(name, () => {
      const t = parseCsv(text, 't.csv');
      expect(t.header).toEqual(header);
      expect([t.rows, t.cols]).toEqual([rows.length, rows[0]!.length]);
      expect(Array.from(t.values)).toEqual(rows.flat());
      expect(Array.from(t.lines)).toEqual(lines);
    });
  }
  it('a first line mixing numbers and text is refused under auto, read as told under yes / no', () => {
    const iris = '150,4,setosa\n1,2,0\n';
    expect(() => parseCsv(iris, 't.csv')).toThrow(
      /t\.csv: line 1 mixes text \('setosa' in column 2\) and numbers \('150' in column 0\).*--csv-header yes/,
    );
    const yes = parseCsv(iris, 't.csv', 'yes');
    expect([yes.header, yes.rows, Array.from(yes.values)]).toEqual([['150', '4', 'setosa'], 1, [1, 2, 0]]);
    expect(() => parseCsv(iris, 't.csv', 'no')).toThrow(/t\.csv: line 1, column 2: 'setosa' is not a number/);
    const numbers = parseCsv('1,2,0\n3,4,1\n', 't.csv', 'yes');
    expect([numbers.header, numbers.rows]).toEqual([['1', '2', '0'], 1]);
  });
});

describe('loadDataset on files', () => {
  let dir = '';
  const X = f32(randn(6 * 4, 11)); // (6, 4)
  const RAW = [10, -3, 7, 10, 7, -3]; // distinct sorted -3 7 10 -> 0 1 2
  const MAPPED = [2, 0, 1, 2, 1, 0];
  const IMG = Uint8Array.from({ length: 5 * 2 * 3 }, (_, i) => (i * 37) % 256); // (5, 2, 3)
  const IMG_LABELS = [1, 0, 1, 1, 0];
  const csvRows = (rows: number[][]) => rows.map((r) => r.join(',')).join('\n') + '\n';
  const xRows = Array.from({ length: 6 }, (_, i) => Array.from(X.subarray(4 * i, 4 * i + 4)));

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'fluctus-data-'));
    const p = (name: string) => join(dir, name);
    write(p('x.npy'), npyBytes(X, [6, 4]));
    write(p('y.npy'), npyBytes(BigInt64Array.from(RAW.map(BigInt)), [6]));
    write(p('y-col.npy'), npyBytes(Int32Array.from(RAW), [6, 1]));
    write(p('img.npy'), npyBytes(IMG, [5, 2, 3]));
    write(p('img-labels.npy'), npyBytes(Uint8Array.from(IMG_LABELS), [5]));
    write(p('int.npy'), npyBytes(Int32Array.from([-7, 0, 300, 5, 1, 2]), [3, 2]));
    write(p('int-labels.npy'), npyBytes(Int32Array.from([4, 4, 4]), [3]));
    write(p('x.npy.gz'), npyBytes(X, [6, 4]), true);
    write(p('idx/a-images-idx3-ubyte'), idxBytes(IMG, [5, 2, 3]));
    write(p('idx/a-labels-idx1-ubyte'), idxBytes(IMG_LABELS, [5]));
    write(p('idx/b-images-idx3-ubyte.gz'), idxBytes(IMG, [5, 2, 3]), true);
    write(p('idx/b-labels-idx1-ubyte.gz'), idxBytes(IMG_LABELS, [5]), true);
    write(p('idx/gz-magic-images-idx3-ubyte'), idxBytes(IMG, [5, 2, 3]), true);
    write(p('idx/other-labels.idx1-ubyte'), idxBytes([3, 3, 8, 8, 3], [5]));
    write(p('idx/f.idx'), idxBytes(X, [6, 4], 0x0d));
    write(p('plain.csv'), csvRows(xRows.map((r, i) => [...r, RAW[i]!])));
    write(p('plain.csv.gz'), csvRows(xRows.map((r, i) => [...r, RAW[i]!])), true);
    write(p('header.csv'), 'a,Label,b,c,d\n' + csvRows(xRows.map((r, i) => [r[0]!, RAW[i]!, ...r.slice(1)])));
    write(p('header-nolabel.csv'), 'a,b,c,d,y\n' + csvRows(xRows.map((r, i) => [...r, RAW[i]!])));
    write(p('first-col.csv'), csvRows(xRows.map((r, i) => [RAW[i]!, ...r])));
    // PNG folder: classes 'b' (one gray image) and 'a' (an RGB and an RGBA image), 3 x 2 pixels.
    const gray = [0, 50, 100, 150, 200, 255];
    write(p('png/b/only.png'), pngBytes(gray, 3, 2, 1));
    write(
      p('png/a/1-rgb.png'),
      pngBytes(
        gray.flatMap((g) => [g, 255 - g, 10]),
        3,
        2,
        3,
      ),
    );
    write(
      p('png/a/2-rgba.png'),
      pngBytes(
        gray.flatMap((g) => [g, g, g, 30]),
        3,
        2,
        4,
      ),
    );
    write(p('png/a/notes.txt'), 'ignored');
    write(p('png/.hidden/x.png'), pngBytes(gray, 3, 2, 1));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  interface Want {
    shape: [number, number];
    imageShape: [number, number] | null;
    classNames: string[];
    labels: number[];
    x: Float32Array;
    scale: RegExp;
  }
  const npyWant: Want = {
    shape: [6, 4],
    imageShape: null,
    classNames: ['-3', '7', '10'],
    labels: MAPPED,
    x: X,
    scale: /^as stored$/,
  };
  const imgWant: Want = {
    shape: [5, 6],
    imageShape: [2, 3],
    classNames: ['0', '1'],
    labels: IMG_LABELS,
    x: px(IMG),
    scale: /127\.5/,
  };
  const lum = (g: number) => 0.299 * g + 0.587 * (255 - g) + 0.114 * 10;
  const gray = [0, 50, 100, 150, 200, 255];
  const cases: [string, string, LoadOptions, Want][] = [
    ['npy f4 (N, D) + i8 labels', 'x.npy', { labels: 'y.npy' }, npyWant],
    ['npy labels of shape (N, 1)', 'x.npy', { labels: 'y-col.npy' }, npyWant],
    ['npy.gz', 'x.npy.gz', { labels: 'y.npy' }, npyWant],
    ['npy u1 (N, H, W) scaled', 'img.npy', { labels: 'img-labels.npy' }, imgWant],
    [
      'npy i4 as stored, one class',
      'int.npy',
      { labels: 'int-labels.npy' },
      {
        shape: [3, 2],
        imageShape: null,
        classNames: ['4'],
        labels: [0, 0, 0],
        x: f32([-7, 0, 300, 5, 1, 2]),
        scale: /^as stored$/,
      },
    ],
    [
      'IDX with --labels',
      'idx/a-images-idx3-ubyte',
      { labels: 'idx/other-labels.idx1-ubyte' },
      { ...imgWant, classNames: ['3', '8'], labels: [0, 0, 1, 1, 0] },
    ],
    ['IDX sibling labels', 'idx/a-images-idx3-ubyte', {}, imgWant],
    ['IDX.gz sibling labels', 'idx/b-images-idx3-ubyte.gz', {}, imgWant],
    ['IDX gzip magic without .gz', 'idx/gz-magic-images-idx3-ubyte', { labels: 'idx/a-labels-idx1-ubyte' }, imgWant],
    ['IDX f32 (N, D) + npy labels', 'idx/f.idx', { labels: 'y.npy' }, npyWant],
    ['CSV no header: label last', 'plain.csv', {}, npyWant],
    ['CSV.gz', 'plain.csv.gz', {}, npyWant],
    ['CSV header: column named Label', 'header.csv', {}, npyWant],
    ['CSV header without label/class: last', 'header-nolabel.csv', {}, npyWant],
    ['CSV header: --labels by name', 'header-nolabel.csv', { labels: 'y' }, npyWant],
    ['CSV --labels by column number', 'first-col.csv', { labels: '0' }, npyWant],
    [
      'PNG folder (gray, RGB, RGBA)',
      'png',
      {},
      {
        shape: [3, 6],
        imageShape: [2, 3],
        classNames: ['a', 'b'],
        labels: [0, 0, 1],
        x: px([...gray.map(lum), ...gray, ...gray]),
        scale: /0\.299/,
      },
    ],
  ];
  for (const [name, file, opts, want] of cases) {
    it(name, () => {
      // labels name a file in the temp dir, or a CSV column
      const o = {
        ...opts,
        labels: opts.labels && existsSync(join(dir, opts.labels)) ? join(dir, opts.labels) : opts.labels,
      };
      const ds = loadDataset(join(dir, file), o);
      expect(ds.shape).toEqual(want.shape);
      expect(ds.imageShape).toEqual(want.imageShape);
      expect(ds.classNames).toEqual(want.classNames);
      expect(ds.classes).toBe(want.classNames.length);
      expect(Array.from(ds.labels)).toEqual(want.labels);
      // CSV text holds f32 values printed in shortest round-trip form, so they come back exactly.
      expect(Array.from(ds.x)).toEqual(Array.from(want.x));
      expect(ds.scale).toMatch(want.scale);
      expect(ds.source).toContain(join(dir, file));
    });
  }

  const limits: [string, number, number[]][] = [
    ['limit 1: first of each class', 1, [0, 1, 2]],
    ['limit 2', 2, [0, 1, 2, 3, 4, 5]],
    ['limit above the class sizes keeps all', 100, [0, 1, 2, 3, 4, 5]],
  ];
  for (const [name, limit, rows] of limits) {
    it(name, () => {
      const ds = loadDataset(join(dir, 'plain.csv'), { limit });
      expect(ds.shape).toEqual([rows.length, 4]);
      expect(Array.from(ds.labels)).toEqual(rows.map((r) => MAPPED[r]!));
      expect(Array.from(ds.x)).toEqual(rows.flatMap((r) => xRows[r]!));
      expect(ds.classes).toBe(3);
    });
  }
});

describe('gmm built-in', () => {
  it('fills the provenance fields', () => {
    const ds = gaussianMixture({ classes: 3, dim: 5, perClass: 4, seed: 9 });
    expect([ds.classNames, ds.imageShape, ds.source, ds.scale]).toEqual([
      ['0', '1', '2'],
      null,
      'built-in Gaussian mixture (seed 9)',
      'as generated',
    ]);
  });
  it('loadDataset("gmm") = gaussianMixture defaults with the seed, limit per class', () => {
    const a = loadDataset('gmm', { seed: 3, limit: 5 });
    const b = gaussianMixture({ seed: 3, perClass: GMM_PER_CLASS, dim: GMM_DIM });
    expect(a.shape).toEqual([20, b.shape[1]]);
    expect(Array.from(a.x.subarray(0, 5 * b.shape[1]))).toEqual(Array.from(b.x.subarray(0, 5 * b.shape[1])));
    expect(Array.from(a.labels)).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3]);
  });
});

function counts(labels: Int32Array, K: number): number[] {
  const c = new Array<number>(K).fill(0);
  for (const l of labels) c[l]!++;
  return c;
}
function range(x: Float32Array): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of x) [lo, hi] = [Math.min(lo, v), Math.max(hi, v)];
  return [lo, hi];
}

const haveDigits = existsSync(DIGITS_CSV);
const haveFashion = [fashionFiles('train'), fashionFiles('test')].every(
  (f) => existsSync(f.images) && existsSync(f.labels),
);
if (!haveDigits) console.warn(`skipping digits: ${DIGITS_CSV} absent (sudo apt-get install python3-sklearn)`);
if (!haveFashion)
  console.warn(
    'skipping fashion-mnist: /usr/share/datasets/fashion-mnist absent (sudo apt-get install dataset-fashion-mnist)',
  );

describe('Debian built-ins', () => {
  it.skipIf(!haveDigits)('digits: (1797, 64), 8x8, class counts, [-1, 1], first labels 0 1', () => {
    const ds = loadDataset('digits');
    expect([ds.shape, ds.imageShape, ds.classNames]).toEqual([
      [1797, 64],
      [8, 8],
      ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
    ]);
    expect(counts(ds.labels, 10)).toEqual([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    expect(range(ds.x)).toEqual([-1, 1]);
    expect([ds.labels[0], ds.labels[1]]).toEqual([0, 1]);
    // x / 8 - 1 maps the integer pixels 0..16 to multiples of 1/8.
    expect(ds.x.every((v) => Number.isInteger(v * 8))).toBe(true);
  });
  it.skipIf(!haveFashion)('fashion-mnist train: (60000, 784), 6000 per class, first label 9 (Ankle boot)', () => {
    const ds = loadDataset('fashion-mnist');
    expect([ds.shape, ds.imageShape, ds.classes]).toEqual([[60000, 784], [28, 28], 10]);
    expect(ds.classNames[9]).toBe('Ankle boot');
    expect(counts(ds.labels, 10)).toEqual(new Array(10).fill(6000));
    expect(range(ds.x)).toEqual([-1, 1]);
    expect(ds.labels[0]).toBe(9);
  });
  it.skipIf(!haveFashion)('fashion-mnist test split: (10000, 784), 1000 per class, first labels 9 2; limit 3', () => {
    const ds = loadDataset('fashion-mnist', { split: 'test' });
    expect(ds.shape).toEqual([10000, 784]);
    expect(counts(ds.labels, 10)).toEqual(new Array(10).fill(1000));
    expect([ds.labels[0], ds.labels[1]]).toEqual([9, 2]);
    expect(loadDataset('fashion-mnist', { split: 'test', limit: 3 }).shape).toEqual([30, 784]);
  });
});
