// The safetensors file format (huggingface/safetensors), written here from its specification since the
// npm package is unmaintained: 8 bytes N (u64 little-endian), N bytes of a UTF-8 JSON header
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, then the raw
// little-endian tensor bytes, offsets relative to the end of the header. The reference writer pads the
// header with spaces to a multiple of 8 and orders tensors by dtype alignment (descending), then name;
// readers require the tensors to tile the byte buffer exactly (no gaps, no overlaps). Pure: no Node APIs.

export type SafeDType = 'F64' | 'F32' | 'I64' | 'I32' | 'U32' | 'U8';
export const SAFE_DTYPES: readonly SafeDType[] = ['F64', 'F32', 'I64', 'I32', 'U32', 'U8'];
const DTYPE_BYTES: Record<SafeDType, number> = { F64: 8, F32: 4, I64: 8, I32: 4, U32: 4, U8: 1 };

export type SafeArray = Float64Array | Float32Array | BigInt64Array | Int32Array | Uint32Array | Uint8Array;

export interface SafeTensor {
  dtype: SafeDType;
  shape: number[];
  data: SafeArray;
}

export interface SafetensorsFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

/** The reference implementation refuses headers above 100 MB. */
export const MAX_HEADER_BYTES = 100_000_000;

function dtypeOf(a: SafeArray): SafeDType {
  if (a instanceof Float64Array) return 'F64';
  if (a instanceof Float32Array) return 'F32';
  if (a instanceof BigInt64Array) return 'I64';
  if (a instanceof Int32Array) return 'I32';
  if (a instanceof Uint32Array) return 'U32';
  return 'U8';
}

function viewAs(dtype: SafeDType, bytes: Uint8Array): SafeArray {
  // Copy into a fresh, aligned buffer of exactly these bytes (a Node Buffer's slice() would share its
  // pool); typed arrays use the platform's (little-endian) byte order.
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const buf = copy.buffer;
  switch (dtype) {
    case 'F64':
      return new Float64Array(buf);
    case 'F32':
      return new Float32Array(buf);
    case 'I64':
      return new BigInt64Array(buf);
    case 'I32':
      return new Int32Array(buf);
    case 'U32':
      return new Uint32Array(buf);
    default:
      return new Uint8Array(buf);
  }
}

const product = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/** Serialises tensors (any insertion order) and string metadata to safetensors bytes. */
export function encodeSafetensors(
  tensors: Map<string, { shape: readonly number[]; data: SafeArray }>,
  metadata: Record<string, string> = {},
): Uint8Array {
  for (const [k, v] of Object.entries(metadata)) {
    if (typeof v !== 'string') throw new Error(`safetensors: metadata '${k}' must be a string, got ${typeof v}`);
  }
  const names = [...tensors.keys()];
  for (const name of names) {
    if (name === '__metadata__') throw new Error(`safetensors: '__metadata__' is reserved and cannot name a tensor`);
    const t = tensors.get(name)!;
    if (!t.shape.every((s) => Number.isInteger(s) && s >= 0))
      throw new Error(`safetensors: tensor '${name}' has shape [${t.shape}]; entries must be non-negative integers`);
    if (product(t.shape) !== t.data.length)
      throw new Error(
        `safetensors: tensor '${name}' has ${t.data.length} values for shape [${t.shape}] (${product(t.shape)})`,
      );
  }
  const bytesOf = (n: string) => DTYPE_BYTES[dtypeOf(tensors.get(n)!.data)];
  names.sort((a, b) => bytesOf(b) - bytesOf(a) || (a < b ? -1 : a > b ? 1 : 0));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors.get(name)!;
    const len = t.data.byteLength;
    header[name] = { dtype: dtypeOf(t.data), shape: [...t.shape], data_offsets: [offset, offset + len] };
    offset += len;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    const p = new Uint8Array(padded).fill(0x20);
    p.set(json);
    json = p;
  }
  const out = new Uint8Array(8 + json.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const name of names) {
    const d = tensors.get(name)!.data;
    out.set(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), pos);
    pos += d.byteLength;
  }
  return out;
}

/** Parses safetensors bytes; `what` names the source (a path) in errors. Throws on any violation of the format. */
export function decodeSafetensors(bytes: Uint8Array, what = 'safetensors'): SafetensorsFile {
  if (bytes.length < 8)
    throw new Error(`${what}: ${bytes.length} bytes is too short for a safetensors file (8-byte header length first)`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER_BYTES))
    throw new Error(
      `${what}: header length ${n64} exceeds the limit of ${MAX_HEADER_BYTES} bytes (not a safetensors file?)`,
    );
  const n = Number(n64);
  if (8 + n > bytes.length)
    throw new Error(`${what}: header length ${n} runs past the end of the ${bytes.length}-byte file`);
  const text = new TextDecoder('utf-8', { fatal: false }).decode(bytes.subarray(8, 8 + n));
  if (!text.startsWith('{')) throw new Error(`${what}: the header must be a JSON object starting with '{'`);
  let header: unknown;
  try {
    header = JSON.parse(text);
  } catch (e) {
    throw new Error(`${what}: the header is not valid JSON: ${(e as Error).message}`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header))
    throw new Error(`${what}: the header must be a JSON object`);
  const data = bytes.subarray(8 + n);
  const metadata: Record<string, string> = {};
  const entries: { name: string; dtype: SafeDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (raw === null || typeof raw !== 'object' || Array.isArray(raw))
        throw new Error(`${what}: __metadata__ must be an object of strings`);
      for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
        if (typeof v !== 'string')
          throw new Error(`${what}: __metadata__.${k} must be a string, got ${JSON.stringify(v)}`);
        metadata[k] = v;
      }
      continue;
    }
    const info = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (info === null || typeof info !== 'object')
      throw new Error(`${what}: tensor '${name}' must be an object with dtype, shape, data_offsets`);
    if (!SAFE_DTYPES.includes(info.dtype as SafeDType)) {
      throw new Error(
        `${what}: tensor '${name}' has dtype ${JSON.stringify(info.dtype)}; supported: ${SAFE_DTYPES.join(', ')}`,
      );
    }
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((s) => Number.isSafeInteger(s) && s >= 0)) {
      throw new Error(
        `${what}: tensor '${name}' has shape ${JSON.stringify(shape)}; expected a list of non-negative integers`,
      );
    }
    const off = info.data_offsets;
    if (
      !Array.isArray(off) ||
      off.length !== 2 ||
      !off.every((o) => Number.isSafeInteger(o) && o >= 0) ||
      off[1] < off[0]
    ) {
      throw new Error(
        `${what}: tensor '${name}' has data_offsets ${JSON.stringify(off)}; expected [begin, end] with 0 <= begin <= end`,
      );
    }
    const dtype = info.dtype as SafeDType;
    const want = product(shape as number[]) * DTYPE_BYTES[dtype];
    if (off[1] - off[0] !== want) {
      throw new Error(
        `${what}: tensor '${name}' spans ${off[1] - off[0]} bytes but ${dtype} of shape [${shape}] needs ${want}`,
      );
    }
    entries.push({ name, dtype, shape: shape as number[], begin: off[0], end: off[1] });
  }
  // The tensors must tile the byte buffer: sorted by offset, each starts where the previous ended.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin !== pos) {
      throw new Error(
        `${what}: tensor '${e.name}' starts at byte ${e.begin} but the previous tensor ends at ${pos} (${e.begin < pos ? 'overlap' : 'gap'})`,
      );
    }
    pos = e.end;
  }
  if (pos !== data.length)
    throw new Error(`${what}: the tensors cover ${pos} bytes but the file holds ${data.length} bytes after the header`);
  const tensors = new Map<string, SafeTensor>();
  for (const e of entries)
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: viewAs(e.dtype, data.subarray(e.begin, e.end)) });
  return { tensors, metadata };
}
