// Stage 2 of the two-stage eigenvalue reduction (band -> tridiagonal -> QL, float64) on host threads.
// It is the host's share of every full spectrum (at n = 784, 38 ms against the GPU's stage 1), and on a
// machine with a real GPU it is most of a spectrum's time: one thread would do the Fashion-MNIST
// analysis' 259 spectra in ~12 s. The workers run the very functions of band.ts and eigh-cpu.ts (their
// compiled source, which uses nothing but its arguments, Math and typed arrays), so a spectrum has the
// same bits on any thread. With no workers (FLUCTUS_HOST_THREADS=0, a browser page, one core) the main
// thread does the work.
import type { HostWorker } from '../runtime/host-worker.js';
import { hostThreads, startHostWorker } from '../runtime/platform-node.js';
import { bandReduce, bandToTridiagonal, checkBand, makeBandChase } from './band.js';
import { WASM_BASE64 } from './band-chase.wasm.js';
import { tridiagonalEigenvalues } from './eigh-cpu.js';

/** Eigenvalues (descending) of one band form ((n, b + 1), as bandToTridiagonal reads it). */
export function bandEigenvalues(band: ArrayLike<number>, n: number, b: number): Float64Array {
  const { d, e } = bandReduce()(band, n, b);
  tridiagonalEigenvalues(d, e, n);
  return d.sort().reverse();
}

/** The workers' script: the stage-2 functions by their compiled source, and a loop over the requests. */
function workerBody(): string {
  return [
    // esbuild's keepNames helper, should a transform wrap anything in it.
    'const __name = (f) => f;',
    // The WebAssembly chase where the worker has WebAssembly SIMD, else the JS one (the same bits).
    `const checkBand = ${checkBand.toString()};`,
    `const bandToTridiagonal = (${makeBandChase.toString()})(${JSON.stringify(WASM_BASE64)}, checkBand) ?? (${bandToTridiagonal.toString()});`,
    `const tridiagonalEigenvalues = ${tridiagonalEigenvalues.toString()};`,
    // bandEigenvalues, spelt out: a bundler may rename the names its own source refers to.
    'onMessage(({ id, bands, n, b, count }) => {',
    '  try {',
    '    const per = n * (b + 1);',
    '    const values = new Float64Array(count * n);',
    '    for (let i = 0; i < count; i++) {',
    '      const { d, e } = bandToTridiagonal(bands.subarray(i * per, (i + 1) * per), n, b);',
    '      tridiagonalEigenvalues(d, e, n);',
    '      values.set(d.sort().reverse(), i * n);',
    '    }',
    '    post({ id, values }, [values.buffer]);',
    '  } catch (e) {',
    '    post({ id, error: String(e && e.message || e) }, []);',
    '  }',
    '});',
  ].join('\n');
}

interface Job {
  worker: number;
  resolve: (v: Float64Array) => void;
  reject: (e: Error) => void;
}

class BandPool {
  private readonly workers: HostWorker[] = [];
  private readonly jobs = new Map<number, Job>();
  /** Jobs in flight per worker: a worker with any keeps the process alive, an idle one does not. */
  private readonly inFlight: number[] = [];
  private next = 0;

  constructor(size: number) {
    const body = workerBody();
    for (let i = 0; i < size; i++) {
      const w = startHostWorker(body);
      w.onMessage((m) => {
        const { id, values, error } = m as { id: number; values?: Float64Array; error?: string };
        const job = this.jobs.get(id);
        if (!job) return;
        this.settle(id, job);
        if (error !== undefined) job.reject(new Error(error));
        else job.resolve(values!);
      });
      // A worker that dies fails every job in flight (none can be told apart), never hangs them.
      w.onError((e) => {
        for (const [id, job] of this.jobs) {
          this.settle(id, job);
          job.reject(e);
        }
      });
      this.workers.push(w);
      this.inFlight.push(0);
    }
  }

  get size(): number {
    return this.workers.length;
  }

  run(worker: number, bands: Float32Array, n: number, b: number, count: number): Promise<Float64Array> {
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.jobs.set(id, { worker, resolve, reject });
      if (this.inFlight[worker]!++ === 0) this.workers[worker]!.hold(true);
      this.workers[worker]!.post({ id, bands, n, b, count }, [bands.buffer as ArrayBuffer]);
    });
  }

  private settle(id: number, job: Job): void {
    this.jobs.delete(id);
    if (--this.inFlight[job.worker]! === 0) this.workers[job.worker]!.hold(false);
  }
}

/** Pools by size, created at first use and kept for the process (idle workers do not keep it alive). */
const pools = new Map<number, BandPool>();

/** A pool of `size` workers (default: hostThreads()), or null for the main thread. */
function poolOf(size = hostThreads()): BandPool | null {
  if (size <= 0) return null;
  let p = pools.get(size);
  if (!p) pools.set(size, (p = new BandPool(size)));
  return p;
}

/**
 * Eigenvalues (descending, float64) of `count` band forms of order n and half-bandwidth b stored one after
 * another in `bands` ((n, b + 1) each), split among the host threads in contiguous parts; in order.
 * `threads` overrides the process's pool size (tests: 0 is the main thread).
 */
export async function bandEigenvaluesBatch(
  bands: Float32Array,
  n: number,
  b: number,
  count: number,
  threads?: number,
): Promise<Float64Array[]> {
  const per = n * (b + 1);
  if (bands.length < count * per)
    throw new Error(`bandEigenvaluesBatch: ${bands.length} values hold fewer than ${count} bands of ${per}`);
  const p = poolOf(threads);
  if (!p || count < 2) {
    return Array.from({ length: count }, (_, i) => bandEigenvalues(bands.subarray(i * per, (i + 1) * per), n, b));
  }
  const parts = Math.min(p.size, count);
  const runs: Promise<Float64Array>[] = [];
  for (let w = 0, start = 0; w < parts; w++) {
    const size = Math.floor(count / parts) + (w < count % parts ? 1 : 0);
    // A copy per part: its buffer moves to the worker.
    runs.push(p.run(w, bands.slice(start * per, (start + size) * per), n, b, size));
    start += size;
  }
  const out: Float64Array[] = [];
  for (const values of await Promise.all(runs))
    for (let i = 0; i < values.length / n; i++) out.push(values.subarray(i * n, (i + 1) * n));
  return out;
}
