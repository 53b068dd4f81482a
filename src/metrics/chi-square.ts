// The chi-square survival function P(X > x) for X ~ chi2(dof): the regularised upper incomplete gamma
// Q(dof / 2, x / 2), by its power series below a + 1 and its Lentz continued fraction above (Numerical
// Recipes §6.2), with ln Gamma from the Lanczos approximation (g = 7, 9 terms; relative error ~1e-15).

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Gamma(z) for z > 0. */
export function lnGamma(z: number): number {
  if (!(z > 0)) throw new Error(`lnGamma: z must be > 0, got ${z}`);
  if (z < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * z)) - lnGamma(1 - z);
  const x = z - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < 9; i++) s += LANCZOS[i]! / (x + i);
  const t = x + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(s);
}

const EPS = 1e-16;
const TINY = 1e-300;
const MAX_ITER = 10_000;

/** Regularised upper incomplete gamma Q(a, x) = Gamma(a, x) / Gamma(a), a > 0, x >= 0. */
export function gammaQ(a: number, x: number): number {
  if (!(a > 0)) throw new Error(`gammaQ: a must be > 0, got ${a}`);
  if (!(x >= 0)) throw new Error(`gammaQ: x must be >= 0, got ${x}`);
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  const front = Math.exp(-x + a * Math.log(x) - lnGamma(a));
  if (x < a + 1) {
    // P(a, x) = x^a e^-x / Gamma(a + 1) * sum_n x^n / ((a + 1) ... (a + n)).
    let term = 1 / a;
    let sum = term;
    for (let n = 1; n < MAX_ITER; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPS) break;
    }
    return Math.max(0, 1 - sum * front);
  }
  // Q(a, x) = front * 1 / (x + 1 - a - 1 (1 - a) / (x + 3 - a - ...)) by the modified Lentz method.
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITER; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPS) break;
  }
  return Math.min(1, front * h);
}

/** P(X > x) for X ~ chi2(dof), dof > 0. */
export function chiSquareSf(x: number, dof: number): number {
  if (!(dof > 0)) throw new Error(`chiSquareSf: dof must be > 0, got ${dof}`);
  if (Number.isNaN(x)) throw new Error('chiSquareSf: x is NaN');
  return x <= 0 ? 1 : gammaQ(dof / 2, x / 2);
}
