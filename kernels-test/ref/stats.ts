// Goodness-of-fit references in float64: the standard normal CDF (series / continued fraction, ~1e-15)
// and the one-sample Kolmogorov-Smirnov test with the asymptotic Kolmogorov distribution.

/** Phi(z) = P(Z <= z) for Z ~ N(0, 1). */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return NaN;
  const x = Math.abs(z) / Math.SQRT2;
  let erfcx: number; // erfc(x)
  if (x < 3) {
    // erf(x) = 2/sqrt(pi) e^{-x^2} sum_n 2^n x^{2n+1} / (1 3 5 ... (2n+1)), all terms positive (A&S 7.1.6).
    let term = x;
    let sum = x;
    for (let n = 1; term > 1e-17 * sum; n++) {
      term *= (2 * x * x) / (2 * n + 1);
      sum += term;
    }
    erfcx = 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  } else {
    // erfc(x) = e^{-x^2}/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))) (A&S 7.1.14),
    // evaluated bottom-up with enough levels for x >= 3.
    let f = x;
    for (let k = 60; k >= 1; k--) f = x + k / 2 / f;
    erfcx = Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
  }
  return z < 0 ? erfcx / 2 : 1 - erfcx / 2;
}

/** P(K > lambda) for the Kolmogorov distribution K = lim sqrt(n) D_n. */
export function kolmogorovQ(lambda: number): number {
  if (lambda <= 0) return 1;
  if (lambda < 1.18) {
    // P(K <= l) = sqrt(2 pi)/l sum_{k>=1} exp(-(2k-1)^2 pi^2 / (8 l^2)), fast for small l.
    let s = 0;
    for (let k = 1; k <= 20; k++) s += Math.exp((-((2 * k - 1) ** 2) * Math.PI ** 2) / (8 * lambda * lambda));
    return Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / lambda) * s);
  }
  // P(K > l) = 2 sum_{k>=1} (-1)^{k-1} exp(-2 k^2 l^2), fast for large l.
  let s = 0;
  for (let k = 1; k <= 20; k++) s += (k % 2 === 1 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
  return Math.min(1, Math.max(0, 2 * s));
}

/**
 * One-sample KS test of samples against a continuous CDF: d = sup |F_n - F|, and the p-value from the
 * asymptotic distribution with Stephens' small-sample factor lambda = (sqrt(n) + 0.12 + 0.11/sqrt(n)) d.
 */
export function ksTest(samples: ArrayLike<number>, cdf: (x: number) => number): { d: number; pValue: number } {
  const n = samples.length;
  if (n === 0) throw new Error('ksTest: no samples');
  const x = Float64Array.from(samples).sort();
  let d = 0;
  for (let i = 0; i < n; i++) {
    const f = cdf(x[i]!);
    d = Math.max(d, (i + 1) / n - f, f - i / n);
  }
  const sn = Math.sqrt(n);
  return { d, pValue: kolmogorovQ((sn + 0.12 + 0.11 / sn) * d) };
}

/** KS test of samples against N(0, 1). */
export function ksNormal(samples: ArrayLike<number>): { d: number; pValue: number } {
  return ksTest(samples, normalCdf);
}
