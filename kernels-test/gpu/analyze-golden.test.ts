// Golden values of the merger analysis on sklearn's digits (exact method), with provenance in the
// fixture (written by scripts/dev/golden-digits.ts). Skipped with a message when the Debian data is
// absent (npm run get-data installs it; CI does).
import { readFileSync, existsSync } from 'node:fs';
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { analyzeMergers } from '../../src/analysis/analyze.js';
import { loadDataset } from '../../src/data/loaders.js';
import { DIGITS_CSV } from '../../src/data/builtin.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { goldenOf, GOLDEN_DIGITS_OPTIONS } from '../golden-digits.js';

const golden = JSON.parse(readFileSync(new URL('../fixtures/digits-golden.json', import.meta.url), 'utf8'));
const present = existsSync(DIGITS_CSV);
if (!present) console.warn(`[digits golden skipped] ${DIGITS_CSV} is missing: npm run get-data`);

describeGpu('merger analysis golden (digits)', (get) => {
  it.skipIf(!present)(
    'merger steps, dendrogram, normality and speciation steps are unchanged',
    async () => {
      const { report } = await analyzeMergers(get(), loadDataset('digits'), {
        schedule: makeSchedule('linear', 1000),
        ...GOLDEN_DIGITS_OPTIONS,
      });
      const got = goldenOf(report);
      // eps and Lambda are f32 GPU statistics rounded to 6 digits; the steps are integers.
      expect(got.eps).toBeCloseTo(golden.values.eps, 5);
      expect(got.lambdaMax).toBeCloseTo(golden.values.lambdaMax, 4);
      expect({ ...got, eps: 0, lambdaMax: 0 }).toEqual({ ...golden.values, eps: 0, lambdaMax: 0 });
    },
    60_000,
  );
});
