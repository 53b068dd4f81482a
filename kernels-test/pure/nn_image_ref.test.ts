// The float64 image-op references checked against themselves from first principles: every backward
// against central finite differences of its forward (L = sum dy * f), im2col and col2im adjoint to each
// other, and the direct convolution equal to im2col times W^T (the layout the GPU path relies on).
import { describe, expect, it } from 'vitest';
import {
  addChannelBias,
  avgPool2,
  avgPool2Backward,
  channelSum,
  col2im3x3,
  concatChannels,
  conv3x3,
  conv3x3Backward,
  im2col3x3,
  splitChannels,
  upsample2,
  upsample2Backward,
  type ConvDims,
} from '../ref/nn_image.js';
import { groupNorm, groupNormBackward, type GroupDims } from '../ref/nn_image_norm.js';
import { expectClose } from '../compare.js';
import { randn } from '../random.js';

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
};

/**
 * Central differences of L(v) = dy . f(v) at every index of v, against `grad`. Step 1e-5: truncation
 * h^2 |f'''| / 6 ~ 1e-10 (zero for the linear ops) and cancellation ~ 1e-16 |L| / h ~ 1e-10 for |L| ~ 10.
 */
function expectFd(
  f: (v: Float64Array) => ArrayLike<number>,
  v: Float64Array,
  dy: ArrayLike<number>,
  grad: ArrayLike<number>,
  label: string,
): void {
  const h = 1e-5;
  const fd = Float64Array.from(v, (_, i) => {
    const p = Float64Array.from(v);
    const m = Float64Array.from(v);
    p[i] += h;
    m[i] -= h;
    return (dot(dy, f(p)) - dot(dy, f(m))) / (2 * h);
  });
  expectClose(grad, fd, { atol: 1e-7, rtol: 1e-6, label });
}

describe('conv3x3 reference', () => {
  const cases: ConvDims[] = [
    { n: 2, h: 3, w: 5, cin: 2, cout: 3 },
    { n: 1, h: 1, w: 1, cin: 3, cout: 1 },
    { n: 1, h: 2, w: 1, cin: 1, cout: 2 },
  ];
  for (const d of cases) {
    it(`backward matches finite differences for ${JSON.stringify(d)}`, () => {
      const P = d.n * d.h * d.w;
      const x = randn(P * d.cin, 1);
      const W = randn(d.cout * 9 * d.cin, 2);
      const b = randn(d.cout, 3);
      const dy = randn(P * d.cout, 4);
      const g = conv3x3Backward(x, W, dy, d);
      expectFd((v) => conv3x3(v, W, b, d), x, dy, g.dx, 'dx');
      expectFd((v) => conv3x3(x, v, b, d), W, dy, g.dweight, 'dweight');
      expectFd((v) => conv3x3(x, W, v, d), b, dy, g.dbias, 'dbias');
    });
  }

  it('equals im2col3x3(x) W^T + b, and col2im3x3 is the adjoint of im2col3x3', () => {
    const d = { n: 2, h: 5, w: 3, cin: 3, cout: 2 };
    const P = d.n * d.h * d.w;
    const K = 9 * d.cin;
    const x = randn(P * d.cin, 5);
    const W = randn(d.cout * K, 6);
    const b = randn(d.cout, 7);
    const cols = im2col3x3(x, { n: d.n, h: d.h, w: d.w, c: d.cin });
    const viaCols = Float64Array.from({ length: P * d.cout }, (_, i) => {
      const [p, co] = [Math.floor(i / d.cout), i % d.cout];
      return b[co]! + dot(cols.subarray(p * K, (p + 1) * K), W.subarray(co * K, (co + 1) * K));
    });
    expectClose(conv3x3(x, W, b, d), viaCols, { atol: 1e-12, rtol: 1e-12, label: 'conv vs im2col' });
    const C = randn(P * K, 8);
    expect(dot(cols, C)).toBeCloseTo(dot(x, col2im3x3(C, { n: d.n, h: d.h, w: d.w, c: d.cin })), 10);
  });
});

describe('pooling, upsampling, concatenation and channel bias references', () => {
  it('avgPool2 and upsample2 backward match finite differences', () => {
    const d = { n: 2, h: 4, w: 6, c: 3 };
    const x = randn(d.n * d.h * d.w * d.c, 9);
    const dyPool = randn(x.length / 4, 10);
    expectFd((v) => avgPool2(v, d), x, dyPool, avgPool2Backward(dyPool, d), 'avgPool2');
    const small = { n: 2, h: 3, w: 1, c: 2 };
    const xs = randn(12, 11);
    const dyUp = randn(48, 12);
    expectFd((v) => upsample2(v, small), xs, dyUp, upsample2Backward(dyUp, small), 'upsample2');
  });

  it('concat and channel-bias backward match finite differences', () => {
    const [pixels, ca, cb] = [7, 2, 3];
    const a = randn(pixels * ca, 13);
    const b = randn(pixels * cb, 14);
    const dy = randn(pixels * (ca + cb), 15);
    const { da, db } = splitChannels(dy, ca, cb, pixels);
    expectFd((v) => concatChannels(v, ca, b, cb, pixels), a, dy, da, 'da');
    expectFd((v) => concatChannels(a, ca, v, cb, pixels), b, dy, db, 'db');
    const [n, hw, c] = [3, 5, 4];
    const x = randn(n * hw * c, 16);
    const e = randn(n * c, 17);
    const dyb = randn(n * hw * c, 18);
    expectFd((v) => addChannelBias(x, v, n, hw, c), e, dyb, channelSum(dyb, n, hw, c), 'de');
    expectFd((v) => addChannelBias(v, e, n, hw, c), x, dyb, dyb, 'dx');
  });
});

describe('groupNorm reference', () => {
  const cases: GroupDims[] = [
    { n: 2, hw: 5, c: 6, groups: 3 },
    { n: 1, hw: 7, c: 3, groups: 1 },
    { n: 3, hw: 1, c: 4, groups: 4 },
  ];
  for (const d of cases) {
    it(`backward matches finite differences for ${JSON.stringify(d)}`, () => {
      const size = d.n * d.hw * d.c;
      // groups of one element (hw = 1, c = groups) have zero variance: eps keeps the map smooth.
      const eps = 1e-2;
      const x = Float64Array.from(randn(size, 19), (v) => 2 * v + 0.5);
      const gamma = randn(d.c, 20);
      const beta = randn(d.c, 21);
      const dy = randn(size, 22);
      const g = groupNormBackward(x, gamma, dy, d, eps);
      expectFd((v) => groupNorm(v, gamma, beta, d, eps).y, x, dy, g.dx, 'dx');
      expectFd((v) => groupNorm(x, v, beta, d, eps).y, gamma, dy, g.dgamma, 'dgamma');
      expectFd((v) => groupNorm(x, gamma, v, d, eps).y, beta, dy, g.dbeta, 'dbeta');
    });
  }

  it('normalises each (image, group) to mean 0 and variance var / (var + eps)', () => {
    const d = { n: 2, hw: 9, c: 4, groups: 2 };
    const x = Float64Array.from(randn(72, 23), (v) => 3 * v - 1);
    const { y, mean, rstd } = groupNorm(x, [1, 1, 1, 1], [0, 0, 0, 0], d, 0);
    for (let ng = 0; ng < 4; ng++) {
      const vals = Array.from(
        { length: 18 },
        (_, k) => y[(Math.floor(ng / 2) * 9 + Math.floor(k / 2)) * 4 + (ng % 2) * 2 + (k % 2)]!,
      );
      expect(vals.reduce((s, v) => s + v, 0) / 18).toBeCloseTo(0, 12);
      expect(vals.reduce((s, v) => s + v * v, 0) / 18).toBeCloseTo(1, 12);
      expect(rstd[ng]).toBeGreaterThan(0);
      expect(Number.isFinite(mean[ng])).toBe(true);
    }
  });
});
