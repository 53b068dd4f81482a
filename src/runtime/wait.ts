// Waiting for the GPU without stealing the CPU from it. While a GPU promise is pending, dawn.node
// ticks the device in a busy loop on the main thread; on a CPU driver such as lavapipe that loop
// takes one of the cores the "GPU" runs on (ENVIRONMENT.md: matmul 8.5-10 vs 17.7 GFLOP/s on 2 cores).
// In 'idle' mode we sleep for most of the predicted run time first and only then create the promise.
// The prediction is learned per set of kernels from the declared work (flops + bytes) of each submit.
// What is left after the sleep is waited for in naps (`napping`), not in dawn.node's busy loop.
import { checkDevice, inFlight, type Context } from './context.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Fraction of the predicted time slept before polling; the rest is covered by polling. */
const SLEEP_FRACTION = 0.9;
/** A completion this soon after the sleep means the prediction was too long: shrink it. */
const EARLY_MS = 1;

/**
 * The model's key: the set of kernels in flight and the order of magnitude of their work (a factor of 4
 * per class). One kernel serves both a sampler's tiny products and a covariance's large ones, whose times
 * follow no one line: with one model per kernel set, a run of tiny waits (time all overhead) taught a
 * rate that predicted seconds for the next large product.
 */
export function waitKey(kernels: readonly string[], work: number): string {
  const names = [...new Set(kernels)].sort().join(',') || 'copy';
  return `${names}|${Math.round(Math.log2(Math.max(work, 1)) / 2)}`;
}

function modelKey(ctx: Context): { key: string; work: number; since: number; declared: boolean } {
  const work = Math.max(
    ctx.pending.reduce((s, p) => s + p.work, 0),
    1,
  );
  const since = ctx.pending.length ? Math.min(...ctx.pending.map((p) => p.submittedAt)) : performance.now();
  const declared = ctx.pending.length > 0 && ctx.pending.every((p) => p.declared);
  return {
    key: waitKey(
      ctx.pending.flatMap((p) => p.kernels),
      work,
    ),
    work,
    since,
    declared,
  };
}

/**
 * Predicted time = overhead + rate * work. The overhead is the shortest wait seen; the rate is a
 * work-weighted ratio of decayed sums, so one large submit outweighs many tiny ones whose time is
 * all overhead (a per-sample average would let those inflate the rate by orders of magnitude).
 */
export interface WaitModel {
  overheadMs: number;
  /** Decayed sums of (elapsed - overhead) and of work. */
  excessMs: number;
  work: number;
  /** Longest wait seen: a sleep never exceeds twice it, so a wrong scale cannot stall a run. */
  maxMs: number;
}

const DECAY = 0.7;

export function predictMs(m: WaitModel, work: number): number {
  return Math.min(m.overheadMs + (m.excessMs / Math.max(m.work, 1)) * work, 2 * m.maxMs);
}

/**
 * The model after a wait of elapsedMs for `work`. measured false: the time is an estimate (the work ended
 * right after our own sleep), which must not raise the longest wait: a cap learned from our own sleeps
 * grew by a quarter per wait and slept the GPU idle for seconds.
 */
export function updateModel(m: WaitModel | undefined, elapsedMs: number, work: number, measured = true): WaitModel {
  if (!m) return { overheadMs: elapsedMs, excessMs: 0, work: 0, maxMs: elapsedMs };
  const overheadMs = Math.min(m.overheadMs, elapsedMs);
  return {
    overheadMs,
    excessMs: DECAY * m.excessMs + Math.max(0, elapsedMs - overheadMs),
    work: DECAY * m.work + work,
    maxMs: measured ? Math.max(m.maxMs, elapsedMs) : m.maxMs,
  };
}

/**
 * What a finished wait teaches the model (ms), or null for nothing. done - since is the GPU's time when
 * the host came to wait right after submitting, or when it found the GPU still busy and polled until it
 * finished. A host that did other work first and found the work done (`late`: the analysis' host
 * eigensolves, a sampler's bookkeeping) only shows an upper bound, and learning that bound as the time
 * taught the model the host's delay, so later waits of the same kernels slept for seconds with the GPU
 * idle: such a wait is learned only when it shortens the prediction. (Counting every wait entered a few
 * ms late as late kept the moments' 0.6 s submits from ever being learned: each was polled in full,
 * with the polling thread taking a core from the CPU driver.) A completion right after a sleep means the
 * work finished earlier: 0.7 of the time is learned, as an estimate (measured false).
 */
export function learnedMs(
  w: { since: number; entered: number; polledFrom: number; done: number; slept: boolean },
  predicted: number | null,
): { ms: number; measured: boolean } | null {
  const elapsed = w.done - w.since;
  const foundBusy = !w.slept && w.done - w.polledFrom >= EARLY_MS;
  const late = w.entered - w.since > EARLY_MS && !foundBusy;
  if (late && (predicted === null || elapsed > predicted)) return null;
  const early = w.slept && w.done - w.polledFrom < EARLY_MS;
  return early ? { ms: 0.7 * elapsed, measured: false } : { ms: elapsed, measured: true };
}

/** Longest nap between two of dawn.node's event ticks while a wait is pending (idle mode). */
const NAP_MS = 1;
let napCell: Int32Array | undefined;

/**
 * Settles with `p`, a pending GPU promise, letting dawn.node tick its events about once per NAP_MS and
 * blocking the main thread in between (Atomics.wait), where dawn.node would otherwise tick them in a busy
 * loop for as long as the promise is pending: on a CPU driver that loop takes a core from the "GPU".
 * Measured on Fashion-MNIST (lavapipe, 2 cores, interleaved runs): the main thread's CPU time 46.9 and
 * 49.3 -> 35.7 and 44.1 s, the moments 23.6 and 23.8 -> 13.4 and 14.7 s. Other JS work still runs
 * between the naps (each loop turn passes through the event loop), at most NAP_MS late. Node only: a
 * browser's main thread may not block.
 */
async function napping<T>(p: Promise<T>): Promise<T> {
  let settled = false;
  const done = () => {
    settled = true;
  };
  p.then(done, done);
  napCell ??= new Int32Array(new SharedArrayBuffer(4));
  const turn = () => new Promise<void>((r) => setImmediate(r));
  // One turn first: work that finished meanwhile is answered without a nap.
  await turn();
  while (!settled) {
    Atomics.wait(napCell, 0, 0, NAP_MS);
    await turn();
  }
  return await p;
}

/**
 * Awaits `make()` (a GPU promise such as onSubmittedWorkDone or mapAsync), in 'idle' mode after
 * sleeping for the predicted remaining GPU time and then in naps. Fails with the kernels in flight if the device is
 * lost or the wait exceeds ctx.timeoutMs, so nothing hangs.
 */
export async function waitForGpu<T>(ctx: Context, make: () => Promise<T>): Promise<T> {
  checkDevice(ctx);
  const entered = performance.now();
  const { key, work, since, declared } = modelKey(ctx);
  const model = ctx.waitModel.get(key);
  let slept = false;
  // Work with undeclared cost cannot be predicted: poll.
  if (ctx.waitMode === 'idle' && model && declared) {
    const remaining = since + SLEEP_FRACTION * predictMs(model, work) - performance.now();
    if (remaining > EARLY_MS) {
      await sleep(remaining);
      slept = true;
    }
  }
  const polledFrom = performance.now();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`fluctus: GPU wait exceeded ${ctx.timeoutMs} ms${inFlight(ctx)}`)),
      ctx.timeoutMs,
    );
  });
  try {
    const answer = Promise.race([make(), ctx.lostPromise, timeout]);
    const out = ctx.waitMode === 'idle' && ctx.platform === 'node' ? await napping(answer) : await answer;
    const done = performance.now();
    const learned = declared
      ? learnedMs({ since, entered, polledFrom, done, slept }, model ? predictMs(model, work) : null)
      : null;
    if (learned) ctx.waitModel.set(key, updateModel(model, learned.ms, work, learned.measured));
    return out;
  } finally {
    clearTimeout(timer);
  }
}
