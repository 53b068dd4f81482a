// Mergeable per-class moments in float64: count, mean and co-moment M2 = sum (x - mean)(x - mean)^T
// (or the cross co-moment sum (x - mx)(y - my)^T), combined exactly with the pairwise update of
// Chan, Golub & LeVeque (1979): n = na + nb, delta = mb - ma, mean = ma + delta nb / n,
// M2 = M2a + M2b + delta delta^T na nb / n. Shards computed anywhere (other chunks, devices,
// machines) merge to the statistics of the union, up to float64 rounding.

/** Per-class state of `moments`: K classes of dimension D; mean[k] (D), m2[k] (D, D) row-major. */
export interface MomentState {
  classes: number;
  dim: number;
  count: number[];
  mean: Float64Array[];
  m2: Float64Array[];
}

/** Per-class state of `crossMoments`: means of x and y (D) and sum (x - mx)(y - my)^T (D, D), not symmetric. */
export interface CrossMomentState {
  classes: number;
  dim: number;
  count: number[];
  meanX: Float64Array[];
  meanY: Float64Array[];
  cxy: Float64Array[];
}

export type CovarianceMode = 'comoment' | 'covariance' | 'population';
export const COVARIANCE_MODES: readonly CovarianceMode[] = ['comoment', 'covariance', 'population'];

export interface ClassMoments {
  count: number;
  /** (D); undefined for a class with no samples (only with allowSmall). */
  mean: Float64Array | undefined;
  /** (D, D) row-major co-moment, covariance (ddof = 1) or population covariance (ddof = 0); undefined below 2 samples (only with allowSmall). */
  cov: Float64Array | undefined;
}

export interface ClassCrossMoments {
  count: number;
  meanX: Float64Array | undefined;
  meanY: Float64Array | undefined;
  /** (D, D) row-major, entry [i, j] pairs x_i with y_j; undefined below 2 samples (only with allowSmall). */
  cov: Float64Array | undefined;
}

const zeros = (k: number, n: number) => Array.from({ length: k }, () => new Float64Array(n));

export function emptyMoments(classes: number, dim: number): MomentState {
  return {
    classes,
    dim,
    count: new Array<number>(classes).fill(0),
    mean: zeros(classes, dim),
    m2: zeros(classes, dim * dim),
  };
}

export function emptyCrossMoments(classes: number, dim: number): CrossMomentState {
  return {
    classes,
    dim,
    count: new Array<number>(classes).fill(0),
    meanX: zeros(classes, dim),
    meanY: zeros(classes, dim),
    cxy: zeros(classes, dim * dim),
  };
}

function checkSameShape(name: string, a: { classes: number; dim: number }, b: { classes: number; dim: number }): void {
  if (a.classes !== b.classes || a.dim !== b.dim) {
    throw new Error(
      `${name}: states differ in shape (${a.classes} classes x D ${a.dim} vs ${b.classes} classes x D ${b.dim})`,
    );
  }
}

/** One class of the pairwise update: (n, mean x, mean y, M) of a and b merged into new arrays. */
function mergeClass(
  na: number,
  xa: Float64Array,
  ya: Float64Array,
  ma: Float64Array,
  nb: number,
  xb: Float64Array,
  yb: Float64Array,
  mb: Float64Array,
) {
  if (nb === 0) return { x: xa.slice(), y: ya.slice(), m: ma.slice() };
  if (na === 0) return { x: xb.slice(), y: yb.slice(), m: mb.slice() };
  const n = na + nb;
  const D = xa.length;
  const dx = new Float64Array(D);
  const dy = new Float64Array(D);
  const x = new Float64Array(D);
  const y = new Float64Array(D);
  for (let i = 0; i < D; i++) {
    dx[i] = xb[i]! - xa[i]!;
    dy[i] = yb[i]! - ya[i]!;
    x[i] = xa[i]! + (dx[i]! * nb) / n;
    y[i] = ya[i]! + (dy[i]! * nb) / n;
  }
  const w = (na * nb) / n;
  const m = new Float64Array(D * D);
  for (let i = 0; i < D; i++) {
    const wi = w * dx[i]!;
    for (let j = 0; j < D; j++) m[i * D + j] = ma[i * D + j]! + mb[i * D + j]! + wi * dy[j]!;
  }
  return { x, y, m };
}

/** Exact pairwise merge of two shards' per-class moments (Chan et al.); the inputs are not changed. */
export function mergeMoments(a: MomentState, b: MomentState): MomentState {
  checkSameShape('mergeMoments', a, b);
  const out = emptyMoments(a.classes, a.dim);
  for (let k = 0; k < a.classes; k++) {
    const r = mergeClass(a.count[k]!, a.mean[k]!, a.mean[k]!, a.m2[k]!, b.count[k]!, b.mean[k]!, b.mean[k]!, b.m2[k]!);
    out.count[k] = a.count[k]! + b.count[k]!;
    out.mean[k] = r.x;
    out.m2[k] = r.m;
  }
  return out;
}

/** Exact pairwise merge of cross-moment shards: the cross term is delta_x delta_y^T na nb / n. */
export function mergeCrossMoments(a: CrossMomentState, b: CrossMomentState): CrossMomentState {
  checkSameShape('mergeCrossMoments', a, b);
  const out = emptyCrossMoments(a.classes, a.dim);
  for (let k = 0; k < a.classes; k++) {
    const r = mergeClass(
      a.count[k]!,
      a.meanX[k]!,
      a.meanY[k]!,
      a.cxy[k]!,
      b.count[k]!,
      b.meanX[k]!,
      b.meanY[k]!,
      b.cxy[k]!,
    );
    out.count[k] = a.count[k]! + b.count[k]!;
    out.meanX[k] = r.x;
    out.meanY[k] = r.y;
    out.cxy[k] = r.m;
  }
  return out;
}

/**
 * One class of one chunk from shifted sums: rows y = x - s (s a shift, e.g. an earlier mean, so that
 * no raw squares of offset data are summed), u = sum y (D) and S = sum y y'^T (D, D). Then
 * mean = s + u / n and M = S - u u'^T / n exactly (the shift cancels).
 */
export function shiftedClass(
  n: number,
  sx: ArrayLike<number>,
  ux: ArrayLike<number>,
  sy: ArrayLike<number>,
  uy: ArrayLike<number>,
  S: ArrayLike<number>,
) {
  const D = sx.length;
  const mx = new Float64Array(D);
  const my = new Float64Array(D);
  const m = new Float64Array(D * D);
  if (n === 0) return { mx, my, m };
  for (let i = 0; i < D; i++) {
    mx[i] = sx[i]! + ux[i]! / n;
    my[i] = sy[i]! + uy[i]! / n;
  }
  for (let i = 0; i < D; i++) {
    const ui = ux[i]! / n;
    for (let j = 0; j < D; j++) m[i * D + j] = S[i * D + j]! - ui * uy[j]!;
  }
  return { mx, my, m };
}

function divisor(name: string, k: number, n: number, mode: CovarianceMode, allowSmall: boolean): number | undefined {
  if (!COVARIANCE_MODES.includes(mode))
    throw new Error(`${name}: covariance '${String(mode)}' is not one of ${COVARIANCE_MODES.join(', ')}`);
  if (n < 2) {
    if (allowSmall) return undefined;
    throw new Error(
      `${name}: class ${k} has ${n} sample${n === 1 ? '' : 's'}; a ${mode} needs at least 2 (pass allowSmall: true to get undefined instead)`,
    );
  }
  return mode === 'comoment' ? 1 : mode === 'covariance' ? n - 1 : n;
}

const scaled = (m: Float64Array, d: number) => (d === 1 ? m.slice() : m.map((v) => v / d));

/** Per-class results from a state: co-moment, covariance (ddof = 1) or population covariance (ddof = 0). */
export function finalizeMoments(
  state: MomentState,
  mode: CovarianceMode,
  opts: { allowSmall?: boolean } = {},
): ClassMoments[] {
  return state.count.map((n, k) => {
    const d = divisor('finalizeMoments', k, n, mode, opts.allowSmall ?? false);
    return {
      count: n,
      mean: n > 0 ? state.mean[k]!.slice() : undefined,
      cov: d === undefined ? undefined : scaled(state.m2[k]!, d),
    };
  });
}

export function finalizeCrossMoments(
  state: CrossMomentState,
  mode: CovarianceMode,
  opts: { allowSmall?: boolean } = {},
): ClassCrossMoments[] {
  return state.count.map((n, k) => {
    const d = divisor('finalizeCrossMoments', k, n, mode, opts.allowSmall ?? false);
    return {
      count: n,
      meanX: n > 0 ? state.meanX[k]!.slice() : undefined,
      meanY: n > 0 ? state.meanY[k]!.slice() : undefined,
      cov: d === undefined ? undefined : scaled(state.cxy[k]!, d),
    };
  });
}
