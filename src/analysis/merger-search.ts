// The merger step of each pair under crn (DESIGN.md §1): the first step i with d(i) <= eps, found without
// assuming d monotone and with few full spectra. d(i) = max_j |lambda_j(C_1(i)) - lambda_j(C_2(i))| is at
// least the same maximum over the top k ranks, and the tracked Ritz values (ritz-track.ts) bound that from
// below at every step: dLower(i) = max_j (theta_j^1 - theta_j^2 - err_j^2, the same the other way round),
// the Ritz values being lower bounds of their eigenvalues. Every step with
// dLower > eps is certified unmerged. The first step the bound cannot certify is the candidate; full
// spectra there (GPU tridiagonalisation) decide it: d <= eps makes it the merger step, otherwise the exact
// d certifies it and the search moves on. Every pair asks for its spectra as soon as it needs them, and
// the engine batches what all pairs ask meanwhile. After the merger step, any step with dLower > eps is a
// re-crossing (d is certainly back above eps there): reported, never hidden. After 3 failed candidates a
// pair gallops (steps c + 1,
// c + 2, c + 4, ...) and bisects the last bracket, and says so. Last, the runs of steps before the merger
// step that no bound certified are probed where the bound is lowest and on a grid of steps near eps: the
// tracked values carry errors, so d can dip to eps where the estimate does not; such a dip moves the merger
// step back.
import type { CrnEngine } from './crn-engine.js';
import type { EventTrack } from './ritz-track.js';

export interface PairSearch {
  mergerStep: number | null;
  /** Per step 0..T: max_j |theta_j^1 - theta_j^2| over the top k Ritz values (an estimate of d from below). */
  dTop: Float64Array;
  /** Per step: the certified lower bound of d. */
  dLower: Float64Array;
  /** Exact d at the steps where both full spectra were computed. */
  exact: Map<number, number>;
  /** Steps after the merger step where dLower > eps. */
  recrossings: number[];
  /**
   * Steps before the merger step that neither the bounds nor a full spectrum certified: the tracked
   * estimate puts d above eps there and the full spectrum right before the merger step agrees.
   */
  uncertified: number[];
  /** The search fell back to galloping and bisection (d's top ranks did not decide it). */
  bisected: boolean;
  /** Crossings found by the dip probes (step 3 of the search) that the tracked estimate missed. */
  dips: number;
}

export interface SearchInput {
  engine: CrnEngine;
  /** Track of each event (by event id). */
  tracks: Map<number, EventTrack>;
  pairs: readonly { a: number; b: number }[];
  eps: number;
  T: number;
  /** Dip probes on every dipGrid-th step near eps (step 3 of the search); 0: the lowest bound's step only. */
  dipGrid?: number;
  /** Which uncertified grid steps the dip probes take (default 'near'). */
  dipProbes?: DipProbes;
  /** Called as each pair's search ends (pairs done, of all). */
  onPair?: (done: number, total: number) => void;
}

/**
 * Where the dip probes look on their grid: 'near', where the tracked estimate is within eps / 4 of eps; 'all',
 * every uncertified grid step. In the bulk of a spectrum (latent-shaped data at the finite-sample floor) the
 * tracked estimate can be 2 eps where d is below eps; only 'all' meets such dips, at two full spectra a probe.
 */
export type DipProbes = 'near' | 'all';

/** The dip probes' grid (steps; aligned to multiples, so pairs share spectra) and band (d within NEAR eps). */
export const DIP_GRID = 16;
const NEAR = 1 / 4;

export function pairBounds(t1: EventTrack, t2: EventTrack, T: number): { dTop: Float64Array; dLower: Float64Array } {
  const dTop = new Float64Array(T + 1);
  const dLower = new Float64Array(T + 1);
  for (let i = 0; i <= T; i++) {
    const v1 = t1.values[i]!;
    const v2 = t2.values[i]!;
    let top = 0;
    let low = 0;
    for (let j = 0; j < Math.min(v1.length, v2.length); j++) {
      // Ritz values are lower bounds of their eigenvalues (interlacing) up to the f32 rounding of the
      // products, so the larger side enters with its rounding allowance and the smaller with its error
      // estimate: lambda_j^1 - lambda_j^2 >= theta_j^1 - roundoff^1 - theta_j^2 - err_j^2.
      const d = v1[j]! - v2[j]!;
      top = Math.max(top, Math.abs(d));
      low = Math.max(low, d >= 0 ? d - t2.err[i]![j]! - t1.roundoff[i]! : -d - t1.err[i]![j]! - t2.roundoff[i]!);
    }
    dTop[i] = top;
    dLower[i] = low;
  }
  return { dTop, dLower };
}

const distance = (l1: Float64Array, l2: Float64Array) => {
  let d = 0;
  for (let j = 0; j < l1.length; j++) d = Math.max(d, Math.abs(l1[j]! - l2[j]!));
  return d;
};

type Request = readonly (readonly [number, number])[];
/** A pair's search: yields the (event, step) spectra it needs next, receives them, returns the merger step. */
type PairCoroutine = Generator<Request, number | null, Float64Array[]>;

function* pairSearch(
  s: PairSearch,
  a: number,
  b: number,
  t1: EventTrack,
  t2: EventTrack,
  eps: number,
  T: number,
  dipGrid: number,
  dipProbes: DipProbes,
): PairCoroutine {
  /** Steps a probe placed above eps (exact d, or one full spectrum against the other side's Ritz bound). */
  const above = new Set<number>();
  const certified = (i: number) => s.dLower[i]! > eps || above.has(i);
  const firstOpen = (from: number) => {
    let i = from;
    while (i <= T && certified(i)) i++;
    return i;
  };
  const start = firstOpen(0);
  if (start > T) return null;
  let bias = 0;
  // The estimate's first crossing at or after `from`: where dTop, corrected by the bias seen at the last
  // probe, reaches eps (dTop bounds d from below only up to the Ritz errors).
  const estimate = (from: number) => {
    for (let i = from; i <= T; i++) if (!certified(i) && s.dTop[i]! + bias <= eps) return i;
    return T + 1;
  };
  /** Exact d at step i from both full spectra. */
  function* exactAt(i: number): Generator<Request, number, Float64Array[]> {
    const [l1, l2] = yield [
      [a, i],
      [b, i],
    ];
    const d = distance(l1!, l2!);
    s.exact.set(i, d);
    if (d > eps) above.add(i);
    return d;
  }
  /**
   * Is d(i) > eps? One full spectrum first, of the side whose Ritz values are below the other's at the rank
   * that carries d: the other side's Ritz value, a lower bound of its eigenvalue, may already prove it.
   */
  function* aboveAt(i: number): Generator<Request, boolean, Float64Array[]> {
    if (certified(i)) return true;
    const v1 = t1.values[i]!;
    const v2 = t2.values[i]!;
    let j = 0;
    for (let r = 1; r < Math.min(v1.length, v2.length); r++)
      if (Math.abs(v1[r]! - v2[r]!) > Math.abs(v1[j]! - v2[j]!)) j = r;
    const oneIsLarger = v1[j]! >= v2[j]!;
    const [low] = yield [oneIsLarger ? [b, i] : [a, i]];
    const big = oneIsLarger ? t1 : t2;
    let lb = 0;
    for (let r = 0; r < big.values[i]!.length; r++) lb = Math.max(lb, big.values[i]![r]! - big.roundoff[i]! - low![r]!);
    if (lb > eps) {
      above.add(i);
      return true;
    }
    return (yield* exactAt(i)) > eps;
  }
  /** d(c) <= eps: walk back with strides 1, 2, 4, ... to a step above eps, then bisect that bracket. */
  function* walkBack(c: number): Generator<Request, number, Float64Array[]> {
    let hi = c;
    let stride = 1;
    let lastAbove = -1;
    for (;;) {
      if (firstOpen(start) >= hi) return hi;
      const t = Math.max(firstOpen(start), hi - stride);
      if (yield* aboveAt(t)) {
        lastAbove = t;
        break;
      }
      hi = t;
      stride *= 2;
    }
    while (hi - lastAbove > 1) {
      const mid = Math.floor((lastAbove + hi) / 2);
      if (yield* aboveAt(mid)) lastAbove = mid;
      else hi = mid;
    }
    return hi;
  }
  // 1. Probe where the estimate crosses; after three misses gallop forward on exact d.
  let lo = start;
  let c = estimate(lo);
  let misses = 0;
  let hi: number | null = null;
  for (;;) {
    if (c > T) break; // the estimate never reaches eps again
    const d = yield* exactAt(c);
    if (d <= eps) {
      // 2. The first crossing at or before c.
      hi = yield* walkBack(c);
      break;
    }
    bias = d - s.dTop[c]!;
    misses++;
    lo = firstOpen(c + 1);
    if (misses >= 3) s.bisected = true;
    c = misses < 3 ? estimate(lo) : Math.min(T + 1, c + 2 ** (misses - 3));
  }
  // 3. Dips the estimate did not reach: the tracked values carry errors, so d can touch eps where the
  // estimate stays above it. In each run of uncertified steps before the merger step (up to T when there
  // is none), earliest run first, probe the step where the bound is lowest (the estimate breaks ties: in
  // the bulk of a spectrum the errors exceed d and the bound is 0 over the whole run) and every
  // `dipGrid`-th step where the estimate is within the tracker's accuracy target of eps (eps / 4,
  // trackNeed; with dipProbes 'all', every one), earliest first. A crossing there moves the merger step
  // back to the first crossing before it. Not a guarantee: the steps left open are reported.
  const limit = hi ?? T + 1;
  const near = (i: number) => dipProbes === 'all' || s.dTop[i]! <= eps * (1 + NEAR);
  dips: for (let i = firstOpen(start); i < limit; ) {
    let j = i;
    let best = i;
    while (j < limit && !certified(j)) {
      const lower = s.dLower[j]!;
      if (lower < s.dLower[best]! || (lower === s.dLower[best]! && s.dTop[j]! < s.dTop[best]!)) best = j;
      j++;
    }
    const probes = [best];
    if (dipGrid > 0)
      for (let g = Math.ceil(i / dipGrid) * dipGrid; g < j; g += dipGrid) if (g !== best && near(g)) probes.push(g);
    probes.sort((x, y) => x - y);
    for (const p of probes) {
      if (yield* aboveAt(p)) continue;
      hi = yield* walkBack(p);
      s.dips++;
      break dips;
    }
    i = firstOpen(j);
  }
  for (let i = start; i < (hi ?? T + 1); i++) if (!certified(i)) s.uncertified.push(i);
  return hi;
}

export async function searchMergers(inp: SearchInput): Promise<PairSearch[]> {
  const { engine, eps, T } = inp;
  const results: PairSearch[] = [];
  const runs = inp.pairs.map(({ a, b }) => {
    const t1 = inp.tracks.get(a)!;
    const t2 = inp.tracks.get(b)!;
    const s: PairSearch = {
      ...pairBounds(t1, t2, T),
      mergerStep: null,
      exact: new Map(),
      recrossings: [],
      uncertified: [],
      bisected: false,
      dips: 0,
    };
    results.push(s);
    const co = pairSearch(s, a, b, t1, t2, eps, T, inp.dipGrid ?? DIP_GRID, inp.dipProbes ?? 'near');
    return { s, co, step: co.next() };
  });
  // Each pair asks for its next spectra as soon as it has its last: the engine batches whatever is asked
  // meanwhile (deduplicated and cached), with no round that waits for the slowest pair.
  let done = 0;
  await Promise.all(
    runs.map(async (r) => {
      while (!r.step.done) r.step = r.co.next(await engine.full(r.step.value as Request));
      inp.onPair?.(++done, runs.length);
    }),
  );
  runs.forEach((r) => {
    r.s.mergerStep = r.step.value as number | null;
    const i = r.s.mergerStep;
    if (i !== null) for (let t = i + 1; t <= T; t++) if (r.s.dLower[t]! > eps) r.s.recrossings.push(t);
  });
  return results;
}

/** Contiguous runs of steps, e.g. [3, 4, 5, 9] -> "3-5, 9". */
export function stepRanges(steps: readonly number[]): string {
  const out: string[] = [];
  for (let q = 0; q < steps.length; ) {
    let r = q;
    while (r + 1 < steps.length && steps[r + 1] === steps[r]! + 1) r++;
    out.push(r === q ? `${steps[q]}` : `${steps[q]}-${steps[r]}`);
    q = r + 1;
  }
  return out.join(', ');
}
