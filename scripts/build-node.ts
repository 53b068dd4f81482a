// Bundles the engine for Node as one ES module, dist/node/fluctus.js, which `import 'fluctus'` resolves
// to, and the benchmark suite as dist/node/bench.js (`import 'fluctus/bench'`). Dependencies stay
// external; shaders are read from ../../shaders/ beside them at run time (the same relative path as
// from src/runtime/), so the WGSL files are never copied.
//   npm run build:node
import { build } from 'esbuild';
import { renameSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// The engine, and the benchmark suite (`import { runBench } from 'fluctus/bench'`), which needs Node's
// child processes for its peers and so stays out of the engine's bundle.
for (const [entry, name] of [
  ['src/index.ts', 'fluctus'],
  ['src/bench/run.ts', 'bench'],
]) {
  const out = `${root}dist/node/${name}.js`;
  const tmp = `${out}.tmp-${process.pid}.js`;
  await build({
    entryPoints: [`${root}${entry}`],
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
}
