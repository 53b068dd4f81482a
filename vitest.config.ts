import { defineConfig } from 'vitest/config';

// GPU suites share one device per file and lavapipe runs on the CPU, so files run one at a time.
export default defineConfig({
  test: {
    include: ['kernels-test/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
    reporters: ['default'],
    // Tests tune in memory: they neither read nor write the user's tuning cache (~/.cache/fluctus).
    env: { FLUCTUS_TUNE_CACHE: 'off' },
  },
});
