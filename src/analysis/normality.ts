// D'Agostino–Pearson K² normality test from biased central moments, formula for formula as
// scipy.stats.normaltest (scipy 1.10: skewtest + kurtosistest, two-sided, K² = z_skew² + z_kurt²,
// p = chi2(2).sf(K²) = exp(-K²/2)). The engine computes the moments on the GPU, so the test takes
// m_p = mean((x - mean)^p) rather than samples; `normaltest` is the float64 convenience over samples.
// References: D'Agostino (1970) for the skewness transform, Anscombe & Glynn (1983) for the kurtosis
// transform, D'Agostino, Belanger & D'Agostino (1990) for K²; scipy/stats/_stats_py.py.
// Pure float64, no Node or GPU APIs (runs in browsers too).

export interface NormalTestResult {
  /** K² = zSkew² + zKurt². */
  k2: number;
  /** skewtest statistic (standard normal under H0). */
  zSkew: number;
  /** kurtosistest statistic (standard normal under H0). */
  zKurt: number;
  /** chi-squared (2 degrees of freedom) upper tail of K²: exp(-K²/2). */
  p: number;
}

/** Smallest sample count accepted: scipy's skewtest refuses n < 8 (and kurtosistest warns below 20). */
export const NORMALTEST_MIN_N = 8;

/** Biased central moments: mu[m][n] = mean((x - x̄)^m (e - ē)^n) for m + n <= 4 (mu[m] has 5 - m entries). */
export type MixedMoments = number[][];

export interface CentralMoments {
  m2: number;
  m3: number;
  m4: number;
}

function checkMoment(name: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v))
    throw new Error(`${name} must be a finite number, got ${String(v)}`);
}

/**
 * K² from the sample count n and the biased central moments m2, m3, m4 of one column.
 * Throws when n is not an integer >= 8 (scipy raises for n < 8 in skewtest; for 8 <= n < 20 scipy only
 * warns that kurtosistest is unreliable, and so does this documentation) or a moment is not finite.
 * A degenerate column gives NaN for every field rather than throwing, as scipy does (its skew/kurtosis
 * return NaN there), so one constant coordinate does not stop an analysis: m2 <= (1e-15 * mean)²,
 * scipy's rule with numpy's float64 `resolution`, which with the default mean = 0 is m2 <= 0. Pass the
 * column's mean to also catch the rounding residue of a constant column far from 0.
 * Two scipy details are kept on purpose: a skewness of exactly 0 is replaced by y = 1 before the
 * transform (`np.where(y == 0, 1, y)`, so perfectly symmetric data gives zSkew != 0), and a zero
 * denominator in the kurtosis transform gives zKurt = NaN.
 */
export function k2FromMoments(n: number, m2: number, m3: number, m4: number, mean = 0): NormalTestResult {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < NORMALTEST_MIN_N) {
    throw new Error(`n must be an integer >= ${NORMALTEST_MIN_N} (scipy's skewtest needs 8 samples), got ${String(n)}`);
  }
  checkMoment('m2', m2);
  checkMoment('m3', m3);
  checkMoment('m4', m4);
  checkMoment('mean', mean);
  if (m2 <= (1e-15 * mean) ** 2) return { k2: NaN, zSkew: NaN, zKurt: NaN, p: NaN };
  const zSkew = skewZ(n, m3 / m2 ** 1.5);
  const zKurt = kurtosisZ(n, m4 / (m2 * m2));
  const k2 = zSkew * zSkew + zKurt * zKurt;
  return { k2, zSkew, zKurt, p: Math.exp(-k2 / 2) };
}

/** scipy skewtest: D'Agostino's transform of the biased sample skewness b1 = m3 / m2^(3/2). */
function skewZ(n: number, b1: number): number {
  let y = b1 * Math.sqrt(((n + 1) * (n + 3)) / (6.0 * (n - 2)));
  const beta2 = (3.0 * (n * n + 27 * n - 70) * (n + 1) * (n + 3)) / ((n - 2.0) * (n + 5) * (n + 7) * (n + 9));
  const W2 = -1 + Math.sqrt(2 * (beta2 - 1));
  const delta = 1 / Math.sqrt(0.5 * Math.log(W2));
  const alpha = Math.sqrt(2.0 / (W2 - 1));
  if (y === 0) y = 1; // scipy: y = np.where(y == 0, 1, y)
  return delta * Math.log(y / alpha + Math.sqrt((y / alpha) ** 2 + 1));
}

/** scipy kurtosistest: Anscombe & Glynn's transform of the biased Pearson kurtosis b2 = m4 / m2². */
function kurtosisZ(n: number, b2: number): number {
  const E = (3.0 * (n - 1)) / (n + 1);
  const varb2 = (24.0 * n * (n - 2) * (n - 3)) / ((n + 1) * (n + 1.0) * (n + 3) * (n + 5)); // Eq. 1
  const x = (b2 - E) / Math.sqrt(varb2); // Eq. 4
  const sqrtbeta1 =
    ((6.0 * (n * n - 5 * n + 2)) / ((n + 7) * (n + 9))) *
    Math.sqrt((6.0 * (n + 3) * (n + 5)) / (n * (n - 2) * (n - 3))); // Eq. 2
  const A = 6.0 + (8.0 / sqrtbeta1) * (2.0 / sqrtbeta1 + Math.sqrt(1 + 4.0 / sqrtbeta1 ** 2)); // Eq. 3
  const term1 = 1 - 2 / (9.0 * A);
  const denom = 1 + x * Math.sqrt(2 / (A - 4.0));
  if (denom === 0) return NaN;
  const term2 = Math.sign(denom) * Math.pow((1 - 2.0 / A) / Math.abs(denom), 1 / 3.0);
  return (term1 - term2) / Math.sqrt(2 / (9.0 * A)); // Eq. 5
}

/** Mean and biased central moments m2, m3, m4 of x in float64 (two passes: mean, then deviations). */
export function centralMoments(x: ArrayLike<number>): CentralMoments & { mean: number } {
  const n = x.length;
  if (n === 0) throw new Error('x must not be empty');
  let s = 0;
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    if (!Number.isFinite(v)) throw new Error(`x: non-finite value ${v} at index ${i}`);
    s += v;
  }
  const mean = s / n;
  let s2 = 0;
  let s3 = 0;
  let s4 = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - mean;
    const d2 = d * d;
    s2 += d2;
    s3 += d2 * d;
    s4 += d2 * d2;
  }
  return { mean, m2: s2 / n, m3: s3 / n, m4: s4 / n };
}

/**
 * scipy.stats.normaltest(x) for one column of samples (n >= 8). Like scipy, a column whose variance is
 * at or below (1e-15 * mean)² (constant data) gives NaN for every field.
 */
export function normaltest(x: ArrayLike<number>): NormalTestResult {
  if (x.length < NORMALTEST_MIN_N) {
    throw new Error(`x: normaltest needs n >= ${NORMALTEST_MIN_N} samples (scipy's skewtest), got n = ${x.length}`);
  }
  const { mean, m2, m3, m4 } = centralMoments(x);
  return k2FromMoments(x.length, m2, m3, m4, mean);
}

/**
 * Reference mixed central moments of two paired columns x, e (same length N >= 1), float64 two-pass:
 * mu[m][n] = mean((x - x̄)^m (e - ē)^n) for m + n <= 4; mu[0][0] = 1 and mu[1][0] = mu[0][1] = 0 exactly.
 */
export function mixedCentralMoments(x: ArrayLike<number>, e: ArrayLike<number>): MixedMoments {
  const n = x.length;
  if (n === 0) throw new Error('x must not be empty');
  if (e.length !== n) throw new Error(`e must have the length of x (${n}), got ${e.length}`);
  let sx = 0;
  let se = 0;
  for (let i = 0; i < n; i++) {
    const a = x[i]!;
    const b = e[i]!;
    if (!Number.isFinite(a)) throw new Error(`x: non-finite value ${a} at index ${i}`);
    if (!Number.isFinite(b)) throw new Error(`e: non-finite value ${b} at index ${i}`);
    sx += a;
    se += b;
  }
  const mx = sx / n;
  const me = se / n;
  const mu: MixedMoments = [0, 1, 2, 3, 4].map((m) => new Array<number>(5 - m).fill(0));
  const px = new Float64Array(5);
  const pe = new Float64Array(5);
  for (let i = 0; i < n; i++) {
    const dx = x[i]! - mx;
    const de = e[i]! - me;
    px[0] = 1;
    pe[0] = 1;
    for (let k = 1; k <= 4; k++) {
      px[k] = px[k - 1]! * dx;
      pe[k] = pe[k - 1]! * de;
    }
    for (let m = 0; m <= 4; m++) for (let q = 0; q <= 4 - m; q++) if (m + q >= 2) mu[m]![q]! += px[m]! * pe[q]!;
  }
  for (let m = 0; m <= 4; m++)
    for (let q = 0; q <= 4 - m; q++) mu[m]![q] = m + q >= 2 ? mu[m]![q]! / n : m + q === 0 ? 1 : 0;
  return mu;
}

const BINOMIAL = [[1], [1, 1], [1, 2, 1], [1, 3, 3, 1], [1, 4, 6, 4, 1]];

/**
 * Central moments of y = alpha x + beta e from the mixed central moments of (x, e): since
 * y - ȳ = alpha (x - x̄) + beta (e - ē),
 *   m_p(y) = sum_{k=0..p} C(p, k) alpha^k beta^(p-k) mu[k][p-k],   p = 2, 3, 4.
 * With alpha = sqrt(abar_i), beta = sqrt(1 - abar_i) and e the fixed noise draw, one pass over the data
 * (the 12 mixed moments of total degree 2..4) gives the moments of x_i at every step i.
 */
export function centralMomentsOfCombination(alpha: number, beta: number, mixed: MixedMoments): CentralMoments {
  checkMoment('alpha', alpha);
  checkMoment('beta', beta);
  const out = [0, 0, 0, 0, 0];
  for (let p = 2; p <= 4; p++) {
    let s = 0;
    for (let k = 0; k <= p; k++) {
      const v = mixed[k]?.[p - k];
      if (typeof v !== 'number' || !Number.isFinite(v)) {
        throw new Error(`mixed[${k}][${p - k}] must be a finite number (mu[m][n] for m + n <= 4), got ${String(v)}`);
      }
      s += BINOMIAL[p]![k]! * alpha ** k * beta ** (p - k) * v;
    }
    out[p] = s;
  }
  return { m2: out[2]!, m3: out[3]!, m4: out[4]! };
}
