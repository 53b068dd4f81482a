// Top eigenvalues of every event's C(i) at every step, cheaply (DESIGN.md §2 "Eigen"): Rayleigh-Ritz on a
// subspace per window of steps. C(i) = a A + b B + c S is linear in (a, b, c), so with the block products
// [A V, B V, S V] of one m-dimensional subspace V (three GPU products per window and event) the projected
// m x m matrix V^T C(i) V and the Ritz residuals ||C(i) u - theta u|| of every step of the window are
// float64 host work of size m (residual norms from the Gram matrix of [V; AV; BV; SV]). The subspace
// follows the spectrum from window to window by one step of subspace iteration, orth(C(next centre) V),
// which the products already give; it starts from the top eigenvectors of A (step 0).
// Ritz values are lower bounds of the top eigenvalues (Cauchy interlacing); each carries the estimate
// min(r, r^2 / gap) of its distance to its eigenvalue (Parlett §11.7), r its residual norm and gap the
// distance to the nearest other Ritz value. The caller says how accurate each event must be (its pairs' d
// near eps need more); an event keeps its subspace (no products) from window to window while its values
// meet that, so events whose pairs are far from eps cost products only now and then: on Fashion-MNIST
// 4374 products instead of 6864, the merger steps unchanged. Windows shrink where a new subspace does not
// deliver the accuracy over a window's width and grow where it does.
import { eigenInto, eigenWorkspace, type EigenWorkspace } from '../linalg/eigh-cpu.js';
import { rowKernels } from '../linalg/rows.js';
import { seededGaussian } from '../kernels/eigh_source.js';
import { crnCoef, type CrnEngine } from './crn-engine.js';

export interface TrackOptions {
  /** Eigenvalues tracked (the top k), and the subspace size m > k. */
  k: number;
  m: number;
  /** Window widths (steps): the first, the smallest and the largest. */
  width?: number;
  minWidth?: number;
  maxWidth?: number;
  /** The starting subspace per event: m orthonormal rows (the top eigenvectors of C(0)); default computed. */
  start?: Float64Array[];
  /**
   * Per event, the largest error estimate the caller accepts over steps [from, to] given every event's values
   * there (values[q][t]: event q at step from + t).
   */
  need: (from: number, to: number, values: Float64Array[][]) => ArrayLike<number>;
  onWindow?: (done: number, total: number) => void;
}

export interface EventTrack {
  /** Per step 0..T: the top k Ritz values (descending) and their error estimates. */
  values: Float64Array[];
  err: Float64Array[];
  /** Per step: the f32 rounding allowance included in err, by which a Ritz value may exceed its eigenvalue. */
  roundoff: Float64Array;
}

export interface TrackResult {
  tracks: EventTrack[];
  windows: number;
  products: number;
}

/** Gram matrix Z Z^T of the rows Z = [V; AV; BV; SV] (4m rows of length D), entries as plain dot products. */
export function gram(rows: Float64Array[], m: number, D: number): Float64Array {
  const n = 4 * m;
  // Z is only read by the kernel: one buffer per size serves every call (no 4 m D allocation per subspace).
  if (gramRows.length !== n * D) gramRows = new Float64Array(n * D);
  const Z = gramRows;
  rows.forEach((r, p) => Z.set(r.subarray(0, m * D), p * m * D));
  return rowKernels().gram(Z, n, D);
}
let gramRows = new Float64Array(0);

/**
 * The blocks of the Gram matrix G of [V; AV; BV; SV] that every step's Ritz work reads (m x m each): G_VV,
 * the symmetrised (V, PV) blocks H_p = (G_0p + G_0p^T) / 2 whose combination is V^T C V, and the products'
 * blocks G_pp and G_pq + G_qp (p < q) whose combination is (C V)^T (C V).
 */
export interface RitzBlocks {
  m: number;
  vv: Float64Array;
  h: Float64Array[];
  pp: Float64Array[];
  pq: Float64Array[];
}

export function ritzBlocks(G: Float64Array, m: number): RitzBlocks {
  const n = 4 * m;
  const block = (f: (a: number, b: number) => number) => {
    const out = new Float64Array(m * m);
    for (let a = 0; a < m; a++) for (let b = 0; b < m; b++) out[a * m + b] = f(a, b);
    return out;
  };
  const at = (p: number, q: number, a: number, b: number) => G[(p * m + a) * n + q * m + b]!;
  return {
    m,
    vv: block((a, b) => at(0, 0, a, b)),
    h: [1, 2, 3].map((p) => block((a, b) => 0.5 * (at(0, p, a, b) + at(0, p, b, a)))),
    pp: [1, 2, 3].map((p) => block((a, b) => at(p, p, a, b))),
    pq: [
      [1, 2],
      [1, 3],
      [2, 3],
    ].map(([p, q]) => block((a, b) => at(p!, q!, a, b) + at(q!, p!, a, b))),
  };
}

/** s^T M s for the m x m matrix M and the vector s = x[o .. o + m). */
function quadratic(M: Float64Array, x: Float64Array, o: number, m: number): number {
  let t = 0;
  for (let a = 0; a < m; a++) {
    let u = 0;
    for (let b = 0; b < m; b++) u += M[a * m + b]! * x[o + b]!;
    t += x[o + a]! * u;
  }
  return t;
}

/** ritzAt's working arrays per subspace size (ritzAt is synchronous: one set serves every call). */
const ritzWork = new Map<number, { eig: EigenWorkspace; H: Float64Array; Q: Float64Array }>();

/**
 * Ritz values, residual norms and error estimates of C(i) = sum_p coef_p P_p on span(V) from the window's
 * Gram blocks. A Ritz pair (theta, u = V^T s) has ||C u - theta u||^2 = theta^2 s^T G_VV s - 2 theta s^T H s
 * + s^T Q s with H = V^T C V and Q = (C V)^T (C V): three m x m quadratic forms per pair, each term of size
 * theta^2 ||s||^2, as in the 4m x 4m form it equals.
 */
export function ritzAt(
  blocks: RitzBlocks,
  D: number,
  k: number,
  coef: readonly [number, number, number],
): { values: Float64Array; err: Float64Array; roundoff: number; residuals: Float64Array } {
  const { m } = blocks;
  const [c1, c2, c3] = coef;
  if (!ritzWork.has(m))
    ritzWork.set(m, { eig: eigenWorkspace(m), H: new Float64Array(m * m), Q: new Float64Array(m * m) });
  const { eig, H, Q } = ritzWork.get(m)!;
  const [h1, h2, h3] = blocks.h as [Float64Array, Float64Array, Float64Array];
  const [g11, g22, g33] = blocks.pp as [Float64Array, Float64Array, Float64Array];
  const [g12, g13, g23] = blocks.pq as [Float64Array, Float64Array, Float64Array];
  const q11 = c1 * c1;
  const q22 = c2 * c2;
  const q33 = c3 * c3;
  const q12 = c1 * c2;
  const q13 = c1 * c3;
  const q23 = c2 * c3;
  for (let x = 0; x < m * m; x++) {
    H[x] = c1 * h1[x]! + c2 * h2[x]! + c3 * h3[x]!;
    Q[x] = q11 * g11[x]! + q22 * g22[x]! + q33 * g33[x]! + q12 * g12[x]! + q13 * g13[x]! + q23 * g23[x]!;
  }
  eigenInto(H, eig, true);
  const values = eig.values.slice(0, k);
  const roundoff = 16 * D * 2 ** -24 * Math.max(Math.abs(eig.values[0]!), Math.abs(eig.values[m - 1]!));
  // Residual norms of all m Ritz pairs (the clusters below need the whole set).
  const res = new Float64Array(m);
  for (let j = 0; j < m; j++) {
    const o = j * m;
    const theta = eig.values[j]!;
    const rr =
      theta * theta * quadratic(blocks.vv, eig.vectors, o, m) -
      2 * theta * quadratic(H, eig.vectors, o, m) +
      quadratic(Q, eig.vectors, o, m);
    res[j] = Math.sqrt(Math.max(0, rr));
  }
  // Cluster-robust estimates: Ritz values whose residual intervals overlap form a cluster; the sorted Ritz
  // values of a cluster approximate the sorted eigenvalues of its invariant subspace within ||R||^2 / gap,
  // ||R||_F^2 the sum of the cluster's squared residuals and gap its distance to the other Ritz values
  // (Parlett §11.7; Sun 1991), and never by more than ||R||_F. A cluster reaching the bottom of the subspace
  // has no known gap below it and keeps ||R||_F. Plus the rounding of the f32 products C V (length-D sums,
  // about D 2^-24 ||C||_2 each), which can lift a Ritz value above its eigenvalue: 16 D 2^-24 ||C||_2.
  const err = new Float64Array(k);
  for (let p = 0; p < k; ) {
    let q = p;
    while (q + 1 < m && eig.values[q]! - eig.values[q + 1]! <= res[q]! + res[q + 1]!) q++;
    let rf2 = 0;
    for (let j = p; j <= q; j++) rf2 += res[j]! * res[j]!;
    const above = p > 0 ? eig.values[p - 1]! - eig.values[p]! : Number.POSITIVE_INFINITY;
    const below = q + 1 < m ? eig.values[q]! - eig.values[q + 1]! : 0;
    const gap = Math.min(above, below);
    const e = Math.min(Math.sqrt(rf2), gap > 0 ? rf2 / gap : Number.POSITIVE_INFINITY) + roundoff;
    for (let j = p; j <= Math.min(q, k - 1); j++) err[j] = e;
    p = q + 1;
  }
  return { values, err, roundoff, residuals: res };
}

/** Orthonormal rows of C(step) V, from the products of V. */
function advance(
  P: Float64Array[],
  coef: [number, number, number],
  m: number,
  D: number,
  fill: (r: number) => Float64Array,
): Float64Array {
  const Y = new Float64Array(m * D);
  for (let p = 0; p < 3; p++) {
    const w = coef[p]!;
    const Pp = P[p]!;
    for (let q = 0; q < Y.length; q++) Y[q]! += w * Pp[q]!;
  }
  rowKernels().orthonormalise(Y, m, D, fill);
  return Y;
}

export async function trackTopEigenvalues(
  engine: CrnEngine,
  events: number[],
  opts: TrackOptions,
): Promise<TrackResult> {
  const { k, m } = opts;
  const T = engine.schedule.T;
  // Each event's own order (D, or its Gram size).
  const dims = events.map((e) => engine.size(e));
  const D = Math.min(...dims);
  if (!(k >= 1 && m > k && m <= D))
    throw new Error(`trackTopEigenvalues: need 1 <= k < m <= the events' order, got k ${k}, m ${m}, order ${D}`);
  const minWidth = opts.minWidth ?? 4;
  const maxWidth = opts.maxWidth ?? 200;
  let width = Math.min(maxWidth, Math.max(minWidth, opts.width ?? 16));
  const gauss = seededGaussian(7);
  const fills = dims.map((n) => () => Float64Array.from({ length: n }, gauss));
  // Start: the top m eigenvectors of A (C at step 0), converged.
  const V: Float64Array[] = opts.start ? opts.start.map((v) => v.slice()) : [];
  if (!opts.start) for (const t of await engine.topEigen(events.map((e) => ({ e, step: 0, r: m })))) V.push(t.vectors);
  const tracks: EventTrack[] = events.map(() => ({
    values: new Array(T + 1),
    err: new Array(T + 1),
    roundoff: new Float64Array(T + 1),
  }));
  let windows = 0;
  let products = 0;
  // Each event's subspace in use, its products and its Gram blocks: a subspace is kept across windows for as
  // long as its Ritz values meet the event's own accuracy (an event whose pairs are far from eps keeps one
  // for many windows), and made anew (one subspace-iteration step from the last, at the window's centre)
  // when they do not.
  const held: ({ P: Float64Array[]; blocks: RitzBlocks } | null)[] = events.map(() => null);
  const ritzOver = (blocks: RitzBlocks, q: number, s: number, w: number) =>
    Array.from({ length: w }, (_, t) => ritzAt(blocks, dims[q]!, k, crnCoef(engine.schedule, s + t)));
  /** Per event, its worst error over the window's steps relative to its own accuracy (<= 1: good enough). */
  const ratios = (res: ReturnType<typeof ritzAt>[][], need: ArrayLike<number>) =>
    res.map((r, q) => Math.max(...r.map((x) => Math.max(...x.err.subarray(0, k)))) / need[q]!);
  for (let s = 0; s <= T; ) {
    const w = Math.min(width, T + 1 - s);
    const centre = s + Math.floor((w - 1) / 2);
    const res: ReturnType<typeof ritzAt>[][] = new Array(events.length);
    // The kept subspaces over this window first: the events whose values there miss their accuracy (and all
    // events at the first window) get a new subspace.
    events.forEach((_, q) => {
      if (held[q]) res[q] = ritzOver(held[q]!.blocks, q, s, w);
    });
    const renew = held.every((h) => h !== null)
      ? ratios(
          res,
          opts.need(
            s,
            s + w - 1,
            res.map((r) => r.map((x) => x.values)),
          ),
        )
          .map((r, q) => (r > 1 ? q : -1))
          .filter((q) => q >= 0)
      : events.map((_, q) => q);
    const Vw = new Map<number, Float64Array>();
    const fresh = new Map<number, { P: Float64Array[]; blocks: RitzBlocks }>();
    for (const q of renew) {
      const h = held[q];
      Vw.set(q, h ? advance(h.P, crnCoef(engine.schedule, centre), m, dims[q]!, fills[q]!) : V[q]!.slice());
    }
    // The new subspaces' products in two halves: the host's Ritz work on one half overlaps the GPU's products
    // of the other (products() submits before it first awaits).
    const ritz = (q: number) => {
      const f = fresh.get(q)!;
      res[q] = ritzOver(f.blocks, q, s, w);
    };
    const half = Math.ceil(renew.length / 2);
    let previous: number[] = [];
    for (const group of [renew.slice(0, half), renew.slice(half)]) {
      if (!group.length) continue;
      const pending = engine.products(
        group.map((q) => ({ e: events[q]!, V: Vw.get(q)! })),
        m,
      );
      previous.forEach(ritz);
      (await pending).forEach((P, i) => {
        const q = group[i]!;
        fresh.set(q, { P, blocks: ritzBlocks(gram([Vw.get(q)!, ...P], m, dims[q]!), m) });
      });
      previous = group;
    }
    previous.forEach(ritz);
    products += 3 * renew.length;
    const need = opts.need(
      s,
      s + w - 1,
      res.map((r) => r.map((x) => x.values)),
    );
    // Per step: the worst error, and the part of it the window's width adds: over the ranks the centre (where
    // a new subspace was made) resolves within the event's accuracy, how much worse the step is; both
    // relative to each event's own accuracy. Ranks unresolved at the centre (inside a cluster) stay so in
    // any window and do not shrink it; kept subspaces were made elsewhere and add no width part.
    const worstAt = new Float64Array(w);
    const widthAt = new Float64Array(w);
    res.forEach((r, q) => {
      const nq = need[q]!;
      const centreErr = r[centre - s]!.err;
      const made = fresh.has(q);
      r.forEach((x, t) => {
        for (let j = 0; j < k; j++) {
          worstAt[t] = Math.max(worstAt[t]!, x.err[j]! / nq);
          if (made && centreErr[j]! <= nq) widthAt[t] = Math.max(widthAt[t]!, (x.err[j]! - centreErr[j]!) / nq);
        }
      });
    });
    const worst = Math.max(...worstAt);
    const widthPart = Math.max(...widthAt);
    let accepted = w;
    if (worst > 1 && widthPart > 1 / 2 && w > minWidth) {
      // Too wide for the accuracy needed here. The leading steps that meet it are kept (their errors are
      // their own, whatever the window), and the rest is tracked with half the width; with none, the window
      // is retried with half the width from the same starting subspaces.
      accepted = 0;
      while (accepted < w && (worstAt[accepted]! <= 1 || widthAt[accepted]! <= 1 / 2)) accepted++;
      width = Math.max(minWidth, Math.floor(w / 2));
      if (accepted === 0) continue;
    }
    res.forEach((r, q) =>
      r.slice(0, accepted).forEach((x, t) => {
        tracks[q]!.values[s + t] = x.values;
        tracks[q]!.err[s + t] = x.err;
        tracks[q]!.roundoff[s + t] = x.roundoff;
      }),
    );
    for (const [q, f] of fresh) {
      V[q] = Vw.get(q)!;
      held[q] = f;
    }
    windows++;
    s += accepted;
    opts.onWindow?.(s, T + 1);
    // Wider only after a window that made subspaces and found them good for its whole width (a window of
    // kept subspaces says nothing about how far a new one would reach).
    if (fresh.size > 0 && accepted === w && (worst < 1 / 4 || widthPart < 1 / 8)) width = Math.min(maxWidth, 2 * w);
  }
  return { tracks, windows, products };
}
