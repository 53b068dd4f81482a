// Bundles the CLI (src/cli/main.ts) with every dependency except webgpu into .device/cli/fluctus.mjs, so
// a lent GPU machine (the `device` tool; no npm there) runs it with a carried node and dawn.node. Paths
// the engine resolves from its own file (../../shaders/, ../../package.json, ../../src/bench/peers/)
// land on the repository root from .device/cli/.
//   npx tsx scripts/dev/device/bundle.ts
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
await build({
  entryPoints: [`${root}src/cli/main.ts`],
  outfile: `${root}.device/cli/fluctus.mjs`,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['webgpu'],
  // CommonJS dependencies bundled into an ES module still call require() for Node's own modules.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});
console.log(`bundle: ${root}.device/cli/fluctus.mjs`);
