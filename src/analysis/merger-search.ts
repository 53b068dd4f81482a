// The merger step of each pair under crn (DESIGN.md §1): the first step i with d(i) <= eps, found without
// assuming d monotone and with few full spectra. d(i) = max_j |lambda_j(C_1(i)) - lambda_j(C_2(i))| is at
// least the same maximum over the top k ranks, and the tracked Ritz values (ritz-track.ts) bound that from
// below at every step: dLower(i) = max_j (theta_j^1 - theta_j^2 - err_j^2, the same the other way round),
// the Ritz values being lower bounds of their eigenvalues. Every step with
// dLower > eps is certified unmerged. The first step the bound cannot certify is the candidate; full
// spectra there (GPU tridiagonalisation) decide it: d <= eps makes it the merger step, otherwise the exact
// d certifies it and the search moves on. Candidates of all pairs are decided together, one batch of full
// spectra per round. After the merger step, any step with dLower > eps is a re-crossing (d is certainly
// back above eps there): reported, never hidden. After 3 failed candidates a pair gallops (steps c + 1,
// c + 2, c + 4, ...) and bisects the last bracket, and says so.
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
  /** The search fell back to galloping and bisection (d's top ranks did not decide it). */
  bisected: boolean;
}

export interface SearchInput {
  engine: CrnEngine;
  /** Track of each event (by event id). */
  tracks: Map<number, EventTrack>;
  pairs: readonly { a: number; b: number }[];
  eps: number;
  T: number;
}

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

interface State extends PairSearch {
  a: number;
  b: number;
  next: number;
  failed: number;
  done: boolean;
  gallop: { lo: number; hi: number; stride: number } | null;
}

export async function searchMergers(inp: SearchInput): Promise<PairSearch[]> {
  const { engine, eps, T } = inp;
  const states: State[] = inp.pairs.map(({ a, b }) => ({
    a,
    b,
    ...pairBounds(inp.tracks.get(a)!, inp.tracks.get(b)!, T),
    mergerStep: null,
    exact: new Map(),
    recrossings: [],
    bisected: false,
    next: 0,
    failed: 0,
    done: false,
    gallop: null,
  }));
  const certified = (s: State, i: number) => s.dLower[i]! > eps || (s.exact.get(i) ?? 0) > eps;
  const candidate = (s: State, from: number) => {
    for (let i = from; i <= T; i++) if (!certified(s, i)) return i;
    return T + 1;
  };
  for (const s of states) s.next = candidate(s, 0);
  for (;;) {
    const open = states.filter((s) => !s.done);
    for (const s of open) {
      if (s.next > T) {
        s.done = true;
        s.mergerStep = null;
      }
    }
    const active = states.filter((s) => !s.done);
    if (active.length === 0) break;
    const requests = active.flatMap((s) => [[s.a, s.next] as const, [s.b, s.next] as const]);
    const spectra = await engine.full(requests);
    active.forEach((s, q) => {
      const d = distance(spectra[2 * q]!, spectra[2 * q + 1]!);
      s.exact.set(s.next, d);
      if (!s.gallop) {
        if (d <= eps) {
          s.mergerStep = s.next;
          s.done = true;
          return;
        }
        s.failed++;
        if (s.failed < 3) {
          s.next = candidate(s, s.next + 1);
          return;
        }
        // The top ranks keep failing to decide: gallop forward on exact d, then bisect.
        s.bisected = true;
        s.gallop = { lo: s.next, hi: -1, stride: 1 };
        s.next = Math.min(T + 1, s.next + 1);
        return;
      }
      const g = s.gallop;
      if (g.hi < 0) {
        if (d <= eps) g.hi = s.next;
        else {
          g.lo = s.next;
          g.stride *= 2;
        }
      } else if (d <= eps) g.hi = s.next;
      else g.lo = s.next;
      if (g.hi < 0) {
        s.next = Math.min(T + 1, g.lo + g.stride);
        if (s.next > T) s.done = true;
        return;
      }
      if (g.hi - g.lo <= 1) {
        s.mergerStep = g.hi;
        s.done = true;
        return;
      }
      s.next = Math.floor((g.lo + g.hi) / 2);
    });
  }
  for (const s of states) {
    if (s.mergerStep === null) continue;
    for (let i = s.mergerStep + 1; i <= T; i++) if (s.dLower[i]! > eps) s.recrossings.push(i);
  }
  return states.map(({ mergerStep, dTop, dLower, exact, recrossings, bisected }) => ({
    mergerStep,
    dTop,
    dLower,
    exact,
    recrossings,
    bisected,
  }));
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
