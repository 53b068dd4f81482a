// Does the crn merger search miss crossings? (development only.) On latent-shaped data (fewer rows per
// class than D: the Gram path), runs crnMergers, then takes exact d(i) = max_j |lambda_j(C_1(i)) -
// lambda_j(C_2(i))| from full spectra of the same engine on a grid of steps for every class pair, and
// compares the first grid step with d <= eps against the search's merger step.
//   npx tsx scripts/dev/crn-search-check.ts [--per 300] [--stride 5] [--from 0 --to T] [--show] [--seed 0]
//     [--pairs 0-2,1-3] [--known 1001,455 --eps E]  (merger steps of those pairs and eps from an earlier
//     run: skips the search itself) [--dip-probes near|all]  (runs crnMergers' tracker and search on the
//     chosen class pairs only, with those dip probes); --show prints d / eps at every grid step.
// E.g. latent 0 vs 1 of the seed-0 benchmark run at d2d0743 (search: none; d dips below eps at 455-474,
// which the dip probes' grid of b92a87b finds: 455):
//   --per 1300 --pairs 0-1 --known 1001 --eps 0.040356151372985635 --stride 1 --from 445 --to 465 --show
import { requestContext } from '../../src/runtime/context.js';
import { latentShaped } from '../../src/data/bench-shapes.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { planEvents } from '../../src/analysis/events.js';
import { crnEps, crnMergers, crnTracks, TRACK_M, type CrnInput } from '../../src/analysis/crn-mergers.js';
import { crnBasis, disposeCrnBasis } from '../../src/analysis/crn-basis.js';
import { crnGramBases, disposeGramEvents } from '../../src/analysis/crn-gram.js';
import { crnEngine } from '../../src/analysis/crn-engine.js';
import { searchMergers, type DipProbes } from '../../src/analysis/merger-search.js';
import { argOf } from '../args.js';

const per = Number(argOf('per') ?? 300);
const stride = Number(argOf('stride') ?? 5);
const show = process.argv.includes('--show');
const seed = Number(argOf('seed') ?? 0);
const ctx = await requestContext();
const data = latentShaped({ perClass: per });
const [N, D] = data.shape;
const counts = data.classNames.map((_, k) => data.labels.filter((l) => l === k).length);
const plan = planEvents(data.classNames, counts, N, []);
const schedule = makeSchedule('linear', 1000);
const T = schedule.T;
const inp: CrnInput = {
  x: data.x,
  labels: data.labels,
  dim: D,
  counts,
  plan,
  schedule,
  seed,
  noiseCount: N,
  centring: 'own',
  epsRule: { ratio: 400 },
  reportSteps: [0, T],
  directions: 4,
};
const only = argOf('pairs')
  ?.split(',')
  .map((w) => w.split('-').map(Number) as [number, number]);
const known = argOf('known')?.split(',').map(Number);
const basis = await crnBasis(ctx, inp);
const small = plan.events.filter((e) => (e.kind === 'noise' ? N : e.count) < D).map((e) => e.id);
const grams = await crnGramBases(ctx, inp, basis, small);
const eng = await crnEngine(ctx, basis, schedule, grams);
const dipProbes = argOf('dip-probes') as DipProbes | undefined;
const chosen = plan.pairs
  .map((p, q) => ({ p, q }))
  .filter(({ p }) => p.kind === 'class-class' && (!only || only.some(([a, b]) => a === p.a && b === p.b)));
let eps: number;
let steps: (number | null)[];
if (known) {
  // eps as crnMergers sets it: lambda_max of the classes and all data at step 0 over the ratio (from --eps).
  eps = Number(argOf('eps'));
  steps = known.map((s) => (s > T ? null : s));
} else if (dipProbes) {
  // The search of crnMergers (its tracker, eps and search) on the chosen class pairs only: the class events
  // take cheap Gram spectra, so '--dip-probes all' is affordable here where the rests' dense ones are not.
  const t0 = performance.now();
  const events = plan.events.map((e) => e.id);
  const tops = await eng.topEigen(events.map((e) => ({ e, step: 0, r: TRACK_M })));
  eps = crnEps(inp.epsRule, plan, tops);
  const { tracks } = await crnTracks(eng, plan, tops, eps);
  const t1 = performance.now();
  const found = await searchMergers({
    engine: eng,
    tracks: new Map(events.map((e, q) => [e, tracks[q]!])),
    pairs: chosen.map(({ p }) => p),
    eps,
    T,
    dipProbes,
  });
  steps = plan.pairs.map(() => null);
  chosen.forEach(({ q }, c) => {
    steps[q] = found[c]!.mergerStep;
  });
  console.log(
    `tracker ${((t1 - t0) / 1e3).toFixed(1)} s; search of ${chosen.length} pairs, dip probes '${dipProbes}': ${((performance.now() - t1) / 1e3).toFixed(1)} s, full spectra ${eng.fullCount()}, eps ${eps}`,
  );
} else {
  const t0 = performance.now();
  const res = await crnMergers(ctx, inp);
  console.log(
    `crnMergers ${((performance.now() - t0) / 1e3).toFixed(1)} s, eps ${res.eps}, full spectra ${res.search.fullSpectra}`,
  );
  eps = res.eps;
  steps = res.pairs.map((p) => p.mergerStep);
  res.dispose();
}
const from = Number(argOf('from') ?? 0);
const to = Number(argOf('to') ?? T);
const grid = Array.from({ length: Math.floor((to - from) / stride) + 1 }, (_, i) => from + i * stride);
let missed = 0;
let checked = 0;
for (const [c, { p, q }] of chosen.entries()) {
  const got = known ? steps[c]! : steps[q]!;
  const specs = await eng.full(grid.flatMap((s) => [[p.a, s] as const, [p.b, s] as const]));
  let first: number | null = null;
  let minD = Infinity;
  const shown: string[] = [];
  grid.forEach((s, g) => {
    const l1 = specs[2 * g]!;
    const l2 = specs[2 * g + 1]!;
    let d = 0;
    for (let j = 0; j < l1.length; j++) d = Math.max(d, Math.abs(l1[j]! - l2[j]!));
    minD = Math.min(minD, d);
    if (show) shown.push(`${s}:${(d / eps).toFixed(3)}`);
    if (first === null && d <= eps) first = s;
  });
  if (show) console.log(`d / eps: ${shown.join(' ')}`);
  checked++;
  // The search is exact to one step; the grid is `stride` steps: a miss is a grid crossing before the search's step - stride.
  const bad = first !== null && (got === null || first < got - stride);
  if (bad) missed++;
  console.log(
    `${plan.events[p.a]!.name} vs ${plan.events[p.b]!.name}: search ${got ?? 'none'}, first grid crossing ${first ?? 'none'} (min d ${minD.toFixed(4)} / eps ${eps.toFixed(4)})${bad ? '  <-- MISSED' : ''}`,
  );
}
console.log(`${missed} of ${checked} class pairs have a crossing before the search's merger step`);
eng.dispose();
disposeGramEvents(grams);
disposeCrnBasis(basis);
