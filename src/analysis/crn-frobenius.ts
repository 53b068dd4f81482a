// Frobenius products of the crn bases (crn-basis.ts) behind M(i) and the events' traces: two events'
// 9 products in one pass (frobenius_cross), an event against the identity one product per matrix, every
// result gathered into one buffer for a single readback.
import type { Context } from '../runtime/context.js';
import { beginBatch, encodeCopy, submit } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback, type Tensor } from '../runtime/tensor.js';
import {
  disposeFrobenius,
  encodeFrobenius,
  encodeFrobeniusCross,
  prepareFrobenius,
  prepareFrobeniusCross,
  type FrobeniusPlan,
} from '../kernels/frobenius.js';
import type { CrnBasis } from './crn-basis.js';

/**
 * <P_p, Q_q>_F for the requested event pairs (p, q over A, B, S), or with `identity` and f = -1 the
 * traces <P_p, I>_F (result rows [tr]). Every product is encoded into one submission, and their (hi, lo)
 * results are gathered into one buffer for a single readback (one readback per product took 1-2 s of the
 * Fashion-MNIST analysis' 700 products on lavapipe).
 */
export async function frobeniusTables(
  ctx: Context,
  basis: CrnBasis,
  pairs: readonly (readonly [number, number])[],
  identity: Tensor | null,
): Promise<number[][][]> {
  const { ld } = basis;
  const plans: FrobeniusPlan[] = [];
  const outs: Tensor[] = [];
  let all: Tensor | null = null;
  // Two events' 9 products in one pass over their six matrices (frobenius_cross); an event against the
  // identity, one product per matrix.
  const cross = await prepareFrobeniusCross(ctx, ld * ld);
  try {
    const batch = beginBatch(ctx, 'crn.frobenius');
    for (const [e, f] of pairs) {
      if (f >= 0) {
        const out = createTensor(ctx, [9, 2], { label: 'crn.frobenius.out' });
        outs.push(out);
        encodeFrobeniusCross(batch, cross, basis.events[e]!.mats, basis.events[f]!.mats, out);
        continue;
      }
      for (const P of basis.events[e]!.mats) {
        const plan = await prepareFrobenius(ctx, P, 1, ld, ld, [[0, 0]], { other: identity!, otherCount: 1 });
        const out = createTensor(ctx, [2], { label: 'crn.frobenius.out' });
        plans.push(plan);
        outs.push(out);
        encodeFrobenius(batch, plan, out);
      }
    }
    const values = outs.reduce((n, o) => n + o.size / 2, 0);
    const gathered = createTensor(ctx, [values, 2], { label: 'crn.frobenius.all' });
    all = gathered;
    encodeCopy(
      batch,
      (enc) => {
        let at = 0;
        for (const o of outs) {
          enc.copyBufferToBuffer(o.buffer, 0, gathered.buffer, 4 * at, 4 * o.size);
          at += o.size;
        }
      },
      4 * 2 * values,
    );
    submit(batch);
    const hl = await readback(ctx, gathered);
    let at = 0;
    const next = () => {
      const v = hl[2 * at]! + hl[2 * at + 1]!;
      at++;
      return v;
    };
    return pairs.map(([, f]) => [0, 1, 2].map(() => (f < 0 ? [next()] : [next(), next(), next()])));
  } finally {
    for (const p of plans) disposeFrobenius(p);
    disposeTensor(cross.partial);
    for (const o of outs) disposeTensor(o);
    if (all) disposeTensor(all);
  }
}
