// How the crn moment pass splits the rows (pure, host): each class's rows (in data order) are cut into
// segments at every point where some rest event stops taking rows from it, so that every event is a union
// of whole segments: a class is its segments, a rest the leading segments of the other classes (restTakes),
// all data and groups are unions of classes. One pass computes each segment's moments; events are exact
// pairwise merges of them (Chan et al.), so no row is read twice.
import type { EventPlan } from './events.js';

/**
 * take[k][j]: rows the rest of class k draws from class j (the first ones in data order): n_k rows from the
 * other classes in proportion to their sizes, largest remainder (ties to the lower class), at most n_j each.
 * A rest of the class's own size shares its finite-sample (Marchenko-Pastur) floor.
 */
export function restTakes(counts: readonly number[]): number[][] {
  const K = counts.length;
  const N = counts.reduce((s, c) => s + c, 0);
  return counts.map((nk, k) => {
    const others = N - nk;
    const want = Math.min(nk, others);
    const share = counts.map((c, j) => (j === k || others === 0 ? 0 : (want * c) / others));
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
    return take.slice(0, K);
  });
}

export interface Segment {
  /** Class and the within-class row range [start, end) (rows of the class in data order). */
  cls: number;
  start: number;
  end: number;
  /** Events (plan ids) whose rows include this segment, besides those built from classes (all, groups). */
  events: number[];
}

export interface SegmentPlan {
  segments: Segment[];
  /** Row order of the pass: the classes' rows one class after the other, each in data order. */
  order: Int32Array;
  /** Segment of each position in `order`. */
  segmentAt: Int32Array;
  /** take[k][j] (restTakes), or null when the plan has no rest events. */
  takes: number[][] | null;
}

/** Segments of the rows for the plan's class and rest events (rest events only exist for K > 2). */
export function planSegments(labels: Int32Array, counts: readonly number[], plan: EventPlan): SegmentPlan {
  const K = counts.length;
  const rests = plan.events.filter((e) => e.kind === 'rest');
  const takes = rests.length ? restTakes(counts) : null;
  const byClass: number[][] = counts.map(() => []);
  labels.forEach((l, r) => byClass[l]!.push(r));
  const segments: Segment[] = [];
  for (let j = 0; j < K; j++) {
    const cuts = new Set([0, counts[j]!]);
    if (takes) for (let k = 0; k < K; k++) if (k !== j && takes[k]![j]! > 0) cuts.add(takes[k]![j]!);
    const sorted = [...cuts].sort((a, b) => a - b);
    for (let q = 0; q + 1 < sorted.length; q++) {
      const start = sorted[q]!;
      const end = sorted[q + 1]!;
      const events = [plan.classEvent[j]!];
      if (takes) {
        rests.forEach((e) => {
          const k = plan.restEvent.indexOf(e.id);
          if (k !== j && end <= takes[k]![j]!) events.push(e.id);
        });
      }
      segments.push({ cls: j, start, end, events });
    }
  }
  const order = Int32Array.from(byClass.flat());
  const segmentAt = new Int32Array(order.length);
  let pos = 0;
  segments.forEach((s, q) => {
    segmentAt.fill(q, pos, pos + s.end - s.start);
    pos += s.end - s.start;
  });
  return { segments, order, segmentAt, takes };
}
