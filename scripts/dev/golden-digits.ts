// Writes kernels-test/fixtures/digits-golden.json: the merger analysis of sklearn's digits (Debian
// python3-sklearn) with the exact method, linear schedule T = 1000, seed 0 — the golden values that
// kernels-test/gpu/analyze-golden.test.ts checks. Run: npx tsx scripts/dev/golden-digits.ts
import { execSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { requestContext, destroyContext } from '../../src/runtime/context.js';
import { loadDataset } from '../../src/data/loaders.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { goldenOf, GOLDEN_DIGITS_OPTIONS } from '../../kernels-test/golden-digits.js';
import { analyzeMergers } from '../../src/analysis/analyze.js';

const ctx = await requestContext();
const data = loadDataset('digits');
const { report } = await analyzeMergers(ctx, data, {
  schedule: makeSchedule('linear', 1000),
  ...GOLDEN_DIGITS_OPTIONS,
});
const out = {
  provenance: {
    script: 'scripts/dev/golden-digits.ts',
    command: 'npx tsx scripts/dev/golden-digits.ts',
    commit: execSync('git rev-parse HEAD').toString().trim(),
    date: new Date().toISOString(),
    adapter: ctx.adapterInfo,
    data: data.source,
  },
  values: goldenOf(report),
};
writeFileSync(
  new URL('../../kernels-test/fixtures/digits-golden.json', import.meta.url),
  `${JSON.stringify(out, null, 2)}\n`,
);
console.log(JSON.stringify(out.values));
destroyContext(ctx);
