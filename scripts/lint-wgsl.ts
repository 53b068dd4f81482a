// Compiles every shader in every variant with Dawn's null backend (validation only, nothing runs)
// and fails on any error or warning, or on a shader file no kernel uses.
//   npm run lint:wgsl
import { readdirSync } from 'node:fs';
import { destroyContext, requestContext } from '../src/runtime/context.js';
import { compileModule, getPipeline, kernelParts } from '../src/runtime/pipeline.js';
import { KERNELS } from '../src/kernels/registry.js';

const ctx = await requestContext({ dawnFlags: ['backend=null'], wait: 'poll', label: 'lint-wgsl' });
console.log(`lint:wgsl: Dawn null backend ${ctx.adapterInfo.description}`.trim());
let failures = 0;
const used = new Set<string>();
for (const { spec, builds } of KERNELS) {
  kernelParts(spec).forEach((p) => used.add(p));
  for (const opts of builds) {
    const what = `${spec.name} ${JSON.stringify(opts.variant ?? {})}`;
    try {
      const { messages } = await compileModule(ctx, spec, opts.variant);
      for (const m of messages) {
        console.error(`${what}: ${m.text}`);
        failures++;
      }
      await getPipeline(ctx, spec, opts);
      if (!messages.length) console.log(`ok   ${what}`);
    } catch (e) {
      console.error(`FAIL ${what}: ${(e as Error).message}`);
      failures++;
    }
  }
}
const root = new URL('../shaders/', import.meta.url);
const files = readdirSync(root, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.wgsl'));
for (const f of files) {
  if (!used.has(f)) {
    console.error(`FAIL shaders/${f}: no registered kernel uses it (src/kernels/registry.ts)`);
    failures++;
  }
}
destroyContext(ctx);
if (failures) {
  console.error(`lint:wgsl: ${failures} problem(s)`);
  process.exit(1);
}
console.log(`lint:wgsl: ${KERNELS.reduce((s, k) => s + k.builds.length, 0)} builds of ${KERNELS.length} kernels clean`);
