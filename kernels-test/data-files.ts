// Writers of small dataset files for the loader tests, written from the format specs (not from the
// loaders): .npy v1.0, IDX (optionally gzip), CSV text, PNG (through pngjs).
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { deflateRawSync, gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';

type Typed = Float32Array | Float64Array | Uint8Array | Int8Array | Int16Array | Int32Array | BigInt64Array;

const NPY_DESCR: [new (...a: never[]) => Typed, string][] = [
  [Float32Array, '<f4'],
  [Float64Array, '<f8'],
  [Uint8Array, '|u1'],
  [Int8Array, '|i1'],
  [Int16Array, '<i2'],
  [Int32Array, '<i4'],
  [BigInt64Array, '<i8'],
];

/**
 * .npy version 1.0 (numpy NEP 1): "\x93NUMPY" 01 00, u16 LE header length, a Python dict literal
 * padded with spaces and ending in '\n' so that the data starts at a multiple of 64, then the data.
 * `descr` overrides the dtype text (e.g. '>f4' with big-endian bytes); `fortran` only sets the flag.
 */
export function npyBytes(
  data: Typed | boolean[],
  shape: number[],
  opts: { descr?: string; fortran?: boolean } = {},
): Uint8Array {
  const descr = opts.descr ?? NPY_DESCR.find(([C]) => data instanceof C)?.[1] ?? '|b1';
  const shapeText = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let dict = `{'descr': '${descr}', 'fortran_order': ${opts.fortran ? 'True' : 'False'}, 'shape': ${shapeText}, }`;
  const total = Math.ceil((10 + dict.length + 1) / 64) * 64;
  dict = dict.padEnd(total - 10 - 1, ' ') + '\n';
  const body = Array.isArray(data)
    ? Uint8Array.from(data, (b) => (b ? 1 : 0))
    : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(total + body.length);
  out.set([0x93, ...Array.from('NUMPY', (c) => c.charCodeAt(0)), 1, 0, dict.length & 0xff, dict.length >> 8]);
  out.set(
    Array.from(dict, (c) => c.charCodeAt(0)),
    10,
  );
  out.set(body, total);
  return out;
}

/** IDX: 00 00 <type> <ndim>, ndim big-endian u32 dims, big-endian data. type 0x08 u8, 0x0c i32, 0x0d f32. */
export function idxBytes(data: ArrayLike<number>, shape: number[], type: 0x08 | 0x0c | 0x0d = 0x08): Uint8Array {
  const size = type === 0x08 ? 1 : 4;
  const head = 4 + 4 * shape.length;
  const out = new Uint8Array(head + data.length * size);
  const v = new DataView(out.buffer);
  out.set([0, 0, type, shape.length]);
  shape.forEach((s, d) => v.setUint32(4 + 4 * d, s, false));
  for (let i = 0; i < data.length; i++) {
    if (type === 0x08) v.setUint8(head + i, data[i]!);
    else if (type === 0x0c) v.setInt32(head + 4 * i, data[i]!, false);
    else v.setFloat32(head + 4 * i, data[i]!, false);
  }
  return out;
}

export function write(path: string, bytes: Uint8Array | string, gzip = false): string {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, gzip ? gzipSync(bytes) : bytes);
  return path;
}

/** A PNG of `channels` (1 gray, 3 RGB, 4 RGBA) 8-bit interleaved pixels. */
export function pngBytes(pixels: ArrayLike<number>, width: number, height: number, channels: 1 | 3 | 4): Uint8Array {
  const colorType = ({ 1: 0, 3: 2, 4: 6 } as const)[channels];
  const png = new PNG({ width, height });
  png.data = Buffer.from(Uint8Array.from(pixels));
  return PNG.sync.write(png, { colorType, inputColorType: colorType, inputHasAlpha: channels === 4 });
}

/**
 * A .zip (PKWARE APPNOTE.TXT 4.3): per file a local header and the data (deflated with raw deflate, or
 * stored when `store`), then the central directory and its end record. CRC-32 as in 4.4.7 (polynomial
 * 0xEDB88320). Directories are entries whose name ends in '/', with no data.
 */
export function zipBytes(files: { name: string; bytes?: Uint8Array }[], store = false): Uint8Array {
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc32 = (b: Uint8Array) => {
    let c = 0xffffffff;
    for (const v of b) c = crcTable[(c ^ v) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const parts: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  for (const f of files) {
    const name = new TextEncoder().encode(f.name);
    const raw = f.bytes ?? new Uint8Array(0);
    const method = store || raw.length === 0 ? 0 : 8;
    const data = method === 8 ? new Uint8Array(deflateRawSync(raw)) : raw;
    const local = new Uint8Array(30 + name.length);
    const lv = new DataView(local.buffer);
    lv.setUint32(0, 0x04034b50, true);
    lv.setUint16(4, 20, true);
    lv.setUint16(8, method, true);
    lv.setUint32(14, crc32(raw), true);
    lv.setUint32(18, data.length, true);
    lv.setUint32(22, raw.length, true);
    lv.setUint16(26, name.length, true);
    local.set(name, 30);
    const cd = new Uint8Array(46 + name.length);
    const cv = new DataView(cd.buffer);
    cv.setUint32(0, 0x02014b50, true);
    cv.setUint16(4, 20, true);
    cv.setUint16(6, 20, true);
    cv.setUint16(10, method, true);
    cv.setUint32(16, crc32(raw), true);
    cv.setUint32(20, data.length, true);
    cv.setUint32(24, raw.length, true);
    cv.setUint16(28, name.length, true);
    cv.setUint32(42, offset, true);
    cd.set(name, 46);
    parts.push(local, data);
    central.push(cd);
    offset += local.length + data.length;
  }
  const cdSize = central.reduce((s, c) => s + c.length, 0);
  const end = new Uint8Array(22);
  const ev = new DataView(end.buffer);
  ev.setUint32(0, 0x06054b50, true);
  ev.setUint16(8, files.length, true);
  ev.setUint16(10, files.length, true);
  ev.setUint32(12, cdSize, true);
  ev.setUint32(16, offset, true);
  const out = new Uint8Array(offset + cdSize + 22);
  let p = 0;
  for (const b of [...parts, ...central, end]) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}
