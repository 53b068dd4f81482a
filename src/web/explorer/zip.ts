// Reading a .zip in the browser (the explorer's PNG folders arrive zipped, as a page cannot be given a
// folder): the central directory (APPNOTE.TXT 4.3.12-4.3.16) lists the entries, each read from its local
// header and, when deflated (method 8), inflated by DecompressionStream('deflate-raw'). Stored (0) and
// deflated entries only; no ZIP64, no encryption: each refused with a message naming the zip.

export interface ZipEntry {
  /** The path inside the zip ('/'-separated; directories end in '/'). */
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  /** Offset of the local file header. */
  offset: number;
}

const SIG_EOCD = 0x06054b50;
const SIG_CENTRAL = 0x02014b50;
const SIG_LOCAL = 0x04034b50;

/** Whether the bytes start like a zip (a local file header, or the end record of an empty zip). */
export function isZip(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && (b[2] === 3 || b[2] === 5) && (b[3] === 4 || b[3] === 6);
}

/** The entries of a zip from its central directory; throws naming `zipName` and what is wrong. */
export function zipEntries(bytes: Uint8Array, zipName: string): ZipEntry[] {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // The end record is 22 bytes plus a comment of at most 65535 bytes, at the end of the file.
  let end = -1;
  for (let i = bytes.length - 22; i >= Math.max(0, bytes.length - 22 - 0xffff); i--) {
    if (v.getUint32(i, true) === SIG_EOCD) {
      end = i;
      break;
    }
  }
  if (end < 0) throw new Error(`${zipName}: not a zip file (no end of central directory record)`);
  const count = v.getUint16(end + 10, true);
  const cdOffset = v.getUint32(end + 16, true);
  if (count === 0xffff || cdOffset === 0xffffffff)
    throw new Error(
      `${zipName}: a ZIP64 archive (over 65535 entries or 4 GiB); unzip it and use the CLI on the folder`,
    );
  const out: ZipEntry[] = [];
  let p = cdOffset;
  for (let k = 0; k < count; k++) {
    if (p + 46 > bytes.length || v.getUint32(p, true) !== SIG_CENTRAL)
      throw new Error(`${zipName}: central directory entry ${k} is damaged`);
    const flags = v.getUint16(p + 8, true);
    const nameLen = v.getUint16(p + 28, true);
    const name = new TextDecoder().decode(bytes.subarray(p + 46, p + 46 + nameLen));
    if (flags & 1) throw new Error(`${zipName}: ${name} is encrypted; the page reads unencrypted zips only`);
    out.push({
      name,
      method: v.getUint16(p + 10, true),
      compressedSize: v.getUint32(p + 20, true),
      size: v.getUint32(p + 24, true),
      offset: v.getUint32(p + 42, true),
    });
    p += 46 + nameLen + v.getUint16(p + 30, true) + v.getUint16(p + 32, true);
  }
  return out;
}

/** The contents of one entry. */
export async function zipRead(bytes: Uint8Array, e: ZipEntry, zipName: string): Promise<Uint8Array> {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (e.offset + 30 > bytes.length || v.getUint32(e.offset, true) !== SIG_LOCAL)
    throw new Error(`${zipName}: the local header of ${e.name} is damaged`);
  const start = e.offset + 30 + v.getUint16(e.offset + 26, true) + v.getUint16(e.offset + 28, true);
  const raw = bytes.subarray(start, start + e.compressedSize);
  if (e.method === 0) return raw;
  if (e.method !== 8)
    throw new Error(
      `${zipName}: ${e.name} uses compression method ${e.method}; the page reads stored (0) and deflated (8) entries`,
    );
  try {
    const stream = new Blob([raw as Uint8Array<ArrayBuffer>])
      .stream()
      .pipeThrough(new DecompressionStream('deflate-raw'));
    const out = new Uint8Array(await new Response(stream).arrayBuffer());
    if (out.length !== e.size) throw new Error(`inflated to ${out.length} bytes, the directory says ${e.size}`);
    return out;
  } catch (err) {
    throw new Error(`${zipName}: ${e.name} does not inflate (${(err as Error).message})`);
  }
}
