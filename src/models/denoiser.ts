// One interface for every denoiser (DESIGN.md §3): predict eps from (x_t, step, optional class),
// batched on the GPU. Samplers hold a Denoiser and never know which implementation it is.
import { checkInt } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { createTensor, disposeTensor, readback, type Tensor } from '../runtime/tensor.js';
import type { Schedule } from '../schedule/schedules.js';

/** Class label of the unconditional ("null") class in a `classes` array. */
export const NULL_CLASS = -1;

export interface Denoiser {
  /** Short name for reports, e.g. 'gmm', 'empirical', 'els', 'mlp', 'unet-small'. */
  readonly kind: string;
  /** Flattened data dimension D; every x_t is (N, D) row-major f32. */
  readonly dim: number;
  /** Image shape [H, W, C] (rows of x_t are H*W*C values, channels last) when the data are images. */
  readonly imageShape: readonly [number, number, number] | null;
  /** Number of classes it can condition on (0: unconditional only). Labels are 0..numClasses-1. */
  readonly numClasses: number;
  /** The noise schedule the denoiser is defined for; steps are 1..schedule.T. */
  readonly schedule: Schedule;
  /**
   * eps_hat (N, D) for x_t (N, D) at one step for the whole batch. `classes` (N,) holds a label per
   * row or NULL_CLASS for unconditional; null means unconditional for every row. Returns a new
   * tensor owned by the caller (dispose it).
   */
  predictEps(ctx: Context, xt: Tensor, n: number, step: number, classes: Int32Array | null): Promise<Tensor>;
  /**
   * Optional: the two predictions of classifier-free guidance for the same x_t (N, D) in one evaluation of
   * 2N rows, [eps for classesA, eps for classesB], equal to two predictEps calls. Denoisers whose cost
   * is per dispatch (learned networks) offer it; the sampler uses it when present.
   */
  predictEpsPair?(
    ctx: Context,
    xt: Tensor,
    n: number,
    step: number,
    classesA: Int32Array | null,
    classesB: Int32Array | null,
  ): Promise<[Tensor, Tensor]>;
  /** Frees the GPU buffers the denoiser holds. */
  dispose(): void;
}

/** Checks a step and class labels against a denoiser; errors name the limit. */
export function checkDenoiseArgs(d: Denoiser, n: number, step: number, classes: Int32Array | null): void {
  checkInt(`${d.kind} denoiser: step`, step, 1, d.schedule.T);
  if (classes === null) return;
  if (classes.length !== n) throw new Error(`${d.kind} denoiser: classes has ${classes.length} labels for ${n} rows`);
  for (let i = 0; i < n; i++) {
    const c = classes[i]!;
    if (c === NULL_CLASS) continue;
    if (!Number.isInteger(c) || c < 0 || c >= d.numClasses) {
      const valid =
        d.numClasses === 0
          ? 'only the null class -1 (the model is unconditional)'
          : `0..${d.numClasses - 1} or -1 (null)`;
      throw new Error(
        `${d.kind} denoiser: class label ${c} at row ${i} is outside the model's classes; valid: ${valid}`,
      );
    }
  }
}

/** Host convenience: eps_hat for host rows x_t (n, D). */
export async function predictEpsHost(
  ctx: Context,
  d: Denoiser,
  xt: Float32Array,
  n: number,
  step: number,
  classes: Int32Array | null = null,
): Promise<Float32Array> {
  if (xt.length !== n * d.dim)
    throw new Error(`${d.kind} denoiser: x_t has ${xt.length} values, expected n * D = ${n} * ${d.dim}`);
  const x = createTensor(ctx, [n, d.dim], { data: xt, label: `${d.kind}.xt` });
  try {
    const eps = await d.predictEps(ctx, x, n, step, classes);
    try {
      return (await readback(ctx, eps, 0, n * d.dim)) as Float32Array;
    } finally {
      disposeTensor(eps);
    }
  } finally {
    disposeTensor(x);
  }
}

/** Tweedie's x0_hat = (x_t - sqrt(1 - abar) eps_hat) / sqrt(abar), on the host, in f64 then f32. */
export function x0FromEps(
  schedule: Schedule,
  step: number,
  xt: ArrayLike<number>,
  eps: ArrayLike<number>,
): Float32Array {
  const abar = schedule.alphasCumprod[step - 1]!;
  const a = Math.sqrt(abar);
  const s = Math.sqrt(1 - abar);
  const out = new Float32Array(xt.length);
  for (let i = 0; i < xt.length; i++) out[i] = (xt[i]! - s * eps[i]!) / a;
  return out;
}
