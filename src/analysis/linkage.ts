// Agglomerative clustering of K items (classes) from a symmetric K x K distance matrix (pairwise merger
// steps), with the output of scipy.cluster.hierarchy.linkage + leaves_list, as a DendrogramReport.
// scipy's own algorithms are reproduced operation for operation (scipy/cluster/_hierarchy.pyx, 1.10),
// so the rows agree with scipy bit for bit, ties included:
//   - 'single': Prim's minimum spanning tree (mst_single_linkage), starting from item 0;
//   - 'average', 'complete': the nearest-neighbour chain (nn_chain) with the Lance–Williams update
//     (average: (n_x d_xi + n_y d_yi) / (n_x + n_y); complete: max(d_xi, d_yi));
//   then a stable sort of the merges by height and union-find relabelling (scipy's `label`).
// Tie rule that results: among equal distances the chain (or Prim's scan) keeps the first index it
// meets (strict <, indices scanned upward); the chain prefers its previous element, so mutual nearest
// neighbours merge as soon as the chain finds them, and merges of equal height keep the order they were
// found in. The rows are then: a < b are the current cluster ids (ids < K are items, K + r is the
// cluster made by row r), height, size. Pure float64, no Node or GPU APIs.

import type { DendrogramReport, Linkage } from '../formats/report-types.js';
import { LINKAGES } from '../formats/report-types.js';

type Merge = DendrogramReport['merges'][number];

/** Condensed index of (i, j), i != j, in scipy's upper-triangle order. */
function condensed(n: number, i: number, j: number): number {
  if (i > j) [i, j] = [j, i];
  return n * i - (i * (i + 1)) / 2 + (j - i - 1);
}

/** Checks the K x K matrix (diagonal ignored; null = missing) and returns scipy's condensed vector. */
function condense(dist: readonly (readonly (number | null)[])[], missing: number | undefined): Float64Array {
  if (!Array.isArray(dist) || dist.length === 0)
    throw new Error(
      `dist must be a non-empty K x K array, got ${Array.isArray(dist) ? 'an empty array' : typeof dist}`,
    );
  const K = dist.length;
  const y = new Float64Array((K * (K - 1)) / 2);
  for (let i = 0; i < K; i++) {
    const row = dist[i];
    if (!Array.isArray(row) || row.length !== K)
      throw new Error(`dist must be K x K (K = ${K}): row ${i} has ${Array.isArray(row) ? row.length : 'no'} entries`);
  }
  for (let i = 0; i < K; i++) {
    for (let j = i + 1; j < K; j++) {
      const v = dist[i]![j];
      const w = dist[j]![i];
      if (!Object.is(v, w) && v !== w)
        throw new Error(`dist must be symmetric: dist[${i}][${j}] = ${String(v)} but dist[${j}][${i}] = ${String(w)}`);
      let d: number;
      if (v === null) {
        if (missing === undefined)
          throw new Error(`dist[${i}][${j}] is null ("never merges"): pass missing (e.g. T + 1)`);
        d = missing;
      } else {
        d = v as number;
      }
      if (typeof d !== 'number' || !Number.isFinite(d) || d < 0) {
        throw new Error(`dist[${i}][${j}] must be a finite distance >= 0, got ${String(d)}`);
      }
      y[condensed(K, i, j)] = d;
    }
  }
  return y;
}

/** scipy mst_single_linkage before sorting: rows (x, y, height) in Prim's order. */
function primRows(y: Float64Array, n: number): [number, number, number][] {
  const merged = new Uint8Array(n);
  const D = new Float64Array(n).fill(Infinity);
  const rows: [number, number, number][] = [];
  let x = 0;
  let next = 0;
  for (let k = 0; k < n - 1; k++) {
    let currentMin = Infinity;
    merged[x] = 1;
    for (let i = 0; i < n; i++) {
      if (merged[i] === 1) continue;
      const dist = y[condensed(n, x, i)]!;
      if (D[i]! > dist) D[i] = dist;
      if (D[i]! < currentMin) {
        next = i;
        currentMin = D[i]!;
      }
    }
    rows.push([x, next, currentMin]);
    x = next;
  }
  return rows;
}

/** scipy nn_chain before sorting: rows (x < y positions, height) in the order the chain merges them. */
function chainRows(y: Float64Array, n: number, method: 'average' | 'complete'): [number, number, number][] {
  const D = Float64Array.from(y);
  const size = new Int32Array(n).fill(1);
  const chain = new Int32Array(n);
  let len = 0;
  const rows: [number, number, number][] = [];
  let to = 0;
  for (let k = 0; k < n - 1; k++) {
    if (len === 0) {
      len = 1;
      for (let i = 0; i < n; i++) {
        if (size[i]! > 0) {
          chain[0] = i;
          break;
        }
      }
    }
    let x: number;
    let currentMin: number;
    for (;;) {
      x = chain[len - 1]!;
      // Prefer the previous chain element as the minimum, to avoid cycles (scipy's comment).
      if (len > 1) {
        to = chain[len - 2]!;
        currentMin = D[condensed(n, x, to)]!;
      } else {
        currentMin = Infinity;
      }
      for (let i = 0; i < n; i++) {
        if (size[i] === 0 || i === x) continue;
        const dist = D[condensed(n, x, i)]!;
        if (dist < currentMin) {
          currentMin = dist;
          to = i;
        }
      }
      if (len > 1 && to === chain[len - 2]) break;
      chain[len++] = to;
    }
    len -= 2;
    let a = x;
    let b = to;
    if (a > b) [a, b] = [b, a];
    const na = size[a]!;
    const nb = size[b]!;
    rows.push([a, b, currentMin]);
    size[a] = 0;
    size[b] = na + nb;
    for (let i = 0; i < n; i++) {
      const ni = size[i]!;
      if (ni === 0 || i === b) continue;
      const dai = D[condensed(n, i, a)]!;
      const dbi = D[condensed(n, i, b)]!;
      D[condensed(n, i, b)] = method === 'average' ? (na * dai + nb * dbi) / (na + nb) : Math.max(dai, dbi);
    }
  }
  return rows;
}

/** scipy's stable sort by height and union-find `label`: rows in cluster ids with sizes. */
function labelRows(rows: [number, number, number][], n: number): Merge[] {
  const sorted = rows
    .map((r, i) => ({ r, i }))
    .sort((p, q) => p.r[2] - q.r[2] || p.i - q.i)
    .map((p) => p.r);
  const parent = Int32Array.from({ length: 2 * n - 1 }, (_, i) => i);
  const size = new Int32Array(2 * n - 1).fill(1);
  const find = (x: number): number => {
    let root = x;
    while (parent[root] !== root) root = parent[root]!;
    while (parent[x] !== root) [x, parent[x]] = [parent[x]!, root];
    return root;
  };
  return sorted.map(([x, y, height], k) => {
    const rx = find(x);
    const ry = find(y);
    const id = n + k;
    parent[rx] = id;
    parent[ry] = id;
    size[id] = size[rx]! + size[ry]!;
    return { a: Math.min(rx, ry), b: Math.max(rx, ry), height, size: size[id]! };
  });
}

/** scipy linkage rows (a, b, height, size) of a checked condensed distance vector over n >= 1 items. */
export function linkageRows(y: Float64Array, n: number, method: Linkage): Merge[] {
  if (n < 2) return [];
  return labelRows(method === 'single' ? primRows(y, n) : chainRows(y, n, method), n);
}

/** scipy leaves_list: leaves in a pre-order traversal, each merge visiting a then b. */
export function leafOrder(merges: readonly Merge[], n: number): number[] {
  if (n === 1) return [0];
  const out: number[] = [];
  const stack = [2 * n - 2];
  while (stack.length > 0) {
    const id = stack.pop()!;
    if (id < n) {
      out.push(id);
    } else {
      const m = merges[id - n]!;
      stack.push(m.b, m.a);
    }
  }
  return out;
}

/** A Newick label: bare when it only holds safe characters, else single-quoted with '' for '. */
function newickLabel(name: string): string {
  return /^[A-Za-z0-9.+\-*/!?#%&@$^~|<>=]+$/.test(name) ? name : `'${name.replace(/'/g, "''")}'`;
}

/**
 * Newick string of the tree: leaves named by `names`, each branch as long as the height difference
 * between its parent merge and its own (leaves at height 0), a before b, root without a length, e.g.
 * "((A:1,B:1):2,C:3);". Names outside [A-Za-z0-9.+-*\/!?#%&@$^~|<>=] are single-quoted (Newick's
 * rule, ' doubled), which also keeps "_" from being read as a blank. Lengths below 0 (a parent lower
 * than its child by rounding) print as 0.
 */
export function toNewick(merges: readonly Merge[], names: readonly string[]): string {
  const n = names.length;
  if (n === 1) return `${newickLabel(names[0]!)};`;
  const height = (id: number) => (id < n ? 0 : merges[id - n]!.height);
  const build = (id: number, parentHeight: number | null): string => {
    const len = parentHeight === null ? '' : `:${Math.max(0, parentHeight - height(id))}`;
    if (id < n) return newickLabel(names[id]!) + len;
    const m = merges[id - n]!;
    return `(${build(m.a, m.height)},${build(m.b, m.height)})${len}`;
  };
  return `${build(2 * n - 2, null)};`;
}

/**
 * Dendrogram of K items from the K x K distance matrix `dist` (pairwise merger steps; null = never
 * merges, read as `missing`, which is then required: use T + 1; the diagonal is not read): scipy
 * linkage rows, leaf order and Newick string. `names` (K labels) name the Newick leaves; `linkage`
 * defaults to 'average'. K = 1 gives no merges, order [0] and "name;". Time O(K^2) per merge at
 * worst (O(K^3) in all for the chain, O(K^2) for single), memory O(K^2).
 */
export function agglomerate(
  dist: readonly (readonly (number | null)[])[],
  names: readonly string[],
  linkage: Linkage = 'average',
  missing?: number,
): DendrogramReport {
  if (!LINKAGES.includes(linkage))
    throw new Error(`linkage must be one of ${LINKAGES.join(', ')}, got ${String(linkage)}`);
  if (missing !== undefined && !(Number.isFinite(missing) && missing >= 0)) {
    throw new Error(`missing must be a finite distance >= 0, got ${String(missing)}`);
  }
  const y = condense(dist, missing);
  const K = dist.length;
  if (!Array.isArray(names) || names.length !== K || !names.every((s) => typeof s === 'string')) {
    throw new Error(
      `names must be ${K} strings (one per row of dist), got ${Array.isArray(names) ? `${names.length} entries` : typeof names}`,
    );
  }
  const merges = linkageRows(y, K, linkage);
  return { linkage, merges, order: leafOrder(merges, K), newick: toNewick(merges, names) };
}
