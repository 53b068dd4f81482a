// Development probe: tracked Ritz values and error estimates against exact spectra at chosen steps.
import { crnEngine } from '../../src/analysis/crn-engine.js';
import { planEvents } from '../../src/analysis/events.js';
import { trackTopEigenvalues } from '../../src/analysis/ritz-track.js';
import { loadDataset } from '../../src/data/loaders.js';
import { requestContext } from '../../src/runtime/context.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { cachedBasis } from './crn-cache.js';

const data = loadDataset('fashion-mnist');
const ctx = await requestContext();
const [N] = data.shape;
const counts = new Array<number>(data.classes).fill(0);
for (const l of data.labels) counts[l]!++;
const plan = planEvents(data.classNames!, counts, N, []);
const basis = await cachedBasis(ctx, data, plan, counts, '/tmp/basis-fashion-mnist.f32');
const engine = await crnEngine(ctx, basis, makeSchedule('linear', 1000));
const events = [0, 1];
const width = Number(process.argv[2] ?? 8);
const res = await trackTopEigenvalues(engine, events, {
  k: 6,
  m: 12,
  width,
  minWidth: width,
  maxWidth: width,
  need: () => events.map(() => 1e9),
});
for (const step of [400, 550, 600, 650, 700]) {
  const ex = await engine.full(events.map((e) => [e, step] as const));
  events.forEach((e, q) => {
    const t = res.tracks[q]!;
    const f = (v: ArrayLike<number>) =>
      Array.from(v)
        .slice(0, 6)
        .map((x) => x.toFixed(4))
        .join(' ');
    console.log(
      `step ${step} event ${e}: ritz ${f(t.values[step]!)}\n   exact ${f(ex[q]!)}\n   err   ${Array.from(t.err[step]!)
        .map((x) => x.toExponential(1))
        .join(' ')}`,
    );
  });
}
