// The plain-JS peer of the noising benchmark: the straightforward implementation a user would
// write (Philox4x32-10 with 16-bit partial products, Box-Muller with Math.log/cos/sin in float64,
// one loop over steps, rows and columns), single-threaded.

function mulhi(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const t = a1 * b0 + ((a0 * b0) >>> 16);
  const w1 = (t & 0xffff) + a0 * b1;
  return (a1 * b1 + Math.floor(t / 65536) + Math.floor(w1 / 65536)) >>> 0;
}

export function philoxJs(
  c0: number,
  c1: number,
  c2: number,
  c3: number,
  k0: number,
  k1: number,
  out: Uint32Array,
): void {
  for (let r = 0; r < 10; r++) {
    const hi0 = mulhi(0xd2511f53, c0);
    const lo0 = Math.imul(0xd2511f53, c0) >>> 0;
    const hi1 = mulhi(0xcd9e8d57, c2);
    const lo1 = Math.imul(0xcd9e8d57, c2) >>> 0;
    const n0 = (hi1 ^ c1 ^ k0) >>> 0;
    const n2 = (hi0 ^ c3 ^ k1) >>> 0;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 = (k0 + 0x9e3779b9) >>> 0;
    k1 = (k1 + 0xbb67ae85) >>> 0;
  }
  out[0] = c0;
  out[1] = c1;
  out[2] = c2;
  out[3] = c3;
}

/** (S, N, D) outputs of sqrt(abar) x0 + sqrt(1 - abar) eps with eps as the engine defines it. */
export function forwardNoiseJs(
  x0: Float32Array,
  rows: number,
  cols: number,
  steps: Int32Array,
  abar: Float64Array,
  key: [number, number],
  stream = 0,
): Float32Array {
  const out = new Float32Array(steps.length * rows * cols);
  const bits = new Uint32Array(4);
  const eps = new Float64Array(4);
  for (let s = 0; s < steps.length; s++) {
    const a = Math.sqrt(abar[s]!);
    const b = Math.sqrt(1 - abar[s]!);
    for (let n = 0; n < rows; n++) {
      for (let q = 0; q * 4 < cols; q++) {
        philoxJs(q, n, steps[s]!, stream, key[0], key[1], bits);
        for (let p = 0; p < 2; p++) {
          const r = Math.sqrt(-2 * Math.log((bits[2 * p]! | 1) >>> 0) + 2 * 32 * Math.LN2);
          const th = (2 * Math.PI * bits[2 * p + 1]!) / 2 ** 32;
          eps[2 * p] = r * Math.cos(th);
          eps[2 * p + 1] = r * Math.sin(th);
        }
        for (let k = 0; k < 4 && 4 * q + k < cols; k++) {
          const i = n * cols + 4 * q + k;
          out[(s * rows + n) * cols + 4 * q + k] = a * x0[i]! + b * eps[k]!;
        }
      }
    }
  }
  return out;
}
