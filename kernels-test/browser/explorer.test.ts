// The explorer page (src/web/explorer, built by npm run build:web) in headless Chromium on SwiftShader:
// it loads without console errors and runs the merger analysis of a small built-in Gaussian mixture
// through its form (exact, compared with crn); the merger steps and the checksum of the curves it draws
// equal what analyzeMergers gives in Node (Dawn) for the same options. Each phase shows its own
// progress; the report.json it exports equals the one the page's "same analysis headless" command
// writes when run (fluctus analyze on the .npy files the page exports), ignoring times, profile and
// provenance; the URL it writes reproduces the run in a new tab; cancel stops a run and the next run
// works; the data and labels files are picked separately (a wrong pick shows an error that the next
// accepted file clears) and that run's report.json and late-start.json equal the CLI's on the same
// files, as do a CSV run's and a run on a zip of PNG class folders. Screenshots
// at 1400 and 390 px wide go to test-output/ (docs/img/explorer-1400.png and explorer-390.png are copies). With WebGPU off,
// the page says what the browser needs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { parse as parseCsv } from 'csv-parse/sync';
import { requestContext, destroyContext } from '../../src/runtime/context.js';
import { analyzeMergers } from '../../src/analysis/analyze.js';
import { mergerCurvesChart } from '../../src/report/charts.js';
import { gaussianMixture } from '../../src/data/gmm.js';
import { parseNpy } from '../../src/data/parse.js';
import type { MergerReport } from '../../src/formats/report-types.js';
import {
  EXPLORER_DEFAULTS,
  analyzeOptionsOf,
  builtinData,
  type ExplorerOptions,
} from '../../src/web/explorer/options.js';
import { explorerSummary, type ExplorerSummary } from '../../src/web/explorer/summary.js';
import type { ExplorerState } from '../../src/web/explorer/main.js';
import { npyBytes, pngBytes, write, zipBytes } from '../data-files.js';
import { proceduralImages } from '../../src/data/shapes.js';
import { browserMissing, launchChromium } from './chromium.js';
import { serveStatic } from './serve.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const dist = join(root, 'dist/web/');
const outDir = join(root, 'test-output/');
const missing =
  browserMissing() ??
  (existsSync(`${dist}/explorer/index.html`) ? null : 'dist/web/explorer is not built: run npm run build:web');
if (missing && process.env.FLUCTUS_REQUIRE_GPU === '1')
  throw new Error(`FLUCTUS_REQUIRE_GPU=1 but the browser suite cannot run: ${missing}`);
if (missing) console.warn(`[browser tests skipped] ${missing}`);

// The page defaults with 3 classes (3 x 8192 rows, D = 8) and 10 sampler steps for the trajectories:
// exact, then crn for the comparison, in about 10 s on SwiftShader.
const OPTIONS: ExplorerOptions = {
  ...EXPLORER_DEFAULTS,
  gmm: { ...EXPLORER_DEFAULTS.gmm, classes: 3 },
  trajectories: { ...EXPLORER_DEFAULTS.trajectories, samplerSteps: 10 },
};
const FORM: Record<string, string> = { 'gmm-classes': '3', 'traj-steps': '10' };

type Result = NonNullable<ExplorerState['result']>;
const sh = promisify(execFile);

async function ready(tab: Page, url: string): Promise<void> {
  await tab.goto(url);
  await tab.waitForFunction(() => window.__fluctus?.state !== 'starting', null, { timeout: 30_000 });
  const s = await tab.evaluate(() => window.__fluctus);
  if (s.state !== 'ready' && s.state !== 'running') throw new Error(`page not ready: ${s.state}: ${s.error}`);
}

async function finished(tab: Page): Promise<Result> {
  await tab.waitForFunction(() => ['done', 'error', 'cancelled'].includes(window.__fluctus.state), null, {
    timeout: 120_000,
    polling: 250,
  });
  const s = await tab.evaluate(() => window.__fluctus);
  if (s.state !== 'done' || !s.result) throw new Error(`page run ended ${s.state}: ${s.error}`);
  return s.result;
}

/** The text behind a download link of the page (a blob: URL). */
const linkText = (tab: Page, id: string) =>
  tab.evaluate(async (sel) => {
    const a = document.querySelector<HTMLAnchorElement>(sel);
    if (!a) throw new Error(`${sel} is missing`);
    return { name: a.download, text: await (await fetch(a.href)).text() };
  }, `#${id}`);

/** The bytes behind a download link, base64 over the page boundary. */
async function linkBytes(tab: Page, id: string): Promise<{ name: string; bytes: Buffer }> {
  const r = await tab.evaluate(async (sel) => {
    const a = document.querySelector<HTMLAnchorElement>(sel)!;
    const b = new Uint8Array(await (await fetch(a.href)).arrayBuffer());
    let s = '';
    for (const v of b) s += String.fromCharCode(v);
    return { name: a.download, b64: btoa(s) };
  }, `#${id}`);
  return { name: r.name, bytes: Buffer.from(r.b64, 'base64') };
}

/** Runs the page's command line (fluctus analyze ...) in `dir` through bin/fluctus.js; returns its report.json. */
async function runCommand(command: string, dir: string): Promise<MergerReport> {
  expect(command).toMatch(/^fluctus analyze /);
  // The test's commands hold no quoted words, so splitting on spaces is exact.
  expect(command).not.toMatch(/['"]/);
  const args = command.split(' ').slice(1);
  await sh(process.execPath, [join(root, 'bin/fluctus.js'), ...args, '--out', 'cli-report'], {
    cwd: dir,
    timeout: 120_000,
    env: { ...process.env, FORCE_COLOR: '0' },
  });
  return JSON.parse(readFileSync(join(dir, 'cli-report/report.json'), 'utf8')) as MergerReport;
}

/**
 * Paths where two reports differ beyond float32 accumulation error. Both sides build C(i) from the same
 * rows and the same Philox noise; only the GPU's f32 sums may differ by adapter (SwiftShader here,
 * Dawn's adapter in Node; measured equal to the last bit so far). As in the curve check below: relative
 * 4e-5 for M-like values, and absolute 2 D rho lambda_max (rho = 1e-5) for eigenvalues and d. Strings,
 * integers (steps, counts) and nulls must be identical.
 */
function reportDiffs(a: unknown, b: unknown, atol: number, path = 'report', out: string[] = []): string[] {
  if (typeof a === 'number' && typeof b === 'number') {
    const same = Number.isInteger(a) && Number.isInteger(b) ? a === b : Math.abs(a - b) <= atol + 4e-5 * Math.abs(b);
    if (!same) out.push(`${path}: ${a} vs ${b}`);
  } else if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length !== b.length) out.push(`${path}: length ${a.length} vs ${b.length}`);
    else a.forEach((v, i) => reportDiffs(v, b[i], atol, `${path}[${i}]`, out));
  } else if (a && b && typeof a === 'object' && typeof b === 'object') {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    for (const k of keys)
      reportDiffs((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], atol, `${path}.${k}`, out);
  } else if (a !== b) out.push(`${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`);
  return out;
}

/** The report without what legitimately differs between two runs: times, the profile, the version and date. */
function comparable(r: MergerReport, extra: (keyof MergerReport['data'])[] = []): unknown {
  const { timings: _t, profile: _p, createdAt: _c, fluctus: _f, ...rest } = r;
  const data = { ...r.data };
  for (const k of extra) delete data[k];
  return { ...rest, data };
}

(missing ? describe.skip : describe)('browser: explorer page in headless Chromium', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveStatic>>;
  let tab: Page;
  let work: string;
  const errors: string[] = [];
  let page: Result;
  let node: ExplorerSummary;
  let nodeCrn: MergerReport;
  const watch = (t: Page) => {
    t.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    t.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
  };

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'explorer-browser-'));
    server = await serveStatic(dist);
    browser = await launchChromium();
    tab = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    watch(tab);
    await ready(tab, `${server.url}/explorer/`);
    for (const [id, v] of Object.entries(FORM)) await tab.fill(`#${id}`, v);
    await tab.click('#run');
    page = await finished(tab);
    const ctx = await requestContext();
    try {
      const data = builtinData(OPTIONS);
      const { report } = await analyzeMergers(ctx, data, analyzeOptionsOf(OPTIONS, data));
      node = explorerSummary(report, mergerCurvesChart(report));
      nodeCrn = (await analyzeMergers(ctx, data, { ...analyzeOptionsOf(OPTIONS, data), method: 'crn' })).report;
    } finally {
      destroyContext(ctx);
    }
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('loads and runs with no console errors', () => {
    expect(errors).toEqual([]);
    console.log(
      `explorer: ${page.data.n} x ${page.data.dim} in ${(page.ms / 1e3).toFixed(1)} s; phases (ms) ${JSON.stringify(page.timings, (_, v) => (typeof v === 'number' ? Math.round(v) : v))}`,
    );
  });

  it('ran with the options of the test', () => {
    expect(page.options).toEqual(OPTIONS);
    expect(page.data).toMatchObject({ name: 'gmm', n: 3 * 8192, dim: 8, classes: 3 });
  });

  it('merger steps equal Node, for the method of the run and for the crn comparison', async () => {
    // Steps are integers decided by d(i) <= eps; the d values differ between the two adapters only by
    // f32 summation order (below), far inside the step-to-step change of d, so the steps are equal.
    expect(page.pairs).toEqual(node.pairs);
    expect(page.pairs.every((p) => p.mergerStep !== null)).toBe(true);
    expect(page.dataNoiseMerger).toBe(node.dataNoiseMerger);
    expect(page.classMergerMatrix).toEqual(node.classMergerMatrix);
    expect(page.normalityStep).toBe(node.normalityStep);
    expect(page.speciationStep).toBe(node.speciationStep);
    expect(page.curves.markers).toEqual(node.curves.markers);
    expect(page.comparison?.method).toBe('crn');
    expect(page.comparison?.steps).toEqual(nodeCrn.pairs.map((p) => p.mergerStep));
    // The table under the headline, and the headline line when the methods disagree.
    expect(await tab.locator('#compare-table tbody tr').count()).toBe(page.pairs.length);
    if (page.comparison!.disagreements > 0)
      expect(await tab.textContent('#compare-line')).toMatch(/exact and crn disagree by more than 5 % of T/);
  });

  it('the displayed curves match Node to f32 accumulation error', () => {
    const c = page.curves;
    const n = node.curves;
    expect([c.mRows, c.dRows, c.pairs]).toEqual([n.mRows, n.dRows, n.pairs]);
    // Both sides build C(i) from the same inputs and the same Philox noise (bit-identical, see
    // noise.test.ts); only the GPU moment accumulation may differ (f32 over N = 24,576 rows in an
    // adapter-dependent order): a relative error of about rho = sqrt(N) 2^-24 = 1e-5 per covariance
    // entry. M(i) = |<C1, C2>| / (|C1| |C2|) moves by at most ~4 rho relative (numerator 2 rho, each norm
    // rho), so the sums of the M rows by <= 4e-5 relative. d(i) = max_j |lambda_j(C1) - lambda_j(C2)|:
    // by Weyl each eigenvalue moves by <= |dC|_2 <= |dC|_F <= D rho max|C| <= D rho lambda_max(C(0)),
    // so each d row by <= 2 D rho lambda_max, with lambda_max = 400 eps (default eps ratio).
    const rho = 1e-5;
    expect(Math.abs(c.sumM - n.sumM)).toBeLessThanOrEqual(4 * rho * Math.abs(n.sumM));
    expect(Math.abs(c.sumMStep - n.sumMStep)).toBeLessThanOrEqual(4 * rho * Math.abs(n.sumMStep));
    expect(Math.abs(c.sumD - n.sumD)).toBeLessThanOrEqual(n.dRows * 2 * page.data.dim * rho * 400 * node.eps);
    expect(Math.abs(page.eps - node.eps)).toBeLessThanOrEqual(rho * node.eps);
  });

  it('every phase has its own progress, and a finished run leaves every bar full', async () => {
    const phases = (await tab.evaluate(() => window.__fluctus.phases))!;
    const names = phases.map((p) => p.name);
    for (const n of ['data', 'moments', 'normality', 'charts', 'crn: moments', 'crn: normality'])
      expect(names, n).toContain(n);
    expect(phases.every((p) => p.state === 'done' && p.done === p.total)).toBe(true);
    const bars = await tab.$$eval('#phases progress', (ps) =>
      ps.map((p) => [(p as HTMLProgressElement).value, (p as HTMLProgressElement).max]),
    );
    expect(bars).toHaveLength(phases.length);
    expect(bars.every(([v, m]) => v === m && m! >= 1)).toBe(true);
    // Folded into one line once done.
    expect(await tab.getAttribute('#progress-box', 'open')).toBeNull();
    expect(await tab.textContent('#progress-summary')).toMatch(
      new RegExp(`^run: done, ${phases.length} phases in \\d+\\.\\d s$`),
    );
  });

  it('the URL holds the run, and opening it in a new tab reproduces it', async () => {
    const url = new URL(tab.url());
    expect(url.search).toBe('?gmm-classes=3&traj-steps=10&run');
    const t2 = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    watch(t2);
    try {
      await t2.goto(url.href);
      const again = await finished(t2);
      expect(again.options).toEqual(page.options);
      expect(again.pairs).toEqual(page.pairs);
      expect(again.curves).toEqual(page.curves);
      expect(again.command).toBe(page.command);
    } finally {
      await t2.close();
    }
  }, 120_000);

  it('exports report.json, curves.csv and the data; the headless command writes the same report.json', async () => {
    // The page's mixture has D = 8 (the CLI's built-in gmm has D = 32), so the command reads the
    // page's data from the two .npy files the page offers.
    expect(page.command).toBe(
      'fluctus analyze --data gmm.npy --labels gmm-labels.npy --schedule linear --steps 1000 --method exact --centring own --linkage average --alpha 0.05 --seed 0',
    );
    const dir = join(work, 'builtin');
    mkdirSync(dir);
    for (const id of ['export-data', 'export-labels']) {
      const f = await linkBytes(tab, id);
      writeFileSync(join(dir, f.name), f.bytes);
    }
    const x = parseNpy(readFileSync(join(dir, 'gmm.npy')), 'gmm.npy');
    expect(x.shape).toEqual([3 * 8192, 8]);
    expect(Float32Array.from(x.data as Float32Array)).toEqual(builtinData(OPTIONS).x);
    const json = await linkText(tab, 'export-report');
    expect(json.name).toBe('report.json');
    const mine = JSON.parse(json.text) as MergerReport;
    const cli = await runCommand(page.command, dir);
    // Provenance differs: the page generated the mixture ("built-in Gaussian mixture", "as generated"),
    // the CLI read it from the files ("gmm.npy (labels gmm-labels.npy)", "as stored").
    expect(mine.data.source).toBe('built-in Gaussian mixture (seed 0)');
    expect(cli.data.source).toBe('gmm.npy (labels gmm-labels.npy)');
    const atol = 2 * 8 * 1e-5 * 400 * mine.eps.value;
    expect(reportDiffs(comparable(mine, ['source', 'scale']), comparable(cli, ['source', 'scale']), atol)).toEqual([]);
    const csv = await linkText(tab, 'export-curves');
    const rows = parseCsv(csv.text, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(1001);
    expect(Object.keys(rows[0]!).slice(0, 5)).toEqual([
      'step',
      'abar',
      'M all data vs noise N(0, I)',
      'M~ all data vs noise N(0, I)',
      'd all data vs noise N(0, I)',
    ]);
    expect(Number(rows[mine.dataNoise.mergerStep!]!['M~ all data vs noise N(0, I)'])).toBe(1);
  }, 180_000);

  it('exports each chart as SVG and PNG, and report.html', async () => {
    for (const [id, magic] of [
      ['export-merger-curves-svg', '<svg'],
      ['export-normality-png', '\x89PNG'],
    ] as const) {
      const [dl] = await Promise.all([tab.waitForEvent('download'), tab.click(`#${id}`)]);
      const path = await dl.path();
      const head = readFileSync(path).subarray(0, 4).toString('latin1');
      expect(head, id).toBe(magic);
      expect(dl.suggestedFilename()).toBe(id.replace('export-', '').replace(/-(svg|png)$/, '.$1'));
    }
    expect(await tab.locator('#export-charts button').count()).toBe(2 * 7);
    const [dl] = await Promise.all([tab.waitForEvent('download'), tab.click('#export-report-html')]);
    expect(dl.suggestedFilename()).toBe('report.html');
    const html = readFileSync(await dl.path(), 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    for (const id of ['steps', 'merger-curves', 'spectra', 'merger-matrix', 'dendrogram', 'normality'])
      expect(html, id).toMatch(new RegExp(`<figure id="${id}"><h3>[^<]*</h3>\\n<svg`));
    expect(html).toContain(`Data–noise merger: step <b>${page.dataNoiseMerger}</b>`);
  });

  it('draws every chart, the spectrum slider and the adapter; trajectories on request', async () => {
    for (const id of [
      'chart-curves',
      'chart-steps',
      'chart-spectra',
      'chart-spectrum-step',
      'chart-matrix',
      'chart-dendrogram',
      'chart-normality',
    ]) {
      expect(await tab.locator(`#${id} svg`).count(), id).toBeGreaterThan(0);
    }
    expect(Number(await tab.getAttribute('#spectrum-slider', 'max'))).toBeGreaterThan(1);
    // Pair picker: a pair keeps its colour when others are ticked; with none ticked nothing is drawn.
    const legend = () =>
      tab.evaluate(() => {
        const syms = Array.from(document.querySelectorAll('#chart-curves .role-legend-symbol path'));
        const labels = Array.from(document.querySelectorAll('#chart-curves .role-legend-label text'));
        return Object.fromEntries(labels.map((t, i) => [t.textContent, syms[i]?.getAttribute('stroke')]));
      });
    const before = await legend();
    const ticked = await tab.$$eval('#pair-picker input:checked', (bs) =>
      bs.map((b) => (b as HTMLInputElement).dataset.pair),
    );
    await tab.check('#pair-picker input[data-pair="1"]');
    await tab.waitForFunction(() => document.querySelectorAll('#chart-curves .role-legend-label text').length > 6);
    const after = await legend();
    expect(Object.keys(after)).toContain('0 vs 1');
    for (const [label, colour] of Object.entries(before))
      if (label !== 'M(i)' && !label.startsWith('M~')) expect(after[label], label).toBe(colour);
    expect(
      new Set(
        Object.entries(after)
          .filter(([l]) => !l.startsWith('M'))
          .map(([, c]) => c),
      ).size,
    ).toBe(Object.keys(after).length - 2);
    for (const b of await tab.$$('#pair-picker input:checked')) await b.uncheck();
    await tab.waitForFunction(() => !document.querySelector('#chart-curves svg'));
    expect(await tab.textContent('#chart-curves')).toMatch(/No pair is ticked/);
    for (const i of ticked) await tab.check(`#pair-picker input[data-pair="${i}"]`);
    expect(await legend()).toEqual(before);
    expect(page.trajectories).toBeNull();
    expect(await tab.locator('#trajectories canvas').count()).toBe(0);
    await tab.click('#traj-run');
    await tab.waitForFunction(() => window.__fluctus.state !== 'running' && window.__fluctus.result?.trajectories);
    const s = await tab.evaluate(() => window.__fluctus);
    expect(s.state).toBe('done');
    expect(s.result!.trajectories).toMatchObject({
      n: OPTIONS.trajectories.count,
      view: 'pca-scatter',
      lateStep: page.dataNoiseMerger,
    });
    expect(s.phases!.at(-1)).toMatchObject({ name: 'trajectories', state: 'done' });
    expect(await tab.locator('#trajectories canvas').count()).toBe(2);
    expect(await tab.textContent('#gpu')).toMatch(/software fallback/);
    const profile = (await tab.locator('#profile-table').count()) + (await tab.locator('#no-timestamps').count());
    expect(profile).toBe(1);
    // The run's GPU timeline for download: Chrome Trace Event JSON with dispatches and host phases.
    const trace = await tab.evaluate(async () => {
      const a = document.querySelector<HTMLAnchorElement>('#trace-download')!;
      const t = (await (await fetch(a.href)).json()) as { traceEvents: { cat: string; name: string }[] };
      return {
        file: a.download,
        dispatches: t.traceEvents.filter((e) => e.cat === 'dispatch').length,
        host: t.traceEvents.filter((e) => e.cat === 'host').map((e) => e.name),
      };
    });
    expect(trace.file).toBe('fluctus-trace.json');
    expect(trace.dispatches).toBeGreaterThan(10);
    expect(trace.host).toContain('moments');
  }, 60_000);

  it('screenshots at 1400 and 390 px; nothing scrolls sideways at 390 px', async () => {
    mkdirSync(outDir, { recursive: true });
    await tab.evaluate(() => {
      window.scrollTo(0, 0);
      document.getElementById('side')!.scrollTop = 0;
    });
    await tab.screenshot({ path: join(outDir, 'explorer-1400.png') });
    await tab.screenshot({ path: join(outDir, 'explorer-1400-full.png'), fullPage: true });
    // Results begin above the fold at 1400 x 1000.
    const top = await tab.evaluate(() => document.getElementById('headline-h')!.getBoundingClientRect().top);
    expect(top).toBeLessThan(1000);
    await tab.setViewportSize({ width: 390, height: 844 });
    await tab.waitForTimeout(200);
    expect(await tab.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(390);
    await tab.screenshot({ path: join(outDir, 'explorer-390-full.png'), fullPage: true });
    await tab.evaluate(() => document.getElementById('headline-h')!.scrollIntoView());
    await tab.screenshot({ path: join(outDir, 'explorer-390.png') });
    await tab.setViewportSize({ width: 1400, height: 1000 });
  });

  it('cancel stops a run at the next GPU step, and the next run works (nothing merges: no T + 1 as a step)', async () => {
    const t = await browser.newPage();
    watch(t);
    try {
      // crn over 3 x 8192 rows: its moments phase alone takes seconds on SwiftShader.
      await ready(t, `${server.url}/explorer/?gmm-classes=3&method=crn&compare=`);
      await t.click('#run');
      await t.waitForFunction(() => window.__fluctus.phase === 'moments', null, { timeout: 30_000 });
      const t0 = Date.now();
      await t.click('#cancel');
      await t.waitForFunction(() => window.__fluctus.state !== 'running', null, { timeout: 60_000 });
      const s = await t.evaluate(() => window.__fluctus);
      console.log(`cancel took effect after ${Date.now() - t0} ms, in phase ${s.phases!.at(-1)!.name}`);
      expect(s.state).toBe('cancelled');
      expect(s.result).toBeUndefined();
      expect(s.phases!.at(-1)!.state).toBe('stopped');
      expect(await t.textContent('#status')).toMatch(/run cancelled after/);
      expect(await t.isDisabled('#cancel')).toBe(true);
      // The next run: smaller, and with an eps so small that nothing merges within T.
      await t.fill('#gmm-per-class', '512');
      await t.fill('#eps', '1e-9');
      await t.click('#run');
      const r = await finished(t);
      expect(r.data.n).toBe(3 * 512);
      expect(r.pairs.every((p) => p.mergerStep === null)).toBe(true);
      // A dendrogram height of T + 1 is no merger, not a step; the matrix has no colour legend to show.
      expect(await t.textContent('#headline')).toMatch(/first class merges: 0 \+ 1: no merger within T = 1000/);
      expect(await t.textContent('#chart-matrix')).toMatch(/No pair of classes merges within the schedule/);
      expect(await t.locator('#chart-matrix .role-legend').count()).toBe(0);
      // crn with an eps under its finite-sample floor: the headline flags every pair as floor-dominated.
      expect(await t.textContent('#headline li.fragile')).toMatch(
        /⚠ 7 of 7 merger steps are fragile: all data vs noise N\(0, I\) never merges \(floor-dominated: d\(T\) = [0-9.e+]+ eps\)/,
      );
    } finally {
      await t.close();
    }
  }, 120_000);

  it('data and labels files picked separately (a wrong pick named, then cleared), a CSV, a zip of PNG folders; report.json and late-start.json equal the CLI', async () => {
    const dir = join(work, 'files');
    mkdirSync(dir);
    const mix = gaussianMixture({ classes: 3, dim: 6, perClass: 700, seed: 5 });
    // Labels 10, 11, 12 (remapped to classes 0..2, named by their values on both sides).
    writeFileSync(join(dir, 'mix.npy'), npyBytes(mix.x, [mix.shape[0], 6]));
    writeFileSync(
      join(dir, 'mix-labels.npy'),
      npyBytes(
        Int32Array.from(mix.labels, (l) => l + 10),
        [mix.shape[0]],
      ),
    );
    const t = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    watch(t);
    try {
      await ready(t, `${server.url}/explorer/?method=crn&compare=`);
      await t.setInputFiles('#labels-file', join(dir, 'mix.npy'));
      await t.waitForFunction(() => window.__fluctus.files?.error);
      expect(await t.textContent('#file-error')).toMatch(/mix.npy: shape \(2100, 6\) is not a labels array/);
      expect(await t.isChecked('input[name="data"][value="file"]')).toBe(true);
      await t.setInputFiles('#data-file', join(dir, 'mix.npy'));
      await t.waitForFunction(() => window.__fluctus.files?.data === 'mix.npy');
      expect(await t.evaluate(() => window.__fluctus.files)).toEqual({ data: 'mix.npy', labels: null, error: null });
      expect(await t.isHidden('#file-error')).toBe(true);
      await t.setInputFiles('#labels-file', join(dir, 'mix-labels.npy'));
      await t.waitForFunction(() => window.__fluctus.files?.labels === 'mix-labels.npy');
      expect(await t.textContent('#file-status')).toMatch(/Ready: 2100 × 6, 3 classes, values as stored/);
      await t.fill('#late-start-steps', '300');
      await t.click('#run');
      const r = await finished(t);
      expect(r.data).toMatchObject({ name: 'mix', n: 2100, dim: 6, classes: 3 });
      expect(r.command).toBe(
        'fluctus analyze --data mix.npy --labels mix-labels.npy --schedule linear --steps 1000 --method crn --centring own --linkage average --late-start 300 --late-rank 16 --alpha 0.05 --seed 0',
      );
      // Files cannot travel in a URL: it keeps the options and does not ask to run.
      expect(new URL(t.url()).search).toBe('?data=file&method=crn&late-start-steps=300&compare=');
      const mine = JSON.parse((await linkText(t, 'export-report')).text) as MergerReport;
      const cli = await runCommand(r.command, dir);
      expect(mine.data.source).toBe('mix.npy (labels mix-labels.npy)');
      expect(mine.data.classNames).toEqual(['10', '11', '12']);
      const atol = 2 * 6 * 1e-5 * 400 * mine.eps.value;
      expect(reportDiffs(comparable(mine), comparable(cli), atol)).toEqual([]);
      // late-start.json, as --late-start 300 --late-rank 16 writes it.
      const late = JSON.parse((await linkText(t, 'export-late-start')).text);
      const cliLate = JSON.parse(readFileSync(join(dir, 'cli-report/late-start.json'), 'utf8'));
      expect(late.steps.map((x: { step: number }) => x.step)).toEqual([300]);
      expect(reportDiffs(late, cliLate, atol, 'late-start')).toEqual([]);

      // A CSV holds its labels: the labels file chosen before is not used, and the command has no --labels.
      const csv = gaussianMixture({ classes: 3, dim: 4, perClass: 200, seed: 9 });
      const lines = ['x0,x1,x2,x3,label'];
      for (let i = 0; i < csv.shape[0]; i++)
        lines.push(
          [...csv.x.subarray(4 * i, 4 * i + 4)]
            .map((v) => String(v))
            .concat(String(csv.labels[i]))
            .join(','),
        );
      writeFileSync(join(dir, 'tab.csv'), `${lines.join('\n')}\n`);
      await t.fill('#late-start-steps', '');
      // A first line mixing names and numbers: the shared parser's message names the page's field, not --csv-header.
      writeFileSync(join(dir, 'mixed.csv'), 'x0,1.5,label\n0.5,2,1\n');
      await t.setInputFiles('#data-file', join(dir, 'mixed.csv'));
      await t.waitForFunction(() => window.__fluctus.files?.error);
      const mixed = (await t.textContent('#file-error'))!;
      expect(mixed).toMatch(/mixed.csv: line 1 mixes text .* pass “CSV first line” yes to read it as a header/);
      expect(mixed).not.toMatch(/--csv-header/);
      await t.setInputFiles('#data-file', join(dir, 'tab.csv'));
      await t.waitForFunction(() => window.__fluctus.files?.data === 'tab.csv');
      expect(await t.isHidden('#file-error')).toBe(true);
      expect(await t.textContent('#labels-file-status')).toMatch(
        /not needed: the CSV holds its labels.*mix-labels.npy is not used/,
      );
      expect(await t.textContent('#file-status')).toMatch(/Ready: 600 × 4, 3 classes/);
      await t.click('#run');
      const rc = await finished(t);
      expect(rc.command).toBe(
        'fluctus analyze --data tab.csv --schedule linear --steps 1000 --method crn --centring own --linkage average --alpha 0.05 --seed 0',
      );
      const mineCsv = JSON.parse((await linkText(t, 'export-report')).text) as MergerReport;
      const cliCsv = await runCommand(rc.command, dir);
      expect(mineCsv.data.source).toBe("tab.csv (labels: column 'label')");
      expect(reportDiffs(comparable(mineCsv), comparable(cliCsv), 2 * 4 * 1e-5 * 400 * mineCsv.eps.value)).toEqual([]);

      // A zip of PNG class folders, decoded by the browser: the same dataset as the CLI's pngjs reading
      // of the unzipped folder (8 x 8 gray images, D = 64; exact, so no finite-sample floor).
      const imgs = proceduralImages({ classes: 2, perClass: 150, seed: 4 });
      const tree: { name: string; bytes?: Uint8Array }[] = [{ name: 'shapes/' }];
      imgs.classNames.forEach((c) => tree.push({ name: `shapes/${c}/` }));
      for (let i = 0; i < imgs.shape[0]; i++) {
        const px = Array.from(imgs.x.subarray(64 * i, 64 * i + 64), (v) => Math.round((v + 1) * 127.5));
        const name = `shapes/${imgs.classNames[imgs.labels[i]!]}/${String(i).padStart(4, '0')}.png`;
        tree.push({ name, bytes: pngBytes(px, 8, 8, 1) });
      }
      for (const f of tree) if (f.bytes) write(join(dir, f.name), f.bytes);
      writeFileSync(join(dir, 'shapes.zip'), zipBytes(tree));
      await t.selectOption('#method', 'exact');
      await t.setInputFiles('#data-file', join(dir, 'shapes.zip'));
      await t.waitForFunction(() => window.__fluctus.files?.data === 'shapes.zip');
      expect(await t.textContent('#file-status')).toMatch(
        /Ready: 300 × 64 \(8×8 images\), 2 classes, values grayscale/,
      );
      await t.click('#run');
      const rz = await finished(t);
      expect(rz.command).toBe(
        'fluctus analyze --data shapes --schedule linear --steps 1000 --method exact --centring own --linkage average --alpha 0.05 --seed 0',
      );
      expect(await t.textContent('#cli-where')).toMatch(/after: unzip shapes.zip/);
      const mineZip = JSON.parse((await linkText(t, 'export-report')).text) as MergerReport;
      const cliZip = await runCommand(rz.command, dir);
      expect(mineZip.data.source).toBe('shapes (300 PNG images in 2 class folders)');
      expect(reportDiffs(comparable(mineZip), comparable(cliZip), 2 * 64 * 1e-5 * 400 * mineZip.eps.value)).toEqual([]);
    } finally {
      await t.close();
    }
  }, 180_000);

  it('no console errors in any tab', () => expect(errors).toEqual([]));

  it('with WebGPU off, says what the browser needs instead of a blank page', async () => {
    const off = await launchChromium({ webgpu: false });
    try {
      const t = await off.newPage();
      await t.goto(`${server.url}/explorer/`);
      await t.waitForFunction(() => window.__fluctus?.state === 'no-webgpu', null, { timeout: 20_000 });
      const text = (await t.textContent('#no-webgpu')) ?? '';
      expect(await t.isVisible('#no-webgpu')).toBe(true);
      expect(text).toMatch(/WebGPU is not available/);
      expect(text).toMatch(/--enable-unsafe-webgpu/);
      expect(await t.isDisabled('#run')).toBe(true);
      // A browser without navigator.gpu at all gets the same explanation.
      const t2 = await off.newPage();
      await t2.addInitScript(() => delete (Navigator.prototype as { gpu?: unknown }).gpu);
      await t2.goto(`${server.url}/explorer/`);
      await t2.waitForFunction(() => window.__fluctus?.state === 'no-webgpu', null, { timeout: 20_000 });
      expect(await t2.textContent('#no-webgpu')).toMatch(/navigator\.gpu is missing/);
    } finally {
      await off.close();
    }
  });
});
