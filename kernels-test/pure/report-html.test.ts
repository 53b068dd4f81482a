// Report charts (src/report/charts*.ts) and report.html / report.json (src/report/report-html.ts)
// on synthetic MergerReports. The fixture is built from the Gaussian oracle of DESIGN §6: diagonal
// class covariances Sigma_k, C_k(i) = abar_i Sigma_k + (1 - abar_i) I, so M, d and merger steps are
// closed form; with eps = 30 / 400 the classes far from 'b<&>c' never merge within T = 50.
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, type TopLevelSpec } from 'vega-lite';
import {
  REPORT_CHARTS,
  dendrogramChart,
  dendrogramSegments,
  isNoChart,
  mergerCurvesChart,
} from '../../src/report/charts.js';
import {
  collectingLogger,
  renderChartSvg,
  renderReportHtml,
  writeJsonAtomic,
  writeReportFiles,
} from '../../src/report/report-html.js';
import type { DendrogramReport, EventInfo, MergerReport, PairReport } from '../../src/formats/report-types.js';

const T = 50;
const ABAR = Array.from({ length: T + 1 }, (_, i) => Math.exp(-0.11 * i));
const STEPS = Array.from({ length: T + 1 }, (_, i) => i);
const SPECTRAL = STEPS.filter((s) => s % 2 === 0);
const ALPHA = 0.05;
const DIRS = 3;

/** Diagonal covariance of an event at step i (eigenvalues = diagonal, sorted descending). */
const covAt = (sigma: number[], i: number) => sigma.map((v) => ABAR[i]! * v + 1 - ABAR[i]!).sort((a, b) => b - a);
const frob = (a: number[], b: number[]) => a.reduce((s, v, j) => s + v * b[j]!, 0);
const pool = (parts: number[][]) => parts[0]!.map((_, j) => parts.reduce((s, p) => s + p[j]!, 0) / parts.length);

function pairOf(a: number, b: number, kind: PairReport['kind'], sig: number[][], eps: number): PairReport {
  const d = (i: number) => Math.max(...covAt(sig[a]!, i).map((v, j) => Math.abs(v - covAt(sig[b]!, i)[j]!)));
  const M = STEPS.map((i) => {
    const c1 = covAt(sig[a]!, i);
    const c2 = covAt(sig[b]!, i);
    return Math.abs(frob(c1, c2)) / Math.sqrt(frob(c1, c1) * frob(c2, c2));
  });
  const merger = STEPS.find((i) => d(i) <= eps) ?? null;
  return {
    a,
    b,
    kind,
    mergerStep: merger,
    mergerAbar: merger === null ? null : ABAR[merger]!,
    M,
    Mthr: M.map((m, i) => (d(i) > eps ? m : 1)),
    d: SPECTRAL.map(d),
  };
}

function makeReport(names: string[], sigma: number[][], dendrogram: DendrogramReport): MergerReport {
  const K = names.length;
  const counts = names.map((_, k) => 100 + 10 * k);
  const events: EventInfo[] = names.map((n, k) => ({ id: k, name: n, kind: 'class', classes: [k], count: counts[k]! }));
  const sig = [...sigma, pool(sigma), sigma[0]!.map(() => 1)];
  events.push({
    id: K,
    name: 'all data',
    kind: 'all',
    classes: names.map((_, k) => k),
    count: counts.reduce((s, c) => s + c, 0),
  });
  events.push({ id: K + 1, name: 'noise N(0, I)', kind: 'noise', classes: [], count: 200 });
  if (K > 2) {
    names.forEach((n, k) => {
      events.push({
        id: events.length,
        name: `not ${n}`,
        kind: 'rest',
        classes: names.map((_, j) => j).filter((j) => j !== k),
        count: 300,
      });
      sig.push(pool(sigma.filter((_, j) => j !== k)));
    });
  }
  const eps = Math.max(...sigma.map((s) => Math.max(...s))) / 400;
  const pairs: PairReport[] = [pairOf(K, K + 1, 'data-noise', sig, eps)];
  for (let i = 0; i < K; i++) for (let j = i + 1; j < K; j++) pairs.push(pairOf(i, j, 'class-class', sig, eps));
  if (K > 2) for (let k = 0; k < K; k++) pairs.push(pairOf(k, K + 2 + k, 'class-rest', sig, eps));
  const matrix = names.map((_, i) =>
    names.map((__, j) =>
      i === j
        ? 0
        : pairs.find((p) => p.kind === 'class-class' && p.a === Math.min(i, j) && p.b === Math.max(i, j))!.mergerStep,
    ),
  );
  const lambda = Math.max(...sig[K]!);
  const sStep = ABAR.findIndex((a) => a <= 1 / lambda);
  // K² decays like abar² (cumulants above the second vanish under noising); chi2(2) tail exp(-K²/2).
  const k2 = SPECTRAL.map((s) => Array.from({ length: DIRS }, (_, j) => (400 * ABAR[s]! ** 2) / (j + 1) + 0.3));
  const crit = -2 * Math.log(ALPHA / DIRS);
  const nIdx = SPECTRAL.findIndex((_, r) => k2.slice(r).every((row) => row.every((v) => v < crit)));
  const normalityStep = nIdx < 0 ? null : SPECTRAL[nIdx]!;
  const dn = pairs[0]!;
  return {
    fluctus: { version: '0.1.0', commit: 'abc1234' },
    createdAt: '2026-01-02T03:04:05.000Z',
    data: {
      name: `synthetic <${K}> & co`,
      source: 'kernels-test fixture "gmm"',
      n: counts.reduce((s, c) => s + c, 0),
      dim: 4,
      imageShape: null,
      classNames: names,
      counts,
      scale: 'none',
    },
    schedule: { name: 'exp', T, abar: ABAR },
    method: 'exact',
    seed: 7,
    centring: 'own',
    eps: { rule: 'ratio', ratio: 400, value: eps },
    steps: STEPS,
    spectralSteps: SPECTRAL,
    events,
    pairs,
    dataNoise: {
      mergerStep: dn.mergerStep,
      mergerAbar: dn.mergerAbar,
      normalityStep,
      normalityAbar: normalityStep === null ? null : ABAR[normalityStep]!,
      normality: {
        alpha: ALPHA,
        directions: DIRS,
        steps: SPECTRAL,
        k2,
        pValue: k2.map((row) => row.map((v) => Math.exp(-v / 2))),
        rejectedFraction: SPECTRAL.map((s) => Math.min(1, 0.05 + 0.9 * ABAR[s]! ** 2)),
      },
    },
    classMergerMatrix: matrix,
    classRestMerger: names.map((_, k) =>
      K > 2 ? pairs.find((p) => p.kind === 'class-rest' && p.a === k)!.mergerStep : null,
    ),
    dendrogram,
    speciationStep: sStep < 0 ? null : sStep,
    speciation: {
      lambdaMax: lambda,
      abar: 1 / lambda,
      ouTime: Math.log(lambda) / 2,
      step: sStep < 0 ? null : sStep,
      convention: 'abar = exp(-2t)',
    },
    spectra: { top: 4, values: events.map((_, e) => SPECTRAL.map((s) => covAt(sig[e]!, s))) },
    search: {
      method: 'full',
      trackedEigenvalues: null,
      subspace: null,
      windows: 0,
      products: 0,
      fullSpectra: 4 * events.length,
      bisectedPairs: 0,
    },
    lateStart: { file: 'late-start.json', steps: [20, 30], rank: 4 },
    warnings: ['a <warning> the page must escape'],
    profile: [
      { kernel: 'syrk', calls: 12, ms: 8.5, flops: 6.8e8, bytes: 1.2e7, gflops: 80, gbps: 1.41 },
      { kernel: 'eigh_<jacobi>', calls: 26, ms: 3.25, flops: 1e6, bytes: 2e5, gflops: 0.31, gbps: 0.06 },
    ],
    timings: { load: 4.5, moments: 31.25, spectra: 12, total: 60 },
  };
}

const NAMES3 = ['alpha', 'b<&>c', 'gamma'];
const SIGMA3 = [
  [4, 1, 0.5, 0.2],
  [30, 2, 1, 0.5],
  [4.2, 1.1, 0.5, 0.2],
];
// eps = 30 / 400 = 0.075. alpha-gamma: d = abar * 0.2 <= eps first at abar <= 0.375, step 9 (abar_i = e^{-0.11 i});
// b<&>c never merges with a class (abar_50 * 25.8 = 0.11 > eps); all data vs noise: abar * 11.73 <= eps at step 46.
const DENDRO3: DendrogramReport = {
  linkage: 'average',
  merges: [
    { a: 0, b: 2, height: 9, size: 2 },
    { a: 1, b: 3, height: T + 1, size: 3 },
  ],
  order: [1, 0, 2],
  newick: '(b<&>c:51,(alpha:9,gamma:9):42);',
};
const report3 = makeReport(NAMES3, SIGMA3, DENDRO3);
const report1 = makeReport(['only'], [[3, 1, 0.5, 0.1]], {
  linkage: 'average',
  merges: [],
  order: [0],
  newick: 'only;',
});

const tmpDirs: string[] = [];
afterAll(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('fixture', () => {
  it('has the structure the tests rely on', () => {
    expect(report3.classMergerMatrix[0]![2]).toBe(9);
    expect(report3.dataNoise.mergerStep).toBe(46);
    expect(report3.classMergerMatrix[0]![1]).toBeNull();
    expect(report3.pairs.filter((p) => p.mergerStep === null).length).toBeGreaterThan(0);
    expect(report3.dataNoise.mergerStep).not.toBeNull();
    expect(report3.dataNoise.normalityStep).not.toBeNull();
    expect(report3.speciationStep).not.toBeNull();
  });
});

describe('chart specs', () => {
  const cases = REPORT_CHARTS.flatMap((c) => [
    { report: 'K = 3', chart: c.id, spec: c.build(report3) },
    { report: 'K = 1', chart: c.id, spec: c.build(report1) },
  ]);
  it.each(cases)('$chart ($report) compiles and renders without warnings', async ({ spec }) => {
    if (isNoChart(spec)) {
      expect(spec.none.length).toBeGreaterThan(10);
      return;
    }
    const compileWarnings: string[] = [];
    compile(spec, { logger: collectingLogger(compileWarnings) });
    expect(compileWarnings).toEqual([]);
    const renderWarnings: string[] = [];
    const svg = await renderChartSvg(spec, renderWarnings);
    expect(renderWarnings).toEqual([]);
    expect(svg.startsWith('<svg')).toBe(true);
  });

  it('K = 3 has every chart; K = 1 has no matrix and no dendrogram', () => {
    expect(REPORT_CHARTS.filter((c) => isNoChart(c.build(report3)))).toEqual([]);
    expect(
      REPORT_CHARTS.filter((c) => isNoChart(c.build(report1)))
        .map((c) => c.id)
        .sort(),
    ).toEqual(['dendrogram', 'merger-matrix']);
  });

  it('dendrogram: 3 rule segments per merge at the U positions', () => {
    const segs = dendrogramSegments(report3);
    expect(segs.length).toBe(3 * (NAMES3.length - 1));
    // order [1, 0, 2]: alpha at x = 1, gamma at x = 2, b<&>c at x = 0; (alpha, gamma) node at x = 1.5.
    expect(segs).toEqual([
      { merge: 0, x: 1, x2: 1, y: 0, y2: 9 },
      { merge: 0, x: 2, x2: 2, y: 0, y2: 9 },
      { merge: 0, x: 1, x2: 2, y: 9, y2: 9 },
      { merge: 1, x: 0, x2: 0, y: 0, y2: 51 },
      { merge: 1, x: 1.5, x2: 1.5, y: 9, y2: 51 },
      { merge: 1, x: 0, x2: 1.5, y: 51, y2: 51 },
    ]);
    const spec = dendrogramChart(report3) as TopLevelSpec & {
      layer: { mark: { type: string }; data: { values: unknown[] } }[];
    };
    const rules = spec.layer.filter((l) => l.mark?.type === 'rule');
    expect(rules.length).toBe(1);
    expect(rules[0]!.data.values.length).toBe(3 * (NAMES3.length - 1));
  });

  it('merger curves: default pairs are data-noise and class-rest; bad pair indices are named', () => {
    const spec = mergerCurvesChart(report3) as { title: { subtitle: string[] } };
    expect(spec.title.subtitle.join(' ')).toContain('3 class-class pairs are in the merger matrix');
    expect(() => mergerCurvesChart(report3, [0, 99])).toThrow(/pairIndices contains 99; allowed: integers in \[0, 6\]/);
    expect(isNoChart(mergerCurvesChart(report3, []))).toBe(true);
  });
});

describe('renderReportHtml', () => {
  it.each([
    { name: 'K = 3', report: report3 },
    { name: 'K = 1', report: report1 },
  ])('$name: one <svg per drawn chart, a sentence for the others, everything escaped', async ({ report }) => {
    const html = await renderReportHtml(report);
    const drawn = REPORT_CHARTS.filter((c) => !isNoChart(c.build(report))).length;
    expect(html.split('<svg').length - 1).toBe(drawn);
    expect(html.split('class="nochart"').length - 1).toBe(REPORT_CHARTS.length - drawn);
    expect(html).not.toMatch(/<script|<link|src="http|href="http/);
    expect(html).not.toContain(`<${report.data.classNames.length}> & co`);
    expect(html).toContain(`synthetic &lt;${report.data.classNames.length}&gt; &amp; co`);
    expect(html).toContain('eigh_&lt;jacobi&gt;');
  });

  it('escapes the class name with <&> in the text and in the SVG', async () => {
    const html = await renderReportHtml(report3);
    expect(html).not.toContain('b<&>c');
    expect(html).toContain('b&lt;&amp;&gt;c');
    const svgs = html.match(/<svg[\s\S]*?<\/svg>/g)!;
    expect(svgs.some((s) => s.includes('b&lt;&amp;&gt;c'))).toBe(true);
    expect(html).toContain('<tr><td>b&lt;&amp;&gt;c</td><td>110</td><td>none</td><td>—</td></tr>');
  });
});

describe('writeReportFiles', () => {
  it('writes report.json equal to the input and report.html, no temp files left', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'fluctus-report-')), 'nested', 'out');
    tmpDirs.push(join(dir, '..', '..'));
    const paths = await writeReportFiles(dir, report3);
    expect(readdirSync(dir).sort()).toEqual(['report.html', 'report.json']);
    expect(paths).toEqual({ json: join(dir, 'report.json'), html: join(dir, 'report.html') });
    expect(JSON.parse(readFileSync(paths.json, 'utf8'))).toEqual(report3);
    expect(readFileSync(paths.html, 'utf8').startsWith('<!DOCTYPE html>')).toBe(true);
    await writeReportFiles(dir, report1); // overwrites in place
    expect(readdirSync(dir).sort()).toEqual(['report.html', 'report.json']);
    expect(JSON.parse(readFileSync(paths.json, 'utf8'))).toEqual(report1);
  });

  it('refuses non-finite numbers, naming where they are, and leaves nothing behind', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluctus-json-'));
    tmpDirs.push(dir);
    expect(() => writeJsonAtomic(join(dir, 'x.json'), { a: [1, { b: NaN }] })).toThrow('value.a[1].b is NaN');
    expect(readdirSync(dir)).toEqual([]);
  });
});
