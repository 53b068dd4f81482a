// Bundles the engine for Node as one ES module, dist/node/fluctus.js, which `import 'fluctus'`
// resolves to. Dependencies stay external; shaders are read from ../../shaders/ beside it at run
// time (the same relative path as from src/runtime/), so the WGSL files are never copied.
//   npm run build:node
import { build } from 'esbuild';
import { renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = `${root}dist/node/fluctus.js`;
const tmp = `${out}.tmp-${process.pid}.js`;
await build({
  entryPoints: [`${root}src/index.ts`],
  outfile: tmp,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  sourcemap: 'inline',
  logLevel: 'warning',
});
rmSync(out, { force: true });
renameSync(tmp, out);
console.log(`build:node: ${out}`);
