// Symmetric band -> tridiagonal in float64 by Givens rotations with bulge chasing (Schwarz 1968;
// LAPACK sbtrd without vectors): stage 2 of the two-stage eigenvalue reduction (stage 1, dense -> band,
// runs on the GPU: src/kernels/tridiag.ts). Column j's entries A[j + r, j], r = b .. 2, are zeroed
// from the outside in, each by a rotation in the plane (j + r - 1, j + r); each rotation leaves one
// entry at distance b + 1 (the bulge), chased down the band by rotations b rows apart until it falls
// off the end. About n^2 / 2 rotations of ~4 b entries each: 6 n^2 b flops, O(n b) memory.
// Orthogonal similarity, so the spectrum is kept to float64 rounding (backward stable, G&VL §8.3.5).

import { WASM_BASE64 } from './band-chase.wasm.js';

/**
 * Tridiagonal form (d, e: e[i] couples i and i + 1, e[n - 1] = 0) of the symmetric band matrix given by
 * its lower band `ab` ((n, b + 1), column-major by diagonal offset: ab[j * (b + 1) + r] = A[j + r, j];
 * entries with j + r >= n are ignored). Not modified. Any b >= 0; b >= n - 1 is a dense matrix.
 */
export function bandToTridiagonal(ab: ArrayLike<number>, n: number, b: number): { d: Float64Array; e: Float64Array } {
  checkBand(ab, n, b);
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  // Bandwidth that matters: entries beyond n - 1 below the diagonal do not exist.
  const kd = Math.min(b, Math.max(n - 1, 0));
  // Working band with one more diagonal for the bulge: A[i, c] (c <= i <= c + kd + 1) at w[c * L + i]
  // (columns kd + 1 apart).
  const L = kd + 1;
  const w = new Float64Array(n * (L + 1));
  for (let j = 0; j < n; j++) for (let r = 0; r <= kd && j + r < n; r++) w[j * L + j + r] = Number(ab[j * (b + 1) + r]);
  for (let j = 0; j + 2 < n && kd >= 2; j++) {
    for (let r = Math.min(kd, n - 1 - j); r >= 2; r--) {
      // Zero A[q, col] against A[q - 1, col]: first the band entry (col = j), then each bulge.
      let col = j;
      let q = j + r;
      for (;;) {
        const p = q - 1;
        const x = w[col * L + p]!;
        const y = w[col * L + q]!;
        if (y === 0) break;
        // G = [c s; -s c] on rows/columns (p, q): row p <- c row p + s row q, row q <- c row q - s row p.
        const h = Math.sqrt(x * x + y * y);
        const c = x / h;
        const s = y / h;
        w[col * L + p] = h;
        w[col * L + q] = 0;
        // Rows p and q left of the 2 x 2 block (columns col + 1 .. p - 1, stored down those columns).
        for (let ip = (col + 1) * L + p, end = p * L + p; ip < end; ip += L) {
          const ap = w[ip]!;
          const aq = w[ip + 1]!;
          w[ip] = c * ap + s * aq;
          w[ip + 1] = c * aq - s * ap;
        }
        // The 2 x 2 block [app aqp; aqp aqq] <- G [..] G^T.
        const pp = p * L + p;
        const qp = p * L + q;
        const qq = q * L + q;
        const app = w[pp]!;
        const aqp = w[qp]!;
        const aqq = w[qq]!;
        const cs = c * s;
        w[pp] = c * c * app + 2 * cs * aqp + s * s * aqq;
        w[qq] = s * s * app - 2 * cs * aqp + c * c * aqq;
        w[qp] = cs * (aqq - app) + (c * c - s * s) * aqp;
        // Columns p and q below the block (rows q + 1 .. q + kd): A[q + kd, p] becomes the next bulge.
        const top = Math.min(n - 1, q + kd);
        for (let ip = p * L + q + 1, end = p * L + top, d = L; ip <= end; ip++) {
          const ap = w[ip]!;
          const aq = w[ip + d]!;
          w[ip] = c * ap + s * aq;
          w[ip + d] = c * aq - s * ap;
        }
        if (q + kd >= n) break;
        col = p;
        q += kd;
      }
    }
  }
  for (let j = 0; j < n; j++) {
    d[j] = w[j * L + j]!;
    if (j + 1 < n) e[j] = w[j * L + j + 1]!;
  }
  return { d, e };
}

/** The arguments of bandToTridiagonal, checked (an Error names the bad one). */
export function checkBand(ab: ArrayLike<number>, n: number, b: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`bandToTridiagonal: n must be an integer >= 0, got ${n}`);
  if (!Number.isInteger(b) || b < 0) throw new Error(`bandToTridiagonal: b must be an integer >= 0, got ${b}`);
  if (ab.length < n * (b + 1))
    throw new Error(`bandToTridiagonal: ab holds ${ab.length} values, not n (b + 1) = ${n * (b + 1)}`);
}

type BandReduce = (ab: ArrayLike<number>, n: number, b: number) => { d: Float64Array; e: Float64Array };

/**
 * bandToTridiagonal with its bulge chase in WebAssembly SIMD (band-chase.wat, assembled into `base64`):
 * the same rotations with the same float64 operations in the same order, so the same d and e bit for bit,
 * with the rotations applied two entries per instruction. null where WebAssembly or its SIMD is missing.
 * Self-contained (`check` is checkBand), so the stage-2 workers run it from its source (band-pool.ts).
 * On the 2-core AMD machine, best of 7 (scripts/dev/band-chase-time.ts): 51.0 -> 15.2 ms at n = 784, b = 32;
 * 944 -> 313 ms at n = 3072.
 */
export function makeBandChase(base64: string, check: typeof checkBand): BandReduce | null {
  let instance: WebAssembly.Instance;
  try {
    const bytes = Uint8Array.from(atob(base64), (ch) => ch.charCodeAt(0));
    instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  } catch {
    return null;
  }
  const memory = instance.exports.memory as WebAssembly.Memory;
  const chase = instance.exports.chase as (n: number, kd: number) => void;
  return (ab, n, b) => {
    check(ab, n, b);
    const kd = Math.min(b, Math.max(n - 1, 0));
    const L = kd + 1;
    const size = n * (L + 1);
    const pages = Math.ceil((8 * size) / 65536) - memory.buffer.byteLength / 65536;
    if (pages > 0) memory.grow(pages);
    const w = new Float64Array(memory.buffer, 0, size);
    w.fill(0);
    for (let j = 0; j < n; j++)
      for (let r = 0; r <= kd && j + r < n; r++) w[j * L + j + r] = Number(ab[j * (b + 1) + r]);
    chase(n, kd);
    const d = new Float64Array(n);
    const e = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      d[j] = w[j * L + j]!;
      if (j + 1 < n) e[j] = w[j * L + j + 1]!;
    }
    return { d, e };
  };
}

let fast: BandReduce | null | undefined;

/** The band reduction this thread runs: the WebAssembly chase (makeBandChase), else bandToTridiagonal. */
export function bandReduce(): BandReduce {
  if (fast === undefined) fast = makeBandChase(WASM_BASE64, checkBand);
  return fast ?? bandToTridiagonal;
}
