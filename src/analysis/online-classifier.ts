// Online Bayesian classifier along sampling trajectories (DESIGN.md §1, "Information view"): the class
// entropy H(C | x_t) for any class-conditional denoiser, learned models included.
//
// Derivation. A class-conditional denoiser with a stochastic scheduler defines the generative model
//   c ~ pi,  x_s ~ N(0, I),  x_{t'} | x_t, c ~ N(mu_c(x_t), sigma_t^2 I),  mu_c(x_t) = a_t x_t + b_t eps_theta(x_t, t, c),
// with (a_t, b_t, sigma_t) the scheduler's update coefficients (grid.ts) from grid step t to the next grid
// step t'. x_s does not depend on c, so Bayes' rule along the chain gives
//   log p(c | x_s, ..., x_t') = log pi_c + sum over the steps taken of log N(x_next; mu_c(x), sigma^2 I) + const,
// and the Gaussian normaliser is the same for every class, so each step adds
//   l_c += -||x_next - mu_c(x)||^2 / (2 sigma^2).
// The chain itself runs with a known class c* per row (or unconditionally): x_next = mu_*(x) + sigma z, so
// x_next - mu_c = b (eps_* - eps_c) + sigma z, evaluated in float64 from the f32 eps (no cancellation of
// large f32 numbers even when sigma is small). Steps with sigma = 0 (DDIM eta = 0, DDPM's last step to x_0)
// carry no likelihood and leave the posterior as it is; a grid without any sigma > 0 is refused.
// For an exact denoiser and small steps the chain of class c has the forward process's path law, under
// which (x_s, ..., x_{t+1}) is independent of c given x_t, so p(c | x_s, ..., x_t) = p(c | x_t): the online
// entropy then estimates the exact H(C | x_t) of classEntropySteps (the test's oracle). The posterior is
// exact for the model the scheduler defines; at the last steps DDPM's 'fixed_small' kernel is narrower than
// the true reverse kernel (by ~beta / (1 - abar_prev)), so it is slightly overconfident there, and
// 'fixed_large' (sigma^2 = beta, the SDE's g^2 dt) matches the continuous-time likelihood ratio better.
import { checkInt } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { createTensor, disposeTensor, readback, upload } from '../runtime/tensor.js';
import { standardNormals } from '../kernels/forward_noise.js';
import { checkDenoiseArgs, NULL_CLASS, type Denoiser } from '../models/denoiser.js';
import type { Scheduler } from '../samplers/scheduler.js';
import { entropyRate, meanAndError } from './class-entropy.js';
import { ONLINE_CLASSIFIER_STREAM } from '../kernels/philox_streams.js';

/** Philox stream of the online classifier's chain (x_s with step tag 0, z with the step taken); kernels/philox_streams.ts. */
export { ONLINE_CLASSIFIER_STREAM };

export interface OnlineClassEntropyOptions {
  /** Trajectories. */
  n: number;
  seed: number;
  /** Scheduler with its grid already set (setTimesteps), or `steps` given to set it. */
  scheduler: Scheduler;
  /** Grid size: calls scheduler.setTimesteps(steps, { start }). */
  steps?: number;
  start?: number;
  /**
   * (n) class of each trajectory's chain, or null for unconditional chains (eps with NULL_CLASS). Default:
   * row i runs class i mod C (balanced, labels known, so the final accuracy is reported).
   */
  classes?: Int32Array | null;
  /** (C) prior pi over classes (normalised), default uniform. */
  prior?: ArrayLike<number>;
}

export interface OnlineClassEntropy {
  n: number;
  numClasses: number;
  /** (S) steps at which the posterior is read, descending: the grid's steps (posterior after observing x at that step), then 0 (x_0). */
  steps: Int32Array;
  /** (S) mean entropy of p(c | trajectory so far) in nats, and its standard error. */
  entropy: Float64Array;
  stdError: Float64Array;
  /** (C, S) mean entropy over the rows whose chain ran class c (null for unconditional chains). */
  entropyByClass: Float64Array | null;
  /** (S) dH/dstep on the ascending steps (entropyRate), aligned with `steps` reversed; its peak, the class-decision step. */
  rateSteps: Int32Array;
  rate: Float64Array;
  decisionStep: number;
  /** (n, C) final posterior p(c | x_s, ..., x_0). */
  posterior: Float64Array;
  /** Fraction of rows whose final argmax posterior is the chain's class (null for unconditional chains). */
  accuracy: number | null;
  /** Denoiser calls made (each over n * C or n * (C + 1) rows). */
  denoiserCalls: number;
}

/** Runs n trajectories and the online Bayesian classifier along them (see the file comment). */
export async function onlineClassEntropy(
  ctx: Context,
  d: Denoiser,
  opts: OnlineClassEntropyOptions,
): Promise<OnlineClassEntropy> {
  const C = d.numClasses;
  if (C < 2) {
    throw new Error(
      `onlineClassEntropy: the '${d.kind}' denoiser has ${C} classes; the online classifier needs a class-conditional denoiser with at least 2 classes (an unconditional denoiser has no p(x_t' | x_t, c))`,
    );
  }
  const n = checkInt('onlineClassEntropy: n', opts.n, 1, 1 << 20);
  const D = d.dim;
  const sch = opts.scheduler;
  if (opts.steps !== undefined) sch.setTimesteps(opts.steps, opts.start !== undefined ? { start: opts.start } : {});
  if (!sch.grid) throw new Error('onlineClassEntropy: the scheduler has no grid; call setTimesteps or pass steps');
  const grid = Int32Array.from(sch.timesteps);
  const chain = opts.classes === undefined ? Int32Array.from({ length: n }, (_, i) => i % C) : opts.classes;
  if (chain !== null) checkDenoiseArgs(d, n, grid[0]!, chain);
  if (chain !== null && chain.some((c) => c === NULL_CLASS))
    throw new Error('onlineClassEntropy: classes must be real labels (use null for unconditional chains)');
  const logPrior = priorLogs(opts.prior, C);
  const coefs = Array.from(grid, (t) => sch.coefficients(t));
  if (!coefs.some((c) => c.sigma > 0))
    throw new Error(
      `onlineClassEntropy: every update of the ${sch.kind} grid is deterministic (sigma = 0); the classifier needs stochastic transitions (DDPM, or DDIM with eta > 0)`,
    );
  const blocks = chain === null ? C + 1 : C;
  const rows = n * blocks;
  // Rows block c (c < C) evaluate class c; the extra block the unconditional eps of unconditional chains.
  const labels = new Int32Array(rows);
  for (let c = 0; c < blocks; c++) labels.fill(c < C ? c : NULL_CLASS, c * n, (c + 1) * n);
  const x = Float64Array.from(
    await standardNormals(ctx, n, D, { seed: opts.seed, stream: ONLINE_CLASSIFIER_STREAM, step: 0 }),
  );
  const logit = new Float64Array(n * C);
  for (let i = 0; i < n; i++) for (let c = 0; c < C; c++) logit[i * C + c] = logPrior[c]!;
  const S = grid.length + 1;
  const stepsOut = Int32Array.from([...grid, 0]);
  const entropy = new Float64Array(S);
  const stdError = new Float64Array(S);
  const byClass = chain === null ? null : new Float64Array(C * S);
  const post = new Float64Array(n * C);
  const h = new Float64Array(n);
  const record = (k: number) => {
    posteriorAndEntropy(logit, n, C, post, h);
    [entropy[k], stdError[k]] = meanAndError(h);
    if (byClass && chain) {
      const cnt = new Float64Array(C);
      for (let i = 0; i < n; i++) {
        byClass[chain[i]! * S + k]! += h[i]!;
        cnt[chain[i]!]!++;
      }
      for (let c = 0; c < C; c++) byClass[c * S + k] = cnt[c]! > 0 ? byClass[c * S + k]! / cnt[c]! : NaN;
    }
  };
  const xin = new Float32Array(rows * D);
  const xT = createTensor(ctx, [rows, D], { label: 'online_classifier.x' });
  let calls = 0;
  try {
    for (let k = 0; k < grid.length; k++) {
      const t = grid[k]!;
      // Posterior after observing x at grid step t (the prior at the first step: x_s is class-free).
      record(k);
      const xf = Float32Array.from(x);
      for (let b = 0; b < blocks; b++) xin.set(xf, b * n * D);
      upload(ctx, xT, xin);
      const epsT = await d.predictEps(ctx, xT, rows, t, labels);
      calls++;
      let eps: Float32Array;
      try {
        eps = (await readback(ctx, epsT, 0, rows * D)) as Float32Array;
      } finally {
        disposeTensor(epsT);
      }
      const { a, b, sigma } = coefs[k]!;
      const z =
        sigma > 0
          ? await standardNormals(ctx, n, D, { seed: opts.seed, stream: ONLINE_CLASSIFIER_STREAM, step: t })
          : null;
      for (let i = 0; i < n; i++) {
        const own = chain === null ? C : chain[i]!;
        const eo = own * n * D + i * D;
        if (z) {
          for (let c = 0; c < C; c++) {
            const ec = c * n * D + i * D;
            let q = 0;
            for (let j = 0; j < D; j++) {
              const r = b * (eps[eo + j]! - eps[ec + j]!) + sigma * z[i * D + j]!;
              q += r * r;
            }
            logit[i * C + c]! -= q / (2 * sigma * sigma);
          }
        }
        for (let j = 0; j < D; j++)
          x[i * D + j] = a * x[i * D + j]! + b * eps[eo + j]! + (z ? sigma * z[i * D + j]! : 0);
      }
    }
    record(grid.length);
  } finally {
    disposeTensor(xT);
  }
  const r = entropyRate(stepsOut, entropy);
  let accuracy: number | null = null;
  if (chain) {
    let hit = 0;
    for (let i = 0; i < n; i++) {
      let best = 0;
      for (let c = 1; c < C; c++) if (post[i * C + c]! > post[i * C + best]!) best = c;
      if (best === chain[i]) hit++;
    }
    accuracy = hit / n;
  }
  return {
    n,
    numClasses: C,
    steps: stepsOut,
    entropy,
    stdError,
    entropyByClass: byClass,
    rateSteps: r.steps,
    rate: r.rate,
    decisionStep: r.peakStep,
    posterior: Float64Array.from(post),
    accuracy,
    denoiserCalls: calls,
  };
}

function priorLogs(prior: ArrayLike<number> | undefined, C: number): Float64Array {
  if (prior === undefined) return new Float64Array(C).fill(-Math.log(C));
  if (prior.length !== C) throw new Error(`onlineClassEntropy: prior must hold C = ${C} values, got ${prior.length}`);
  let s = 0;
  for (let c = 0; c < C; c++) {
    const p = prior[c]!;
    if (!(Number.isFinite(p) && p > 0))
      throw new Error(`onlineClassEntropy: prior[${c}] must be finite and > 0, got ${p}`);
    s += p;
  }
  return Float64Array.from({ length: C }, (_, c) => Math.log(prior[c]! / s));
}

/** Softmax of logits (n, C) into post and each row's entropy into h (nats). */
function posteriorAndEntropy(logit: Float64Array, n: number, C: number, post: Float64Array, h: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let m = -Infinity;
    for (let c = 0; c < C; c++) m = Math.max(m, logit[i * C + c]!);
    let s = 0;
    for (let c = 0; c < C; c++) s += Math.exp(logit[i * C + c]! - m);
    let e = 0;
    for (let c = 0; c < C; c++) {
      const p = Math.exp(logit[i * C + c]! - m) / s;
      post[i * C + c] = p;
      if (p > 0) e -= p * Math.log(p);
    }
    h[i] = e;
  }
}
