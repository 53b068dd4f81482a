// Dense float64 work on blocks of rows (length D, D in the hundreds or thousands, a few dozen rows): the host
// share of the Ritz tracker (ritz-track.ts) and of the subspace iteration (eigh_top.ts). Two builds with the
// same bits: the plain JS loops (the reference, and what runs where WebAssembly SIMD is missing) and
// rows.wat, which runs the same float64 sums in the same order with different result entries in the two
// lanes of each instruction (at m = 12, D = 784: scripts/dev/rows-time.ts).
import { orthonormaliseRows } from './eigh-cpu.js';
import { WASM_BASE64 } from './rows.wasm.js';

export interface RowKernels {
  /** Z Z^T (n, n) of the n rows of Z (n, D): each entry the sum over i ascending of z_p[i] z_q[i]; symmetric. */
  gram(Z: Float64Array, n: number, D: number): Float64Array;
  /** X Y^T (nx, ny) of the rows of X (nx, D) and Y (ny, D), each entry summed as in `gram`. */
  cross(X: Float64Array, nx: number, Y: Float64Array, ny: number, D: number): Float64Array;
  /** out (m, D) = S X: out_r = sum_a S[r, a] x_a, a ascending from a zero row, zero coefficients skipped. */
  combine(S: Float64Array, X: Float64Array, out: Float64Array, m: number, D: number): void;
  /** orthonormaliseRows (eigh-cpu.ts), the same bits: modified Gram-Schmidt twice, `fill` for lost rows. */
  orthonormalise(x: Float64Array, m: number, D: number, fill: (row: number) => Float64Array): void;
}

/** The 4 x 4 block G[p0 .. p0 + 4, q0 .. q0 + 4] of Z Z^T: each loaded value serves four dot products. */
function gramBlock4(Z: Float64Array, D: number, p0: number, q0: number, G: Float64Array, n: number): void {
  const a = [0, 1, 2, 3].map((r) => (p0 + r) * D);
  const b = [0, 1, 2, 3].map((c) => (q0 + c) * D);
  const [a0, a1, a2, a3] = a as [number, number, number, number];
  const [b0, b1, b2, b3] = b as [number, number, number, number];
  let s00 = 0,
    s01 = 0,
    s02 = 0,
    s03 = 0,
    s10 = 0,
    s11 = 0,
    s12 = 0,
    s13 = 0,
    s20 = 0,
    s21 = 0,
    s22 = 0,
    s23 = 0,
    s30 = 0,
    s31 = 0,
    s32 = 0,
    s33 = 0;
  for (let i = 0; i < D; i++) {
    const x0 = Z[a0 + i]!;
    const x1 = Z[a1 + i]!;
    const x2 = Z[a2 + i]!;
    const x3 = Z[a3 + i]!;
    const y0 = Z[b0 + i]!;
    const y1 = Z[b1 + i]!;
    const y2 = Z[b2 + i]!;
    const y3 = Z[b3 + i]!;
    s00 += x0 * y0;
    s01 += x0 * y1;
    s02 += x0 * y2;
    s03 += x0 * y3;
    s10 += x1 * y0;
    s11 += x1 * y1;
    s12 += x1 * y2;
    s13 += x1 * y3;
    s20 += x2 * y0;
    s21 += x2 * y1;
    s22 += x2 * y2;
    s23 += x2 * y3;
    s30 += x3 * y0;
    s31 += x3 * y1;
    s32 += x3 * y2;
    s33 += x3 * y3;
  }
  const out = [s00, s01, s02, s03, s10, s11, s12, s13, s20, s21, s22, s23, s30, s31, s32, s33];
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) G[(p0 + r) * n + q0 + c] = out[r * 4 + c]!;
}

function dot(X: Float64Array, p: number, Y: Float64Array, q: number, D: number): number {
  let s = 0;
  for (let i = 0; i < D; i++) s += X[p * D + i]! * Y[q * D + i]!;
  return s;
}

/** The JS build (the reference). */
export const jsRows: RowKernels = {
  gram(Z, n, D) {
    const G = new Float64Array(n * n);
    const n4 = n - (n % 4);
    for (let p0 = 0; p0 < n4; p0 += 4) for (let q0 = p0; q0 < n4; q0 += 4) gramBlock4(Z, D, p0, q0, G, n);
    // Rows past the last whole block of four, one entry at a time.
    for (let p = 0; p < n; p++) for (let q = Math.max(p, n4); q < n; q++) G[p * n + q] = dot(Z, p, Z, q, D);
    for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) G[q * n + p] = G[p * n + q]!;
    return G;
  },
  cross(X, nx, Y, ny, D) {
    const G = new Float64Array(nx * ny);
    for (let p = 0; p < nx; p++) for (let q = 0; q < ny; q++) G[p * ny + q] = dot(X, p, Y, q, D);
    return G;
  },
  combine(S, X, out, m, D) {
    out.fill(0, 0, m * D);
    for (let r = 0; r < m; r++) {
      for (let a = 0; a < m; a++) {
        const f = S[r * m + a]!;
        if (f === 0) continue;
        for (let i = 0; i < D; i++) out[r * D + i] = out[r * D + i]! + f * X[a * D + i]!;
      }
    }
  },
  orthonormalise: orthonormaliseRows,
};

interface RowsWasm {
  memory: WebAssembly.Memory;
  dots(xt: number, nx: number, yt: number, ny: number, D: number, g: number, sym: number): void;
  axpy(y: number, x: number, f: number, len: number): void;
  project(x: number, i: number, n: number): void;
  sumsq(x: number, len: number): number;
}

/** The WebAssembly build, or null where WebAssembly SIMD is missing. */
export function makeWasmRows(base64: string): RowKernels | null {
  let w: RowsWasm;
  try {
    const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
    w = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as RowsWasm;
  } catch {
    return null;
  }
  /** The module's memory as float64, at least `count` entries. */
  const heap = (count: number): Float64Array => {
    const pages = Math.ceil((8 * count) / 65536) - w.memory.buffer.byteLength / 65536;
    if (pages > 0) w.memory.grow(pages);
    return new Float64Array(w.memory.buffer);
  };
  const up4 = (n: number) => (n + 3) & ~3;
  /** Rows (count, D) transposed into the heap at `at`: (D, width), the padding columns zero. */
  const transposed = (h: Float64Array, at: number, X: Float64Array, count: number, width: number, D: number) => {
    h.fill(0, at, at + D * width);
    for (let p = 0; p < count; p++) for (let i = 0; i < D; i++) h[at + i * width + p] = X[p * D + i]!;
  };
  const dots = (X: Float64Array, nx: number, Y: Float64Array | null, ny: number, D: number): Float64Array => {
    const wx = up4(nx);
    const wy = up4(ny);
    const yAt = D * wx;
    const gAt = Y ? yAt + D * wy : yAt;
    const h = heap(gAt + wx * wy);
    transposed(h, 0, X, nx, wx, D);
    if (Y) transposed(h, yAt, Y, ny, wy, D);
    w.dots(0, wx, 8 * (Y ? yAt : 0), wy, D, 8 * gAt, Y ? 0 : 1);
    const G = new Float64Array(nx * ny);
    for (let p = 0; p < nx; p++) G.set(h.subarray(gAt + p * wy, gAt + p * wy + ny), p * ny);
    return G;
  };
  return {
    gram(Z, n, D) {
      const G = dots(Z, n, null, n, D);
      // Only the blocks on and above the diagonal were summed.
      for (let p = 0; p < n; p++) for (let q = p + 1; q < n; q++) G[q * n + p] = G[p * n + q]!;
      return G;
    },
    cross: (X, nx, Y, ny, D) => dots(X, nx, Y, ny, D),
    combine(S, X, out, m, D) {
      const size = m * D;
      const h = heap(2 * size);
      h.set(X.subarray(0, size), 0);
      h.fill(0, size, 2 * size);
      for (let r = 0; r < m; r++)
        for (let a = 0; a < m; a++) {
          const f = S[r * m + a]!;
          if (f !== 0) w.axpy(8 * (size + r * D), 8 * a * D, f, D);
        }
      out.set(h.subarray(size, 2 * size));
    },
    orthonormalise(x, m, D, fill) {
      const h = heap(m * D);
      h.set(x.subarray(0, m * D));
      for (let i = 0; i < m; i++) {
        const ri = i * D;
        for (let attempt = 0; ; attempt++) {
          const before = w.sumsq(8 * ri, D);
          w.project(0, i, D);
          const after = w.sumsq(8 * ri, D);
          if (after > 1e-24 * before && after > 0) {
            const inv = 1 / Math.sqrt(after);
            for (let k = 0; k < D; k++) h[ri + k] = h[ri + k]! * inv;
            break;
          }
          if (attempt === 3) throw new Error(`eigh: cannot extend the basis past ${i} vectors in dimension ${D}`);
          h.set(fill(i), ri);
        }
      }
      x.set(h.subarray(0, m * D));
    },
  };
}

let fast: RowKernels | null | undefined;

/** The row kernels this thread runs: the WebAssembly build (makeWasmRows), else the JS one (the same bits). */
export function rowKernels(): RowKernels {
  if (fast === undefined) fast = makeWasmRows(WASM_BASE64);
  return fast ?? jsRows;
}
