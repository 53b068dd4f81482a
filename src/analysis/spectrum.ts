// Radially averaged power spectrum, autocorrelation and correlation length of image batches on the GPU
// (DESIGN.md §1 "Critical phenomena"): of arbitrary images (imagePowerSpectrum) and, per step, of forward-noised
// data x_t and of the denoiser's Tweedie output x0_hat = (x_t - sqrt(1 - abar) eps_hat) / sqrt(abar)
// (powerSpectrumSteps). The batch's |F|^2 comes from a direct 2-D DFT (src/kernels/dft.ts: exact for any H, W,
// O(H W (H + W)) per image, e.g. 44k complex multiply-adds for 28 x 28); the rest is float64 on the host
// (spectrum-core.ts states the DFT normalisation, the radial bins, the autocorrelation and the xi rule).
// Centring: 'batch' (default) subtracts the batch-mean image, the connected (fluctuation) spectrum
// P(k) = (N / (N - 1)) (mean_n |F_n|^2 - |mean_n F_n|^2) averaged over channels, unbiased for N >= 2;
// 'none' keeps the raw mean power mean_{n,c} |F_{n,c}(k)|^2 (the mean image's spectrum included).
import { checkFinite, checkInt, checkMatrix, seedKey } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { beginBatch, submit } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback, upload, type Tensor } from '../runtime/tensor.js';
import { dftGroups, dftKernels, encodeDftPower, twiddles, type DftKernels } from '../kernels/dft.js';
import { encodeForwardNoise, forwardNoisePipeline, NOISE_STREAM } from '../kernels/forward_noise.js';
import type { Denoiser } from '../models/denoiser.js';
import { stepsFromList, type Schedule } from '../schedule/schedules.js';
import {
  autocorrelationFromPower,
  correlationLength,
  distanceBins,
  frequencyBins,
  imageShapeOf,
  radialAverage,
  type RadialBins,
} from './spectrum-core.js';

export type SpectrumCenter = 'batch' | 'none';
export const SPECTRUM_CENTERS: readonly SpectrumCenter[] = ['batch', 'none'];

/** Image rows: x (N, D) row-major f32 with imageShape [H, W] or [H, W, C] (D = H W C); a Dataset fits. */
export interface ImageRows {
  x: Float32Array;
  shape: readonly [number, number];
  imageShape?: readonly number[] | null;
}

export interface ImageSpectrum {
  /** (H, W) power P(k), unitary DFT, averaged over images and channels (centred as asked), index ky * W + kx. */
  power: Float64Array;
  /** (frequency bins) radial mean of power. */
  radialPower: Float64Array;
  /** (H, W) normalised circular autocorrelation C(dy, dx), C(0, 0) = 1 (NaN when the power is zero). */
  autocorrelation: Float64Array;
  /** (distance bins) radial mean of the autocorrelation. */
  radialAutocorrelation: Float64Array;
  /** Correlation length in pixels (first 1/e crossing of radialAutocorrelation; spectrum-core.ts). */
  xi: number;
}

const IMAGES_PER_GROUP = 32;
const DEFAULT_CHUNK_ROWS = 512;

function checkCenter(c: unknown): SpectrumCenter {
  if (!SPECTRUM_CENTERS.includes(c as SpectrumCenter))
    throw new Error(`center must be one of ${SPECTRUM_CENTERS.join(', ')}, got '${String(c)}'`);
  return c as SpectrumCenter;
}

/** GPU scratch for batches of up to `rows` images, and float64 accumulators. */
interface Work {
  ctx: Context;
  k: DftKernels;
  H: number;
  W: number;
  C: number;
  twW: Tensor;
  twH: Tensor;
  g: Tensor;
  out: Tensor;
}

async function makeWork(ctx: Context, rows: number, H: number, W: number, C: number): Promise<Work> {
  const k = await dftKernels(ctx);
  return {
    ctx,
    k,
    H,
    W,
    C,
    twW: createTensor(ctx, [W, 2], { data: twiddles(W), label: 'spectrum.twW' }),
    twH: createTensor(ctx, [H, 2], { data: twiddles(H), label: 'spectrum.twH' }),
    g: createTensor(ctx, [rows * H * W * C, 2], { label: 'spectrum.g' }),
    out: createTensor(ctx, [dftGroups(rows, IMAGES_PER_GROUP) * H * W, 1 + 2 * C], { label: 'spectrum.out' }),
  };
}

function freeWork(w: Work): void {
  for (const t of [w.twW, w.twH, w.g, w.out]) disposeTensor(t);
}

/** Running float64 sums: sum_{n,c} |F|^2 (H W) and sum_n F per channel (H W, C, 2), over `n` images. */
interface Acc {
  p: Float64Array;
  f: Float64Array;
  n: number;
}

const newAcc = (w: Work): Acc => ({ p: new Float64Array(w.H * w.W), f: new Float64Array(w.H * w.W * 2 * w.C), n: 0 });

/** Adds the DFT sums of v = ca a + cb b (n images) into acc. */
async function addSpectrum(w: Work, acc: Acc, a: Tensor, b: Tensor, ca: number, cb: number, n: number): Promise<void> {
  const batch = beginBatch(w.ctx, 'spectrum');
  encodeDftPower(batch, w.k, {
    a,
    b,
    ca,
    cb,
    twW: w.twW,
    twH: w.twH,
    g: w.g,
    out: w.out,
    n,
    h: w.H,
    w: w.W,
    c: w.C,
    perGroup: IMAGES_PER_GROUP,
  });
  submit(batch);
  const HW = w.H * w.W;
  const S = 1 + 2 * w.C;
  const groups = dftGroups(n, IMAGES_PER_GROUP);
  const o = await readback(w.ctx, w.out, 0, groups * HW * S);
  for (let g = 0; g < groups; g++) {
    for (let k = 0; k < HW; k++) {
      const base = (g * HW + k) * S;
      acc.p[k]! += o[base]!;
      for (let j = 0; j < 2 * w.C; j++) acc.f[k * 2 * w.C + j]! += o[base + 1 + j]!;
    }
  }
  acc.n += n;
}

function finish(
  acc: Acc,
  H: number,
  W: number,
  C: number,
  center: SpectrumCenter,
  freq: RadialBins,
  dist: RadialBins,
): ImageSpectrum {
  const HW = H * W;
  const N = acc.n;
  const power = new Float64Array(HW);
  for (let k = 0; k < HW; k++) {
    let p = acc.p[k]! / (N * C);
    if (center === 'batch') {
      let m = 0;
      for (let c = 0; c < C; c++) {
        const re = acc.f[k * 2 * C + 2 * c]! / N;
        const im = acc.f[k * 2 * C + 2 * c + 1]! / N;
        m += re * re + im * im;
      }
      p = ((p - m / C) * N) / (N - 1);
    }
    power[k] = Math.max(p, 0) / HW;
  }
  let total = 0;
  for (const p of power) total += p;
  const autocorrelation = total > 0 ? autocorrelationFromPower(power, H, W) : new Float64Array(HW).fill(NaN);
  const radialAutocorrelation = radialAverage(autocorrelation, dist);
  return {
    power,
    radialPower: radialAverage(power, freq),
    autocorrelation,
    radialAutocorrelation,
    xi: total > 0 ? correlationLength(radialAutocorrelation, dist.radius) : NaN,
  };
}

function checkRows(what: string, center: SpectrumCenter, n: number): void {
  if (center === 'batch' && n < 2)
    throw new Error(`${what}: center 'batch' needs at least 2 images, got ${n}; use center 'none' for one image`);
}

/** Power spectrum, autocorrelation and xi of images x (N, D) f32 with imageShape [H, W(, C)] (D = H W C). */
export async function imagePowerSpectrum(
  ctx: Context,
  x: Float32Array,
  shape: readonly [number, number],
  imageShape: readonly number[] | null,
  opts: { center?: SpectrumCenter; chunkRows?: number } = {},
): Promise<ImageSpectrum & { frequency: RadialBins; distance: RadialBins }> {
  const [N, D] = checkMatrix('imagePowerSpectrum: x', x, shape);
  const [H, W, C] = imageShapeOf('imagePowerSpectrum (power spectrum / autocorrelation)', D, imageShape);
  checkFinite('imagePowerSpectrum: x', x, D);
  const center = checkCenter(opts.center ?? 'batch');
  checkRows('imagePowerSpectrum', center, N);
  const chunk = Math.min(N, checkInt('chunkRows', opts.chunkRows ?? DEFAULT_CHUNK_ROWS, 1, 2 ** 20));
  const w = await makeWork(ctx, chunk, H, W, C);
  const xT = createTensor(ctx, [chunk, D], { label: 'spectrum.x' });
  try {
    const acc = newAcc(w);
    for (let r0 = 0; r0 < N; r0 += chunk) {
      const nr = Math.min(chunk, N - r0);
      upload(ctx, xT, x.subarray(r0 * D, (r0 + nr) * D));
      await addSpectrum(w, acc, xT, xT, 1, 0, nr);
    }
    const frequency = frequencyBins(H, W);
    const distance = distanceBins(H, W);
    return { ...finish(acc, H, W, C, center, frequency, distance), frequency, distance };
  } finally {
    disposeTensor(xT);
    freeWork(w);
  }
}

/** Per-step arrays of one signal (x_t or x0_hat); entry s belongs to steps[s]. */
export interface SpectrumSeries {
  power: Float64Array[];
  radialPower: Float64Array[];
  autocorrelation: Float64Array[];
  radialAutocorrelation: Float64Array[];
  /** (S) correlation length per step. */
  xi: Float64Array;
}

export interface PowerSpectrumSteps {
  imageShape: [number, number, number];
  steps: number[];
  abar: number[];
  center: SpectrumCenter;
  rows: number;
  frequency: RadialBins;
  distance: RadialBins;
  xt: SpectrumSeries;
  /** Of the denoiser's x0_hat at the same x_t; null without a denoiser. */
  x0hat: SpectrumSeries | null;
}

export interface PowerSpectrumStepsOptions {
  /** Philox seed of the forward noise (x_t = sqrt(abar) x0 + sqrt(1 - abar) eps, eps as forwardNoise draws it). */
  seed: number;
  stream?: number;
  /** The schedule (default: the denoiser's; required without a denoiser). */
  schedule?: Schedule;
  center?: SpectrumCenter;
  /** Images per GPU batch (default 512). */
  chunkRows?: number;
}

function series(S: number): SpectrumSeries {
  return { power: [], radialPower: [], autocorrelation: [], radialAutocorrelation: [], xi: new Float64Array(S) };
}

function push(s: SpectrumSeries, i: number, r: ImageSpectrum): void {
  s.power.push(r.power);
  s.radialPower.push(r.radialPower);
  s.autocorrelation.push(r.autocorrelation);
  s.radialAutocorrelation.push(r.radialAutocorrelation);
  s.xi[i] = r.xi;
}

/**
 * Spectra of x_t and of x0_hat per step for data rows (N, D) (images). x_t row n at step s is exactly
 * forwardNoise(x0, { seed, stream, steps: [s] }) row n, so callers can reproduce it.
 */
export async function powerSpectrumSteps(
  ctx: Context,
  data: ImageRows,
  denoiser: Denoiser | null,
  steps: ArrayLike<number>,
  opts: PowerSpectrumStepsOptions,
): Promise<PowerSpectrumSteps> {
  const [N, D] = checkMatrix('powerSpectrumSteps: data.x', data.x, data.shape);
  const [H, W, C] = imageShapeOf(
    'powerSpectrumSteps (power spectrum / autocorrelation / correlation length)',
    D,
    data.imageShape ?? denoiser?.imageShape ?? null,
  );
  checkFinite('powerSpectrumSteps: data.x', data.x, D);
  if (denoiser && denoiser.dim !== D)
    throw new Error(`powerSpectrumSteps: the ${denoiser.kind} denoiser has D = ${denoiser.dim}, the data D = ${D}`);
  const schedule = opts.schedule ?? denoiser?.schedule;
  if (!schedule) throw new Error('powerSpectrumSteps: pass opts.schedule when there is no denoiser');
  const center = checkCenter(opts.center ?? 'batch');
  checkRows('powerSpectrumSteps', center, N);
  const key = seedKey(opts.seed);
  const stream = checkInt('stream', opts.stream ?? NOISE_STREAM, 0, 0xffffffff);
  const { steps: st, abar } = stepsFromList(schedule, steps);
  const S = st.length;
  for (let s = 0; s < S; s++) {
    if (denoiser && !(abar[s]! > 0 && abar[s]! < 1))
      throw new Error(`powerSpectrumSteps: abar = ${abar[s]} at step ${st[s]}; x0_hat needs 0 < abar < 1`);
  }
  const chunk = Math.min(N, checkInt('chunkRows', opts.chunkRows ?? DEFAULT_CHUNK_ROWS, 1, 2 ** 20));
  const w = await makeWork(ctx, chunk, H, W, C);
  const noise = await forwardNoisePipeline(ctx);
  const x0T = createTensor(ctx, [chunk, D], { label: 'spectrum.x0' });
  const xtT = createTensor(ctx, [chunk, D], { label: 'spectrum.xt' });
  const stepT = createTensor(ctx, [1], { dtype: 'u32', label: 'spectrum.step' });
  const coefT = createTensor(ctx, [1, 2], { label: 'spectrum.coef' });
  try {
    const accXt = Array.from({ length: S }, () => newAcc(w));
    const accX0 = Array.from({ length: S }, () => newAcc(w));
    for (let r0 = 0; r0 < N; r0 += chunk) {
      const nr = Math.min(chunk, N - r0);
      upload(ctx, x0T, data.x.subarray(r0 * D, (r0 + nr) * D));
      for (let s = 0; s < S; s++) {
        const a = Math.sqrt(abar[s]!);
        const sig = Math.sqrt(1 - abar[s]!);
        upload(ctx, stepT, [st[s]!]);
        upload(ctx, coefT, [a, sig]);
        const batch = beginBatch(ctx, 'spectrum.noise');
        encodeForwardNoise(batch, noise, {
          x0: x0T,
          out: xtT,
          steps: stepT,
          coef: coefT,
          rows: nr,
          cols: D,
          rowOffset: r0,
          numSteps: 1,
          key,
          stream,
        });
        submit(batch);
        await addSpectrum(w, accXt[s]!, xtT, xtT, 1, 0, nr);
        if (!denoiser) continue;
        const eps = await denoiser.predictEps(ctx, xtT, nr, st[s]!, null);
        try {
          await addSpectrum(w, accX0[s]!, xtT, eps, 1 / a, -sig / a, nr);
        } finally {
          disposeTensor(eps);
        }
      }
    }
    const frequency = frequencyBins(H, W);
    const distance = distanceBins(H, W);
    const xt = series(S);
    const x0hat = denoiser ? series(S) : null;
    for (let s = 0; s < S; s++) {
      push(xt, s, finish(accXt[s]!, H, W, C, center, frequency, distance));
      if (x0hat) push(x0hat, s, finish(accX0[s]!, H, W, C, center, frequency, distance));
    }
    return {
      imageShape: [H, W, C],
      steps: Array.from(st),
      abar: Array.from(abar),
      center,
      rows: N,
      frequency,
      distance,
      xt,
      x0hat,
    };
  } finally {
    for (const t of [x0T, xtT, stepT, coefT]) disposeTensor(t);
    freeWork(w);
  }
}
