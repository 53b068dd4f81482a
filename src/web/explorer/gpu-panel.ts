// The explorer's GPU panel: acquiring a context (or saying clearly why there is none and what the
// browser needs), the adapter summary with its software-fallback flag, and the per-kernel profile
// (src/runtime/profile.ts) when the adapter has timestamp queries.
import { requestContext, type Context } from '../../runtime/context.js';
import { profileReport } from '../../runtime/profile.js';
import { chromeTrace } from '../../runtime/trace.js';

export type GpuProbe =
  | { ok: true; ctx: Context }
  | { ok: false; reason: 'no-navigator-gpu' | 'no-adapter' | 'device-failed'; detail: string };

/** A context with profiling, or why WebGPU is unavailable. */
export async function acquireGpu(): Promise<GpuProbe> {
  if (typeof navigator === 'undefined' || !('gpu' in navigator) || !navigator.gpu) {
    return {
      ok: false,
      reason: 'no-navigator-gpu',
      detail: 'navigator.gpu is missing: this browser has no WebGPU, or it is switched off.',
    };
  }
  let adapter: GPUAdapter | null = null;
  try {
    adapter = await navigator.gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { ok: false, reason: 'no-adapter', detail: `requestAdapter() failed: ${(e as Error).message}` };
  }
  if (!adapter) {
    return {
      ok: false,
      reason: 'no-adapter',
      detail:
        'navigator.gpu exists but requestAdapter() returned no adapter: WebGPU is blocked for this GPU or driver, or disabled by a flag or policy.',
    };
  }
  try {
    return { ok: true, ctx: await requestContext({ profile: true, trace: true, label: 'fluctus explorer' }) };
  } catch (e) {
    return {
      ok: false,
      reason: 'device-failed',
      detail: `the adapter would not give a device: ${(e as Error).message}`,
    };
  }
}

export const esc = (s: string) =>
  s.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]!);

/** Fills `el` with what the browser needs for WebGPU. */
export function showNoWebGpu(el: HTMLElement, detail: string): void {
  const secure = typeof window !== 'undefined' && window.isSecureContext;
  el.hidden = false;
  el.innerHTML = `
    <h2>WebGPU is not available in this browser</h2>
    <p><strong>${esc(detail)}</strong></p>
    <p>The explorer runs the fluctus engine on the GPU through WebGPU, so it needs:</p>
    <ul>
      <li>a browser with WebGPU enabled: a recent Chrome or Edge (on by default on Windows, macOS and ChromeOS);
        on Linux start Chromium with <code>--enable-unsafe-webgpu</code> (and <code>--enable-features=Vulkan</code> for a GPU);
        Firefox or Safari where their WebGPU is switched on;</li>
      <li>WebGPU not blocked for the GPU or driver (chrome://gpu lists "WebGPU: Hardware accelerated" or a software adapter);
        without a GPU, Chromium's SwiftShader adapter works (headless: <code>--headless=new --enable-unsafe-webgpu</code>);</li>
      <li>a secure context: the page served from https:// or http://127.0.0.1 / http://localhost
        (this page is ${secure ? 'in a secure context' : '<strong>not</strong> in a secure context'}).</li>
    </ul>
    <p>Headless, without a browser: <code>npx fluctus analyze --data gmm</code> runs the same analysis in Node.</p>`;
}

/** Vendor, architecture, description, fallback flag and the features the engine uses. */
export function showAdapter(el: HTMLElement, ctx: Context): void {
  const a = ctx.adapterInfo;
  const f = ctx.features;
  const rows: [string, string][] = [
    ['vendor', a.vendor || '(not reported)'],
    ['architecture', a.architecture || '(not reported)'],
    ['description', a.description || a.device || '(not reported)'],
    ['kind', a.isFallback ? 'software fallback adapter (runs on the CPU: expect slow kernels)' : 'hardware adapter'],
    [
      'features',
      ['timestamp-query', 'shader-f16', 'subgroups']
        .filter((_, i) => [f.timestampQuery, f.shaderF16, f.subgroups][i])
        .join(', ') || 'none of timestamp-query, shader-f16, subgroups',
    ],
    ['max storage binding', `${(ctx.limits.maxStorageBufferBindingSize / 2 ** 20).toFixed(0)} MiB`],
  ];
  el.innerHTML = `<table class="kv">${rows.map(([k, v]) => `<tr><td>${k}</td><td>${esc(v)}</td></tr>`).join('')}</table>`;
  el.dataset.fallback = String(a.isFallback);
}

let traceUrl: string | null = null;

/** A link to the last run's GPU timeline as a Chrome Trace Event file (Perfetto, chrome://tracing). */
function traceLink(ctx: Context): string {
  if (!ctx.profiler?.trace || typeof URL.createObjectURL !== 'function') return '';
  if (traceUrl) URL.revokeObjectURL(traceUrl);
  const trace = chromeTrace(ctx, { source: 'fluctus explorer' });
  traceUrl = URL.createObjectURL(new Blob([JSON.stringify(trace)], { type: 'application/json' }));
  const timing = ctx.profiler.mode === 'timestamp' ? 'timestamp queries' : 'wall clock per submission';
  return `<p><a id="trace-download" href="${traceUrl}" download="fluctus-trace.json">Download the GPU timeline</a> of the last run (${trace.traceEvents.length} events, ${timing}; Chrome Trace Event JSON: open it in Perfetto or chrome://tracing).</p>`;
}

/** The per-kernel GPU times since the last reset, or a line saying timestamp queries are unavailable. */
export function showProfile(el: HTMLElement, ctx: Context): void {
  if (!ctx.features.timestampQuery || ctx.profiler?.mode !== 'timestamp') {
    el.innerHTML = `<p class="note" id="no-timestamps">Timestamp queries are unavailable on this adapter (no <code>timestamp-query</code> feature), so there is no per-kernel GPU time.</p>${traceLink(ctx)}`;
    return;
  }
  const rows = profileReport(ctx);
  if (rows.length === 0) {
    el.innerHTML = '<p class="note">No kernel ran yet.</p>';
    return;
  }
  const total = rows.reduce((s, r) => s + r.ms, 0);
  const body = rows
    .map(
      (r) =>
        `<tr><td>${esc(r.kernel)}</td><td>${r.calls}</td><td>${r.ms.toFixed(3)}</td><td>${((100 * r.ms) / total).toFixed(1)}</td><td>${r.gflops.toFixed(2)}</td><td>${r.gbps.toFixed(2)}</td></tr>`,
    )
    .join('');
  el.innerHTML = `<table class="num" id="profile-table"><thead><tr><th>kernel</th><th>calls</th><th>GPU ms</th><th>%</th><th>GFLOP/s</th><th>GB/s</th></tr></thead><tbody>${body}</tbody></table>
    <p class="note">GPU time from timestamp queries around each dispatch (analysis and trajectories of the last run); FLOP and bytes are the kernels' declared counts.</p>${traceLink(ctx)}`;
}
