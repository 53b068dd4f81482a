// The browser bundle (npm run build:web) runs the RNG and noising kernels in headless Chromium;
// its Philox words and normals must equal Node's bit for bit, its noised values to float rounding.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { requestContext, destroyContext, type Context } from '../../src/runtime/context.js';
import { philox } from '../../src/kernels/philox.js';
import { forwardNoise } from '../../src/kernels/forward_noise.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { browserCheckInputs } from '../../src/web/noise/inputs.js';
import { expectClose, expectSameBits } from '../compare.js';
import { browserMissing, launchChromium } from './chromium.js';
import { serveStatic } from './serve.js';

const dist = fileURLToPath(new URL('../../dist/web/', import.meta.url));
const missing =
  browserMissing() ?? (existsSync(`${dist}/noise/index.html`) ? null : 'dist/web is not built: run npm run build:web');
if (missing && process.env.FLUCTUS_REQUIRE_GPU === '1')
  throw new Error(`FLUCTUS_REQUIRE_GPU=1 but the browser suite cannot run: ${missing}`);
if (missing) console.warn(`[browser tests skipped] ${missing}`);

(missing ? describe.skip : describe)('browser: noising page in headless Chromium', () => {
  let browser: Browser;
  let server: Awaited<ReturnType<typeof serveStatic>>;
  let ctx: Context;
  type PageResult = { ok: true; adapter: string; words: number[]; normals: number[]; noised: number[] };
  let page: PageResult;

  beforeAll(async () => {
    server = await serveStatic(dist);
    browser = await launchChromium();
    const tab = await browser.newPage();
    const logs: string[] = [];
    tab.on('console', (m) => logs.push(m.text()));
    await tab.goto(`${server.url}/noise/`);
    await tab.waitForFunction(() => window.fluctusResult !== undefined, null, { timeout: 90_000 });
    const r = await tab.evaluate(() => window.fluctusResult!);
    if (!r.ok) throw new Error(`page failed: ${r.error}\n${logs.join('\n')}`);
    page = r;
    ctx = await requestContext();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (ctx) destroyContext(ctx);
  });

  it('runs on a WebGPU adapter', () => {
    console.log(`browser adapter: ${page.adapter}`);
    expect(page.adapter.length).toBeGreaterThan(0);
  });

  it('Philox words equal Node bit for bit', async () => {
    const inp = browserCheckInputs();
    const node = await philox(ctx, inp.counters, { key: inp.key });
    expectSameBits(Uint32Array.from(page.words), node, 'philox words');
  });

  it('normals equal Node bit for bit', async () => {
    const inp = browserCheckInputs();
    const node = await philox(ctx, inp.counters, { key: inp.key, output: 'normal' });
    expectSameBits(Float32Array.from(page.normals), node, 'normals');
  });

  it('noised values match Node to f32 rounding', async () => {
    const inp = browserCheckInputs();
    const node = await forwardNoise(ctx, inp.x0, inp.shape, {
      schedule: makeSchedule('linear'),
      steps: inp.steps,
      seed: inp.seed,
    });
    // eps is bit-identical; sqrt(abar) x0 + sqrt(1 - abar) eps may be fused into one FMA on one
    // platform and not on the other: at most one rounding of |y| <= ~10, i.e. 2^-24 * 16.
    expectClose(Float32Array.from(page.noised), node!, { atol: 1e-6, rtol: 2 ** -23, label: 'noised' });
  });
});
