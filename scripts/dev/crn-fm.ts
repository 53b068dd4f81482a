// Development run of the crn pipeline (basis, Ritz tracker, merger search) on a dataset, with phase times.
//   npx tsx scripts/dev/crn-fm.ts [fashion-mnist|digits|gmm] [k m]
import { crnBasis, disposeCrnBasis } from '../../src/analysis/crn-basis.js';
import { crnEngine } from '../../src/analysis/crn-engine.js';
import { planEvents } from '../../src/analysis/events.js';
import { searchMergers } from '../../src/analysis/merger-search.js';
import { trackTopEigenvalues } from '../../src/analysis/ritz-track.js';
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
const [N, D] = data.shape;
const counts = new Array<number>(data.classes).fill(0);
for (const l of data.labels) counts[l]!++;
const plan = planEvents(data.classNames ?? counts.map(String), counts, N, []);
const schedule = makeSchedule('linear', 1000);
const basis = await crnBasis(ctx, {
  x: data.x,
  labels: data.labels,
  dim: D,
  counts,
  plan,
  seed: 0,
  noiseCount: N,
  centring: 'own',
});
lap(`basis (${(basis.flops / 1e9).toFixed(1)} GFLOP, ${basis.segments.segments.length} segments)`);
const engine = await crnEngine(ctx, basis, schedule);
const events = plan.events.map((e) => e.id);
const top0 = await Promise.all(events.map((e) => engine.topEigen(e, 0, 1)));
const eps =
  Math.max(...plan.events.filter((e) => e.kind === 'class' || e.kind === 'all').map((e) => top0[e.id]!.values[0]!)) /
  400;
lap(`eps ${eps}`);
const pairIdx = plan.pairs.map((p) => [events.indexOf(p.a), events.indexOf(p.b)] as const);
const { tracks, windows, products } = await trackTopEigenvalues(engine, events, {
  k,
  m,
  need: (_from, _to, values) => {
    let need = Number.POSITIVE_INFINITY;
    for (const [a, b] of pairIdx) {
      values[a]!.forEach((va, t) => {
        const vb = values[b]![t]!;
        let d = 0;
        for (let j = 0; j < k; j++) d = Math.max(d, Math.abs(va[j]! - vb[j]!));
        need = Math.min(need, Math.abs(d - eps) / 3);
      });
    }
    return Math.max(need, eps / 50);
  },
});
lap(`tracked: ${windows} windows, ${products} products`);
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
