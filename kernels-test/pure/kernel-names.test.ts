// One name per kernel (STYLE.md §11): every shaders/*.wgsl names, in its header, the TS wrapper that
// dispatches it (`// wrapper: src/kernels/<file>.ts`, one wrapper may serve several shaders) and its
// float64 reference (kernels-test/ref/<file>.ts); the wrapper defines a KernelSpec with the shader's
// name; files in src/kernels/ are snake_case like the kernels. Reads files only, no GPU.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const shaders = readdirSync(join(root, 'shaders'))
  .filter((f) => f.endsWith('.wgsl'))
  .sort();
const kernelFiles = readdirSync(join(root, 'src/kernels')).filter((f) => f.endsWith('.ts'));
const kernelSources = kernelFiles.map((f) => readFileSync(join(root, 'src/kernels', f), 'utf8')).join('\n');

/** The leading comment lines of a shader: its header. */
function header(file: string): string[] {
  const lines = readFileSync(join(root, 'shaders', file), 'utf8').split('\n');
  const end = lines.findIndex((l) => !l.startsWith('//'));
  return lines.slice(0, end < 0 ? lines.length : end);
}

describe('every shader names its wrapper and reference', () => {
  it('there are shaders to check', () => expect(shaders.length).toBeGreaterThan(40));
  for (const file of shaders) {
    const name = file.replace(/\.wgsl$/, '');
    it(file, () => {
      const h = header(file);
      const wrappers = h.flatMap((l) => l.match(/^\/\/ wrapper: (src\/kernels\/\w+\.ts)$/)?.[1] ?? []);
      expect(wrappers, `${file}: the header needs one line '// wrapper: src/kernels/<file>.ts'`).toHaveLength(1);
      expect(existsSync(join(root, wrappers[0]!)), `${file}: ${wrappers[0]} does not exist`).toBe(true);
      const refs = h.join('\n').match(/(?:kernels-test\/)?ref\/[\w.-]+\.ts/g) ?? [];
      expect(refs.length, `${file}: the header names no reference in kernels-test/ref/`).toBeGreaterThan(0);
      for (const r of refs)
        expect(
          existsSync(join(root, 'kernels-test', r.replace(/^kernels-test\//, ''))),
          `${file}: ${r} does not exist`,
        ).toBe(true);
      // The spec is defined as { name: 'x', ... } or through a helper spec('x', ...).
      expect(
        new RegExp(`(name: |spec\\(\\s*)'${name}'`).test(kernelSources),
        `${file}: no KernelSpec named '${name}' in src/kernels/`,
      ).toBe(true);
    });
  }
});

describe('src/kernels/ file names', () => {
  it('are snake_case, like the kernels they wrap', () => {
    expect(kernelFiles.filter((f) => !/^[a-z0-9_]+\.ts$/.test(f))).toEqual([]);
  });
});
