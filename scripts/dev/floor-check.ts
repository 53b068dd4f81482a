// Exact d (both full spectra) of one pair of events over a range of steps, with the analysis' own crn basis
// and Gram bases (seed 0, eps of the default rule as the latent-shaped benchmark reported it), to check a
// merger step or a "none" of the search on latent-shaped data (development only):
//   npx tsx scripts/dev/floor-check.ts [a b from to stride]   e.g. 0 1 445 465 1
import { crnBasis } from '../../src/analysis/crn-basis.js';
import { crnGramBases } from '../../src/analysis/crn-gram.js';
import { crnEngine } from '../../src/analysis/crn-engine.js';
import type { CrnInput } from '../../src/analysis/crn-mergers.js';
import { planEvents } from '../../src/analysis/events.js';
import { loadDataset } from '../../src/data/loaders.js';
import { requestContext } from '../../src/runtime/context.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
const data = loadDataset('latent-shaped');
const ctx = await requestContext();
const [N, D] = data.shape;
const counts = new Array<number>(data.classes).fill(0);
for (const l of data.labels) counts[l]!++;
const plan = planEvents(data.classNames!, counts, N, []);
const schedule = makeSchedule('linear', 1000);
const inp: CrnInput = {
  x: data.x,
  labels: data.labels,
  dim: D,
  counts,
  plan,
  schedule,
  seed: 0,
  noiseCount: N,
  centring: 'own',
  epsRule: { ratio: 400 },
  reportSteps: [],
  directions: 16,
};
const basis = await crnBasis(ctx, inp);
const small = plan.events.filter((e) => (e.kind === 'noise' ? N : e.count) < D).map((e) => e.id);
const grams = await crnGramBases(ctx, inp, basis, small);
const eng = await crnEngine(ctx, basis, schedule, grams);
// eps of seed 0's latent-shaped run (docs/bench/bench-analyze-latent-shaped-amd-d2d0743-lavapipe.json).
const eps = 0.040356151372985635;
const [a, b] = [Number(process.argv[2] ?? 0), Number(process.argv[3] ?? 1)];
const from = Number(process.argv[4] ?? 440);
const to = Number(process.argv[5] ?? 470);
const stride = Number(process.argv[6] ?? 1);
const steps = Array.from({ length: Math.floor((to - from) / stride) + 1 }, (_, q) => from + q * stride);
const sp = await eng.full(steps.flatMap((i) => [[a, i] as const, [b, i] as const]));
const out: string[] = [];
steps.forEach((i, q) => {
  const l1 = sp[2 * q]!,
    l2 = sp[2 * q + 1]!;
  let d = 0;
  for (let j = 0; j < l1.length; j++) d = Math.max(d, Math.abs(l1[j]! - l2[j]!));
  out.push(`${i}:${(d / eps).toFixed(3)}`);
});
console.log(`latent ${a} vs ${b}, d / eps:`, out.join(' '));
