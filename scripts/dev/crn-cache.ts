// Development helper: keep a dataset's crn basis on disk so tracker and search experiments skip the
// moment pass. Not used by the engine.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { crnBasis, type CrnBasis } from '../../src/analysis/crn-basis.js';
import type { EventPlan } from '../../src/analysis/events.js';
import type { Dataset } from '../../src/data/dataset.js';
import type { Context } from '../../src/runtime/context.js';
import { createTensor, readback, type Tensor } from '../../src/runtime/tensor.js';
import { rowStride } from '../../src/kernels/tridiag.js';

export async function cachedBasis(
  ctx: Context,
  data: Dataset,
  plan: EventPlan,
  counts: number[],
  file: string,
): Promise<CrnBasis> {
  const [N, D] = data.shape;
  const ld = rowStride(D);
  if (existsSync(file)) {
    const buf = readFileSync(file);
    const meta = JSON.parse(readFileSync(`${file}.json`, 'utf8')) as { count: number; mean: number[] }[];
    const f = new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4);
    const events = meta.map((m, e) => ({
      count: m.count,
      mean: Float64Array.from(m.mean),
      mats: [0, 1, 2].map((p) =>
        createTensor(ctx, [ld, ld], { data: f.subarray((3 * e + p) * ld * ld, (3 * e + p + 1) * ld * ld) }),
      ) as [Tensor, Tensor, Tensor],
    }));
    return { dim: D, ld, events, segments: null as never, flops: 0 };
  }
  const b = await crnBasis(ctx, {
    x: data.x,
    labels: data.labels,
    dim: D,
    counts,
    plan,
    seed: 0,
    noiseCount: N,
    centring: 'own',
  });
  const out = new Float32Array(b.events.length * 3 * ld * ld);
  for (let e = 0; e < b.events.length; e++)
    for (let p = 0; p < 3; p++)
      out.set((await readback(ctx, b.events[e]!.mats[p]!)) as Float32Array, (3 * e + p) * ld * ld);
  writeFileSync(file, out);
  writeFileSync(`${file}.json`, JSON.stringify(b.events.map((e) => ({ count: e.count, mean: Array.from(e.mean) }))));
  return b;
}
