// Gaussian late start (Raya & Ambrogioni 2023, DESIGN.md §1): x_s ~ N(mu_s, Sigma_s) at the grid's first
// step s instead of N(0, I) at T. Sigma_s is either a full (D, D) covariance, factored once on the host in
// float64 (Sigma = U diag(lambda) U^T, symmetricEigen), or the analysis' top-r eigenpairs plus an isotropic
// rest: Sigma = V^T diag(lambda) V + rest (I - V^T V) with V (r, D) orthonormal rows. A draw is
//   x = mu + V^T (sqrt(lambda) ⊙ z1) + sqrt(rest) (z2 - V^T V z2),   z1 ~ N(0, I_r), z2 ~ N(0, I_D),
// computed on the host in float64 from Philox normals: one standardNormals draw (n, D + r) on stream
// SAMPLE_STREAM with step tag 0, z2 = its first D columns (exactly the plain start's x_T, so plain and
// late starts share random numbers) and z1 = the next r. Per-class statistics serve rows with a class
// label, 'all' the rest (NULL_CLASS rows, or every row when use = 'all').
import type { Context } from '../runtime/context.js';
import { checkFinite } from '../runtime/check.js';
import { symmetricEigen } from '../linalg/eigh-cpu.js';
import { standardNormals } from '../kernels/forward_noise.js';
import { NULL_CLASS, type Denoiser } from '../models/denoiser.js';
import { PSD_TOLERANCE } from '../models/gmm-model.js';
import { SAMPLE_STREAM } from './scheduler.js';
import { LATE_START_FORMAT, type LateStartFile, type LateStartGaussian } from '../formats/late-start.js';

/** A Gaussian with a full covariance: mean (D), covariance (D, D) row-major, symmetric PSD. */
export interface FullGaussian {
  mean: ArrayLike<number>;
  covariance: ArrayLike<number>;
}

/** Statistics of one start Gaussian; a GaussianFactor (from gaussianFactor) skips the factoring on reuse. */
export type StartGaussian = LateStartGaussian | FullGaussian | GaussianFactor;

/** Statistics for the start draw: `all` for unlabelled rows, perClass[c] for rows of class c. */
export interface LateStartSpec {
  all?: StartGaussian;
  perClass?: readonly StartGaussian[];
}

/** mu + V^T diag(sqrtValues) z1 + sqrtRest (I - V^T V) z2, float64. */
export interface GaussianFactor {
  mean: Float64Array;
  r: number;
  /** (r, D) orthonormal rows. */
  vectors: Float64Array;
  sqrtValues: Float64Array;
  sqrtRest: number;
}

/** Largest deviation of V V^T from I accepted for given eigenvectors (JSON round trips keep ~1e-15). */
export const ORTHONORMAL_TOLERANCE = 1e-6;

/**
 * Checks and factors one Gaussian of dimension D; errors name `what` and the field. A full covariance
 * costs one float64 eigendecomposition (~1.5 s at D = 784 here): factor once and pass the factor.
 */
export function gaussianFactor(g: StartGaussian, D: number, what: string): GaussianFactor {
  if (!g || !g.mean || g.mean.length !== D)
    throw new Error(`${what}: mean must hold D = ${D} values, got ${g?.mean ? g.mean.length : String(g?.mean)}`);
  checkFinite(`${what}: mean`, g.mean, D);
  if ('sqrtValues' in g) {
    if (g.vectors.length !== g.r * D || g.sqrtValues.length !== g.r)
      throw new Error(
        `${what}: factor has r = ${g.r} but ${g.vectors.length / D} vectors and ${g.sqrtValues.length} values (D = ${D})`,
      );
    return g;
  }
  const mean = Float64Array.from(g.mean);
  if ('covariance' in g) {
    if (!g.covariance || g.covariance.length !== D * D)
      throw new Error(`${what}: covariance must hold D * D = ${D * D} values, got ${g.covariance?.length}`);
    checkFinite(`${what}: covariance`, g.covariance, D);
    const { values, vectors } = symmetricEigen(g.covariance, D, { vectors: true });
    const top = Math.max(Math.abs(values[0]!), Math.abs(values[D - 1]!));
    if (values[D - 1]! < -PSD_TOLERANCE * top) {
      throw new Error(
        `${what}: covariance is not positive semi-definite: smallest eigenvalue ${values[D - 1]} (largest ${values[0]})`,
      );
    }
    return { mean, r: D, vectors: vectors!, sqrtValues: values.map((v) => Math.sqrt(Math.max(v, 0))), sqrtRest: 0 };
  }
  const r = g.eigenvalues?.length ?? -1;
  if (r < 0 || r > D)
    throw new Error(`${what}: eigenvalues must hold r <= D = ${D} values, got ${r < 0 ? String(g.eigenvalues) : r}`);
  if (!g.eigenvectors || g.eigenvectors.length !== r)
    throw new Error(`${what}: eigenvectors must hold r = ${r} rows, got ${g.eigenvectors?.length}`);
  const vectors = new Float64Array(r * D);
  for (let j = 0; j < r; j++) {
    const v = g.eigenvectors[j]!;
    if (!v || v.length !== D)
      throw new Error(`${what}: eigenvectors[${j}] must hold D = ${D} values, got ${v?.length}`);
    const lam = g.eigenvalues[j]!;
    if (!(Number.isFinite(lam) && lam >= 0))
      throw new Error(`${what}: eigenvalues[${j}] must be finite and >= 0, got ${lam}`);
    vectors.set(v, j * D);
  }
  checkFinite(`${what}: eigenvectors`, vectors, D);
  for (let i = 0; i < r; i++) {
    for (let j = 0; j <= i; j++) {
      let dot = 0;
      for (let d = 0; d < D; d++) dot += vectors[i * D + d]! * vectors[j * D + d]!;
      if (Math.abs(dot - (i === j ? 1 : 0)) > ORTHONORMAL_TOLERANCE) {
        throw new Error(
          `${what}: eigenvectors must be orthonormal rows; row ${i} . row ${j} = ${dot} (tolerance ${ORTHONORMAL_TOLERANCE})`,
        );
      }
    }
  }
  const rest = g.restVariance;
  if (!(Number.isFinite(rest) && rest >= 0))
    throw new Error(`${what}: restVariance must be finite and >= 0, got ${rest}`);
  return {
    mean,
    r,
    vectors,
    sqrtValues: Float64Array.from(g.eigenvalues, Math.sqrt),
    sqrtRest: r < D ? Math.sqrt(rest) : 0,
  };
}

/** Throws naming the first field in which late-start statistics and a denoiser disagree. */
export function checkLateStartFile(file: LateStartFile, d: Denoiser): void {
  const what = 'late-start statistics';
  if (!file || file.format !== LATE_START_FORMAT)
    throw new Error(`${what}: format must be '${LATE_START_FORMAT}', got '${String(file?.format)}'`);
  if (file.data.dim !== d.dim)
    throw new Error(`${what}: data.dim is ${file.data.dim} but the denoiser's dim is ${d.dim}`);
  const fs = file.data.imageShape;
  const ds = d.imageShape;
  // Flattened denoisers (imageShape null) accept image statistics of the same dim; image against image must agree.
  if (fs && ds && (fs[0] !== ds[0] || fs[1] !== ds[1])) {
    throw new Error(
      `${what}: data.imageShape is [${fs.join(', ')}] but the denoiser's imageShape is [${ds.join(', ')}]`,
    );
  }
  if (file.schedule.name !== d.schedule.name)
    throw new Error(
      `${what}: schedule.name is '${file.schedule.name}' but the denoiser's schedule is '${d.schedule.name}'`,
    );
  if (file.schedule.T !== d.schedule.T)
    throw new Error(`${what}: schedule.T is ${file.schedule.T} but the denoiser's schedule has T = ${d.schedule.T}`);
}

/** The statistics of a late-start file at `step` (checked against the denoiser); use 'class' or 'all'. */
export function lateStartFromFile(file: LateStartFile, d: Denoiser, step: number, use: 'class' | 'all'): LateStartSpec {
  checkLateStartFile(file, d);
  const at = file.steps.find((s) => s.step === step);
  if (!at) {
    throw new Error(
      `late-start statistics: no entry for start step ${step}; the file has steps [${file.steps.map((s) => s.step).join(', ')}]`,
    );
  }
  return use === 'all' ? { all: at.all } : { all: at.all, perClass: at.classes };
}

/** Factors per row (n) from the spec and the rows' classes (null: all rows use `all`). */
export function rowFactors(spec: LateStartSpec, D: number, n: number, classes: Int32Array | null): GaussianFactor[] {
  const cache = new Map<number, GaussianFactor>();
  const get = (c: number): GaussianFactor => {
    let f = cache.get(c);
    if (f) return f;
    const usePer = c !== NULL_CLASS && spec.perClass !== undefined;
    if (usePer && c >= spec.perClass!.length) {
      throw new Error(`late start: class ${c} has no statistics (perClass holds ${spec.perClass!.length} classes)`);
    }
    const g = usePer ? spec.perClass![c]! : spec.all;
    if (!g)
      throw new Error(
        `late start: ${c === NULL_CLASS ? 'unlabelled rows need' : `class ${c} needs`} the 'all' statistics, which are missing`,
      );
    f = gaussianFactor(g, D, usePer ? `late start class ${c}` : 'late start (all)');
    cache.set(c, f);
    return f;
  };
  return Array.from({ length: n }, (_, i) => get(classes === null ? NULL_CLASS : classes[i]!));
}

/**
 * x (n, D) float64 from normals z (n, D + R) row-major (z2 = columns [0, D), z1 = columns [D, D + r) of
 * the row's factor, R >= every r) and the rows' factors.
 */
export function combineLateStart(
  z: ArrayLike<number>,
  n: number,
  D: number,
  R: number,
  factors: readonly GaussianFactor[],
): Float64Array {
  const x = new Float64Array(n * D);
  const proj = new Float64Array(D);
  for (let i = 0; i < n; i++) {
    const f = factors[i]!;
    const z0 = i * (D + R);
    const xi = x.subarray(i * D, (i + 1) * D);
    for (let d = 0; d < D; d++) xi[d] = f.mean[d]! + f.sqrtRest * z[z0 + d]!;
    if (f.sqrtRest > 0) {
      // - sqrt(rest) V^T V z2, the part of the isotropic noise inside the top-r subspace.
      proj.fill(0);
      for (let j = 0; j < f.r; j++) {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += f.vectors[j * D + d]! * z[z0 + d]!;
        for (let d = 0; d < D; d++) proj[d]! += dot * f.vectors[j * D + d]!;
      }
      for (let d = 0; d < D; d++) xi[d]! -= f.sqrtRest * proj[d]!;
    }
    for (let j = 0; j < f.r; j++) {
      const c = f.sqrtValues[j]! * z[z0 + D + j]!;
      if (c === 0) continue;
      for (let d = 0; d < D; d++) xi[d]! += c * f.vectors[j * D + d]!;
    }
  }
  return x;
}

/** n draws (n, D) f32 of the late-start Gaussian(s), keyed on the seed (see the file comment). */
export async function drawLateStart(
  ctx: Context,
  spec: LateStartSpec,
  D: number,
  n: number,
  seed: number,
  classes: Int32Array | null,
): Promise<Float32Array> {
  const factors = rowFactors(spec, D, n, classes);
  const R = factors.reduce((m, f) => Math.max(m, f.r), 0);
  const z = await standardNormals(ctx, n, D + R, { seed, stream: SAMPLE_STREAM, step: 0 });
  return Float32Array.from(combineLateStart(z, n, D, R, factors));
}
