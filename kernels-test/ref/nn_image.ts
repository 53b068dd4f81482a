// Float64 references for the image ops, written from the definitions over NHWC arrays (n, h, w, c):
// direct 3x3 convolution (no patch matrix) and its gradients by scattering each output's taps,
// im2col / col2im from the index formula, 2x2 pooling, nearest upsampling, concatenation, channel bias.
// kernels-test/pure/nn_image_ref.test.ts checks every backward here against finite differences.

type Arr = ArrayLike<number>;

export interface ImageDims {
  n: number;
  h: number;
  w: number;
  c: number;
}

/** Index of (n, y, x, c) in NHWC, or -1 outside the image (zero padding). */
const at = (d: ImageDims, n: number, y: number, x: number, ci: number) =>
  y < 0 || y >= d.h || x < 0 || x >= d.w ? -1 : ((n * d.h + y) * d.w + x) * d.c + ci;

/** cols[(n h + y) w + x, (ky * 3 + kx) c + ci] = x[n, y + ky - 1, x + kx - 1, ci], 0 outside. */
export function im2col3x3(x: Arr, d: ImageDims): Float64Array {
  const cols = new Float64Array(d.n * d.h * d.w * 9 * d.c);
  for (let n = 0; n < d.n; n++)
    for (let y = 0; y < d.h; y++)
      for (let xx = 0; xx < d.w; xx++)
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++)
            for (let ci = 0; ci < d.c; ci++) {
              const src = at(d, n, y + ky - 1, xx + kx - 1, ci);
              cols[(((n * d.h + y) * d.w + xx) * 9 + ky * 3 + kx) * d.c + ci] = src < 0 ? 0 : x[src]!;
            }
  return cols;
}

/** The adjoint of im2col3x3: every patch entry added back to the input pixel it was read from (scatter). */
export function col2im3x3(cols: Arr, d: ImageDims): Float64Array {
  const dx = new Float64Array(d.n * d.h * d.w * d.c);
  for (let n = 0; n < d.n; n++)
    for (let y = 0; y < d.h; y++)
      for (let xx = 0; xx < d.w; xx++)
        for (let t = 0; t < 9; t++)
          for (let ci = 0; ci < d.c; ci++) {
            const dst = at(d, n, y + Math.floor(t / 3) - 1, xx + (t % 3) - 1, ci);
            if (dst >= 0) dx[dst] += cols[(((n * d.h + y) * d.w + xx) * 9 + t) * d.c + ci]!;
          }
  return dx;
}

export interface ConvDims {
  n: number;
  h: number;
  w: number;
  cin: number;
  cout: number;
}

/** y[n, y, x, co] = b[co] + sum_{ky, kx, ci} W[co, (ky * 3 + kx) cin + ci] x[n, y + ky - 1, x + kx - 1, ci]. */
export function conv3x3(x: Arr, weight: Arr, bias: Arr | null, d: ConvDims): Float64Array {
  const inD = { n: d.n, h: d.h, w: d.w, c: d.cin };
  const y = new Float64Array(d.n * d.h * d.w * d.cout);
  for (let n = 0; n < d.n; n++)
    for (let yy = 0; yy < d.h; yy++)
      for (let xx = 0; xx < d.w; xx++)
        for (let co = 0; co < d.cout; co++) {
          let s = bias ? bias[co]! : 0;
          for (let ky = 0; ky < 3; ky++)
            for (let kx = 0; kx < 3; kx++)
              for (let ci = 0; ci < d.cin; ci++) {
                const src = at(inD, n, yy + ky - 1, xx + kx - 1, ci);
                if (src >= 0) s += weight[co * 9 * d.cin + (ky * 3 + kx) * d.cin + ci]! * x[src]!;
              }
          y[((n * d.h + yy) * d.w + xx) * d.cout + co] = s;
        }
  return y;
}

/** Gradients of sum(dy * conv3x3(x, W, b)): each output's dy times its taps, scattered. */
export function conv3x3Backward(
  x: Arr,
  weight: Arr,
  dy: Arr,
  d: ConvDims,
): { dx: Float64Array; dweight: Float64Array; dbias: Float64Array } {
  const inD = { n: d.n, h: d.h, w: d.w, c: d.cin };
  const dx = new Float64Array(d.n * d.h * d.w * d.cin);
  const dweight = new Float64Array(d.cout * 9 * d.cin);
  const dbias = new Float64Array(d.cout);
  for (let n = 0; n < d.n; n++)
    for (let yy = 0; yy < d.h; yy++)
      for (let xx = 0; xx < d.w; xx++)
        for (let co = 0; co < d.cout; co++) {
          const g = dy[((n * d.h + yy) * d.w + xx) * d.cout + co]!;
          dbias[co] += g;
          for (let t = 0; t < 9; t++)
            for (let ci = 0; ci < d.cin; ci++) {
              const src = at(inD, n, yy + Math.floor(t / 3) - 1, xx + (t % 3) - 1, ci);
              if (src < 0) continue;
              const wi = co * 9 * d.cin + t * d.cin + ci;
              dweight[wi] += g * x[src]!;
              dx[src] += g * weight[wi]!;
            }
        }
  return { dx, dweight, dbias };
}

/** y (n, h/2, w/2, c) = mean of each 2x2 block. */
export function avgPool2(x: Arr, d: ImageDims): Float64Array {
  const [h2, w2] = [d.h / 2, d.w / 2];
  const y = new Float64Array(d.n * h2 * w2 * d.c);
  for (let n = 0; n < d.n; n++)
    for (let i = 0; i < h2; i++)
      for (let j = 0; j < w2; j++)
        for (let ci = 0; ci < d.c; ci++) {
          let s = 0;
          for (const [dy, dx] of [
            [0, 0],
            [0, 1],
            [1, 0],
            [1, 1],
          ])
            s += x[at(d, n, 2 * i + dy!, 2 * j + dx!, ci)]!;
          y[((n * h2 + i) * w2 + j) * d.c + ci] = s / 4;
        }
  return y;
}

/** Gradient of sum(dy * avgPool2(x)) with respect to x (n, h, w, c): dy / 4 at each pixel of the block. */
export function avgPool2Backward(dy: Arr, d: ImageDims): Float64Array {
  const dx = new Float64Array(d.n * d.h * d.w * d.c);
  const [h2, w2] = [d.h / 2, d.w / 2];
  for (let n = 0; n < d.n; n++)
    for (let y = 0; y < d.h; y++)
      for (let x = 0; x < d.w; x++)
        for (let ci = 0; ci < d.c; ci++)
          dx[at(d, n, y, x, ci)] = dy[((n * h2 + Math.floor(y / 2)) * w2 + Math.floor(x / 2)) * d.c + ci]! / 4;
  return dx;
}

/** Nearest upsampling of x (n, h, w, c) to (n, 2h, 2w, c). */
export function upsample2(x: Arr, d: ImageDims): Float64Array {
  const big = { ...d, h: 2 * d.h, w: 2 * d.w };
  const y = new Float64Array(d.n * big.h * big.w * d.c);
  for (let n = 0; n < d.n; n++)
    for (let yy = 0; yy < big.h; yy++)
      for (let xx = 0; xx < big.w; xx++)
        for (let ci = 0; ci < d.c; ci++)
          y[at(big, n, yy, xx, ci)] = x[at(d, n, Math.floor(yy / 2), Math.floor(xx / 2), ci)]!;
  return y;
}

/** Gradient of sum(dy * upsample2(x)) with respect to x (n, h, w, c): the sum of its 4 copies' dy. */
export function upsample2Backward(dy: Arr, d: ImageDims): Float64Array {
  const big = { ...d, h: 2 * d.h, w: 2 * d.w };
  const dx = new Float64Array(d.n * d.h * d.w * d.c);
  for (let n = 0; n < d.n; n++)
    for (let yy = 0; yy < big.h; yy++)
      for (let xx = 0; xx < big.w; xx++)
        for (let ci = 0; ci < d.c; ci++)
          dx[at(d, n, Math.floor(yy / 2), Math.floor(xx / 2), ci)] += dy[at(big, n, yy, xx, ci)]!;
  return dx;
}

/** y (pixels, ca + cb) = [a | b]. */
export function concatChannels(a: Arr, ca: number, b: Arr, cb: number, pixels: number): Float64Array {
  const y = new Float64Array(pixels * (ca + cb));
  for (let p = 0; p < pixels; p++) {
    for (let j = 0; j < ca; j++) y[p * (ca + cb) + j] = a[p * ca + j]!;
    for (let j = 0; j < cb; j++) y[p * (ca + cb) + ca + j] = b[p * cb + j]!;
  }
  return y;
}

/** Gradients of sum(dy * concat(a, b)): the two column blocks of dy. */
export function splitChannels(dy: Arr, ca: number, cb: number, pixels: number): { da: Float64Array; db: Float64Array } {
  const da = new Float64Array(pixels * ca);
  const db = new Float64Array(pixels * cb);
  for (let p = 0; p < pixels; p++)
    for (let j = 0; j < ca + cb; j++) {
      const v = dy[p * (ca + cb) + j]!;
      if (j < ca) da[p * ca + j] = v;
      else db[p * cb + j - ca] = v;
    }
  return { da, db };
}

/** y[n, p, c] = x[n, p, c] + e[n, c] for x (n, hw, c). */
export function addChannelBias(x: Arr, e: Arr, n: number, hw: number, c: number): Float64Array {
  return Float64Array.from({ length: n * hw * c }, (_, i) => x[i]! + e[Math.floor(i / (hw * c)) * c + (i % c)]!);
}

/** s[n, c] = sum over pixels of x[n, p, c]: the gradient of sum(dy * addChannelBias) with respect to e. */
export function channelSum(x: Arr, n: number, hw: number, c: number): Float64Array {
  const s = new Float64Array(n * c);
  for (let i = 0; i < n * hw * c; i++) s[Math.floor(i / (hw * c)) * c + (i % c)] += x[i]!;
  return s;
}
