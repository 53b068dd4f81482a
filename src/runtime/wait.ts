// Waiting for the GPU without stealing the CPU from it. While a GPU promise is pending, dawn.node
// ticks the device in a busy loop on the main thread; on a CPU driver such as lavapipe that loop
// takes one of the cores the "GPU" runs on (ENVIRONMENT.md: matmul 8.5-10 vs 17.7 GFLOP/s on 2 cores).
// In 'idle' mode we sleep for most of the predicted run time first and only then create the promise.
// The prediction is learned per set of kernels from the declared work (flops + bytes) of each submit.
import { checkDevice, inFlight, type Context } from './context.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Fraction of the predicted time slept before polling; the rest is covered by polling. */
const SLEEP_FRACTION = 0.9;
/** A completion this soon after the sleep means the prediction was too long: shrink it. */
const EARLY_MS = 1;

function modelKey(ctx: Context): { key: string; work: number; since: number; declared: boolean } {
  const kernels = [...new Set(ctx.pending.flatMap((p) => p.kernels))].sort();
  const work = ctx.pending.reduce((s, p) => s + p.work, 0);
  const since = ctx.pending.length ? Math.min(...ctx.pending.map((p) => p.submittedAt)) : performance.now();
  const declared = ctx.pending.length > 0 && ctx.pending.every((p) => p.declared);
  return { key: kernels.join(',') || 'copy', work: Math.max(work, 1), since, declared };
}

interface Model {
  /** Milliseconds per unit of declared work (EMA). */
  perUnit: number;
  /** Longest wait seen: a sleep never exceeds twice it, so a wrong scale cannot stall a run. */
  maxMs: number;
}

/**
 * Awaits `make()` (a GPU promise such as onSubmittedWorkDone or mapAsync), in 'idle' mode after
 * sleeping for the predicted remaining GPU time. Fails with the kernels in flight if the device is
 * lost or the wait exceeds ctx.timeoutMs, so nothing hangs.
 */
export async function waitForGpu<T>(ctx: Context, make: () => Promise<T>): Promise<T> {
  checkDevice(ctx);
  const { key, work, since, declared } = modelKey(ctx);
  const model = ctx.waitModel.get(key);
  let slept = false;
  // Work with undeclared cost cannot be predicted: poll.
  if (ctx.waitMode === 'idle' && model && declared) {
    const predicted = Math.min(SLEEP_FRACTION * model.perUnit * work, 2 * model.maxMs);
    const remaining = since + predicted - performance.now();
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
    const out = await Promise.race([make(), ctx.lostPromise, timeout]);
    const done = performance.now();
    const elapsed = done - since;
    const early = slept && done - polledFrom < EARLY_MS;
    const sample = (early ? 0.8 * elapsed : elapsed) / work;
    if (declared) {
      ctx.waitModel.set(key, model
        ? { perUnit: 0.5 * model.perUnit + 0.5 * sample, maxMs: Math.max(model.maxMs, elapsed) }
        : { perUnit: sample, maxMs: elapsed });
    }
    return out;
  } finally {
    clearTimeout(timer);
  }
}
