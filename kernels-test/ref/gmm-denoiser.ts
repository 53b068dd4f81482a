// Float64 reference for the exact Gaussian-mixture denoiser, written from the maths with Cholesky factors
// (no eigendecomposition, unlike the engine): the noised component k is N(sqrt(abar) mu_k, S_k),
// S_k = abar Sigma_k + (1 - abar) I; log N = -0.5 (D log 2 pi + log det S_k + r^T S_k^{-1} r), r = x - sqrt(abar)
// mu_k; responsibilities = softmax_k(log pi_k + log N) over the components allowed for the row (a class
// label keeps its class's components, weights renormalised); score = -sum_k r_k S_k^{-1} r;
// eps_hat = -sqrt(1 - abar) score; x0_hat = (x - sqrt(1 - abar) eps_hat) / sqrt(abar).
// Also a first-order bound on the f32 pipeline's error, derived at gmmRef.

export interface GmmRefParams {
  K: number;
  D: number;
  means: ArrayLike<number>;
  covs: ArrayLike<number>;
  weights: ArrayLike<number>;
  /** (K) class of each component; default k; null: unconditional. */
  classOf?: ArrayLike<number> | null;
}

interface Factor {
  /** Lower Cholesky factor of S_k (D, D). */
  L: Float64Array;
  logdet: number;
  /** ||S_k^{-1}||_F, an upper bound on 1 / lambda_min(S_k). */
  invFro: number;
}

function cholesky(S: Float64Array, D: number): Float64Array {
  const L = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    for (let j = 0; j <= i; j++) {
      let s = S[i * D + j]!;
      for (let k = 0; k < j; k++) s -= L[i * D + k]! * L[j * D + k]!;
      if (i === j) {
        if (!(s > 0)) throw new Error(`ref cholesky: matrix not positive definite at ${i} (${s})`);
        L[i * D + i] = Math.sqrt(s);
      } else L[i * D + j] = s / L[j * D + j]!;
    }
  }
  return L;
}

/** S^{-1} r by forward and back substitution; also returns y = L^{-1} r (q = ||y||^2). */
function solve(L: Float64Array, D: number, r: ArrayLike<number>): { v: Float64Array; y: Float64Array } {
  const y = new Float64Array(D);
  for (let i = 0; i < D; i++) {
    let s = r[i]!;
    for (let k = 0; k < i; k++) s -= L[i * D + k]! * y[k]!;
    y[i] = s / L[i * D + i]!;
  }
  const v = new Float64Array(D);
  for (let i = D - 1; i >= 0; i--) {
    let s = y[i]!;
    for (let k = i + 1; k < D; k++) s -= L[k * D + i]! * v[k]!;
    v[i] = s / L[i * D + i]!;
  }
  return { v, y };
}

function factors(p: GmmRefParams, abar: number): Factor[] {
  const { K, D } = p;
  return Array.from({ length: K }, (_, k) => {
    const S = new Float64Array(D * D);
    for (let i = 0; i < D * D; i++) S[i] = abar * p.covs[k * D * D + i]!;
    for (let i = 0; i < D; i++) S[i * D + i]! += 1 - abar;
    const L = cholesky(S, D);
    let logdet = 0;
    for (let i = 0; i < D; i++) logdet += 2 * Math.log(L[i * D + i]!);
    let fro = 0;
    for (let j = 0; j < D; j++) {
      const e = new Float64Array(D);
      e[j] = 1;
      for (const v of solve(L, D, e).v) fro += v * v;
    }
    return { L, logdet, invFro: Math.sqrt(fro) };
  });
}

export interface GmmRefResult {
  /** (n, D) */
  eps: Float64Array;
  score: Float64Array;
  x0: Float64Array;
  /** (n, K) responsibilities over the row's allowed components (0 elsewhere). */
  resp: Float64Array;
  /** (n) log p_t(x) of the row's (sub)mixture. */
  logLik: Float64Array;
  /** (n) the first-order error bound of eps for the f32 pipeline (see gmmRef). */
  bound: Float64Array;
  /** (n, K) first-order bound on the responsibilities' error: r_k sum_{j != k} r_j (|dl_k| + |dl_j|). */
  respBound: Float64Array;
  /** (n) first-order bound on log p's error: sum_k r_k |dl_k|. */
  logLikBound: Float64Array;
}

/** Assumed relative accuracy of f32 exp on the tested adapters (a few ulp; WGSL allows more only far from 0). */
export const EXP_REL = 2 ** -18;
const U = 2 ** -24;
const gamma = (k: number) => (k * U) / (1 - k * U);

/**
 * Reference eps_hat and friends for rows x (n, D) at abar; classes (n) or null. The bound per row, for
 * every element of eps (a bound on the 2-norm of the error), to first order in u = 2^-24:
 * - z_k = U_k^T x - sqrt(abar) U_k^T mu_k from a length-D GEMM and one subtraction: |dz_ki| <= delta_k =
 *   gamma_{D+2} (||x|| + sqrt(abar) ||mu_k||) (columns of U_k are unit vectors);
 * - w_k = z_k / lam_k: ||dw_k|| <= sqrt(D) delta_k / lam_min + u ||w_k||, 1 / lam_min <= ||S_k^{-1}||_F;
 * - logits l_k = c_k - q_k / 2: |dl_k| <= delta_k ||w_k||_1 + gamma_D q_k / 2 + u (|c_k| + |l_k|) + EXP_REL,
 *   ||w_k||_1 <= sqrt(D) ||w_k||; responsibilities: dr_k = r_k (dl_k - sum_j r_j dl_j), so
 *   |dr_k| <= r_k sum_{j != k} r_j (|dl_k| + |dl_j|) (small when one component dominates);
 * - eps = sqrt(1 - abar) sum_k r_k v_k, v_k = U_k w_k = S_k^{-1} (x - sqrt(abar) mu_k) (GEMM of length K D,
 *   then one scaling); since sum_k dr_k = 0: ||d eps|| <= sqrt(1 - abar) (sum_k r_k ||dw_k|| +
 *   |dr_k| ||v_k - vbar|| + gamma_{KD+2} r_k ||w_k||_1), vbar = sum_k r_k v_k.
 */
export function gmmRef(
  p: GmmRefParams,
  abar: number,
  x: ArrayLike<number>,
  n: number,
  classes: Int32Array | null = null,
): GmmRefResult {
  const { K, D } = p;
  const a = Math.sqrt(abar);
  const F = factors(p, abar);
  const cls = p.classOf === undefined ? Array.from({ length: K }, (_, k) => k) : p.classOf;
  let wsum = 0;
  for (let k = 0; k < K; k++) wsum += p.weights[k]!;
  const out = {
    eps: new Float64Array(n * D),
    score: new Float64Array(n * D),
    x0: new Float64Array(n * D),
    resp: new Float64Array(n * K),
    logLik: new Float64Array(n),
    bound: new Float64Array(n),
    respBound: new Float64Array(n * K),
    logLikBound: new Float64Array(n),
  };
  for (let i = 0; i < n; i++) {
    const xi = Array.from({ length: D }, (_, d) => x[i * D + d]!);
    const xn = Math.hypot(...xi);
    const label = classes === null ? -1 : classes[i]!;
    const allowed = Array.from({ length: K }, (_, k) => label < 0 || (cls !== null && cls[k] === label));
    const logit = new Float64Array(K).fill(-Infinity);
    const v: Float64Array[] = [];
    const dl = new Float64Array(K);
    const dw = new Float64Array(K);
    const wn = new Float64Array(K);
    for (let k = 0; k < K; k++) {
      const r = xi.map((xd, d) => xd - a * p.means[k * D + d]!);
      const { v: vk, y } = solve(F[k]!.L, D, r);
      v.push(vk);
      if (!allowed[k]) continue;
      let q = 0;
      for (const t of y) q += t * t;
      const c = Math.log(p.weights[k]! / wsum) - 0.5 * (D * Math.log(2 * Math.PI) + F[k]!.logdet);
      logit[k] = c - 0.5 * q;
      const mun = Math.hypot(...Array.from({ length: D }, (_, d) => p.means[k * D + d]!));
      const delta = gamma(D + 2) * (xn + a * mun);
      wn[k] = Math.hypot(...vk);
      dw[k] = Math.sqrt(D) * delta * F[k]!.invFro + U * wn[k]!;
      dl[k] = delta * Math.sqrt(D) * wn[k]! + (gamma(D) * q) / 2 + U * (Math.abs(c) + Math.abs(logit[k]!)) + EXP_REL;
    }
    const m = Math.max(...logit);
    let s = 0;
    for (let k = 0; k < K; k++) s += allowed[k] ? Math.exp(logit[k]! - m) : 0;
    out.logLik[i] = m + Math.log(s);
    const r = Array.from({ length: K }, (_, k) => (allowed[k] ? Math.exp(logit[k]! - m) / s : 0));
    const vbar = new Float64Array(D);
    let rdl = 0;
    for (let k = 0; k < K; k++) {
      if (!allowed[k]) continue;
      out.resp[i * K + k] = r[k]!;
      rdl += r[k]! * dl[k]!;
      for (let d = 0; d < D; d++) vbar[d]! += r[k]! * v[k]![d]!;
    }
    out.logLikBound[i] = rdl;
    let bound = 0;
    for (let k = 0; k < K; k++) {
      if (!allowed[k]) continue;
      // dr_k = r_k sum_{j != k} r_j (dl_k - dl_j); the r_j dr_j sum to 0, so they move eps along v_k - vbar.
      const drk = r[k]! * (rdl - r[k]! * dl[k]! + (1 - r[k]!) * dl[k]!);
      out.respBound[i * K + k] = drk;
      const spread = Math.hypot(...Array.from(vbar, (vb, d) => v[k]![d]! - vb));
      bound += r[k]! * dw[k]! + drk * spread + gamma(K * D + 2) * r[k]! * Math.sqrt(D) * wn[k]!;
      for (let d = 0; d < D; d++) out.score[i * D + d]! -= r[k]! * v[k]![d]!;
    }
    out.bound[i] = Math.sqrt(1 - abar) * bound;
    for (let d = 0; d < D; d++) {
      const e = -Math.sqrt(1 - abar) * out.score[i * D + d]!;
      out.eps[i * D + d] = e;
      out.x0[i * D + d] = (xi[d]! - Math.sqrt(1 - abar) * e) / a;
    }
  }
  return out;
}

/** Class posterior p(c | x) (n, C) from unconditional responsibilities (n, K) and the class map. */
export function classPosteriorRef(
  resp: ArrayLike<number>,
  n: number,
  classOf: ArrayLike<number>,
  C: number,
): Float64Array {
  const K = classOf.length;
  const out = new Float64Array(n * C);
  for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) out[i * C + classOf[k]!]! += resp[i * K + k]!;
  return out;
}
