// Float64 references for the information diagnostics (src/analysis/class-entropy.ts, online-classifier.ts,
// entropic-time.ts, collapse.ts), written from the maths.

/** Binary entropy h(sigmoid(u)) in nats, stable for large |u|: p softplus(-u) + (1 - p) softplus(u). */
function binaryEntropyOfLogit(u: number): number {
  const sp = (z: number) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));
  const p = 1 / (1 + Math.exp(-u));
  return p * sp(-u) + (1 - p) * sp(u);
}

/**
 * H(C | x_t) for two equally weighted classes N(+m, s2 I) and N(-m, s2 I) (|m|^2 = m2) at abar: x_t given
 * class + is N(sqrt(abar) m, v I), v = abar s2 + 1 - abar, the log-odds u = 2 sqrt(abar) m.x_t / v are
 * N(kappa, 2 kappa) with kappa = 2 abar m2 / v, and H = E[h(sigmoid(u))] (the class - case is the mirror
 * image). The 1-D expectation is a trapezoid rule over kappa +- 12 sd with 4001 nodes (error far below 1e-9).
 */
export function twoGaussianEntropy(m2: number, s2: number, abar: number): number {
  const v = abar * s2 + 1 - abar;
  const kappa = (2 * abar * m2) / v;
  if (kappa < 1e-14) return Math.log(2);
  const sd = Math.sqrt(2 * kappa);
  const N = 4000;
  const lo = kappa - 12 * sd;
  const h = (24 * sd) / N;
  let s = 0;
  for (let k = 0; k <= N; k++) {
    const u = lo + k * h;
    const w = k === 0 || k === N ? 0.5 : 1;
    s += w * Math.exp(-((u - kappa) ** 2) / (2 * sd * sd)) * binaryEntropyOfLogit(u);
  }
  return (s * h) / (Math.sqrt(2 * Math.PI) * sd);
}

/**
 * Empirical class posterior p(c | x_t) (n, C) in float64: w_j = softmax_j(-||x - sqrt(abar) y_j||^2 /
 * (2 (1 - abar))) over the training rows y (M, D), summed per label.
 */
export function empiricalPosteriorRef(
  y: ArrayLike<number>,
  labels: ArrayLike<number>,
  M: number,
  D: number,
  C: number,
  x: ArrayLike<number>,
  n: number,
  abar: number,
): Float64Array {
  const a = Math.sqrt(abar);
  const out = new Float64Array(n * C);
  const l = new Float64Array(M);
  for (let i = 0; i < n; i++) {
    let mx = -Infinity;
    for (let j = 0; j < M; j++) {
      let q = 0;
      for (let k = 0; k < D; k++) q += (x[i * D + k]! - a * y[j * D + k]!) ** 2;
      l[j] = -q / (2 * (1 - abar));
      mx = Math.max(mx, l[j]!);
    }
    let s = 0;
    for (let j = 0; j < M; j++) s += Math.exp(l[j]! - mx);
    for (let j = 0; j < M; j++) out[i * C + labels[j]!]! += Math.exp(l[j]! - mx) / s;
  }
  return out;
}

/** Entropy in nats of each row of p (n, C). */
export function entropyRef(p: ArrayLike<number>, n: number, C: number): Float64Array {
  return Float64Array.from({ length: n }, (_, i) => {
    let h = 0;
    for (let c = 0; c < C; c++) {
      const q = p[i * C + c]!;
      if (q > 0) h -= q * Math.log(q);
    }
    return h;
  });
}

/**
 * Closed-form equal-entropy sigmas (n, descending from hi to lo) for isotropic Gaussian data of variance c2:
 * 'entropic' H(sigma) = log(sigma / sqrt(c2 + sigma^2)), 'rescaled' H_r(sigma) = arctan(sigma / sqrt(c2)).
 */
export function gaussianEntropicSigmas(
  c2: number,
  lo: number,
  hi: number,
  n: number,
  kind: 'entropic' | 'rescaled',
): Float64Array {
  const c = Math.sqrt(c2);
  const H = (s: number) => (kind === 'entropic' ? Math.log(s / Math.sqrt(c2 + s * s)) : Math.atan(s / c));
  const inv = (h: number) =>
    kind === 'entropic' ? c * Math.sqrt(Math.exp(2 * h) / (1 - Math.exp(2 * h))) : c * Math.tan(h);
  const [h0, h1] = [H(lo), H(hi)];
  return Float64Array.from({ length: n }, (_, j) => (n === 1 ? hi : inv(h1 + ((h0 - h1) * j) / (n - 1))));
}

/** Per-dimension mse of the exact posterior mean for N(0, c2 I) data at noise level sigma: c2 sigma^2 / (c2 + sigma^2). */
export function gaussianMse(c2: number, sigma: number): number {
  return (c2 * sigma * sigma) / (c2 + sigma * sigma);
}
