// The spectral work of the crn merger analysis over a crn basis (crn-basis.ts): C_e(i) = a A_e + b B_e
// + c S_e with (a, b, c) = (abar_i, 1 - abar_i, sqrt(abar_i (1 - abar_i))). Full spectra of many (event,
// step) matrices per submission (combine3 into the slots of a tridiag batch, GPU reduction to band form,
// float64 band -> tridiagonal and QL on the host), block products [A V, B V, S V] for the Ritz tracker (symm_block), the Frobenius
// products behind M(i), and top eigenpairs for late-start statistics and the normality directions.
// Small D (<= HOST_DIM) runs in float64 on the host: the basis is read back once and nothing else
// touches the GPU (a 64 x 64 eigensolve takes ~0.3 ms in JS, less than a GPU round trip).
import type { Context } from '../runtime/context.js';
import { beginBatch, submit } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback, upload, type Tensor } from '../runtime/tensor.js';
import { combine3Pipeline, encodeCombine3 } from '../kernels/combine3.js';
import { eighTopMany } from '../kernels/eigh_top.js';
import { encodeSymmBlock, symmBlockPipeline } from '../kernels/symm_block.js';
import { spectrumStream } from '../kernels/tridiag_stream.js';
import { symmetricEigen } from '../linalg/eigh-cpu.js';
import type { Schedule } from '../schedule/schedules.js';
import type { CrnBasis } from './crn-basis.js';
import type { GramEvent } from './crn-gram.js';
import { frobeniusTables } from './crn-frobenius.js';

/** Largest D whose spectra run in float64 on the host. */
export const HOST_DIM = 64;

export type Coef = [number, number, number];

export const abarAt = (schedule: Schedule, step: number) => (step === 0 ? 1 : schedule.alphasCumprod[step - 1]!);

export function crnCoef(schedule: Schedule, step: number): Coef {
  const a = abarAt(schedule, step);
  return [a, 1 - a, Math.sqrt(a * (1 - a))];
}

export interface TopEigen {
  values: Float64Array;
  /** (r, D) rows. */
  vectors: Float64Array;
  trace: number;
  /** Every wanted pair met the solver's tolerance (false: the best basis within its product budget). */
  converged: boolean;
  /** ||C u_1 - theta_1 u_1|| of the top pair (0 from the host's dense solver). */
  topResidual: number;
}

export interface TopRequest {
  e: number;
  step: number;
  r: number;
  /** Vectors in the D-dimensional data space even for a Gram event. */
  cov?: boolean;
}

export interface CrnEngine {
  dim: number;
  /** Order of an event's spectral matrices: D, or its Gram size when it has fewer rows than D (crn-gram.ts). */
  size(e: number): number;
  events: { count: number; mean: Float64Array }[];
  schedule: Schedule;
  /** Spectra (descending, float64, D values: a Gram event's padded with zeros) of C_e(step) per request, cached. */
  full(requests: readonly (readonly [number, number])[]): Promise<Float64Array[]>;
  /** Full spectra computed so far. */
  fullCount(): number;
  /**
   * [A V, B V, S V] for blocks V (m rows of length size(e)) of several events; each result (m, size(e)) rows.
   * The GPU work is submitted before the first await: host work done before awaiting the promise overlaps it.
   */
  products(requests: readonly { e: number; V: Float64Array }[], m: number): Promise<Float64Array[][]>;
  /** <P_p, Q_q>_F (p, q over A, B, S) per event pair: 3 x 3 tables. */
  frobenius(pairs: readonly (readonly [number, number])[]): Promise<number[][][]>;
  /**
   * Per request, the top r eigenpairs (vectors of length size(e), or D with `cov`) and the trace of
   * C_e(step); the GPU engine iterates all requests in lockstep (one submission and readback per round).
   */
  topEigen(requests: readonly TopRequest[]): Promise<TopEigen[]>;
  dispose(): void;
}

const key = (e: number, step: number) => `${e}:${step}`;

/**
 * Most products per `topEigen` request. Events with structure converge in 11-15 on Fashion-MNIST; the noise
 * event's top eigenvalues sit in the flat edge of its Marchenko-Pastur bulk, whose gaps are too small for
 * subspace iteration ever to reach the tolerance: it ran all 500 products (2 s) there for a tracker start
 * that the tracker refines and bounds on its own anyway. `converged` says whether a request got there.
 */
const TOP_MAX_PRODUCTS = 64;

/** Most bytes of matrices one `topEigen` group holds on the GPU. */
const TOP_GROUP_BYTES = 256 * 2 ** 20;

export async function crnEngine(
  ctx: Context,
  basis: CrnBasis,
  schedule: Schedule,
  grams: Map<number, GramEvent> = new Map(),
): Promise<CrnEngine> {
  return basis.dim <= HOST_DIM ? hostEngine(ctx, basis, schedule) : gpuEngine(ctx, basis, schedule, grams);
}

/** C = sum_p coef_p M_p over packed (D, D) float64 matrices. */
function combine(mats: Float64Array[], coef: Coef): Float64Array {
  const out = new Float64Array(mats[0]!.length);
  mats.forEach((m, p) => {
    const w = coef[p]!;
    for (let i = 0; i < out.length; i++) out[i]! += w * m[i]!;
  });
  return out;
}

function dot(x: Float64Array, y: Float64Array): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * y[i]!;
  return s;
}

/**
 * The m rows V (m, n) into the products' operand layout at `o`: entry (a, i) at o + i * 4 q4 + a (each row
 * index i holds the m values in q4 vec4s), f32.
 */
function toQuads(V: Float64Array, host: Float32Array, o: number, q4: number, m: number, n: number): void {
  const w = 4 * q4;
  for (let i = 0; i < n; i++) {
    const at = o + i * w;
    for (let a = 0; a < m; a++) host[at + a] = V[a * n + i]!;
  }
}

/** The inverse of toQuads: m rows (m, n) in float64 from the layout at `o` of `out`. */
function fromQuads(out: Float32Array, o: number, q4: number, m: number, n: number): Float64Array {
  const res = new Float64Array(m * n);
  const w = 4 * q4;
  for (let a = 0; a < m; a++) {
    const row = a * n;
    for (let i = 0, at = o + a; i < n; i++, at += w) res[row + i] = out[at]!;
  }
  return res;
}

async function hostEngine(ctx: Context, basis: CrnBasis, schedule: Schedule): Promise<CrnEngine> {
  const { dim: D, ld } = basis;
  const mats: Float64Array[][] = [];
  for (const ev of basis.events) {
    const host: Float64Array[] = [];
    for (const t of ev.mats) {
      const full = (await readback(ctx, t)) as Float32Array;
      host.push(Float64Array.from({ length: D * D }, (_, q) => full[Math.floor(q / D) * ld + (q % D)]!));
    }
    mats.push(host);
  }
  const cache = new Map<string, Float64Array>();
  return {
    dim: D,
    size: () => D,
    events: basis.events.map((e) => ({ count: e.count, mean: e.mean })),
    schedule,
    async full(requests) {
      return requests.map(([e, step]) => {
        const k = key(e, step);
        if (!cache.has(k)) cache.set(k, symmetricEigen(combine(mats[e]!, crnCoef(schedule, step)), D).values);
        return cache.get(k)!;
      });
    },
    fullCount: () => cache.size,
    async products(requests, m) {
      return requests.map(({ e, V }) =>
        mats[e]!.map((M) => {
          const out = new Float64Array(m * D);
          for (let r = 0; r < m; r++) {
            for (let i = 0; i < D; i++) {
              let s = 0;
              for (let j = 0; j < D; j++) s += M[i * D + j]! * V[r * D + j]!;
              out[r * D + i] = s;
            }
          }
          return out;
        }),
      );
    },
    async frobenius(pairs) {
      return pairs.map(([e, f]) => mats[e]!.map((p) => mats[f]!.map((q) => dot(p, q))));
    },
    async topEigen(requests) {
      return requests.map(({ e, step, r }) => {
        const c = combine(mats[e]!, crnCoef(schedule, step));
        const eig = symmetricEigen(c, D, { vectors: true });
        let trace = 0;
        for (let i = 0; i < D; i++) trace += c[i * D + i]!;
        return {
          values: eig.values.slice(0, r),
          vectors: eig.vectors!.slice(0, r * D),
          trace,
          converged: true,
          topResidual: 0,
        };
      });
    },
    dispose: () => undefined,
  };
}

async function gpuEngine(
  ctx: Context,
  basis: CrnBasis,
  schedule: Schedule,
  grams: Map<number, GramEvent>,
): Promise<CrnEngine> {
  const { dim: D, ld } = basis;
  const E = basis.events.length;
  const combiner = await combine3Pipeline(ctx);
  const symm = await symmBlockPipeline(ctx);
  /** The matrices spectra are taken from: the Gram form when the event has one, else the D x D basis. */
  const space = (e: number) => {
    const g = grams.get(e);
    return g ? { n: g.size, ld: g.ld, mats: g.mats } : { n: D, ld, mats: basis.events[e]!.mats };
  };
  const identity = createTensor(ctx, [ld, ld], {
    data: Float32Array.from({ length: ld * ld }, (_, q) => (Math.floor(q / ld) === q % ld && q % ld < D ? 1 : 0)),
    label: 'crn.identity',
  });
  // Traces of A, B, S per event: <M, I>_F.
  const traces = await frobeniusTables(
    ctx,
    basis,
    Array.from({ length: E }, (_, e) => [e, -1] as const),
    identity,
  ).then((t) => t.map((row) => row.map((r) => r[0]!)));
  const encodeC = (
    batch: ReturnType<typeof beginBatch>,
    mats: readonly Tensor[],
    len: number,
    step: number,
    out: Tensor,
    outOffset: number,
  ) => {
    const [A, B, S] = mats;
    encodeCombine3(batch, combiner, { x: A!, y: B!, z: S!, out, outOffset, len, coef: crnCoef(schedule, step) });
  };
  const pad = (v: Float64Array) => {
    if (v.length === D) return v;
    const out = new Float64Array(D);
    out.set(v);
    return out.sort().reverse();
  };
  // Full spectra as a stream: each caller's requests join whatever chunk the GPU takes next.
  const spectra = spectrumStream<readonly [number, number]>(ctx, {
    name: ([e, step]) => key(e, step),
    order: ([e]) => space(e).n,
    fill: (batch, [e, step], work, offset) =>
      encodeC(batch, space(e).mats, work.a.size / work.capacity, step, work.a, offset),
    finish: (_k, values) => pad(values),
  });
  return {
    dim: D,
    size: (e) => space(e).n,
    events: basis.events.map((e) => ({ count: e.count, mean: e.mean })),
    schedule,
    full: (requests) => spectra.request(requests),
    fullCount: () => spectra.count(),
    async products(requests, m) {
      const q4 = Math.ceil(m / 4);
      const spaces = requests.map(({ e }) => space(e));
      const vOff: number[] = [];
      const wOff: number[] = [];
      let vn = 0;
      let wn = 0;
      for (const sp of spaces) {
        vOff.push(vn);
        wOff.push(wn);
        vn += sp.ld * q4;
        wn += 3 * sp.ld * q4;
      }
      const vT = createTensor(ctx, [vn, 4], { label: 'crn.V' });
      const wT = createTensor(ctx, [wn, 4], { label: 'crn.W' });
      try {
        const host = new Float32Array(vn * 4);
        requests.forEach(({ V }, r) => toQuads(V, host, vOff[r]! * 4, q4, m, spaces[r]!.n));
        upload(ctx, vT, host);
        const batch = beginBatch(ctx, 'crn.products');
        requests.forEach((_, r) => {
          const sp = spaces[r]!;
          sp.mats.forEach((c, p) => {
            encodeSymmBlock(batch, symm, {
              c,
              v: vT,
              w: wT,
              d: sp.ld,
              q4,
              vOffset: vOff[r]!,
              wOffset: wOff[r]! + p * sp.ld * q4,
            });
          });
        });
        submit(batch);
        const out = (await readback(ctx, wT)) as Float32Array;
        return requests.map((_, r) => {
          const { n, ld: l } = spaces[r]!;
          return [0, 1, 2].map((p) => fromQuads(out, (wOff[r]! + p * l * q4) * 4, q4, m, n));
        });
      } finally {
        disposeTensor(vT);
        disposeTensor(wT);
      }
    },
    frobenius: (pairs) => frobeniusTables(ctx, basis, pairs, null),
    async topEigen(requests) {
      const out: TopEigen[] = [];
      // Groups of matrices within a memory budget (D = 4096: 64 MiB each), each group iterated together.
      for (let q = 0; q < requests.length; ) {
        const group: { e: number; step: number; r: number; sp: ReturnType<typeof space>; c: Tensor }[] = [];
        let bytes = 0;
        try {
          for (; q < requests.length && (group.length === 0 || bytes < TOP_GROUP_BYTES); q++) {
            const { e, step, r, cov } = requests[q]!;
            const sp = cov ? { n: D, ld, mats: basis.events[e]!.mats } : space(e);
            bytes += 4 * sp.ld * sp.ld;
            group.push({ e, step, r, sp, c: createTensor(ctx, [sp.ld, sp.ld], { label: 'crn.top' }) });
          }
          const batch = beginBatch(ctx, 'crn.top');
          for (const g of group) encodeC(batch, g.sp.mats, g.sp.ld * g.sp.ld, g.step, g.c, 0);
          submit(batch);
          const found = await eighTopMany(
            ctx,
            group.map((g) => ({ c: g.c, d: g.sp.ld, k: Math.min(g.r, g.sp.n), seed: g.e })),
            { tol: 1e-6, maxIter: TOP_MAX_PRODUCTS },
          );
          group.forEach(({ e, step, sp }, j) => {
            const res = found[j]!;
            const rr = res.values.length;
            const vectors = new Float64Array(rr * sp.n);
            for (let v = 0; v < rr; v++) vectors.set(res.vectors.subarray(v * sp.ld, v * sp.ld + sp.n), v * sp.n);
            const [a, b, cc] = crnCoef(schedule, step);
            const [tA, tB, tS] = traces[e]!;
            out.push({
              values: res.values,
              vectors,
              trace: a * tA! + b * tB! + cc * tS!,
              converged: res.converged,
              topResidual: res.residuals[0]!,
            });
          });
        } finally {
          for (const g of group) disposeTensor(g.c);
        }
      }
      return out;
    },
    dispose() {
      disposeTensor(identity);
    },
  };
}
