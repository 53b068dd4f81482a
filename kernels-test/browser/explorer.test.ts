// The explorer page (src/web/explorer, built by npm run build:web) in headless Chromium on SwiftShader:
// it loads without console errors, runs the merger analysis of a small built-in Gaussian mixture set
// through its form, and the merger steps and the checksum of the curves it draws equal what
// analyzeMergers gives in Node (Dawn on lavapipe) for the same options; a screenshot goes to
// test-output/explorer.png. With WebGPU off, the page says what the browser needs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { requestContext, destroyContext } from '../../src/runtime/context.js';
import { analyzeMergers } from '../../src/analysis/analyze.js';
import { mergerCurvesChart } from '../../src/report/charts.js';
import {
  EXPLORER_DEFAULTS,
  analyzeOptionsOf,
  builtinData,
  type ExplorerOptions,
} from '../../src/web/explorer/options.js';
import { explorerSummary, type ExplorerSummary } from '../../src/web/explorer/summary.js';
import type { ExplorerState } from '../../src/web/explorer/main.js';
import { browserMissing, launchChromium } from './chromium.js';
import { serveStatic } from './serve.js';

const dist = fileURLToPath(new URL('../../dist/web/', import.meta.url));
const outDir = fileURLToPath(new URL('../../test-output/', import.meta.url));
const missing =
  browserMissing() ??
  (existsSync(`${dist}/explorer/index.html`) ? null : 'dist/web/explorer is not built: run npm run build:web');
if (missing && process.env.FLUCTUS_REQUIRE_GPU === '1')
  throw new Error(`FLUCTUS_REQUIRE_GPU=1 but the browser suite cannot run: ${missing}`);
if (missing) console.warn(`[browser tests skipped] ${missing}`);

// The page defaults with 3 classes (3 x 8192 rows, D = 8: every pair merges within T under crn) and
// 10 sampler steps for the trajectories, so the run takes about 10 s on SwiftShader.
const OPTIONS: ExplorerOptions = {
  ...EXPLORER_DEFAULTS,
  gmm: { ...EXPLORER_DEFAULTS.gmm, classes: 3 },
  trajectories: { ...EXPLORER_DEFAULTS.trajectories, samplerSteps: 10 },
};
const FORM: Record<string, string> = { 'gmm-classes': '3', 'traj-steps': '10' };

type Result = NonNullable<ExplorerState['result']>;

async function runPage(tab: Page, url: string): Promise<Result> {
  await tab.goto(url);
  await tab.waitForFunction(() => window.__fluctus?.state !== 'starting', null, { timeout: 30_000 });
  const ready = await tab.evaluate(() => window.__fluctus);
  if (ready.state !== 'ready') throw new Error(`page not ready: ${ready.state}: ${ready.error}`);
  for (const [id, v] of Object.entries(FORM)) await tab.fill(`#${id}`, v);
  await tab.click('#run');
  await tab.waitForFunction(() => ['done', 'error'].includes(window.__fluctus.state), null, {
    timeout: 90_000,
    polling: 250,
  });
  const s = await tab.evaluate(() => window.__fluctus);
  if (s.state !== 'done' || !s.result) throw new Error(`page run failed: ${s.error}`);
  return s.result;
}

(missing ? describe.skip : describe)('browser: explorer page in headless Chromium', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveStatic>>;
  let tab: Page;
  const errors: string[] = [];
  let page: Result;
  let node: ExplorerSummary;

  beforeAll(async () => {
    server = await serveStatic(dist);
    browser = await launchChromium();
    tab = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    tab.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    tab.on('pageerror', (e) => errors.push(`uncaught: ${e.message}`));
    page = await runPage(tab, `${server.url}/explorer/`);
    mkdirSync(outDir, { recursive: true });
    await tab.screenshot({ path: `${outDir}/explorer.png`, fullPage: true });
    const ctx = await requestContext();
    try {
      const data = builtinData(OPTIONS);
      const { report } = await analyzeMergers(ctx, data, analyzeOptionsOf(OPTIONS, data));
      node = explorerSummary(report, mergerCurvesChart(report));
    } finally {
      destroyContext(ctx);
    }
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
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

  it('merger steps equal Node', () => {
    // Steps are integers decided by d(i) <= eps; the d values differ between the two adapters only by
    // f32 summation order (below), far inside the step-to-step change of d, so the steps are equal.
    expect(page.pairs).toEqual(node.pairs);
    expect(page.pairs.every((p) => p.mergerStep !== null)).toBe(true);
    expect(page.dataNoiseMerger).toBe(node.dataNoiseMerger);
    expect(page.classMergerMatrix).toEqual(node.classMergerMatrix);
    expect(page.normalityStep).toBe(node.normalityStep);
    expect(page.speciationStep).toBe(node.speciationStep);
    expect(page.curves.markers).toEqual(node.curves.markers);
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
    // (SwiftShader and lavapipe were measured equal to the last bit; the bounds are for other adapters.)
    const rho = 1e-5;
    expect(Math.abs(c.sumM - n.sumM)).toBeLessThanOrEqual(4 * rho * Math.abs(n.sumM));
    expect(Math.abs(c.sumMStep - n.sumMStep)).toBeLessThanOrEqual(4 * rho * Math.abs(n.sumMStep));
    expect(Math.abs(c.sumD - n.sumD)).toBeLessThanOrEqual(n.dRows * 2 * page.data.dim * rho * 400 * node.eps);
    expect(Math.abs(page.eps - node.eps)).toBeLessThanOrEqual(rho * node.eps);
    console.log(
      `curve checksum page - node: sumM ${c.sumM - n.sumM}, sumMStep ${c.sumMStep - n.sumMStep}, sumD ${c.sumD - n.sumD}, sum ln d ${c.sumLogD - n.sumLogD} (sumM ${n.sumM.toFixed(3)}, sumD ${n.sumD.toFixed(3)})`,
    );
  });

  it('draws every chart, the spectrum slider, the trajectories and the adapter', async () => {
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
    expect(page.trajectories).toMatchObject({
      n: OPTIONS.trajectories.count,
      view: 'pca-scatter',
      lateStep: page.dataNoiseMerger,
    });
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
  });

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
