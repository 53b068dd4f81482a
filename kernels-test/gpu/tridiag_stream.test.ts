// Full spectra as a stream (src/kernels/tridiag_stream.ts): callers that ask at different times, for
// overlapping names and two orders, get the bits that one batch gives (eigvalshBatch) and eigenvalues
// within 1e-5 ||A||_2 of a known spectrum; a name is computed once; a failure rejects what the pump held
// and a later request starts afresh.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { eigvalshBatch, rowStride } from '../../src/kernels/tridiag.js';
import { spectrumStream } from '../../src/kernels/tridiag_stream.js';
import { withSpectrum } from '../ref/eigh.js';
import { expectClose } from '../compare.js';

describeGpu('tridiag_stream', (get) => {
  // Five matrices of order 63 and three of order 65 (not multiples of 4: padded rows), known spectra.
  const orders = [63, 63, 63, 63, 63, 65, 65, 65];
  const spectra = orders.map((n, q) => Array.from({ length: n }, (_, i) => (q + 1) * Math.cos(i + q) + i / n));
  const mats = orders.map((n, q) => Float32Array.from(withSpectrum(spectra[q]!, 40 + q, Math.min(n, 30))));

  it("callers asking at different times get one batch's bits, each name computed once", async () => {
    const ctx = get();
    const filled: number[] = [];
    const stream = spectrumStream<number>(ctx, {
      name: (q) => `m${q}`,
      order: (q) => orders[q]!,
      fill: (_batch, q, work, offset) => {
        filled.push(q);
        const n = orders[q]!;
        const ld = rowStride(n);
        const host = new Float32Array(ld * ld);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) host[i * ld + j] = mats[q]![i * n + j]!;
        ctx.device.queue.writeBuffer(work.a.buffer, 4 * offset, host);
      },
    });
    const got = new Map<number, Float64Array>();
    const keep = (qs: number[], vs: Float64Array[]) => qs.forEach((q, i) => got.set(q, vs[i]!));
    // A asks, and asks again (a repeat and new names) once answered; B asks at once, overlapping A.
    const a = (async () => {
      keep([0, 1, 5], await stream.request([0, 1, 5]));
      keep([2, 0, 6], await stream.request([2, 0, 6]));
    })();
    const b = (async () => {
      keep([5, 3, 4, 7, 3], await stream.request([5, 3, 4, 7, 3]));
    })();
    await Promise.all([a, b]);
    expect(stream.count()).toBe(8);
    expect([...filled].sort()).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    for (const n of [63, 65]) {
      const qs = orders.flatMap((m, q) => (m === n ? [q] : []));
      const batch = await eigvalshBatch(
        ctx,
        qs.map((q) => mats[q]!),
        n,
      );
      qs.forEach((q, i) => {
        expect(Array.from(got.get(q)!), `matrix ${q}`).toEqual(Array.from(batch[i]!));
        const want = [...spectra[q]!].sort((x, y) => y - x);
        const norm = Math.max(...want.map(Math.abs));
        expectClose(got.get(q)!, want, { atol: 1e-5 * norm, rtol: 0, label: `matrix ${q} (n = ${n})` });
      });
    }
    // Answered from what was computed.
    const again = await stream.request([7, 0]);
    expect([again[0], again[1]]).toEqual([got.get(7), got.get(0)]);
    expect(filled.length).toBe(8);
  });

  it('a failure rejects the requests the pump held; a later request starts a new pump', async () => {
    const ctx = get();
    let fail = true;
    const stream = spectrumStream<number>(ctx, {
      name: (q) => `m${q}`,
      order: (q) => orders[q]!,
      fill: (_batch, q, work, offset) => {
        if (fail && q === 1) throw new Error('fill failed for matrix 1');
        const n = orders[q]!;
        const ld = rowStride(n);
        const host = new Float32Array(ld * ld);
        for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) host[i * ld + j] = mats[q]![i * n + j]!;
        ctx.device.queue.writeBuffer(work.a.buffer, 4 * offset, host);
      },
    });
    await expect(stream.request([0, 1, 2])).rejects.toThrow(/fill failed for matrix 1/);
    fail = false;
    const [v1] = await stream.request([1]);
    const [ref] = await eigvalshBatch(ctx, [mats[1]!], 63);
    expect(Array.from(v1!)).toEqual(Array.from(ref!));
  });
});
