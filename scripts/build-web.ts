// Bundles the engine for browsers with esbuild: dist/web/fluctus.js (the engine as one ESM module)
// and the pages under src/web/ (each folder with an index.html and a main.ts). The Node platform
// module is swapped for the browser one, and shaders/**/*.wgsl become the 'fluctus:shaders' module,
// so the same WGSL files reach Node (read from disk) and the browser (embedded text).
//   npm run build:web [-- --outdir DIR]
import { build, type Plugin } from 'esbuild';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const argOut = process.argv.indexOf('--outdir');
const outdir = resolve(argOut > 0 ? process.argv[argOut + 1]! : join(root, 'dist/web'));

export const browserPlatform: Plugin = {
  name: 'fluctus-browser-platform',
  setup(b) {
    b.onResolve({ filter: /platform-node\.js$/ }, (args) => ({
      path: resolve(args.resolveDir, args.path.replace('platform-node.js', 'platform-browser.ts')),
    }));
    // csv-parse's Node build needs Buffer at load time; its browser build carries its own (src/data/parse.ts).
    b.onResolve({ filter: /^csv-parse\/sync$/ }, (args) =>
      b.resolve('csv-parse/browser/esm/sync', { kind: args.kind, resolveDir: args.resolveDir }),
    );
    b.onResolve({ filter: /^fluctus:shaders$/ }, () => ({ path: 'shaders', namespace: 'fluctus-shaders' }));
    b.onLoad({ filter: /.*/, namespace: 'fluctus-shaders' }, () => {
      const dir = join(root, 'shaders');
      const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
        .filter((f) => f.endsWith('.wgsl'))
        .sort();
      const map = Object.fromEntries(files.map((f) => [f.split('\\').join('/'), readFileSync(join(dir, f), 'utf8')]));
      return {
        contents: `export default ${JSON.stringify(map)};`,
        loader: 'js',
        watchFiles: files.map((f) => join(dir, f)),
      };
    });
  },
};

// Build into a temporary folder and rename, so a failed build leaves the previous one intact.
const tmp = `${outdir}.tmp-${process.pid}`;
rmSync(tmp, { recursive: true, force: true });
mkdirSync(tmp, { recursive: true });
const pages = readdirSync(join(root, 'src/web'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && existsSync(join(root, 'src/web', d.name, 'index.html')))
  .map((d) => d.name);
await build({
  entryPoints: [
    { in: join(root, 'src/index.ts'), out: 'fluctus' },
    ...pages.map((p) => ({ in: join(root, 'src/web', p, 'main.ts'), out: `${p}/main` })),
  ],
  outdir: tmp,
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  // Minified for static hosting (the explorer carries vega); source maps keep stack traces readable.
  minify: true,
  sourcemap: true,
  plugins: [browserPlatform],
  logLevel: 'warning',
});
for (const p of pages) cpSync(join(root, 'src/web', p, 'index.html'), join(tmp, p, 'index.html'));
rmSync(outdir, { recursive: true, force: true });
renameSync(tmp, outdir);
console.log(`build:web: ${outdir} (fluctus.js; pages: ${pages.join(', ')})`);
