// The explorer page's state and exports without a browser or GPU: the field table (form <-> options
// <-> URL query), the page's wording of CLI flags, the headless command, the exported files (report.json
// text, curves CSV, .npy data read back by the CLI's own loader), the robustness flags of merger steps
// and the crn/exact comparison.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse as parseCsvText } from 'csv-parse/sync';
import { gzipSync } from 'node:zlib';
import { loadCsv, loadNpy } from '../../src/data/files.js';
import { GMM_DIM, GMM_PER_CLASS } from '../../src/data/loaders.js';
import { parseNpy } from '../../src/data/parse.js';
import { formatJson } from '../../src/report/report-html.js';
import type { MergerReport, PairReport } from '../../src/formats/report-types.js';
import {
  FIELDS,
  defaultOptions,
  fieldValues,
  optionsFromValues,
  pageWording,
  parseQuery,
  queryOf,
} from '../../src/web/explorer/fields.js';
import {
  datasetFromCsv,
  datasetFromParsed,
  gunzipIfNeeded,
  parseAny,
  readChoice,
  type CsvChoice,
} from '../../src/web/explorer/files.js';
import {
  CLI_GMM,
  EXPLORER_DEFAULTS,
  builtinData,
  checkOptions,
  cliEquivalent,
  cliHasBuiltin,
  exportedDataFiles,
  shellWord,
  type ExplorerOptions,
} from '../../src/web/explorer/options.js';
import { curvesCsv, npyFile, reportJson } from '../../src/web/explorer/export.js';
import { FLOOR_FRACTION, flagText, fragilePairs, pairFlags } from '../../src/web/explorer/flags.js';
import { DISAGREE_FRACTION, compareMethods, comparisonText } from '../../src/web/explorer/compare.js';
import { symlogTicks } from '../../src/web/explorer/spectrum-step.js';
import { npyBytes, pngBytes, write, zipBytes } from '../data-files.js';
import { loadPngFolder } from '../../src/data/png-folder.js';
import { PNG } from 'pngjs';
import { zipEntries, zipRead } from '../../src/web/explorer/zip.js';
import { datasetFromPngZip, pngLayout, type DecodedPng } from '../../src/web/explorer/png-zip.js';

/** Options far from the defaults in every field, so a round trip that drops one fails. */
const CHANGED: ExplorerOptions = {
  data: 'shapes',
  gmm: { classes: 5, dim: 12, perClass: 300, separation: 2.5 },
  shapes: { classes: 2, perClass: 64 },
  samplesPerClass: 40,
  schedule: 'cosine',
  steps: 500,
  method: 'crn',
  centring: 'global',
  linkage: 'complete',
  epsRatio: 250,
  eps: null,
  spectralSteps: 'all',
  noiseSamples: 999,
  alpha: 0.01,
  groups: 'a=0;b=1',
  seed: 42,
  lateStartSteps: '100,200',
  csv: { labels: 'kind', header: 'yes' },
  compare: false,
  trajectories: { count: 3, sampler: 'ddim', samplerSteps: 20, lateStart: 77, rank: 4, auto: true },
};

describe('field table and URL state', () => {
  it('every option has a field: options -> field texts -> options is the identity', () => {
    expect(optionsFromValues(fieldValues(CHANGED))).toEqual(CHANGED);
    expect(optionsFromValues(fieldValues(EXPLORER_DEFAULTS))).toEqual(EXPLORER_DEFAULTS);
    // A field that did not reach the options would leave them at the default: CHANGED differs in all.
    const def = fieldValues(EXPLORER_DEFAULTS);
    const changed = fieldValues(CHANGED);
    expect(FIELDS.filter((f) => def[f.id] === changed[f.id]).map((f) => f.id)).toEqual(['eps']);
  });
  it('the query holds only changed fields, reproduces the options and asks to run', () => {
    const q = queryOf(CHANGED);
    const parsed = parseQuery(`?${q}`);
    expect(parsed.run).toBe(true);
    expect(parsed.unknown).toEqual([]);
    expect(optionsFromValues(parsed.values)).toEqual(CHANGED);
    expect(q).not.toMatch(/(^|&)eps=/);
    expect(queryOf(EXPLORER_DEFAULTS)).toBe('run');
    const one = { ...defaultOptions(), gmm: { ...EXPLORER_DEFAULTS.gmm, classes: 3 } };
    expect(queryOf(one)).toBe('gmm-classes=3&run');
  });
  it('user files cannot travel in a URL: no run, data=file', () => {
    const q = queryOf({ ...defaultOptions(), data: 'file' });
    expect(q).toBe('data=file');
    expect(parseQuery(q).run).toBe(false);
  });
  it('unknown parameters are reported, not applied', () => {
    expect(parseQuery('?gmm-classes=3&colour=red&run').unknown).toEqual(['colour']);
  });
  it('a field that does not parse names its label', () => {
    expect(() => optionsFromValues({ 'gmm-dim': 'eight' })).toThrow("dimension D: 'eight' is not a number");
    expect(() => optionsFromValues({ steps: '' })).toThrow("steps T: '' is not a number");
  });
  it('late-start.json steps are checked against T', () => {
    expect(() => checkOptions({ ...defaultOptions(), lateStartSteps: '10,1200' })).toThrow(
      "late-start.json steps: '1200' is not an integer in [0, 1000]",
    );
  });
});

describe('page wording of warnings', () => {
  it.each([
    [
      'Use --method exact, more samples per class, or a larger --eps.',
      'Use “method” exact, more samples per class, or a larger “eps, absolute”.',
    ],
    ['use --spectral-steps to refine the grid', 'use “spectral steps” to refine the grid'],
    ['--samples-per-class 10', '“samples per class (max)” 10'],
    ['--moments is CLI only', '--moments is CLI only'],
  ])('%s', (cli, page) => expect(pageWording(cli)).toBe(page));
});

describe('the headless command', () => {
  it("the CLI's built-in gmm is the page's only at the CLI's size", () => {
    expect([CLI_GMM.perClass, CLI_GMM.dim]).toEqual([GMM_PER_CLASS, GMM_DIM]);
    expect(cliHasBuiltin(EXPLORER_DEFAULTS)).toBe(false);
    const cliSized = { ...defaultOptions(), gmm: { ...CLI_GMM } };
    expect(cliHasBuiltin(cliSized)).toBe(true);
    expect(cliEquivalent(cliSized, null)).toBe(
      'fluctus analyze --data gmm --schedule linear --steps 1000 --method exact --centring own --linkage average --alpha 0.05 --seed 0',
    );
  });
  it('other data are named by file, every analysis option is passed', () => {
    expect(cliEquivalent(CHANGED, exportedDataFiles('shapes'))).toBe(
      "fluctus analyze --data shapes.npy --labels shapes-labels.npy --samples-per-class 40 --schedule cosine --steps 500 --method crn --centring global --linkage complete --eps-ratio 250 --spectral-steps all --noise-samples 999 --groups 'a=0;b=1' --late-start 100,200 --late-rank 4 --alpha 0.01 --seed 42",
    );
    expect(() => cliEquivalent(EXPLORER_DEFAULTS, null)).toThrow(/needs the names of its files/);
  });
  it('shell words', () => {
    expect(shellWord('data/x-1.npy')).toBe('data/x-1.npy');
    expect(shellWord("my data's.npy")).toBe(`'my data'\\''s.npy'`);
  });
});

describe('exported data files read back by the CLI loader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'explorer-export-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('npyFile equals an independent .npy writer and parses back', () => {
    const x = Float32Array.from({ length: 12 }, (_, i) => i / 7 - 0.5);
    expect(npyFile(x, [3, 4])).toEqual(npyBytes(x, [3, 4]));
    expect(npyFile(Int32Array.from([2, 0, 1]), [3])).toEqual(npyBytes(Int32Array.from([2, 0, 1]), [3]));
    expect(() => npyFile(x, [5, 4])).toThrow(/holds 20 values, data 12/);
  });
  it.each(['gmm', 'shapes'] as const)(
    '%s: the CLI reads the same dataset as the page builds from the same files',
    (data) => {
      const o: ExplorerOptions = {
        ...defaultOptions(),
        data,
        gmm: { ...EXPLORER_DEFAULTS.gmm, perClass: 50 },
        shapes: { classes: 3, perClass: 20 },
      };
      const ds = builtinData(o);
      const [N, D] = ds.shape;
      const names = exportedDataFiles(ds.name);
      const dataPath = join(dir, names.data);
      const labelsPath = join(dir, names.labels!);
      writeFileSync(dataPath, npyFile(ds.x, ds.imageShape ? [N, ...ds.imageShape] : [N, D]));
      writeFileSync(labelsPath, npyFile(ds.labels, [N]));
      const cli = loadNpy(dataPath, { labels: labelsPath });
      expect([cli.name, cli.shape, cli.imageShape, cli.x, cli.labels]).toEqual([
        ds.name,
        ds.shape,
        ds.imageShape,
        ds.x,
        ds.labels,
      ]);
      // The page's dataset from the same files (named by path, as the CLI names them) is the CLI's.
      const file = (name: string) => ({ name, bytes: new Uint8Array(readFileSync(name)) });
      const page = datasetFromParsed(parseAny(file(dataPath)), parseAny(file(labelsPath)));
      expect(page).toEqual(cli);
    },
  );
});

// A small report: T = 10, eps = 1, every step a spectral step; pair d rows chosen per case.
function fakeReport(ds: number[][], method: MergerReport['method'] = 'crn', merger?: (number | null)[]): MergerReport {
  const T = 10;
  const steps = Array.from({ length: T + 1 }, (_, i) => i);
  const events = ['0', '1', '2', '3'].map((n, k) => ({ id: k, name: n, kind: 'class', classes: [k], count: 10 }));
  const pairs: PairReport[] = ds.map((d, q) => {
    const m = merger ? (merger[q] ?? -1) : d.findIndex((v) => v <= 1);
    return {
      a: q % 4,
      b: (q + 1) % 4,
      kind: 'class-class',
      mergerStep: m < 0 ? null : m,
      mergerAbar: null,
      M: steps.map((s) => 1 - s / 20),
      Mthr: steps.map((s) => (s >= m && m >= 0 ? 1 : 1 - s / 20)),
      d,
    };
  });
  return {
    method,
    events,
    pairs,
    steps,
    spectralSteps: steps,
    eps: { rule: 'absolute', ratio: null, value: 1 },
    schedule: { name: 'linear', T, abar: steps.map((s) => 1 - s / 10) },
  } as unknown as MergerReport;
}

describe('robustness flags of merger steps', () => {
  const dips = [3, 2, 0.9, 0.8, 1.5, 1.2, 0.7, 0.6, 0.5, 0.4, 0.3]; // crosses at 2, back above at 4-5
  const floor = [3, 2, 1.5, 0.9, 0.8, 0.7, 0.7, 0.6, 0.6, 0.6, FLOOR_FRACTION]; // d(T) = half of eps
  const clean = [3, 2, 1.5, 0.9, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01];
  it('re-crossings become step ranges; a floor at FLOOR_FRACTION eps is flagged; a clean pair is not', () => {
    const r = fakeReport([dips, floor, clean]);
    const [a, b, c] = r.pairs.map((p) => pairFlags(r, p));
    expect([a!.recross, a!.floorDominated]).toEqual(['4-5', false]);
    expect([b!.recross, b!.floorDominated, b!.floorRatio]).toEqual([null, true, FLOOR_FRACTION]);
    expect([c!.recross, c!.floorDominated, flagText(c!)]).toEqual([null, false, '']);
    expect(flagText(a!)).toBe('d re-crosses eps at 4-5');
    expect(flagText(b!)).toBe('floor-dominated: d(T) = 0.50 eps');
    expect(flagText({ ...b!, floorRatio: 123456 })).toBe('floor-dominated: d(T) = 1.2e+5 eps');
    expect(fragilePairs(r).map((f) => f.label)).toEqual(['0 vs 1', '1 vs 2']);
  });
  it("crn's certified re-crossings count even where the tracked d is under eps; exact has no floor flag", () => {
    const r = fakeReport([clean, floor], 'exact');
    (r.pairs[0] as PairReport).recrossings = [7, 8];
    expect(pairFlags(r, r.pairs[0]!).recross).toBe('7-8');
    expect(pairFlags(r, r.pairs[1]!).floorDominated).toBe(false);
  });
});

describe('crn against exact', () => {
  it('gaps over 5 % of T are disagreements; one merging and the other not is the widest gap', () => {
    const a = fakeReport([[0], [0], [0], [0]], 'crn', [2, 5, null, null]);
    const b = fakeReport([[0], [0], [0], [0]], 'exact', [2, 7, 4, null]);
    const c = compareMethods(a, b);
    expect(DISAGREE_FRACTION * 10).toBe(0.5);
    expect(c.rows.map((r) => [r.label, r.a, r.b, r.gap, r.disagree])).toEqual([
      ['0 vs 1', 2, 2, 0, false],
      ['1 vs 2', 5, 7, 2, true],
      ['2 vs 3', null, 4, 11, true],
      ['3 vs 0', null, null, 0, false],
    ]);
    expect(comparisonText(c, 10)).toBe(
      'crn and exact disagree by more than 5 % of T (0.5 steps) on 2 of 4 pairs (2 vs 3: none vs 4; 1 vs 2: 5 vs 7).',
    );
    const same = compareMethods(a, a);
    expect([same.disagreements, comparisonText(same, 10)]).toEqual([
      0,
      'crn and crn agree on every merger step to within 5 % of T (0.5 steps).',
    ]);
  });
});

describe('exported report and curves', () => {
  const r = fakeReport([
    [3, 2, 0.9, 0.8, 1.5, 1.2, 0.7, 0.6, 0.5, 0.4, 0.3],
    [3, 2, 1.5, 0.9, 0.5, 0.3, 0.2, 0.1, 0.05, 0.02, 0.01],
  ]);
  it('report.json is the CLI writer text; a non-finite number is refused, not written as null', () => {
    expect(reportJson(r)).toBe(`${formatJson(r)}\n`);
    const bad = { ...r, eps: { ...r.eps, value: Number.NaN } } as MergerReport;
    expect(() => reportJson(bad)).toThrow('report.eps.value is NaN');
  });
  it('curves.csv: one row per step, M, M~ and d per pair, parses back', () => {
    const rows = parseCsvText(curvesCsv(r), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(11);
    expect(Object.keys(rows[0]!)).toEqual([
      'step',
      'abar',
      'M 0 vs 1',
      'M~ 0 vs 1',
      'd 0 vs 1',
      'M 1 vs 2',
      'M~ 1 vs 2',
      'd 1 vs 2',
    ]);
    expect(rows[4]).toEqual({
      step: '4',
      abar: String(0.6),
      'M 0 vs 1': String(0.8),
      'M~ 0 vs 1': '1',
      'd 0 vs 1': '1.5',
      'M 1 vs 2': String(0.8),
      'M~ 1 vs 2': '1',
      'd 1 vs 2': '0.5',
    });
    expect(parseNpy(npyFile(Float32Array.from([1, 2]), [2]), 'x').shape).toEqual([2]);
  });
});

describe('spectrum-at-step axis', () => {
  it.each([
    [-0.93, 8.9, 0.026, [-0.9, -0.1, -0.026, 0, 0.026, 0.1, 1, 8]],
    [-0.052, 0.052, 0.026, [-0.026, 0, 0.026]],
    [-2.5, 0.35, 0.01, [-1, -0.1, -0.01, 0, 0.01, 0.1, 0.3]],
  ])('symlogTicks(%d, %d, eps %d)', (lo, hi, eps, ticks) => expect(symlogTicks(lo, hi, eps)).toEqual(ticks));
});

describe('CSV data on the page', () => {
  const dir = mkdtempSync(join(tmpdir(), 'explorer-csv-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const text = 'a,kind,b\n1.5,7,2\n-1,3,0.25\n2,7,1\n0,3,-4\n';
  it('the page builds the dataset the CLI loads from the same file (gzipped too)', async () => {
    const path = join(dir, 'tab.csv.gz');
    writeFileSync(path, gzipSync(text));
    const cli = loadCsv(path, { labels: 'kind' });
    const choice = await readChoice(await gunzipIfNeeded({ name: path, bytes: new Uint8Array(readFileSync(path)) }));
    expect(choice.kind).toBe('csv');
    const page = datasetFromCsv(choice as CsvChoice, { labels: 'kind', header: 'auto' });
    expect(page).toEqual(cli);
    expect([page.name, page.shape, page.classNames]).toEqual(['tab', [4, 2], ['3', '7']]);
    expect(() => datasetFromCsv(choice as CsvChoice, { labels: 'colour', header: 'auto' })).toThrow(
      /label column 'colour' not found; use a column name \(a, kind, b\) or a column number 0..2/,
    );
  });
  it('the command names the CSV options only for CSV data', () => {
    const o: ExplorerOptions = { ...defaultOptions(), data: 'file', csv: { labels: 'kind', header: 'yes' } };
    expect(cliEquivalent(o, { data: 'tab.csv.gz', labels: null })).toMatch(
      /^fluctus analyze --data tab.csv.gz --labels kind --csv-header yes --schedule/,
    );
    expect(cliEquivalent(o, { data: 'x.npy', labels: 'y.npy' })).toMatch(
      /^fluctus analyze --data x.npy --labels y.npy --schedule/,
    );
    expect(pageWording('pass --csv-header yes to read it as a header')).toBe(
      'pass “CSV first line” yes to read it as a header',
    );
  });
});

describe('zipped PNG folders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'explorer-zip-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  // pngjs, as the CLI decodes; the page decodes with the browser (the browser test checks that path).
  const decode = async (png: Uint8Array): Promise<DecodedPng> => {
    const p = PNG.sync.read(Buffer.from(png));
    return { width: p.width, height: p.height, rgba: new Uint8Array(p.data), color: p.color };
  };
  const gray = (seed: number) => Array.from({ length: 12 }, (_, i) => (seed * 37 + i * 11) % 256);
  const rgb = (seed: number) => Array.from({ length: 36 }, (_, i) => (seed * 53 + i * 7) % 256);
  // Two classes, gray and colour PNGs of 4 x 3, a hidden file and a macOS copy that both loaders skip.
  const tree: { name: string; bytes?: Uint8Array }[] = [
    { name: 'pets/' },
    { name: 'pets/dog/' },
    { name: 'pets/dog/b.png', bytes: pngBytes(gray(1), 4, 3, 1) },
    { name: 'pets/dog/a.png', bytes: pngBytes(rgb(2), 4, 3, 3) },
    { name: 'pets/dog/notes.txt', bytes: new TextEncoder().encode('not an image') },
    { name: 'pets/cat/c.png', bytes: pngBytes(gray(3), 4, 3, 1) },
    { name: 'pets/cat/.hidden.png', bytes: new Uint8Array([1, 2, 3]) },
    { name: '__MACOSX/pets/cat/._c.png', bytes: new Uint8Array([0, 5, 1, 6]) },
  ];
  it('zip entries read back, stored and deflated', async () => {
    for (const store of [false, true]) {
      const z = zipBytes(tree, store);
      const entries = zipEntries(z, 'pets.zip');
      expect(entries.map((e) => e.name)).toEqual(tree.map((f) => f.name));
      const e = entries.find((x) => x.name === 'pets/dog/a.png')!;
      const got = await zipRead(z, e, 'pets.zip');
      expect(got).toEqual(new Uint8Array(tree[3]!.bytes!));
    }
    expect(() => zipEntries(new Uint8Array(100), 'x.zip')).toThrow(
      'x.zip: not a zip file (no end of central directory record)',
    );
  });
  it('the page reads the folder as the CLI does (root folder in the zip, or only its contents)', async () => {
    for (const f of tree) if (f.bytes && !f.name.startsWith('__')) write(join(dir, f.name), f.bytes);
    const cli = loadPngFolder(join(dir, 'pets'));
    const withRoot = await datasetFromPngZip(zipBytes(tree), 'anything.zip', decode);
    expect(withRoot.layout).toMatchObject({ root: 'pets', rootInZip: true, classes: ['cat', 'dog'] });
    expect(withRoot.layout.images.map((i) => i.path)).toEqual(['pets/cat/c.png', 'pets/dog/a.png', 'pets/dog/b.png']);
    // The CLI names the folder by the path it was given; the page by the folder's name.
    expect(withRoot.data).toEqual({ ...cli, source: cli.source.replace(join(dir, 'pets'), 'pets') });
    const contents = tree
      .filter((f) => f.name.startsWith('pets/') && f.name !== 'pets/')
      .map((f) => ({ ...f, name: f.name.slice(5) }));
    const noRoot = await datasetFromPngZip(zipBytes(contents), 'pets.zip', decode);
    expect(noRoot.layout).toMatchObject({ root: 'pets', rootInZip: false });
    expect(noRoot.data).toEqual(withRoot.data);
  });
  it.each([
    [
      [{ name: 'a.png', bytes: pngBytes(gray(1), 4, 3, 1) }],
      /x.zip: has no class subfolders; expected one subfolder of .png images per class \(x\/<class>\/\*.png\)/,
    ],
    [
      [{ name: 'r/c/' }, { name: 'r/d/e.png', bytes: pngBytes(gray(1), 4, 3, 1) }],
      /x.zip: r\/c: class folder has no .png images/,
    ],
    [
      [
        { name: 'r/c/a.png', bytes: pngBytes(gray(1), 4, 3, 1) },
        { name: 'r/d/b.png', bytes: pngBytes(gray(1), 3, 4, 1) },
      ],
      /r\/d\/b.png is 3x4 but r\/c\/a.png is 4x3; all images must have the same size/,
    ],
    [[{ name: 'r/c/a.png', bytes: new Uint8Array([1, 2, 3, 4]) }], /x.zip: r\/c\/a.png: not a readable PNG/],
  ])('refuses bad folders %#', async (files, msg) => {
    await expect(datasetFromPngZip(zipBytes(files), 'x.zip', decode)).rejects.toThrow(msg);
  });
  it('layout without reading: an empty zip', () => {
    expect(() => pngLayout([], 'e.zip')).toThrow('e.zip: is empty');
  });
});
