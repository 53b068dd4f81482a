// Class entropy H(C | x_t) over steps and its rate (DESIGN.md §1, "Information view"), exact for the two
// denoisers whose class posterior is known in closed form: the Gaussian mixture (gmmClassPosterior) and the
// empirical denoiser (empiricalClassPosterior: posterior over training points summed per class).
//   H(C | x_t) = E_{x_t} [ -sum_c p(c | x_t) log p(c | x_t) ]  (nats),
// estimated over a batch x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps with one eps per row shared by every
// step (common random numbers: the per-step estimates are unbiased and the curve is smooth in t, so its
// finite differences measure the rate rather than the Monte-Carlo noise).
// Rate: dH/dstep by finite differences on the (ascending, possibly non-uniform) step grid, the centred
// three-point formula inside and one-sided at the ends. H grows with the step (noise erases the class);
// the class-decision step is the step of the largest rate, where the reverse chain loses entropy fastest.
import { checkFinite, checkInt, checkMatrix } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { createTensor, disposeTensor, upload } from '../runtime/tensor.js';
import { standardNormals } from '../kernels/forward_noise.js';
import { gmmClassPosterior, type GmmDenoiser } from '../models/gmm-denoiser.js';
import { empiricalClassPosterior, type EmpiricalDenoiser } from '../models/empirical-denoiser.js';
import { stepsFromList } from '../schedule/schedules.js';
import { INFORMATION_STREAM } from '../kernels/philox_streams.js';

/** Philox stream of the shared eps of classEntropySteps and denoisingError (distinct from every other consumer); kernels/philox_streams.ts. */
export { INFORMATION_STREAM };

/** Per-row entropies (n) in nats of a posterior table p (n, C), rows summing to 1; 0 log 0 = 0. */
export function rowEntropies(p: ArrayLike<number>, n: number, C: number): Float64Array {
  if (p.length !== n * C)
    throw new Error(`rowEntropies: posterior has ${p.length} values, expected n * C = ${n} * ${C}`);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let h = 0;
    for (let c = 0; c < C; c++) {
      const q = p[i * C + c]!;
      if (q > 0) h -= q * Math.log(q);
    }
    out[i] = h;
  }
  return out;
}

export interface EntropyRate {
  /** (S) ascending steps. */
  steps: Int32Array;
  /** (S) dH/dstep at each step. */
  rate: Float64Array;
  /** Step of the largest rate (the class-decision step); the first one on ties. */
  peakStep: number;
}

/**
 * dH/dstep of values h (S) at distinct steps (S, any order; sorted ascending in the result), by the
 * non-uniform three-point derivative inside (exact for quadratics) and one-sided differences at the ends.
 */
export function entropyRate(steps: ArrayLike<number>, h: ArrayLike<number>): EntropyRate {
  const S = steps.length;
  if (h.length !== S) throw new Error(`entropyRate: ${h.length} values for ${S} steps`);
  if (S < 2) throw new Error(`entropyRate: needs at least 2 steps, got ${S}`);
  const order = Array.from({ length: S }, (_, k) => k).sort((a, b) => steps[a]! - steps[b]!);
  const t = Int32Array.from(order, (k) => steps[k]!);
  const y = Float64Array.from(order, (k) => h[k]!);
  for (let k = 1; k < S; k++) if (t[k] === t[k - 1]) throw new Error(`entropyRate: step ${t[k]} appears twice`);
  const rate = new Float64Array(S);
  rate[0] = (y[1]! - y[0]!) / (t[1]! - t[0]!);
  rate[S - 1] = (y[S - 1]! - y[S - 2]!) / (t[S - 1]! - t[S - 2]!);
  for (let k = 1; k < S - 1; k++) {
    const h1 = t[k]! - t[k - 1]!;
    const h2 = t[k + 1]! - t[k]!;
    rate[k] =
      (-h2 / (h1 * (h1 + h2))) * y[k - 1]! + ((h2 - h1) / (h1 * h2)) * y[k]! + (h1 / (h2 * (h1 + h2))) * y[k + 1]!;
  }
  let best = 0;
  for (let k = 1; k < S; k++) if (rate[k]! > rate[best]!) best = k;
  return { steps: t, rate, peakStep: t[best]! };
}

export interface ClassEntropySteps {
  /** 'gmm' or 'empirical': whose exact class posterior was used. */
  denoiser: string;
  /** Rows of x0 averaged over. */
  n: number;
  numClasses: number;
  /** (S) ascending steps, their abar. */
  steps: Int32Array;
  abar: Float64Array;
  /** (S) mean H(C | x_t) in nats and the standard error of that mean (sample std / sqrt(n)). */
  entropy: Float64Array;
  stdError: Float64Array;
  /** (S) dH/dstep (entropyRate) and its peak step, the class-decision step. */
  rate: Float64Array;
  decisionStep: number;
  /** (n, S) per-row H(C | x_t) when keepRows was set, else null. */
  rows: Float64Array | null;
}

export interface ClassEntropyOptions {
  seed: number;
  /** Keep the per-row entropies (n, S) in the result (default false). */
  keepRows?: boolean;
}

/**
 * Exact H(C | x_t) at each step for data x0 (n, D) row-major f32 (draws of the mixture, or the training
 * rows for the empirical denoiser), with x_t = sqrt(abar) x0 + sqrt(1 - abar) eps and eps (n, D) drawn
 * once (Philox: seed, INFORMATION_STREAM) and shared by every step. Steps in 1..T, at least 2, any order.
 */
export async function classEntropySteps(
  ctx: Context,
  d: GmmDenoiser | EmpiricalDenoiser,
  x0: Float32Array,
  shape: readonly [number, number],
  steps: ArrayLike<number>,
  opts: ClassEntropyOptions,
): Promise<ClassEntropySteps> {
  if (d.kind !== 'gmm' && d.kind !== 'empirical') {
    throw new Error(
      `classEntropySteps: the exact class entropy needs a 'gmm' or 'empirical' denoiser, got '${String((d as { kind: unknown }).kind)}'; use onlineClassEntropy for learned models`,
    );
  }
  if (d.numClasses === 0)
    throw new Error(
      `classEntropySteps: the ${d.kind} denoiser is unconditional (no classes), so H(C | x_t) is undefined`,
    );
  const [n, D] = checkMatrix('classEntropySteps: x0', x0, shape);
  if (D !== d.dim) throw new Error(`classEntropySteps: x0 has ${D} columns but the denoiser's dimension is ${d.dim}`);
  checkFinite('classEntropySteps: x0', x0, D);
  const sorted = Array.from(stepsFromList(d.schedule, steps).steps).sort((a, b) => a - b);
  if (sorted.length < 2)
    throw new Error(`classEntropySteps: steps must hold at least 2 steps for a rate, got ${sorted.length}`);
  const C = d.numClasses;
  const S = sorted.length;
  const eps = await standardNormals(ctx, n, D, { seed: opts.seed, stream: INFORMATION_STREAM });
  const entropy = new Float64Array(S);
  const stdError = new Float64Array(S);
  const rows = opts.keepRows ? new Float64Array(n * S) : null;
  const abar = new Float64Array(S);
  const xt = new Float32Array(n * D);
  const xtT = createTensor(ctx, [n, D], { label: 'class_entropy.xt' });
  try {
    for (let k = 0; k < S; k++) {
      const step = checkInt('classEntropySteps: step', sorted[k]!, 1, d.schedule.T);
      const a = d.schedule.alphasCumprod[step - 1]!;
      abar[k] = a;
      noised(x0, eps, a, xt);
      upload(ctx, xtT, xt);
      const post =
        d.kind === 'gmm'
          ? await gmmClassPosterior(ctx, d, xtT, n, step)
          : await empiricalClassPosterior(ctx, d, xtT, n, step);
      const h = rowEntropies(post, n, C);
      const [m, se] = meanAndError(h);
      entropy[k] = m;
      stdError[k] = se;
      if (rows) for (let i = 0; i < n; i++) rows[i * S + k] = h[i]!;
    }
  } finally {
    disposeTensor(xtT);
  }
  const r = entropyRate(sorted, entropy);
  return {
    denoiser: d.kind,
    n,
    numClasses: C,
    steps: Int32Array.from(sorted),
    abar,
    entropy,
    stdError,
    rate: r.rate,
    decisionStep: r.peakStep,
    rows,
  };
}

/** x_t = sqrt(abar) x0 + sqrt(1 - abar) eps into out (float64 arithmetic, f32 result). */
export function noised(x0: ArrayLike<number>, eps: ArrayLike<number>, abar: number, out: Float32Array): void {
  const a = Math.sqrt(abar);
  const s = Math.sqrt(1 - abar);
  for (let i = 0; i < out.length; i++) out[i] = a * x0[i]! + s * eps[i]!;
}

/** Mean and its standard error (sample standard deviation / sqrt(n); 0 for n = 1). */
export function meanAndError(v: ArrayLike<number>): [number, number] {
  const n = v.length;
  let m = 0;
  for (let i = 0; i < n; i++) m += v[i]!;
  m /= n;
  let s = 0;
  for (let i = 0; i < n; i++) s += (v[i]! - m) ** 2;
  return [m, n > 1 ? Math.sqrt(s / (n - 1) / n) : 0];
}
