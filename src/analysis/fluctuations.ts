// Per-event fluctuation tensors C_e(i) (covariances of x_i given the event) by the three methods of
// the merger analysis (DESIGN.md §1, §2). Covariances are population ones (divided by n), so the
// `exact` method is the large-noise-sample limit of `crn` and `mc`.
//   exact: C(i) = abar C0 + (1 - abar) I with C0 the event's empirical covariance; N(0, I) gives I.
//   crn:   one noise draw eps per sample (common random numbers); with A = cov(x0), B = cov(eps),
//          X = cov(x0, eps): C(i) = abar A + (1 - abar) B + sqrt(abar (1 - abar)) (X + X^T). The three
//          come from one moment pass over the rows [x0 | eps] (N, 2D): its (2D, 2D) co-moment is
//          [[A, X], [X^T, B]] times n. The noise event is a sample z ~ N(0, I) with its own eps.
//   mc:    the paper's sweep: at each requested step every sample (and the noise sample z) is noised
//          with fresh eps and the per-event covariances are measured.
// Global centring measures each event about the global mean m instead of its own mean, which adds
// (mean_e(i) - m(i))(mean_e(i) - m(i))^T; for exact and crn that is abar (mu_e - mu)(mu_e - mu)^T.
import type { Context } from '../runtime/context.js';
import { momentState } from '../kernels/moments.js';
import { forwardNoise, standardNormals } from '../kernels/forward_noise.js';
import type { Schedule } from '../schedule/schedules.js';
import { poolMoments, type EventPlan, type PooledMoments } from './events.js';
import type { Centring, MergerMethod } from '../formats/report-types.js';
import { STREAM_EPS, STREAM_NOISE_EVENT } from '../kernels/philox_streams.js';

/** Philox streams of the analysis: eps of the data rows, the noise event's sample z, and z's eps (kernels/philox_streams.ts). */
export { STREAM_EPS, STREAM_NOISE_EVENT };

export interface FluctuationInput {
  x: Float32Array;
  labels: Int32Array;
  n: number;
  dim: number;
  classes: number;
  plan: EventPlan;
  schedule: Schedule;
  method: MergerMethod;
  centring: Centring;
  seed: number;
  /** Size of the noise event's N(0, I) sample (crn and mc). */
  noiseCount: number;
}

/** Per event: the matrices C(i) is a combination of. exact: [C0]; crn: [A, B, S = X + X^T]; mc: none. */
export interface FluctuationModel {
  method: MergerMethod;
  dim: number;
  /** Event means of x0 (dim); the noise event's is its sample mean (zeros for exact). */
  means: Float64Array[];
  basis: Float64Array[][];
  /** Per-event C(i) (dim, dim) for the given events at step i (0 = the data). */
  covAt(step: number, events: number[]): Promise<Float64Array[]>;
  /** For crn: the noise draw of the data rows (N, dim), kept for the normality test. */
  eps: Float32Array | null;
}

const abarOf = (s: Schedule, step: number) => (step === 0 ? 1 : s.alphasCumprod[step - 1]!);

function identity(d: number): Float64Array {
  const m = new Float64Array(d * d);
  for (let i = 0; i < d; i++) m[i * d + i] = 1;
  return m;
}

/**
 * Rows standing for "the rest of the data" of each class k under crn and mc: n_k rows drawn from the
 * other classes in proportion to their sizes (the first rows of each, deterministic). Sample
 * covariances of n rows carry a Marchenko-Pastur floor that depends on n, so a class compared with
 * all N - n_k other rows would never merge; a rest of the class's own size has the same floor.
 */
export function restRows(labels: Int32Array, counts: number[]): { index: Int32Array; label: Int32Array } {
  const K = counts.length;
  const N = labels.length;
  const byClass: number[][] = counts.map(() => []);
  for (let r = 0; r < N; r++) byClass[labels[r]!]!.push(r);
  const index: number[] = [];
  const label: number[] = [];
  for (let k = 0; k < K; k++) {
    const others = N - counts[k]!;
    const want = Math.min(counts[k]!, others);
    // Largest-remainder apportionment of `want` rows over the other classes by size.
    const share = counts.map((c, j) => (j === k ? 0 : (want * c) / others));
    const take = share.map(Math.floor);
    let left = want - take.reduce((a, b) => a + b, 0);
    const order = share.map((v, j) => [v - Math.floor(v), j] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
    for (const [, j] of order) {
      if (left === 0) break;
      if (j !== k && take[j]! < counts[j]!) {
        take[j]!++;
        left--;
      }
    }
    take.forEach((t, j) => {
      for (let q = 0; q < t; q++) {
        index.push(byClass[j]![q]!);
        label.push(k);
      }
    });
  }
  return { index: Int32Array.from(index), label: Int32Array.from(label) };
}

function gather(rows: Float32Array, cols: number, index: Int32Array): Float32Array {
  const out = new Float32Array(index.length * cols);
  index.forEach((r, q) => out.set(rows.subarray(r * cols, (r + 1) * cols), q * cols));
  return out;
}

/**
 * Per-class moments of rows (n, cols) with labels, pooled per event. With `rest` (crn, mc) the rest
 * events are measured on their own row sample (restRows); otherwise they pool the other classes.
 */
async function eventMoments(
  ctx: Context,
  rows: Float32Array,
  labels: Int32Array,
  n: number,
  cols: number,
  classes: number,
  plan: EventPlan,
  noiseClass: number | null,
  rest: { index: Int32Array; label: Int32Array } | null,
): Promise<PooledMoments[]> {
  const st = await momentState(ctx, rows, labels, [n, cols], { classes });
  const perClass: PooledMoments[] = st.count.map((c, k) => ({ count: c, mean: st.mean[k]!, m2: st.m2[k]! }));
  let perRest: PooledMoments[] = [];
  if (rest && plan.events.some((e) => e.kind === 'rest')) {
    const K = plan.classEvent.length;
    const rs = await momentState(ctx, gather(rows, cols, rest.index), rest.label, [rest.index.length, cols], {
      classes: K,
    });
    perRest = rs.count.map((c, k) => ({ count: c, mean: rs.mean[k]!, m2: rs.m2[k]! }));
  }
  return plan.events.map((e) => {
    if (e.kind === 'noise')
      return noiseClass === null
        ? { count: 0, mean: new Float64Array(cols), m2: new Float64Array(cols * cols) }
        : perClass[noiseClass]!;
    if (e.kind === 'rest' && rest) return perRest[plan.restEvent.indexOf(e.id)]!;
    return e.classes.length === 1
      ? perClass[e.classes[0]!]!
      : poolMoments(
          e.classes.map((k) => perClass[k]!),
          cols,
        );
  });
}

/** Adds w (a - b)(a - b)^T to the top-left (d, d) block of m (row stride ld). */
function addOuter(m: Float64Array, a: ArrayLike<number>, b: ArrayLike<number>, d: number, w: number): void {
  for (let i = 0; i < d; i++) {
    const di = w * (a[i]! - b[i]!);
    for (let j = 0; j < d; j++) m[i * d + j]! += di * (a[j]! - b[j]!);
  }
}

function countsOf(labels: Int32Array, K: number): number[] {
  const c = new Array<number>(K).fill(0);
  for (const l of labels) c[l]!++;
  return c;
}

/** Labels of the rows [data; noise sample]: the noise rows get class K. */
function withNoiseLabels(labels: Int32Array, K: number, noiseCount: number): Int32Array {
  const out = new Int32Array(labels.length + noiseCount);
  out.set(labels);
  out.fill(K, labels.length);
  return out;
}

export async function fluctuationModel(ctx: Context, inp: FluctuationInput): Promise<FluctuationModel> {
  if (inp.method === 'exact') return exactModel(ctx, inp);
  if (inp.method === 'crn') return crnModel(ctx, inp);
  return mcModel(ctx, inp);
}

async function exactModel(ctx: Context, inp: FluctuationInput): Promise<FluctuationModel> {
  const { dim: D, plan } = inp;
  const pooled = await eventMoments(ctx, inp.x, inp.labels, inp.n, D, inp.classes, plan, null, null);
  const global = pooled[plan.all]!.mean;
  const basis = pooled.map((p, e) => {
    if (plan.events[e]!.kind === 'noise') return [identity(D)];
    const c0 = p.m2.map((v) => v / p.count);
    if (inp.centring === 'global') addOuter(c0, p.mean, global, D, 1);
    return [c0];
  });
  const means = pooled.map((p) => p.mean);
  return {
    method: 'exact',
    dim: D,
    means,
    basis,
    eps: null,
    covAt: async (step, events) => {
      const a = abarOf(inp.schedule, step);
      return events.map((e) => {
        const c = basis[e]![0]!.map((v) => a * v);
        for (let i = 0; i < D; i++) c[i * D + i]! += 1 - a;
        return c;
      });
    },
  };
}

async function crnModel(ctx: Context, inp: FluctuationInput): Promise<FluctuationModel> {
  const { dim: D, n: N, plan } = inp;
  const D2 = 2 * D;
  const eps = await standardNormals(ctx, N, D, { seed: inp.seed, stream: STREAM_EPS });
  // The noise event: z ~ N(0, I) and its eps, one (noiseCount, 2D) block of independent normals.
  const noise = await standardNormals(ctx, inp.noiseCount, D2, { seed: inp.seed, stream: STREAM_NOISE_EVENT });
  const rows = new Float32Array((N + inp.noiseCount) * D2);
  for (let r = 0; r < N; r++) {
    rows.set(inp.x.subarray(r * D, r * D + D), r * D2);
    rows.set(eps.subarray(r * D, r * D + D), r * D2 + D);
  }
  rows.set(noise, N * D2);
  const labels = withNoiseLabels(inp.labels, inp.classes, inp.noiseCount);
  const rest = restRows(inp.labels, countsOf(inp.labels, inp.classes));
  const pooled = await eventMoments(
    ctx,
    rows,
    labels,
    N + inp.noiseCount,
    D2,
    inp.classes + 1,
    plan,
    inp.classes,
    rest,
  );
  const global = pooled[plan.all]!.mean;
  const basis = pooled.map((p, e) => {
    const A = new Float64Array(D * D);
    const B = new Float64Array(D * D);
    const S = new Float64Array(D * D);
    for (let i = 0; i < D; i++) {
      for (let j = 0; j < D; j++) {
        A[i * D + j] = p.m2[i * D2 + j]! / p.count;
        B[i * D + j] = p.m2[(D + i) * D2 + D + j]! / p.count;
        S[i * D + j] = (p.m2[i * D2 + D + j]! + p.m2[j * D2 + D + i]!) / p.count;
      }
    }
    if (inp.centring === 'global' && plan.events[e]!.kind !== 'noise') addOuter(A, p.mean, global, D, 1);
    return [A, B, S];
  });
  const means = pooled.map((p) => p.mean.slice(0, D));
  return {
    method: 'crn',
    dim: D,
    means,
    basis,
    eps,
    covAt: async (step, events) => {
      const a = abarOf(inp.schedule, step);
      const b = 1 - a;
      const c = Math.sqrt(a * b);
      return events.map((e) => {
        const [A, B, S] = basis[e]!;
        const out = new Float64Array(D * D);
        for (let k = 0; k < out.length; k++) out[k] = a * A![k]! + b * B![k]! + c * S![k]!;
        return out;
      });
    },
  };
}

async function mcModel(ctx: Context, inp: FluctuationInput): Promise<FluctuationModel> {
  const { dim: D, n: N, plan } = inp;
  const z = await standardNormals(ctx, inp.noiseCount, D, { seed: inp.seed, stream: STREAM_NOISE_EVENT });
  const rows = new Float32Array((N + inp.noiseCount) * D);
  rows.set(inp.x);
  rows.set(z, N * D);
  const labels = withNoiseLabels(inp.labels, inp.classes, inp.noiseCount);
  const rest = restRows(inp.labels, countsOf(inp.labels, inp.classes));
  const total = N + inp.noiseCount;
  const at = async (step: number) => {
    const xi =
      step === 0
        ? rows
        : (await forwardNoise(ctx, rows, [total, D], { schedule: inp.schedule, steps: [step], seed: inp.seed }))!;
    return eventMoments(ctx, xi, labels, total, D, inp.classes + 1, plan, inp.classes, rest);
  };
  const step0 = await at(0);
  // The last step measured, so that several event subsets at one step noise the data once.
  let last: { step: number; pooled: PooledMoments[] } = { step: 0, pooled: step0 };
  return {
    method: 'mc',
    dim: D,
    means: step0.map((p) => p.mean),
    basis: [],
    eps: null,
    covAt: async (step, events) => {
      if (last.step !== step) last = { step, pooled: step === 0 ? step0 : await at(step) };
      const pooled = last.pooled;
      const global = pooled[plan.all]!.mean;
      return events.map((e) => {
        const p = pooled[e]!;
        const c = p.m2.map((v) => v / p.count);
        if (inp.centring === 'global' && plan.events[e]!.kind !== 'noise') addOuter(c, p.mean, global, D, 1);
        return c;
      });
    },
  };
}
