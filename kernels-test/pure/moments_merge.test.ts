// The float64 pairwise merge (Chan et al.), the shift correction and the finalisation, against the
// two-pass reference; and the host-side pieces of the segmented moments (checks, sort, blocks).
import { describe, expect, it } from 'vitest';
import {
  emptyCrossMoments,
  emptyMoments,
  finalizeCrossMoments,
  finalizeMoments,
  mergeCrossMoments,
  mergeMoments,
  shiftedClass,
  type CrossMomentState,
  type MomentState,
} from '../../src/kernels/moments_merge.js';
import {
  checkMomentInput,
  chunkShift,
  classSums,
  maxBlocks,
  momentBlocks,
  MOMENT_BLOCK_ROWS,
  presentClasses,
  sortChunk,
} from '../../src/kernels/moments_chunk.js';
import { momentsRef, relFrobenius } from '../ref/moments.js';
import { expectClose } from '../compare.js';
import { randn, rng } from '../random.js';

function stateOf(
  x: Float64Array,
  y: Float64Array,
  rows: number,
  D: number,
  K: number,
  labels: Int32Array,
): { m: MomentState; c: CrossMomentState } {
  const r = momentsRef(x, rows, D, K, labels);
  const rc = momentsRef(x, rows, D, K, labels, y);
  return {
    m: { classes: K, dim: D, count: r.map((c) => c.count), mean: r.map((c) => c.meanX), m2: r.map((c) => c.comoment) },
    c: {
      classes: K,
      dim: D,
      count: rc.map((c) => c.count),
      meanX: rc.map((c) => c.meanX),
      meanY: rc.map((c) => c.meanY),
      cxy: rc.map((c) => c.comoment),
    },
  };
}

function data(rows: number, D: number, K: number, seed: number) {
  const u = rng(seed);
  const x = randn(rows * D, seed).map((v, i) => 1000 + v * (1 + (i % D)));
  const y = randn(rows * D, seed + 1).map((v, i) => 0.5 * x[i]! + v);
  const labels = Int32Array.from({ length: rows }, () => Math.floor(u() * K));
  return { x, y, labels };
}

const slice = (a: Float64Array, D: number, r0: number, r1: number) => a.subarray(r0 * D, r1 * D);

// Merged and two-pass values differ by float64 rounding of sums of ~100 terms of size ~1e6 (offset
// 1000 squared is never formed: the merge only sees centred terms), so 1e-12 relative holds easily.
const TOL = { atol: 1e-9, rtol: 1e-11 };

describe('mergeMoments / mergeCrossMoments equal the two-pass statistics of the union', () => {
  const cases: [string, number, number, number, number[]][] = [
    ['K = 1, two shards', 50, 3, 1, [20]],
    ['K = 3, three uneven shards', 90, 5, 3, [1, 40]],
    ['a shard missing a class', 40, 2, 4, [3, 30]],
    ['an empty first shard', 30, 4, 2, [0, 12]],
  ];
  for (const [name, rows, D, K, cuts] of cases) {
    it(name, () => {
      const seed = rows + D + K;
      const { x, y, labels } = data(rows, D, K, seed);
      const bounds = [0, ...cuts, rows];
      let m = emptyMoments(K, D);
      let c = emptyCrossMoments(K, D);
      for (let s = 0; s + 1 < bounds.length; s++) {
        const [r0, r1] = [bounds[s]!, bounds[s + 1]!];
        const part = stateOf(slice(x, D, r0, r1), slice(y, D, r0, r1), r1 - r0, D, K, labels.subarray(r0, r1));
        m = mergeMoments(m, part.m);
        c = mergeCrossMoments(c, part.c);
      }
      const whole = stateOf(x, y, rows, D, K, labels);
      expect(m.count).toEqual(whole.m.count);
      for (let k = 0; k < K; k++) {
        if (whole.m.count[k] === 0) continue;
        expectClose(m.mean[k]!, whole.m.mean[k]!, { ...TOL, label: `mean ${k}`, seed });
        expectClose(m.m2[k]!, whole.m.m2[k]!, { ...TOL, label: `m2 ${k}`, seed });
        expectClose(c.meanY[k]!, whole.c.meanY[k]!, { ...TOL, label: `meanY ${k}`, seed });
        expectClose(c.cxy[k]!, whole.c.cxy[k]!, { ...TOL, label: `cxy ${k}`, seed });
      }
    });
  }

  it('rejects states of different shape', () => {
    expect(() => mergeMoments(emptyMoments(2, 3), emptyMoments(2, 4))).toThrow(
      /mergeMoments: states differ in shape \(2 classes x D 3 vs 2 classes x D 4\)/,
    );
  });
});

describe('shiftedClass undoes any shift exactly', () => {
  it('shift = first row, a constant, zero', () => {
    const [rows, D] = [17, 3];
    const x = randn(rows * D, 3).map((v) => 1000 + v);
    const ref = momentsRef(x, rows, D, 1)[0]!;
    for (const shift of [x.slice(0, D), new Float64Array(D).fill(998), new Float64Array(D)]) {
      const u = new Float64Array(D);
      const S = new Float64Array(D * D);
      for (let i = 0; i < rows; i++) {
        for (let p = 0; p < D; p++) {
          u[p]! += x[i * D + p]! - shift[p]!;
          for (let q = 0; q < D; q++) S[p * D + q]! += (x[i * D + p]! - shift[p]!) * (x[i * D + q]! - shift[q]!);
        }
      }
      const r = shiftedClass(rows, shift, u, shift, u, S);
      expectClose(r.mx, ref.meanX, { atol: 1e-10, rtol: 1e-13, label: 'mean' });
      // With shift 0 the raw squares (~1e6 each, 17 of them) cancel to ~17: float64 keeps ~1e-9 relative.
      expect(relFrobenius(r.m, ref.comoment)).toBeLessThan(1e-8);
    }
  });
});

describe('finalizeMoments', () => {
  const st: MomentState = {
    classes: 3,
    dim: 1,
    count: [4, 1, 0],
    mean: [Float64Array.of(2), Float64Array.of(5), new Float64Array(1)],
    m2: [Float64Array.of(12), new Float64Array(1), new Float64Array(1)],
  };
  it('divides by 1, n - 1 or n', () => {
    const only = { ...st, classes: 1, count: [4], mean: [st.mean[0]!], m2: [st.m2[0]!] };
    expect(finalizeMoments(only, 'comoment')[0]!.cov).toEqual(Float64Array.of(12));
    expect(finalizeMoments(only, 'covariance')[0]!.cov).toEqual(Float64Array.of(4));
    expect(finalizeMoments(only, 'population')[0]!.cov).toEqual(Float64Array.of(3));
  });
  it('names a class with too few samples, or gives undefined when asked', () => {
    expect(() => finalizeMoments(st, 'covariance')).toThrow(/class 1 has 1 sample; a covariance needs at least 2/);
    const r = finalizeMoments(st, 'comoment', { allowSmall: true });
    expect(r.map((c) => c.count)).toEqual([4, 1, 0]);
    expect(r[1]!.cov).toBeUndefined();
    expect(r[1]!.mean).toEqual(Float64Array.of(5));
    expect(r[2]!.mean).toBeUndefined();
    expect(r[2]!.cov).toBeUndefined();
    const c: CrossMomentState = { classes: 3, dim: 1, count: st.count, meanX: st.mean, meanY: st.mean, cxy: st.m2 };
    expect(() => finalizeCrossMoments(c, 'population')).toThrow(/finalizeCrossMoments: class 1 has 1 sample/);
  });
  it('lists the modes for an unknown one', () => {
    expect(() => finalizeMoments(st, 'ddof2' as never)).toThrow(
      /covariance 'ddof2' is not one of comoment, covariance, population/,
    );
  });
});

describe('segmented moments host side', () => {
  it('sortChunk is a stable counting sort of the chunk rows; momentBlocks never cross a class', () => {
    const labels = Int32Array.from([2, 0, 2, 1, 0, 2, 2, 0], (v) => v);
    const c = sortChunk(labels, 4, 2, 6); // rows 2..7: labels 2 1 0 2 2 0
    expect(Array.from(c.starts)).toEqual([0, 2, 3, 6, 6]);
    expect(Array.from(c.order!)).toEqual([2, 5, 1, 0, 3, 4]);
    const inOrder = sortChunk(Int32Array.of(0, 0, 1, 3, 3, 3), 4, 1, 5);
    expect(inOrder.order).toBeNull();
    expect(Array.from(inOrder.starts)).toEqual([0, 1, 2, 2, 5]);
    const big = Int32Array.from({ length: 200 }, (_, i) => (i < 130 ? 0 : 1));
    const starts = sortChunk(big, 4, 0, 200).starts; // classes 0 and 1 present, 2 and 3 empty
    const { blocks, classOf } = momentBlocks(starts, presentClasses(starts));
    expect(Array.from(blocks)).toEqual([0, 64, 0, 0, 64, 128, 0, 0, 128, 130, 0, 0, 130, 194, 1, 0, 194, 200, 1, 0]);
    expect(Array.from(classOf)).toEqual([0, 0, 0, 1, 1]);
    expect(classOf.length).toBeLessThanOrEqual(maxBlocks(200, 4));
    expect(Array.from(presentClasses(Int32Array.from([0, 1, 1, 1, 1, 3, 4, 4, 6])))).toEqual([0, 4, 5, 7]);
    expect(MOMENT_BLOCK_ROWS).toBe(64);
    expect(Array.from(classSums(Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]), classOf, 2, 2))).toEqual([
      9, 12, 16, 18,
    ]);
  });

  it('chunkShift takes the running mean when there is one, else the first row of the class', () => {
    const rows = Float32Array.from([1, 2, 3, 4, 5, 6]); // (3, 2) sorted: class 0 rows 0..1, class 2 row 2
    const starts = Int32Array.from([0, 2, 2, 3]);
    const s = chunkShift(
      rows,
      2,
      starts,
      presentClasses(starts),
      [0, 5, 7],
      [new Float64Array(2), Float64Array.of(8, 9), Float64Array.of(0.5, 1.5)],
    );
    expect(Array.from(s)).toEqual([1, 2, 0.5, 1.5]);
  });

  it('checks name the bad value and what is allowed', () => {
    const x = new Float32Array(6);
    const cases: [string, () => unknown, RegExp][] = [
      [
        'label out of range',
        () => checkMomentInput('moments', x, [3, 2], Int32Array.of(0, 3, 1), 3),
        /labels\[1\] = 3 is outside the allowed range \[0, 2\]/,
      ],
      ['negative label', () => checkMomentInput('moments', x, [3, 2], Int32Array.of(0, 1, -1), 3), /labels\[2\] = -1/],
      [
        'labels too short',
        () => checkMomentInput('moments', x, [3, 2], Int32Array.of(0, 1), 3),
        /labels has 2 entries, expected one per row \(N = 3\)/,
      ],
      [
        'labels of the wrong type',
        () => checkMomentInput('moments', x, [3, 2], [0, 1, 2] as never, 3),
        /labels must be an Int32Array or Uint32Array/,
      ],
      [
        'missing labels with K > 1',
        () => checkMomentInput('moments', x, [3, 2], null, 2),
        /labels are required when classes = 2/,
      ],
      [
        'NaN',
        () => checkMomentInput('moments', Float32Array.of(0, 0, 0, NaN, 0, 0), [3, 2], null, 1),
        /non-finite value NaN at row 1, column 1/,
      ],
      [
        'Inf',
        () => checkMomentInput('moments', Float32Array.of(0, 0, 0, 0, -Infinity, 0), [3, 2], null, 1),
        /-Infinity at row 2, column 0/,
      ],
      ['shape', () => checkMomentInput('moments', x, [4, 2], null, 1), /shape \[4, 2\] needs 8 values, got 6/],
      [
        'x of the wrong type',
        () => checkMomentInput('moments', new Float64Array(6) as never, [3, 2], null, 1),
        /moments: x must be a Float32Array, got \[object Float64Array\]/,
      ],
      ['classes', () => checkMomentInput('moments', x, [3, 2], null, 0), /classes must be an integer in \[1, /],
    ];
    for (const [name, f, re] of cases) expect(f, name).toThrow(re);
  });
});
