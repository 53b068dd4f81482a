// Events of the merger analysis (DESIGN.md §1): each class, all data, the pure-noise event N(0, I),
// each class's complement ("the rest of the data") and user-defined groups of classes; and the pairs
// the report compares. Events that pool classes get their moments by the exact pairwise update of
// the per-class moments (Chan et al.), so the GPU computes per-class statistics only.
import type { EventInfo, PairKind } from '../formats/report-types.js';

export interface EventGroup {
  name: string;
  classes: number[];
}

export interface EventPlan {
  events: EventInfo[];
  pairs: { a: number; b: number; kind: PairKind }[];
  /** Event ids by role. */
  all: number;
  noise: number;
  classEvent: number[];
  restEvent: number[];
}

/** Parses `--groups "tops=0,2,4;shoes=5,7,9"` into groups, checking class indices against K. */
export function parseGroups(spec: string, classNames: string[]): EventGroup[] {
  const K = classNames.length;
  // When the class names are numbers (the label values), a number could be a name or an index; it is
  // read as a name only, so '1' never means 'the second class' when the labels are 0, 2, 5.
  const numericNames = classNames.every((n) => /^-?\d+$/.test(n));
  const classList = numericNames ? `label values ${classNames.join(', ')}` : `index 0..${K - 1} or name`;
  const out: EventGroup[] = [];
  for (const part of spec
    .split(';')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0)
      throw new Error(`--groups: '${part}' is not of the form name=class,class,... (classes by ${classList})`);
    const name = part.slice(0, eq).trim();
    const classes = part
      .slice(eq + 1)
      .split(',')
      .map((c) => {
        const t = c.trim();
        const byName = classNames.indexOf(t);
        const k = byName >= 0 || numericNames ? byName : /^\d+$/.test(t) ? Number(t) : -1;
        if (k < 0 || k >= K) {
          throw new Error(
            numericNames
              ? `--groups: group '${name}' names class '${t}', which is not one of the label values ${classNames.join(', ')}`
              : `--groups: group '${name}' names class '${t}', which is neither a class name nor an index in 0..${K - 1}`,
          );
        }
        return k;
      });
    if (new Set(classes).size !== classes.length) throw new Error(`--groups: group '${name}' lists a class twice`);
    if (classes.length === 0) throw new Error(`--groups: group '${name}' is empty`);
    out.push({ name, classes: classes.sort((a, b) => a - b) });
  }
  return out;
}

/**
 * Events: classes 0..K-1 first (event id = class index), then all data, the noise event, each
 * class's rest (only when K > 2: with two classes the rest of one is the other class) and groups.
 * Pairs: all data vs noise, every class pair, each class vs its rest, every group pair.
 */
export function planEvents(
  classNames: string[],
  counts: number[],
  noiseCount: number,
  groups: EventGroup[] = [],
): EventPlan {
  const K = classNames.length;
  const events: EventInfo[] = [];
  const add = (name: string, kind: EventInfo['kind'], classes: number[], count: number) => {
    events.push({ id: events.length, name, kind, classes, count });
    return events.length - 1;
  };
  const total = counts.reduce((s, c) => s + c, 0);
  const classEvent = classNames.map((n, k) => add(n, 'class', [k], counts[k]!));
  const all = add(
    'all data',
    'all',
    classNames.map((_, k) => k),
    total,
  );
  const noise = add('noise N(0, I)', 'noise', [], noiseCount);
  const restEvent =
    K > 2
      ? classNames.map((n, k) => {
          const others = classNames.map((_, j) => j).filter((j) => j !== k);
          return add(`not ${n}`, 'rest', others, total - counts[k]!);
        })
      : [];
  const groupEvent = groups.map((g) =>
    add(
      g.name,
      'group',
      g.classes,
      g.classes.reduce((s, k) => s + counts[k]!, 0),
    ),
  );

  const pairs: EventPlan['pairs'] = [{ a: all, b: noise, kind: 'data-noise' }];
  for (let i = 0; i < K; i++) for (let j = i + 1; j < K; j++) pairs.push({ a: i, b: j, kind: 'class-class' });
  if (K > 2) for (let k = 0; k < K; k++) pairs.push({ a: k, b: restEvent[k]!, kind: 'class-rest' });
  if (K === 2) for (let k = 0; k < K; k++) restEvent.push(1 - k);
  for (let i = 0; i < groupEvent.length; i++) {
    for (let j = i + 1; j < groupEvent.length; j++) pairs.push({ a: groupEvent[i]!, b: groupEvent[j]!, kind: 'group' });
  }
  return { events, pairs, all, noise, classEvent, restEvent };
}

/** Count, mean (dim) and co-moment sum (x - mean)(x - mean)^T (dim, dim) of one event, float64. */
export interface PooledMoments {
  count: number;
  mean: Float64Array;
  m2: Float64Array;
}

/**
 * Pools per-class moments into one event: n = sum n_k, mean = sum n_k mean_k / n,
 * M2 = sum_k M2_k + sum_k n_k (mean_k - mean)(mean_k - mean)^T (the pairwise update, all at once).
 */
export function poolMoments(parts: PooledMoments[], dim: number): PooledMoments {
  const used = parts.filter((p) => p.count > 0);
  const count = used.reduce((s, p) => s + p.count, 0);
  const mean = new Float64Array(dim);
  const m2 = new Float64Array(dim * dim);
  if (count === 0) return { count, mean, m2 };
  for (const p of used) for (let i = 0; i < dim; i++) mean[i]! += (p.count * p.mean[i]!) / count;
  const delta = new Float64Array(dim);
  for (const p of used) {
    for (let i = 0; i < dim; i++) delta[i] = p.mean[i]! - mean[i]!;
    for (let i = 0; i < dim; i++) {
      const w = p.count * delta[i]!;
      const row = i * dim;
      for (let j = 0; j < dim; j++) m2[row + j]! += p.m2[row + j]! + w * delta[j]!;
    }
  }
  return { count, mean, m2 };
}
