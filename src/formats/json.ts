// JSON text of fluctus' output files (report.json, late-start.json) exactly as `fluctus analyze` writes
// them: objects indented, arrays of scalars on one line, non-finite numbers refused. Pure (no Node
// APIs), so the explorer page writes byte-for-byte the same files as the CLI.

/** Throws naming the first non-finite number (JSON would turn it into null silently). */
export function checkJsonNumbers(value: unknown, path: string): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${path} is ${value}; report values must be finite numbers or null`);
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => checkJsonNumbers(v, `${path}[${i}]`));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) checkJsonNumbers(v, `${path}.${k}`);
  }
}

/** JSON with objects indented and arrays of numbers (or other scalars) kept on one line each. */
export function formatJson(value: unknown, indent = ''): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    if (value.every((v) => v === null || typeof v !== 'object')) return JSON.stringify(value);
    return `[\n${value.map((v) => inner + formatJson(v, inner)).join(',\n')}\n${indent}]`;
  }
  const entries = Object.entries(value).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return '{}';
  return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, inner)}`).join(',\n')}\n${indent}}`;
}

/** `value` as the text of a fluctus JSON file (formatJson and a final newline); throws on NaN or Infinity. */
export function jsonFileText(value: unknown, what = 'value'): string {
  checkJsonNumbers(value, what);
  return `${formatJson(value)}\n`;
}
