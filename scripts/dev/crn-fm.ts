// Development run of the crn pipeline (basis, Ritz tracker, merger search) on a dataset, with phase times.
//   [MIN_WIDTH=w] npx tsx scripts/dev/crn-fm.ts [fashion-mnist|digits|gmm] [k m]
import { disposeCrnBasis } from '../../src/analysis/crn-basis.js';
import { cachedBasis } from './crn-cache.js';
import { crnEngine, type TopEigen } from '../../src/analysis/crn-engine.js';
import { planEvents } from '../../src/analysis/events.js';
import { searchMergers } from '../../src/analysis/merger-search.js';
import { trackTopEigenvalues } from '../../src/analysis/ritz-track.js';
import { trackNeed } from '../../src/analysis/crn-mergers.js';
import { loadDataset } from '../../src/data/loaders.js';
import { requestContext } from '../../src/runtime/context.js';
import { formatProfile, profileReport } from '../../src/runtime/profile.js';
import { makeSchedule } from '../../src/schedule/schedules.js';

const name = process.argv[2] ?? 'fashion-mnist';
const k = Number(process.argv[3] ?? 6);
const m = Number(process.argv[4] ?? 12);
const t0 = performance.now();
const lap = (what: string) => console.log(`[${((performance.now() - t0) / 1000).toFixed(2)} s] ${what}`);
const data = loadDataset(name);
lap(`loaded ${data.shape}`);
const ctx = await requestContext({ profile: process.env.PROFILE === '1' });
const [N] = data.shape;
const counts = new Array<number>(data.classes).fill(0);
for (const l of data.labels) counts[l]!++;
const plan = planEvents(data.classNames ?? counts.map(String), counts, N, []);
const schedule = makeSchedule('linear', 1000);
const basis = await cachedBasis(ctx, data, plan, counts, `/tmp/basis-${name}.f32`);
lap('basis');
const engine = await crnEngine(ctx, basis, schedule);
const events = plan.events.map((e) => e.id);
const top0: TopEigen[] = [];
top0.push(...(await engine.topEigen(events.map((e) => ({ e, step: 0, r: m })))));
const eps =
  Math.max(...plan.events.filter((e) => e.kind === 'class' || e.kind === 'all').map((e) => top0[e.id]!.values[0]!)) /
  400;
lap(`eps ${eps}`);
const pairIdx = plan.pairs.map((p) => [events.indexOf(p.a), events.indexOf(p.b)] as const);
const widths: number[] = [];
let lastS = 0;
const { tracks, windows, products } = await trackTopEigenvalues(engine, events, {
  k,
  m,
  start: top0.map((t) => t.vectors),
  minWidth: Number(process.env.MIN_WIDTH ?? 4),
  onWindow: (done) => {
    widths.push(done - lastS);
    lastS = done;
  },
  need: trackNeed(pairIdx, events.length, k, eps),
});
lap(`tracked: ${windows} windows, ${products} products`);
console.log('widths', widths.join(' '));
const res = await searchMergers({
  engine,
  tracks: new Map(events.map((e, q) => [e, tracks[q]!])),
  pairs: plan.pairs,
  eps,
  T: 1000,
});
lap(`search: ${engine.fullCount()} full spectra`);
console.log(JSON.stringify(res.map((r) => r.mergerStep)));
console.log(
  'bisected',
  res.filter((r) => r.bisected).length,
  'recross',
  res.filter((r) => r.recrossings.length).length,
);
if (ctx.profiler) console.log(formatProfile(profileReport(ctx), ctx.profiler.mode));
engine.dispose();
disposeCrnBasis(basis);
res.forEach((r, q) => {
  const ex = [...r.exact.entries()].sort((a, b) => a[0] - b[0]);
  const lb = plan.pairs[q]!;
  const firstOpen = r.dLower.findIndex((v) => v <= eps);
  console.log(
    `${lb.a}-${lb.b} i*=${r.mergerStep} firstUncertified=${firstOpen} est=${Array.from(r.dTop).findIndex((v) => v <= eps)} probes ${ex.map(([s, d]) => `${s}:${(d / eps).toFixed(3)}`).join(' ')}`,
  );
});
