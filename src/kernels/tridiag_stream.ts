// Full spectra on request, as a stream: callers ask for the eigenvalues of named matrices whenever they
// need them (each merger-search pair as soon as its last answer came back), and one pump keeps the GPU and
// the host busy with whatever is asked: stage 1 (tridiag.ts, dense -> band) of chunk k + 1 on the GPU while
// the host does stage 2 of chunk k, with no barrier between callers. Rounds that waited for every pair
// left the GPU idle during each round's last host stage and the host idle during its first GPU chunk (22
// rounds on Fashion-MNIST). Each matrix's eigenvalues have the same bits whatever chunk it lands in (one
// workgroup per matrix, batched GEMMs with per-matrix strides, the same stage-2 code on every thread), so
// the answers do not depend on timing; a name asked for twice is computed once.
import type { Context } from '../runtime/context.js';
import { beginBatch, submit, type Batch } from '../runtime/dispatch.js';
import {
  disposeTridiagWork,
  encodeTridiag,
  readBands,
  hostStage,
  tridiagCapacity,
  tridiagPlan,
  tridiagWork,
  type TridiagPlan,
  type TridiagWork,
} from './tridiag.js';

/** Most matrices per chunk: large enough to fill a GPU, small enough to start the host early. */
export const SPECTRA_CHUNK = 24;

export interface SpectrumStreamOptions<K> {
  /** A key's name: equal names are the same matrix. */
  name: (key: K) => string;
  /** The order n of a key's matrix. */
  order: (key: K) => number;
  /** Encodes the matrix of `key` (order n) into work.a at element `offset` (slots of `len` elements). */
  fill: (batch: Batch, key: K, work: TridiagWork, offset: number) => void;
  /** What is kept and returned for a key's eigenvalues (descending, float64); default as they are. */
  finish?: (key: K, values: Float64Array) => Float64Array;
}

export interface SpectrumStream<K> {
  /** The eigenvalues of each key's matrix, computed with whatever else is asked meanwhile. */
  request(keys: readonly K[]): Promise<Float64Array[]>;
  /** Spectra computed so far. */
  count(): number;
}

interface Pending<K> {
  key: K;
  name: string;
  n: number;
  resolve: (v: Float64Array) => void;
  reject: (e: unknown) => void;
}

export function spectrumStream<K>(ctx: Context, opts: SpectrumStreamOptions<K>): SpectrumStream<K> {
  const done = new Map<string, Float64Array>();
  const asked = new Map<string, Promise<Float64Array>>();
  const queue: Pending<K>[] = [];
  const plans = new Map<number, TridiagPlan>();
  let pumping = false;

  const settle = (items: Pending<K>[], values: Float64Array[]) =>
    items.forEach((it, q) => {
      const v = opts.finish ? opts.finish(it.key, values[q]!) : values[q]!;
      done.set(it.name, v);
      asked.delete(it.name);
      it.resolve(v);
    });

  /** The oldest request's order, and up to a chunk of the queued requests of that order (FIFO). */
  const take = (cap: (n: number) => number): Pending<K>[] => {
    if (!queue.length) return [];
    const n = queue[0]!.n;
    const out: Pending<K>[] = [];
    for (let q = 0; q < queue.length && out.length < cap(n); )
      if (queue[q]!.n === n) out.push(queue.splice(q, 1)[0]!);
      else q++;
    return out;
  };

  /**
   * Starts the pump unless it runs: after the current synchronous callers (every pair's first request)
   * have queued theirs, and again when it stops with requests left (asked while it was shutting down).
   * A failed pump has rejected what it held; later requests start a new one.
   */
  const kick = (): void => {
    if (pumping || !queue.length) return;
    pumping = true;
    void Promise.resolve()
      .then(pump)
      .catch(() => undefined)
      .finally(() => {
        pumping = false;
        kick();
      });
  };

  async function pump(): Promise<void> {
    const works = new Map<number, TridiagWork>();
    const hosts = new Set<Promise<void>>();
    const cap = (n: number) => tridiagCapacity(ctx, n, SPECTRA_CHUNK);
    let ready: { items: Pending<K>[]; band: Float32Array; n: number } | null = null;
    let items: Pending<K>[] = [];
    try {
      for (;;) {
        items = take(cap);
        let chunk: { n: number; work: TridiagWork } | null = null;
        if (items.length) {
          const n = items[0]!.n;
          if (!plans.has(n)) plans.set(n, await tridiagPlan(ctx, n));
          if (!works.has(n)) works.set(n, tridiagWork(ctx, n, cap(n)));
          const work = works.get(n)!;
          const len = work.a.size / work.capacity;
          const batch = beginBatch(ctx, 'tridiag');
          items.forEach((it, b) => opts.fill(batch, it.key, work, b * len));
          encodeTridiag(batch, plans.get(n)!, work, items.length);
          submit(batch);
          chunk = { n, work };
        }
        // Stage 2 of the chunk read back last time, while the GPU works on this one. Its answers let the
        // callers ask for more, which the next take finds.
        if (ready) {
          const r: { items: Pending<K>[]; band: Float32Array; n: number } = ready;
          ready = null;
          const h: Promise<void> = hostStage(ctx, r.band, r.n, r.items.length).then(
            (values) => settle(r.items, values),
            (e) => r.items.forEach((it) => it.reject(e)),
          );
          hosts.add(h);
          void h.finally(() => hosts.delete(h));
        }
        if (chunk) {
          ready = { items, band: await readBands(ctx, chunk.work, items.length), n: chunk.n };
          items = [];
          continue;
        }
        if (hosts.size === 0) break;
        await Promise.race(hosts);
      }
    } catch (e) {
      for (const it of [...items, ...(ready?.items ?? []), ...queue.splice(0)]) {
        asked.delete(it.name);
        it.reject(e);
      }
      throw e;
    } finally {
      await Promise.allSettled(hosts);
      for (const w of works.values()) disposeTridiagWork(w);
    }
  }

  return {
    request(keys) {
      const out = keys.map((key) => {
        const name = opts.name(key);
        const v = done.get(name);
        if (v) return Promise.resolve(v);
        let p = asked.get(name);
        if (!p) {
          p = new Promise<Float64Array>((resolve, reject) =>
            queue.push({ key, name, n: opts.order(key), resolve, reject }),
          );
          asked.set(name, p);
        }
        return p;
      });
      kick();
      return Promise.all(out);
    },
    count: () => done.size,
  };
}
