// The browser demo page for the noising kernel. It publishes its results on window.fluctusResult
// so the browser test can compare them with Node's bit for bit.
import { requestContext, destroyContext } from '../../runtime/context.js';
import { philox } from '../../kernels/philox.js';
import { forwardNoise } from '../../kernels/forward_noise.js';
import { makeSchedule } from '../../schedule/schedules.js';
import { browserCheckInputs } from './inputs.js';

declare global {
  interface Window {
    fluctusResult?:
      | { ok: true; adapter: string; words: number[]; normals: number[]; noised: number[] }
      | { ok: false; error: string };
  }
}

const out = document.getElementById('out')!;

async function run() {
  const ctx = await requestContext();
  const inp = browserCheckInputs();
  const words = await philox(ctx, inp.counters, { key: inp.key });
  const normals = await philox(ctx, inp.counters, { key: inp.key, output: 'normal' });
  const noised = await forwardNoise(ctx, inp.x0, inp.shape, {
    schedule: makeSchedule('linear'),
    steps: inp.steps,
    seed: inp.seed,
  });
  const a = ctx.adapterInfo;
  const adapter = `${a.vendor} ${a.architecture} ${a.description}`.trim();
  destroyContext(ctx);
  window.fluctusResult = { ok: true, adapter, words: [...words], normals: [...normals], noised: [...noised!] };
  const head = Array.from(normals.slice(0, 8), (v) => v.toFixed(6)).join(' ');
  out.textContent =
    `adapter: ${adapter}\n` +
    `philox words[0..4]: ${[...words.slice(0, 4)].map((w) => w.toString(16).padStart(8, '0')).join(' ')}\n` +
    `normals[0..8]: ${head}\n` +
    `noised ${inp.shape[0]} x ${inp.shape[1]} at steps ${inp.steps.join(', ')}: ${noised!.length} values`;
}

run().catch((e: Error) => {
  window.fluctusResult = { ok: false, error: e.message };
  out.textContent = e.message;
  out.className = 'err';
});
