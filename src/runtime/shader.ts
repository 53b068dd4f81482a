// Shader composition (declared parts concatenated, feature variants through wgsl-preprocessor's #if)
// and reflection of the `struct Params` uniform layout, so the layout is defined once, in WGSL.
import { wgsl } from 'wgsl-preprocessor/wgsl-preprocessor.js';
import { readShader } from './platform-node.js';

/** Feature flags a kernel variant may test with `#if name` in WGSL. */
export type Variant = Record<string, boolean>;

/**
 * Concatenates the declared parts (libraries first, the kernel file last) and resolves
 * `#if flag` / `#elif flag` / `#else` / `#endif` with the variant's flags. Unknown flags are an error
 * so that a misspelt flag cannot silently select the #else branch.
 */
export function composeShader(
  parts: string[],
  variant: Variant = {},
): { code: string; lineMap: (line: number) => string } {
  // Each part is preprocessed alone (#if blocks never span parts); `starts` records the first line
  // of each part in the output so compiler messages can name the part and its own line.
  const starts: { file: string; line: number }[] = [];
  let line = 1;
  const code = parts
    .map((p) => {
      const text = preprocess(readShader(p).replace(/\n?$/, '\n'), variant, p);
      starts.push({ file: p, line });
      line += text.split('\n').length - 1;
      return text;
    })
    .join('');
  const lineMap = (n: number) => {
    let at = starts[0]!;
    for (const s of starts) if (s.line <= n) at = s;
    return `shaders/${at.file}:${n - at.line + 1}`;
  };
  return { code, lineMap };
}

export function preprocess(text: string, variant: Variant, file: string): string {
  const strings: string[] = [];
  const values: boolean[] = [];
  const re = /#(if|elif)[ \t]+([A-Za-z_][A-Za-z0-9_]*)/g;
  let last = 0;
  for (const m of text.matchAll(re)) {
    const flag = m[2]!;
    if (!(flag in variant)) {
      throw new Error(
        `${file}: #${m[1]} ${flag}: unknown variant flag (known: ${Object.keys(variant).join(', ') || 'none'})`,
      );
    }
    strings.push(text.slice(last, m.index) + `#${m[1]} `);
    values.push(variant[flag]!);
    last = m.index! + m[0].length;
  }
  strings.push(text.slice(last));
  const tsa = Object.assign([...strings], { raw: [...strings] }) as unknown as TemplateStringsArray;
  return wgsl(tsa, ...values);
}

export type UniformType =
  | 'u32'
  | 'i32'
  | 'f32'
  | 'vec2<u32>'
  | 'vec2<i32>'
  | 'vec2<f32>'
  | 'vec4<u32>'
  | 'vec4<i32>'
  | 'vec4<f32>';

export interface UniformField {
  name: string;
  type: UniformType;
  offset: number;
  components: number;
  scalar: 'u32' | 'i32' | 'f32';
}

export interface UniformLayout {
  fields: UniformField[];
  size: number;
}

const TYPES: Record<UniformType, { align: number; components: number }> = {
  u32: { align: 4, components: 1 },
  i32: { align: 4, components: 1 },
  f32: { align: 4, components: 1 },
  'vec2<u32>': { align: 8, components: 2 },
  'vec2<i32>': { align: 8, components: 2 },
  'vec2<f32>': { align: 8, components: 2 },
  'vec4<u32>': { align: 16, components: 4 },
  'vec4<i32>': { align: 16, components: 4 },
  'vec4<f32>': { align: 16, components: 4 },
};

const roundUp = (x: number, a: number) => Math.ceil(x / a) * a;

/**
 * The byte layout of `struct Params { ... }` in a WGSL source, by WGSL's alignment rules
 * (scalars align 4, vec2 8, vec4 16; struct size rounded to its largest alignment).
 * Only the types a uniform parameter block needs are accepted; vec3 is refused on purpose.
 */
export function reflectParams(source: string, file: string): UniformLayout | null {
  const m = /struct\s+Params\s*\{([^}]*)\}/.exec(source);
  if (!m) return null;
  const fields: UniformField[] = [];
  let offset = 0;
  let maxAlign = 4;
  for (const raw of m[1]!.split(/[,;\n]/)) {
    const line = raw.replace(/\/\/.*$/, '').trim();
    if (!line) continue;
    const f = /^([A-Za-z_]\w*)\s*:\s*([\w<>]+)$/.exec(line);
    if (!f) throw new Error(`${file}: cannot read Params field '${line}'`);
    const type = f[2] as UniformType;
    const t = TYPES[type];
    if (!t)
      throw new Error(`${file}: Params field ${f[1]} has type ${f[2]}; allowed: ${Object.keys(TYPES).join(', ')}`);
    offset = roundUp(offset, t.align);
    maxAlign = Math.max(maxAlign, t.align);
    const scalar = (type.includes('<') ? type.slice(5, 8) : type) as UniformField['scalar'];
    fields.push({ name: f[1]!, type, offset, components: t.components, scalar });
    offset += 4 * t.components;
  }
  return { fields, size: roundUp(offset, maxAlign) };
}

export type ParamValue = number | readonly number[];

/** Writes `values` into `view` at `base` following `layout`; every field must be given, no others. */
export function packParams(
  layout: UniformLayout,
  values: Record<string, ParamValue>,
  view: DataView,
  base: number,
  kernel: string,
): void {
  for (const key of Object.keys(values)) {
    if (!layout.fields.some((f) => f.name === key)) {
      throw new Error(
        `${kernel}: unknown parameter '${key}' (Params has ${layout.fields.map((f) => f.name).join(', ')})`,
      );
    }
  }
  for (const f of layout.fields) {
    const v = values[f.name];
    if (v === undefined) throw new Error(`${kernel}: parameter '${f.name}' is missing`);
    const arr = typeof v === 'number' ? [v] : v;
    if (arr.length !== f.components)
      throw new Error(`${kernel}: parameter '${f.name}' needs ${f.components} values, got ${arr.length}`);
    for (let c = 0; c < f.components; c++) {
      const at = base + f.offset + 4 * c;
      const x = arr[c]!;
      if (f.scalar === 'f32') view.setFloat32(at, x, true);
      else {
        if (
          !Number.isInteger(x) ||
          (f.scalar === 'u32' ? x < 0 || x > 0xffffffff : x < -0x80000000 || x > 0x7fffffff)
        ) {
          throw new Error(`${kernel}: parameter '${f.name}' = ${x} is not a valid ${f.scalar}`);
        }
        if (f.scalar === 'u32') view.setUint32(at, x, true);
        else view.setInt32(at, x, true);
      }
    }
  }
}
