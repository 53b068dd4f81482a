// The float64 references' backward passes (kernels-test/ref/nn_dense.ts) against central finite
// differences of their own forward passes, so the GPU tests compare against checked gradients.
import { describe, it } from 'vitest';
import {
  adamW,
  biasAct,
  biasActBackward,
  crossEntropy,
  embeddingBackward,
  embeddingGather,
  mseLoss,
  type Act,
} from '../ref/nn_dense.js';
import { expectClose } from '../compare.js';
import { randn } from '../random.js';

// Central differences with step h on smooth functions of O(1) inputs: truncation O(h^2 f''') ~ 1e-10,
// cancellation ~ 1e-16 |L| / h ~ 1e-10 for |L| ~ 10; 1e-7 absolute leaves room for both.
const H = 1e-5;
const FD_TOL = { atol: 1e-7, rtol: 1e-6 };

/** d loss / d v[i] for every i by central differences (v is changed and restored). */
function numericGrad(v: Float64Array, loss: () => number): Float64Array {
  return Float64Array.from(v, (vi, i) => {
    v[i] = vi + H;
    const up = loss();
    v[i] = vi - H;
    const down = loss();
    v[i] = vi;
    return (up - down) / (2 * H);
  });
}

const dot = (a: ArrayLike<number>, b: ArrayLike<number>) => Array.from(a).reduce((s, v, i) => s + v * b[i]!, 0);

describe('nn_dense float64 reference gradients', () => {
  const cases: [number, number, Act, boolean][] = [
    [1, 1, 'silu', true],
    [7, 3, 'silu', true],
    [5, 4, 'none', true],
    [3, 5, 'silu', false],
  ];
  for (const [rows, cols, act, bias] of cases) {
    it(`biasActBackward ${act}${bias ? ' + bias' : ''} (${rows}, ${cols})`, () => {
      const seed = rows * 100 + cols;
      const x = Float64Array.from(randn(rows * cols, seed), (v) => 3 * v);
      const b = bias ? randn(cols, seed + 1) : null;
      const w = randn(rows * cols, seed + 2);
      const loss = () => dot(w, biasAct(x, b, rows, cols, act));
      const { dx, db } = biasActBackward(x, b, w, rows, cols, act);
      expectClose(dx, numericGrad(x, loss), { ...FD_TOL, seed, label: 'dx' });
      if (b) expectClose(db, numericGrad(b, loss), { ...FD_TOL, seed, label: 'db' });
    });
  }

  it('embeddingBackward: the transpose of the gather, null class -1 on the last row', () => {
    const [K, E] = [3, 4];
    const labels = [0, -1, 2, 2, -1, 1, 0];
    const table = randn((K + 1) * E, 3);
    const w = randn(labels.length * E, 4);
    const got = embeddingBackward(labels, w, E, K);
    expectClose(
      got,
      numericGrad(table, () => dot(w, embeddingGather(table, labels, E, K))),
      { ...FD_TOL, label: 'dtable' },
    );
  });

  it('mseLoss gradient', () => {
    const pred = randn(33, 5);
    const target = randn(33, 6);
    expectClose(
      mseLoss(pred, target).dpred,
      numericGrad(pred, () => mseLoss(pred, target).loss),
      FD_TOL,
    );
  });

  it('crossEntropy gradient', () => {
    const [rows, classes] = [7, 5];
    const logits = Float64Array.from(randn(rows * classes, 7), (v) => 4 * v);
    const labels = [0, 4, 2, 2, 1, 3, 0];
    const { dlogits } = crossEntropy(logits, labels, rows, classes);
    expectClose(
      dlogits,
      numericGrad(logits, () => crossEntropy(logits, labels, rows, classes).loss),
      FD_TOL,
    );
  });

  it('adamW: the first step moves each weight by lr sign(g) (m / sqrt(v) = g / |g| after bias correction)', () => {
    const g = [0.3, -2, 1e-3];
    const s = { param: Float64Array.from([1, 2, 3]), m: new Float64Array(3), v: new Float64Array(3) };
    const out = adamW(s, g, { lr: 0.1, beta1: 0.9, beta2: 0.999, eps: 0, weightDecay: 0, step: 1, scale: 1 });
    expectClose(out.param, [0.9, 2.1, 2.9], { atol: 1e-12, rtol: 0 });
    const decayed = adamW(s, [0, 0, 0], {
      lr: 0.1,
      beta1: 0.9,
      beta2: 0.999,
      eps: 1e-8,
      weightDecay: 0.5,
      step: 3,
      scale: 1,
    });
    // Zero gradients: only the decoupled decay p (1 - lr wd) acts.
    expectClose(decayed.param, [0.95, 1.9, 2.85], { atol: 1e-15, rtol: 0 });
  });
});
