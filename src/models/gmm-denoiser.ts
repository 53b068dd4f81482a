// Exact Gaussian-mixture denoiser (DESIGN.md §3, §6). Under x_t = sqrt(abar) x_0 + sqrt(1 - abar) eps the
// mixture sum_k pi_k N(mu_k, Sigma_k) becomes sum_k pi_k N(sqrt(abar) mu_k, S_k), S_k = abar Sigma_k +
// (1 - abar) I, with responsibilities r_k(x) = softmax_k(log pi_k + log N(x; sqrt(abar) mu_k, S_k)), score
// grad log p(x) = -sum_k r_k S_k^{-1} (x - sqrt(abar) mu_k) and Tweedie's eps_hat = -sqrt(1 - abar) score.
// With Sigma_k = U_k diag(s_k) U_k^T (gmm-model.ts, once, float64), z_k = U_k^T x - sqrt(abar) U_k^T mu_k
// gives S_k^{-1} (x - sqrt(abar) mu_k) = U_k (z_k / lam_k). On the GPU (posterior-stream.ts): one GEMM
// [U_1 .. U_K]^T X^T for every projection, gmm_softmax.wgsl for the exact log-sum-exp responsibilities,
// one GEMM for sum_k r_k U_k (z_k / lam_k), posterior_finish.wgsl for the factor sqrt(1 - abar). A class
// label c restricts the mixture to class c's components (weights renormalised within the class).
import { checkInt } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { createTensor, disposeTensor, readback, upload, type Tensor } from '../runtime/tensor.js';
import type { PlanOptions } from '../kernels/matmul.js';
import { encodeGmmSoftmax, gmmSoftmaxPipeline } from '../kernels/gmm_softmax.js';
import { checkDenoiseArgs, NULL_CLASS, type Denoiser } from './denoiser.js';
import { gmmStepTables, prepareGmm, type GmmModel, type GmmParams } from './gmm-model.js';
import {
  checkXt,
  disposeScratch,
  makeSlabs,
  runStream,
  SCORE_SCRATCH_BYTES,
  type Scratch,
  type SideOutput,
  type StreamSource,
} from './posterior-stream.js';
import type { Schedule } from '../schedule/schedules.js';

export {
  diagonalCovariances,
  isotropicCovariances,
  prepareGmm,
  gmmStepTables,
  type GmmParams,
  type GmmModel,
} from './gmm-model.js';
export { fitGmmPerClass, DEFAULT_RIDGE, type FitGmmOptions } from './gmm-fit.js';

/** Default components per streamed chunk (fewer when the score block would exceed the scratch budget). */
export const GMM_CHUNK_COMPONENTS = 64;

export interface GmmDenoiserOptions {
  imageShape?: readonly [number, number, number] | null;
  /** Most components per streamed chunk (default GMM_CHUNK_COMPONENTS). */
  chunkComponents?: number;
  /** GEMM build choice (forced build, autotune cache file). */
  gemm?: PlanOptions;
}

export interface GmmDenoiser extends Denoiser {
  readonly kind: 'gmm';
  /** The prepared mixture (components sorted by class; `order` maps back to the caller's indices). */
  readonly model: GmmModel;
}

interface Internal {
  ctx: Context;
  src: StreamSource;
  scratch: Scratch;
  comp: Tensor;
  cconst: Tensor;
  disposed: boolean;
}

const internals = new WeakMap<GmmDenoiser, Internal>();

/** Builds the denoiser: prepares (eigendecomposes) the mixture and uploads the eigenvectors. */
export function gmmDenoiser(
  ctx: Context,
  params: GmmParams,
  schedule: Schedule,
  opts: GmmDenoiserOptions = {},
): GmmDenoiser {
  const model = prepareGmm(params);
  const { K, D } = model;
  const chunk = checkInt('gmm denoiser: chunkComponents', opts.chunkComponents ?? GMM_CHUNK_COMPONENTS, 1, 2 ** 20);
  const slabs = makeSlabs(ctx, 'gmm denoiser', model.eigvecs, K, D, D);
  const comp = createTensor(ctx, [K, 2, D], { label: 'gmm.comp' });
  const cconst = createTensor(ctx, [K], { label: 'gmm.cconst' });
  let st: Internal;
  const src: StreamSource = {
    name: 'gmm denoiser',
    dim: D,
    rowsPerUnit: D,
    slabs,
    range: (label) => (label === NULL_CLASS ? [0, K] : [model.classStart[label]!, model.classStart[label + 1]!]),
    breaks: [],
    // A chunk's score block (chunk * D rows of at least 4 query rows) must fit the scratch budget.
    chunkUnits: Math.max(
      1,
      Math.min(chunk, Math.floor(Math.min(ctx.limits.maxStorageBufferBindingSize, SCORE_SCRATCH_BYTES) / (16 * D))),
    ),
    gemm: opts.gemm ?? {},
  };
  const d: GmmDenoiser = {
    kind: 'gmm',
    dim: D,
    imageShape: opts.imageShape ?? null,
    numClasses: model.numClasses,
    schedule,
    model,
    predictEps: async (c, xt, n, step, classes) => {
      const { out } = await run(d, c, xt, n, step, classes, null);
      return out;
    },
    dispose: () => {
      if (st.disposed) return;
      st.disposed = true;
      for (const s of slabs) disposeTensor(s.v);
      disposeTensor(comp);
      disposeTensor(cconst);
      disposeScratch(st.scratch);
    },
  };
  st = { ctx, src, scratch: new Map(), comp, cconst, disposed: false };
  internals.set(d, st);
  return d;
}

async function run(
  d: GmmDenoiser,
  ctx: Context,
  xt: Tensor,
  n: number,
  step: number,
  classes: Int32Array | null,
  side: SideOutput | null,
) {
  const st = internals.get(d)!;
  checkXt('gmm', ctx === st.ctx, st.disposed, xt, n, d.dim);
  checkDenoiseArgs(d, n, step, classes);
  const abar = d.schedule.alphasCumprod[step - 1]!;
  if (!(abar < 1)) throw new Error(`gmm denoiser: abar = ${abar} at step ${step}; eps_hat needs abar < 1`);
  const tables = gmmStepTables(d.model, abar);
  const p = await gmmSoftmaxPipeline(ctx);
  const out = await runStream(ctx, st.src, st.scratch, {
    xt,
    n,
    classes,
    cx: 0,
    cacc: Math.sqrt(1 - abar),
    ...(side ? { side } : {}),
    // Queue order: the step's tables land after earlier calls' work and before this call's.
    prepare: () => {
      upload(ctx, st.comp, tables.comp);
      upload(ctx, st.cconst, tables.cconst);
    },
    weights: (batch, a) =>
      encodeGmmSoftmax(batch, p, {
        scores: a.scores,
        ld: a.ld,
        rows: a.rows,
        comps: a.chunk.units,
        compOffset: a.chunk.unit,
        comp: st.comp,
        cconst: st.cconst,
        state: a.state,
        acc: a.acc,
        d: d.dim,
        first: a.first,
        logits: a.side,
        dummy: a.dummy,
      }),
  });
  return { out, shift: tables.shift };
}

export interface GmmPosterior {
  /** (n) log p_t(x) of the noised mixture, float64 from the f32 component log-likelihoods. */
  logLikelihood: Float64Array;
  /** (n, K) responsibilities r_k(x) in the caller's component order. */
  responsibilities: Float64Array;
  /** (n, C) exact class posterior p(c | x_t) = sum of r_k over class c's components (numClasses > 0). */
  classPosterior: Float64Array;
  /** (n, D) eps_hat of the unconditional mixture (the same call computes it). */
  eps: Float32Array;
}

/**
 * Unconditional responsibilities, class posterior p(c | x_t) and log-likelihood for rows 0..n-1 of x_t
 * (N, D) f32 at a step: component log-likelihoods on the GPU (f32), combined on the host in float64.
 */
export async function gmmPosterior(
  ctx: Context,
  d: GmmDenoiser,
  xt: Tensor,
  n: number,
  step: number,
): Promise<GmmPosterior> {
  const { K, numClasses, order, classOf } = d.model;
  const C = Math.max(numClasses, 1);
  const logits = createTensor(ctx, [n, K], { label: 'gmm.logits' });
  try {
    const { out, shift } = await run(d, ctx, xt, n, step, null, { tensor: logits, ld: K });
    let eps: Float32Array;
    try {
      eps = (await readback(ctx, out)) as Float32Array;
    } finally {
      disposeTensor(out);
    }
    const l = await readback(ctx, logits);
    const logLikelihood = new Float64Array(n);
    const responsibilities = new Float64Array(n * K);
    const classPosterior = new Float64Array(n * C);
    for (let i = 0; i < n; i++) {
      let m = -Infinity;
      for (let k = 0; k < K; k++) m = Math.max(m, l[i * K + k]!);
      let s = 0;
      for (let k = 0; k < K; k++) s += Math.exp(l[i * K + k]! - m);
      logLikelihood[i] = m + Math.log(s) + shift;
      for (let k = 0; k < K; k++) {
        const r = Math.exp(l[i * K + k]! - m) / s;
        responsibilities[i * K + order[k]!] = r;
        classPosterior[i * C + classOf[k]!]! += r;
      }
    }
    return { logLikelihood, responsibilities, classPosterior, eps };
  } finally {
    disposeTensor(logits);
  }
}

/** The exact class posterior p(c | x_t) (n, C) float64 for rows 0..n-1 of x_t (N, D) f32 (gmmPosterior's). */
export async function gmmClassPosterior(
  ctx: Context,
  d: GmmDenoiser,
  xt: Tensor,
  n: number,
  step: number,
): Promise<Float64Array> {
  if (d.numClasses === 0)
    throw new Error('gmm denoiser: the class posterior needs classes (the model is unconditional)');
  return (await gmmPosterior(ctx, d, xt, n, step)).classPosterior;
}
