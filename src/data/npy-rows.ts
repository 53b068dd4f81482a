// Rows of a .npy file read from disk on demand (Node only): the RowSource of `fluctus moments` and
// `analyze` for data larger than memory (only the rows asked for are read). Rows are converted to f32
// with the dataset's scale (u1 pixels: / 127.5 - 1).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { AS_STORED, PIXEL_SCALE } from './dataset.js';
import type { RowSource } from './row-source.js';

const READERS: Record<string, { bytes: number; get: (v: DataView, o: number) => number }> = {
  '<f4': { bytes: 4, get: (v, o) => v.getFloat32(o, true) },
  '<f8': { bytes: 8, get: (v, o) => v.getFloat64(o, true) },
  '|u1': { bytes: 1, get: (v, o) => v.getUint8(o) },
  '<i4': { bytes: 4, get: (v, o) => v.getInt32(o, true) },
};

/**
 * Rows of a C-order .npy array (N, D) or (N, H, W) of f4, f8, u1 or i4 read from disk on demand. Returns
 * the shape too; `close()` releases the file. Non-finite values are an error naming the row and column.
 */
export function npyRows(
  path: string,
): RowSource & { shape: number[]; imageShape: [number, number] | null; scale: string; close(): void } {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(10);
    readSync(fd, head, 0, 10, 0);
    if (head.subarray(0, 6).toString('latin1') !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
    const major = head[6]!;
    const lenBytes = major === 1 ? 2 : 4;
    const lenBuf = Buffer.alloc(lenBytes);
    readSync(fd, lenBuf, 0, lenBytes, 8);
    const hlen = major === 1 ? lenBuf.readUInt16LE(0) : lenBuf.readUInt32LE(0);
    const hbuf = Buffer.alloc(hlen);
    readSync(fd, hbuf, 0, hlen, 8 + lenBytes);
    const header = hbuf.toString('latin1');
    const descr = /'descr'\s*:\s*'([^']*)'/.exec(header)?.[1] ?? '';
    const fortran = /'fortran_order'\s*:\s*True/.test(header);
    const shape = (/'shape'\s*:\s*\(([^)]*)\)/.exec(header)?.[1] ?? '')
      .split(',')
      .map((t) => t.trim())
      .filter(Boolean)
      .map(Number);
    const reader = READERS[descr];
    if (!reader) throw new Error(`${path}: streaming reads dtypes ${Object.keys(READERS).join(' ')}, not '${descr}'`);
    if (fortran) throw new Error(`${path}: Fortran-order arrays cannot be streamed by rows; save with C order`);
    if (shape.length !== 2 && shape.length !== 3)
      throw new Error(`${path}: shape (${shape}) is not (N, D) or (N, H, W)`);
    const N = shape[0]!;
    const D = shape.slice(1).reduce((a, b) => a * b, 1);
    const offset = 8 + lenBytes + hlen;
    const rowBytes = D * reader.bytes;
    const size = fstatSync(fd).size;
    if (offset + N * rowBytes > size) {
      throw new Error(
        `${path}: header declares ${N} rows of ${rowBytes} bytes but the file has ${size - offset} data bytes`,
      );
    }
    const scale = descr === '|u1' ? PIXEL_SCALE : AS_STORED;
    const buf = Buffer.alloc(rowBytes);
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    return {
      rows: N,
      dim: D,
      shape,
      imageShape: shape.length === 3 ? [shape[1]!, shape[2]!] : null,
      scale: scale.text,
      read(rows, out, ld) {
        rows.forEach((r, q) => {
          readSync(fd, buf, 0, rowBytes, offset + r * rowBytes);
          for (let c = 0; c < D; c++) {
            const v = scale.map(reader.get(view, c * reader.bytes));
            if (!Number.isFinite(v)) throw new Error(`${path}: non-finite value ${v} at row ${r}, column ${c}`);
            out[q * ld + c] = v;
          }
        });
      },
      close: () => closeSync(fd),
    };
  } catch (e) {
    closeSync(fd);
    throw e;
  }
}
