// The one way GPU tests get a device. Without an adapter the suite is skipped with the reason
// printed, unless FLUCTUS_REQUIRE_GPU=1 (CI), where a missing adapter fails the run.
import { afterAll, beforeAll, describe } from 'vitest';
import { destroyContext, requestContext, type Context, type ContextOptions } from '../../src/runtime/context.js';
import { checkDevice } from '../../src/runtime/context.js';

let probe: Promise<string | null> | null = null;

async function adapterMissing(): Promise<string | null> {
  try {
    const ctx = await requestContext({ wait: 'poll' });
    destroyContext(ctx);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

const why = await (probe ??= adapterMissing());
if (why && process.env.FLUCTUS_REQUIRE_GPU === '1') {
  throw new Error(`FLUCTUS_REQUIRE_GPU=1 but no GPU adapter: ${why}`);
}
if (why) console.warn(`[gpu tests skipped] ${why}`);

/**
 * describe() that hands its tests a fresh context (created before, destroyed after), and checks
 * after the suite that the device reported no asynchronous validation or memory error.
 */
export function describeGpu(name: string, fn: (get: () => Context) => void, opts: ContextOptions = {}): void {
  (why ? describe.skip : describe)(name, () => {
    let ctx: Context | null = null;
    beforeAll(async () => {
      ctx = await requestContext({ ...opts, label: name });
    });
    afterAll(() => {
      if (!ctx) return;
      try {
        checkDevice(ctx);
      } finally {
        destroyContext(ctx);
      }
    });
    fn(() => {
      if (!ctx) throw new Error('GPU context not ready');
      return ctx;
    });
  });
}
