// Pure host pieces of the critical-phenomena diagnostics (DESIGN.md §1 "Critical phenomena"), float64, no GPU:
// image shapes, radial bins, the Wiener-Khinchin autocorrelation, the correlation length, real Fourier modes.
//
// Conventions. Images are NHWC rows of H*W*C values. The DFT is unitary, F[k] = (H W)^(-1/2) sum_r x[r]
// exp(-2 pi i (ky y / H + kx x / W)), so white noise of variance s^2 has a flat power spectrum E|F|^2 = s^2 and
// forward noising gives P_t(k) = abar P_0(k) + (1 - abar). 2-D arrays are (H, W) row-major, index ky * W + kx,
// frequencies unshifted (0..H-1, 0..W-1; ky and H - ky are the same |ky|).
// Radial frequency: |k| = max(H, W) sqrt((ky'/H)^2 + (kx'/W)^2) with ky' = min(ky, H - ky), i.e. in cycles per
// max(H, W) pixels (for square images the integer-lattice |k|); bin = round(|k|).
// Radial distance (autocorrelation): r = sqrt(dy'^2 + dx'^2) pixels with dy' = min(dy, H - dy); bin = round(r).
// Autocorrelation (Wiener-Khinchin): a(d) = (H W)^(-1) sum_k P(k) exp(2 pi i k . d) is the circular
// autocorrelation (H W)^(-1) sum_r x[r] x[r + d] averaged over the batch; C(d) = a(d) / a(0), so C(0) = 1.
// Correlation length xi: the radius where the radially averaged C(r) first drops below 1/e, linearly
// interpolated between the two bins around the crossing. For C = exp(-r / xi) it returns xi itself; it ignores
// the noisy far tail and the negative lobes that make second-moment lengths unstable on finite batches; on the
// pixel lattice white noise (C(1) = 0) gives xi = 1 - 1/e = 0.632, the smallest value it can return with C(1) <= 0.
// Without a crossing inside the image it returns Infinity (the correlation exceeds the largest radius).

/** [H, W, C] of image rows of D values; errors name the diagnostic that needs a height and width. */
export function imageShapeOf(
  diagnostic: string,
  D: number,
  shape: readonly number[] | null | undefined,
): [number, number, number] {
  if (!shape || (shape.length !== 2 && shape.length !== 3)) {
    throw new Error(
      `${diagnostic} needs image data with a height and width (rows of H * W * C values, NHWC); got imageShape ${shape ? `[${shape.join(', ')}]` : 'null'} for rows of D = ${D}. ` +
        'The power spectrum, autocorrelation, correlation length and mode softening are image-only diagnostics: pass imageShape [H, W] or [H, W, C].',
    );
  }
  const [H, W, C = 1] = shape;
  for (const [n, v] of [
    ['H', H],
    ['W', W],
    ['C', C],
  ] as const) {
    if (!Number.isInteger(v) || v! < 1)
      throw new Error(`${diagnostic}: imageShape ${n} must be a positive integer, got ${v}`);
  }
  if (H! * W! * C !== D)
    throw new Error(
      `${diagnostic}: imageShape [${H}, ${W}, ${C}] holds ${H! * W! * C} values per image, but rows have D = ${D}`,
    );
  return [H!, W!, C];
}

/** Radial bins of a (H, W) array: bin index of every entry, entries per bin, bin radius (= bin number). */
export interface RadialBins {
  index: Int32Array;
  count: Int32Array;
  radius: Float64Array;
}

function bins(H: number, W: number, r: (y: number, x: number) => number): RadialBins {
  const index = new Int32Array(H * W);
  let top = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const b = Math.round(r(Math.min(y, H - y), Math.min(x, W - x)));
      index[y * W + x] = b;
      top = Math.max(top, b);
    }
  }
  const count = new Int32Array(top + 1);
  for (const b of index) count[b]!++;
  return { index, count, radius: Float64Array.from({ length: top + 1 }, (_, b) => b) };
}

/** |k| = max(H, W) sqrt((ky'/H)^2 + (kx'/W)^2), bin = round(|k|). */
export function frequencyBins(H: number, W: number): RadialBins {
  const L = Math.max(H, W);
  return bins(H, W, (y, x) => L * Math.hypot(y / H, x / W));
}

/** r = sqrt(dy'^2 + dx'^2) pixels, bin = round(r). */
export function distanceBins(H: number, W: number): RadialBins {
  return bins(H, W, (y, x) => Math.hypot(y, x));
}

/** Mean of a (H, W) array over each bin (NaN for an empty bin). */
export function radialAverage(values: ArrayLike<number>, b: RadialBins): Float64Array {
  if (values.length !== b.index.length)
    throw new Error(`radialAverage: ${values.length} values for ${b.index.length} bin entries`);
  const out = new Float64Array(b.count.length);
  for (let i = 0; i < values.length; i++) out[b.index[i]!]! += values[i]!;
  for (let k = 0; k < out.length; k++) out[k] = b.count[k]! > 0 ? out[k]! / b.count[k]! : NaN;
  return out;
}

/** Inverse 2-D DFT (real part) of a real (H, W) array, separable, float64: out[d] = sum_k P[k] cos(2 pi k . d). */
function inverseDftReal(p: ArrayLike<number>, H: number, W: number): Float64Array {
  // Rows first: R[ky, dx] = sum_kx P[ky, kx] exp(2 pi i kx dx / W) (complex), then columns.
  const re = new Float64Array(H * W);
  const im = new Float64Array(H * W);
  for (let ky = 0; ky < H; ky++) {
    for (let dx = 0; dx < W; dx++) {
      let sr = 0;
      let si = 0;
      for (let kx = 0; kx < W; kx++) {
        const t = (2 * Math.PI * ((kx * dx) % W)) / W;
        sr += p[ky * W + kx]! * Math.cos(t);
        si += p[ky * W + kx]! * Math.sin(t);
      }
      re[ky * W + dx] = sr;
      im[ky * W + dx] = si;
    }
  }
  const out = new Float64Array(H * W);
  for (let dy = 0; dy < H; dy++) {
    for (let dx = 0; dx < W; dx++) {
      let s = 0;
      for (let ky = 0; ky < H; ky++) {
        const t = (2 * Math.PI * ((ky * dy) % H)) / H;
        s += re[ky * W + dx]! * Math.cos(t) - im[ky * W + dx]! * Math.sin(t);
      }
      out[dy * W + dx] = s;
    }
  }
  return out;
}

/** Normalised autocorrelation C (H, W), C(0, 0) = 1, from a mean power spectrum (Wiener-Khinchin). */
export function autocorrelationFromPower(power: ArrayLike<number>, H: number, W: number): Float64Array {
  if (power.length !== H * W) throw new Error(`autocorrelationFromPower: ${power.length} values for H * W = ${H * W}`);
  const a = inverseDftReal(power, H, W);
  const a0 = a[0]!;
  if (!(a0 > 0))
    throw new Error(
      `autocorrelationFromPower: zero total power (a(0) = ${a0}); the images are constant after centring`,
    );
  for (let i = 0; i < a.length; i++) a[i] = a[i]! / a0;
  return a;
}

/**
 * Correlation length: the radius where radialC (bins at `radius`, default 0, 1, 2, ...) first drops below 1/e,
 * linearly interpolated between the neighbouring defined bins; Infinity when it never does (see the header).
 */
export function correlationLength(radialC: ArrayLike<number>, radius?: ArrayLike<number>): number {
  const level = Math.exp(-1);
  let prevR = NaN;
  let prevC = NaN;
  for (let b = 0; b < radialC.length; b++) {
    const c = radialC[b]!;
    const r = radius ? radius[b]! : b;
    if (!Number.isFinite(c)) continue;
    if (c < level) return Number.isFinite(prevC) ? prevR + ((prevC - level) / (prevC - c)) * (r - prevR) : r;
    prevR = r;
    prevC = c;
  }
  return Infinity;
}

/** A real Fourier pattern: cos or sin of 2 pi (ky y / H + kx x / W), the same on every channel. */
export interface FourierMode {
  ky: number;
  kx: number;
  kind: 'cos' | 'sin';
  /** Radial frequency bin (frequencyBins) and |k| before rounding. */
  bin: number;
  k: number;
}

/**
 * The real Fourier basis modes with radial bin <= maxBin, ordered by |k|: one representative of each pair
 * (k, -k), its cos pattern, and its sin pattern unless k = -k (mod H, W) (where sin vanishes). With maxBin
 * large enough they form an orthonormal basis of the channel-replicated images (H W of them).
 */
export function fourierModes(H: number, W: number, maxBin: number): FourierMode[] {
  const L = Math.max(H, W);
  const out: FourierMode[] = [];
  for (let ky = 0; ky < H; ky++) {
    for (let kx = 0; kx < W; kx++) {
      const ny = (H - ky) % H;
      const nx = (W - kx) % W;
      if (ny * W + nx < ky * W + kx) continue;
      const k = L * Math.hypot(Math.min(ky, ny) / H, Math.min(kx, nx) / W);
      const bin = Math.round(k);
      if (bin > maxBin) continue;
      out.push({ ky, kx, kind: 'cos', bin, k });
      if (ny !== ky || nx !== kx) out.push({ ky, kx, kind: 'sin', bin, k });
    }
  }
  return out.sort((a, b) => a.k - b.k || a.ky - b.ky || a.kx - b.kx || (a.kind === 'cos' ? -1 : 1));
}

/** Unit-norm vector (H * W * C) of a mode, NHWC, float64. */
export function fourierModeVector(m: FourierMode, H: number, W: number, C: number): Float64Array {
  const v = new Float64Array(H * W * C);
  let ss = 0;
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const t = 2 * Math.PI * (((m.ky * y) % H) / H + ((m.kx * x) % W) / W);
      const val = m.kind === 'cos' ? Math.cos(t) : Math.sin(t);
      for (let c = 0; c < C; c++) v[(y * W + x) * C + c] = val;
      ss += C * val * val;
    }
  }
  const s = 1 / Math.sqrt(ss);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * s;
  return v;
}
