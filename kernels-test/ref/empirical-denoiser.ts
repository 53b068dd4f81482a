// Float64 reference for the empirical optimal denoiser, from the definition: for each row x of x_t,
// w_j = softmax_j(-||x - sqrt(abar) y_j||^2 / (2 (1 - abar))) over the training rows allowed for the row (a
// class label keeps its class's rows), x0_hat = sum_j w_j y_j, eps_hat = (x - sqrt(abar) x0_hat) /
// sqrt(1 - abar), class posterior p(c | x) = sum_{j in c} w_j (unconditional weights). Distances are summed
// directly (no x . y expansion, unlike the engine). Also a first-order bound on the f32 pipeline's error.

export interface EmpiricalRefResult {
  /** (n, D) */
  x0: Float64Array;
  eps: Float64Array;
  /** (n, C) class posterior from the unconditional weights (C = 0: empty). */
  classPosterior: Float64Array;
  /** (n, D) first-order error bounds of x0 and eps per element (see empiricalRef). */
  x0Bound: Float64Array;
  epsBound: Float64Array;
  /** (n) rho + gamma: relative error bound of every normalised weight (and of the class posterior). */
  weightRel: Float64Array;
}

/** Assumed relative accuracy of f32 exp (as in ref/gmm-denoiser.ts). */
export const EXP_REL = 2 ** -18;
const U = 2 ** -24;
const gamma = (k: number) => (k * U) / (1 - k * U);

/**
 * Reference for rows x (n, D) at abar. Error bound per element, first order in u = 2^-24, for the engine's
 * pipeline (logits (sqrt(abar) x . y_j - abar ||y_j||^2 / 2) / (1 - abar) with x . y_j from a length-D GEMM,
 * ||y_j||^2 rounded to f32; weights from f32 exp; weighted sum from GEMMs of at most `chunk` terms, rescaled
 * once per chunk, over `chunks` chunks):
 * - |dl_j| <= (sqrt(abar) / (1 - abar)) gamma_{D+2} sum_i |x_i| |y_ji| + (abar / (2 (1 - abar))) 2u ||y_j||^2 + EXP_REL;
 * - the normalised weights then satisfy |dw_j| <= 2 w_j max_j |dl_j| =: w_j rho;
 * - x0_d: |dx0_d| <= (rho + gamma_{chunk + 3 chunks + 2}) sum_j w_j |y_jd|;
 * - eps_d = (x_d - sqrt(abar) x0_d) / sqrt(1 - abar): |deps_d| <= (sqrt(abar) |dx0_d| + 2u (|x_d| + sqrt(abar) |x0_d|)) / sqrt(1 - abar).
 * Valid while rho << 1 (then the logit errors only reweight); tests pick abar where it is.
 */
export function empiricalRef(
  y: ArrayLike<number>,
  M: number,
  D: number,
  labels: ArrayLike<number> | null,
  C: number,
  abar: number,
  x: ArrayLike<number>,
  n: number,
  classes: Int32Array | null,
  chunk: number,
  chunks: number,
): EmpiricalRefResult {
  const a = Math.sqrt(abar);
  const s2 = 1 - abar;
  const out: EmpiricalRefResult = {
    x0: new Float64Array(n * D),
    eps: new Float64Array(n * D),
    classPosterior: new Float64Array(n * C),
    x0Bound: new Float64Array(n * D),
    epsBound: new Float64Array(n * D),
    weightRel: new Float64Array(n),
  };
  const logit = new Float64Array(M);
  const dl = new Float64Array(M);
  for (let i = 0; i < n; i++) {
    const label = classes === null ? -1 : classes[i]!;
    let m = -Infinity;
    for (let j = 0; j < M; j++) {
      let dist = 0;
      let dotAbs = 0;
      let yy = 0;
      for (let d = 0; d < D; d++) {
        const diff = x[i * D + d]! - a * y[j * D + d]!;
        dist += diff * diff;
        dotAbs += Math.abs(x[i * D + d]! * y[j * D + d]!);
        yy += y[j * D + d]! ** 2;
      }
      logit[j] = -dist / (2 * s2);
      dl[j] = (a / s2) * gamma(D + 2) * dotAbs + (abar / (2 * s2)) * 2 * U * yy + EXP_REL;
      m = Math.max(m, logit[j]!);
    }
    // Unconditional weights for the class posterior; the row's (possibly class-restricted) weights for x0.
    let sAll = 0;
    for (let j = 0; j < M; j++) sAll += Math.exp(logit[j]! - m);
    if (labels !== null)
      for (let j = 0; j < M; j++) out.classPosterior[i * C + labels[j]!]! += Math.exp(logit[j]! - m) / sAll;
    const ok = (j: number) => label < 0 || (labels !== null && labels[j] === label);
    let mr = -Infinity;
    for (let j = 0; j < M; j++) if (ok(j)) mr = Math.max(mr, logit[j]!);
    let s = 0;
    let dlMax = 0;
    for (let j = 0; j < M; j++) {
      if (!ok(j)) continue;
      s += Math.exp(logit[j]! - mr);
      dlMax = Math.max(dlMax, dl[j]!);
    }
    const rho = 2 * dlMax;
    const g = gamma(chunk + 3 * chunks + 2);
    out.weightRel[i] = rho + g;
    for (let j = 0; j < M; j++) {
      if (!ok(j)) continue;
      const w = Math.exp(logit[j]! - mr) / s;
      for (let d = 0; d < D; d++) {
        out.x0[i * D + d]! += w * y[j * D + d]!;
        out.x0Bound[i * D + d]! += (rho + g) * w * Math.abs(y[j * D + d]!);
      }
    }
    for (let d = 0; d < D; d++) {
      const xd = x[i * D + d]!;
      const x0 = out.x0[i * D + d]!;
      out.eps[i * D + d] = (xd - a * x0) / Math.sqrt(s2);
      out.epsBound[i * D + d] =
        (a * out.x0Bound[i * D + d]! + 2 * U * (Math.abs(xd) + a * Math.abs(x0))) / Math.sqrt(s2);
    }
  }
  return out;
}
