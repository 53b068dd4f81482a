// Fails unless every named test folder had test files that ran, with passed tests and no skips.
//   node scripts/check-suites.mjs vitest.json kernels-test/gpu kernels-test/browser
import { readFileSync } from 'node:fs';

const [report, ...folders] = process.argv.slice(2);
const r = JSON.parse(readFileSync(report, 'utf8'));
let bad = 0;
for (const folder of folders) {
  const files = r.testResults.filter((f) => f.name.includes(`/${folder}/`));
  const tests = files.flatMap((f) => f.assertionResults);
  const passed = tests.filter((t) => t.status === 'passed').length;
  const other = tests.filter((t) => t.status !== 'passed');
  console.log(`${folder}: ${files.length} files, ${passed} passed, ${other.length} not passed`);
  if (!files.length || !passed || other.length) {
    bad++;
    for (const t of other.slice(0, 10)) console.log(`  ${t.status}: ${t.fullName}`);
  }
}
const all = r.testResults.flatMap((f) => f.assertionResults);
const failed = all.filter((t) => t.status === 'failed').length;
const skipped = all.filter((t) => t.status !== 'passed' && t.status !== 'failed').length;
if (bad) console.error('check-suites: a GPU or browser suite did not run completely');
// The plain closing line CI reads: every test of the run, all folders.
console.log(`${all.length - failed - skipped} passed, ${failed} failed, ${skipped} skipped`);
if (bad || failed) process.exit(1);
