// Layers point one way: every relative import in src/ goes to the importing file's own folder or to a
// lower layer, and folders of one layer do not import each other. The layers are the list in README's
// "Layout" section (lines `layer <n>  <folders>`), so the README and this check cannot drift apart.
// Reads files only, no GPU.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const src = join(root, 'src');

/** Folder (or root file) of src/ -> layer number, from README's list. */
function readmeLayers(): Map<string, number> {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const layers = new Map<string, number>();
  for (const m of readme.matchAll(/^ {4}layer (\d+) +(.+)$/gm)) {
    for (const name of m[2]!.trim().split(/\s+/)) layers.set(name, Number(m[1]));
  }
  return layers;
}

/** The top folder of a path under src/ ('kernels'), or the file's name for files at src/'s root ('index.ts'). */
function unitOf(path: string): string {
  return relative(src, path).split(/[\\/]/)[0]!;
}

/** Every module specifier a file imports or re-exports (static, side-effect and dynamic imports). */
function importsOf(text: string): string[] {
  const out: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?[\w*{}\s,$]*?\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of text.matchAll(re)) out.push(m[1]!);
  return out;
}

const layers = readmeLayers();
/** The paths package.json ships ("files"). */
const shipped = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { files: string[] }).files;
const files = readdirSync(src, { recursive: true, encoding: 'utf8' })
  .filter((f) => /\.tsx?$/.test(f) && !f.endsWith('.d.ts'))
  .map((f) => join(src, f));

describe('import graph against the README layers', () => {
  it('README lists the layers', () => expect(layers.size).toBeGreaterThanOrEqual(10));

  it('every folder of src/ (and every file at its root) has a layer', () => {
    const units = [...new Set(files.map(unitOf))].sort();
    expect(units.filter((u) => !layers.has(u))).toEqual([]);
  });

  it('parses the import forms the code uses', () => {
    const text =
      "import { a } from './a.js';\nimport type { B } from '../b.js';\nexport * from './c.js';\nexport {\n  d,\n} from './d.js';\nimport './e.js';\nconst f = await import('./f.js');";
    expect(importsOf(text).sort()).toEqual(['../b.js', './a.js', './c.js', './d.js', './e.js', './f.js']);
  });

  it('no import runs from a lower layer to a higher one, or between folders of one layer', () => {
    const bad: string[] = [];
    for (const file of files) {
      const from = unitOf(file);
      for (const spec of importsOf(readFileSync(file, 'utf8'))) {
        if (!spec.startsWith('.')) continue;
        const target = resolve(dirname(file), spec);
        if (relative(src, target).startsWith('..')) {
          // Outside src/: only the benchmarks' float64 references, which the package ships for them.
          const path = relative(root, target).replace(/\\/g, '/').replace(/\.js$/, '.ts');
          if (from !== 'bench' || !shipped.some((f) => path === f || path.startsWith(`${f}/`)))
            bad.push(
              `${relative(root, file)}: import '${spec}' leaves src/ (only src/bench may import the shipped ${shipped.filter((f) => f.startsWith('kernels-test')).join(', ')})`,
            );
          continue;
        }
        const to = unitOf(target);
        if (to === from) continue;
        const [lf, lt] = [layers.get(from), layers.get(to)];
        if (lf === undefined || lt === undefined || lt >= lf) {
          bad.push(
            `${relative(root, file)}: import '${spec}' goes from ${from} (layer ${lf ?? '?'}) to ${to} (layer ${lt ?? '?'})`,
          );
        }
      }
    }
    expect(bad).toEqual([]);
  });
});
