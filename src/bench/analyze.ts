// The merger analysis end to end (`fluctus analyze`'s work: crn, DDPM linear T = 1000, eps = lambda_max / 400)
// on built-in data (small: the Gaussian mixture, medium: sklearn digits, large: Fashion-MNIST; or --data
// cifar-shaped | latent-shaped) against the peers a capable numpy user would write, same run, same machine.
// Ours: analyzeMergers with its defaults, once per --seeds seed (the first is the headline time, the others
// give our own sampling spread). Peers (numpy/OpenBLAS), given the same float32 rows and labels:
//   crn (peers/merger_crn.py): the same crn identity from one float32 co-moment per event, LAPACK eigvalsh
//     cached per (event, step), a coarse grid then bisection per pair; n x n Gram bases for events with
//     fewer rows than D. Run once per --peer-seeds seed.
//   mc (peers/merger_mc.py, Fashion-MNIST only): the paper's Monte-Carlo sweep, fresh noise per step, on the
//     --mc-stride grid; its all-steps time is an estimate by per-step scaling.
// Merger steps of two implementations with different noise draws agree only up to sampling spread; the rule
// (fixed before the first two-seed run): over all pairs, the median |ours - peer| (first seeds) is at most
// 1.5 x the median difference between seeds of one implementation (both pooled, at least 1 step), and the
// mean signed difference is within 3 standard errors of 0. With one seed each the rule cannot be judged.
// Peak memory: ours is the process's maximum resident set; the peers report their own ru_maxrss.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { analyzeMergers } from '../analysis/analyze.js';
import type { MergerReport } from '../formats/report-types.js';
import { BUILTIN_DATASETS, loadDataset } from '../data/loaders.js';
import { makeSchedule } from '../schedule/schedules.js';
import { npyBytes } from '../../kernels-test/data-files.js';
import { compare, type PeerResult } from './analyze-compare.js';
import {
  type BenchCase,
  type BenchRow,
  findPython,
  median,
  PEERS_DIR,
  type Python,
  row,
  runPython,
  stats,
} from './common.js';

const T = 1000;

/** What peers/merger_crn.py prints (seconds). */
interface CrnPeer {
  numpy: string;
  blas: string[];
  seconds: { load: number; noise: number; moments: number; eigvalsh: number; search: number; total: number };
  eigensolves: number;
  gramEvents: string[];
  peakRssBytes: number;
  eps: number;
  pairs: { a: string; b: string; mergerStep: number | null }[];
}

type Params = { data: string; seeds: string; peers: string; peerSeeds: string; mcStride: number; crnStride: number };

/** Comma-separated integers >= 0 of a parameter. */
function ints(name: string, v: string): number[] {
  return String(v)
    .split(',')
    .map((w) => {
      const n = Number(w);
      if (!Number.isInteger(n) || n < 0) throw new Error(`analyze: --${name}: '${w}' is not an integer >= 0`);
      return n;
    });
}

export const analyzeBench: BenchCase<Params> = {
  name: 'analyze',
  summary: 'the merger analysis on built-in data (gmm / digits / fashion-mnist) vs the numpy crn script',
  sizes: {
    small: { data: 'gmm', seeds: '0', peers: 'crn', peerSeeds: '0', mcStride: 50, crnStride: 50 },
    medium: { data: 'digits', seeds: '0', peers: 'crn', peerSeeds: '0', mcStride: 50, crnStride: 50 },
    large: { data: 'fashion-mnist', seeds: '0,1', peers: 'crn,mc', peerSeeds: '0,1', mcStride: 50, crnStride: 50 },
  },
  async run(env, p) {
    const names = BUILTIN_DATASETS as readonly string[];
    if (!names.includes(p.data)) throw new Error(`analyze: --data '${p.data}' is not one of ${names.join(', ')}`);
    const seeds = ints('seeds', p.seeds);
    const peerSeeds = ints('peer-seeds', p.peerSeeds);
    if (!Number.isInteger(p.mcStride) || p.mcStride < 1 || T % p.mcStride)
      throw new Error(`analyze: --mc-stride must be an integer dividing T = ${T}, got ${p.mcStride}`);
    const wanted = String(p.peers)
      .split(',')
      .filter((w) => w !== 'none' && env.peer !== 'none');
    for (const w of wanted)
      if (w !== 'crn' && w !== 'mc') throw new Error(`analyze: --peers: '${w}' is not crn, mc or none`);
    if (wanted.includes('mc') && p.data !== 'fashion-mnist')
      throw new Error('analyze: the mc peer reads Fashion-MNIST only (its cost elsewhere is hours)');
    const s = (ms: number) => ms / 1e3;
    const peakRss = () => process.resourceUsage().maxRSS * 1024;

    // 1. Ours.
    const tLoad = performance.now();
    const data = loadDataset(p.data, { seed: 1 });
    const loadMs = performance.now() - tLoad;
    const schedule = makeSchedule('linear', T);
    const oursRuns: { seed: number; report: MergerReport; wallMs: number }[] = [];
    for (const seed of seeds) {
      env.log(`analyze: ours on ${data.name} ${data.shape.join(' x ')}, seed ${seed}`);
      const t = performance.now();
      const { report } = await analyzeMergers(env.ctx, data, { schedule, seed, progress: env.progress });
      oursRuns.push({ seed, report, wallMs: performance.now() - t });
    }
    const report = oursRuns[0]!.report;
    const oursPeakRss = peakRss();
    const pairName = (q: { a: number; b: number }) => `${report.events[q.a]!.name} vs ${report.events[q.b]!.name}`;
    /** The crn peer's name of one of our events (class k, all data, noise N(0, I), not class k). */
    const peerName = (id: number) => {
      const e = report.events[id]!;
      if (e.kind === 'class') return `class ${e.classes[0]}`;
      if (e.kind === 'all') return 'all data';
      if (e.kind === 'noise') return 'noise N(0, I)';
      if (e.kind === 'rest') return `not class ${data.classNames.findIndex((_, k) => !e.classes.includes(k))}`;
      throw new Error(`analyze: event '${e.name}' (${e.kind}) has no crn peer counterpart`);
    };

    // 2. Peers, given the same rows (a temp .npy pair) and timed from the outside too.
    const py = wanted.length ? findPython('numpy') : 'peers off';
    if (typeof py === 'string' && wanted.length) env.log(`analyze: ${py}; no peer (there is no plain-JS one)`);
    const runPeer = <R>(python: Python, file: string, config: object) => {
      const t = performance.now();
      const result = runPython<R>(python, [join(PEERS_DIR, file)], JSON.stringify(config));
      return { result, outsideS: s(performance.now() - t) };
    };
    const tmp = mkdtempSync(join(tmpdir(), 'fluctus-bench-'));
    let crnRuns: { seed: number; result: CrnPeer; outsideS: number }[] = [];
    let mc: { result: PeerResult; outsideS: number } | null = null;
    try {
      if (typeof py !== 'string' && wanted.includes('crn')) {
        const x = join(tmp, 'x.npy');
        const labels = join(tmp, 'labels.npy');
        writeFileSync(x, npyBytes(data.x, data.shape));
        writeFileSync(labels, npyBytes(data.labels, [data.shape[0]]));
        crnRuns = peerSeeds.map((seed) => {
          env.log(`analyze: peer crn, seed ${seed}`);
          return { seed, ...runPeer<CrnPeer>(py, 'merger_crn.py', { seed, stride: p.crnStride, x, labels }) };
        });
      }
      if (typeof py !== 'string' && wanted.includes('mc')) {
        const steps = Array.from({ length: T / p.mcStride + 1 }, (_, j) => j * p.mcStride);
        env.log(`analyze: peer mc, ${steps.length} steps`);
        mc = runPeer<PeerResult>(py, 'merger_mc.py', { steps, seed: seeds[0] });
      }
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }

    // 3. Merger steps pair by pair against the crn peer (see the rule in the header); no merger counts as T + 1.
    const crnAgreement = crnRuns.length
      ? (() => {
          const byPair = report.pairs.map((pr, q) => {
            const name = pairName(pr);
            const key = [peerName(pr.a), peerName(pr.b)].sort().join(' | ');
            const theirs = crnRuns.map((r) => {
              const x = r.result.pairs.find((y) => [y.a, y.b].sort().join(' | ') === key);
              if (!x) throw new Error(`analyze: the crn peer has no pair '${key}' (ours: ${name})`);
              return x.mergerStep ?? T + 1;
            });
            const ours = oursRuns.map((r) => r.report.pairs[q]!.mergerStep ?? T + 1);
            return { pair: name, kind: pr.kind, ours, peer: theirs, diff: ours[0]! - theirs[0]! };
          });
          const within = byPair.flatMap((b) => [
            ...(b.peer.length > 1 ? [Math.abs(b.peer[0]! - b.peer[1]!)] : []),
            ...(b.ours.length > 1 ? [Math.abs(b.ours[0]! - b.ours[1]!)] : []),
          ]);
          const diffs = byPair.map((b) => b.diff);
          const bias = diffs.reduce((a, d) => a + d, 0) / diffs.length;
          const sd = Math.sqrt(diffs.reduce((a, d) => a + (d - bias) ** 2, 0) / Math.max(1, diffs.length - 1));
          const se = sd / Math.sqrt(diffs.length);
          const crossMedian = median(diffs.map(Math.abs));
          const withinMedian = within.length ? median(within) : Number.NaN;
          const spreadOk = within.length > 0 && crossMedian <= 1.5 * Math.max(1, withinMedian);
          const biasOk = Math.abs(bias) <= 3 * se || Math.abs(bias) < 1;
          // The per-pair view: ours within the peer seeds' range widened by that range (noisy with two seeds).
          const inRange = byPair.filter((b) => {
            const lo = Math.min(...b.peer);
            const hi = Math.max(...b.peer);
            const w = Math.max(hi - lo, 1);
            return b.ours[0]! >= lo - w && b.ours[0]! <= hi + w;
          }).length;
          return {
            rule: 'median |ours - peer| <= 1.5 x max(1, median |seed a - seed b| of either implementation) and |mean(ours - peer)| <= 3 SE (or < 1 step); no merger = T + 1',
            /** null: one seed of each, so the spread between seeds is unknown and the rule cannot be judged. */
            agree: within.length ? spreadOk && biasOk : null,
            medianAbsOursMinusPeer: crossMedian,
            medianAbsBetweenSeeds: withinMedian,
            meanOursMinusPeer: bias,
            standardError: se,
            equalSteps: byPair.filter((b) => b.diff === 0).length,
            dataNoise: byPair.find((b) => b.kind === 'data-noise') ?? null,
            perPairInPeerRange: { agreeing: inRange, total: byPair.length },
            pairs: byPair,
          };
        })()
      : null;
    const mcAgreement = mc ? compare(report, mc.result, p.mcStride) : null;

    // 4. The table's rows and the detail.
    const oursMs = report.timings.total!;
    const shape = `${data.name} ${data.shape.join(' x ')}, ${data.classes} classes`;
    const peer: BenchRow['peer'] = crnRuns[0]
      ? { name: `numpy crn script (${crnRuns[0].result.numpy})`, ms: 1e3 * crnRuns[0].result.seconds.total }
      : typeof py === 'string'
        ? { name: 'numpy crn script', skipped: py }
        : null;
    const rows = [row('merger analysis (crn)', shape, stats([oursMs]), { rate: null, unit: '' }, peer)];
    if (mc)
      rows.push(
        row(
          `merger analysis vs mc sweep (${mc.result.config.steps.length} steps)`,
          shape,
          stats([oursMs]),
          { rate: null, unit: '' },
          {
            name: `numpy mc script (${mc.result.numpy})`,
            ms: 1e3 * mc.result.seconds.total,
          },
        ),
      );
    const a = crnAgreement;
    const check = `full spectra ${report.search.fullSpectra}; merger steps against the crn peer: ${
      !a
        ? 'no peer'
        : a.agree === null
          ? `median |ours - peer| ${a.medianAbsOursMinusPeer} steps, ${a.equalSteps}/${a.pairs.length} equal (one seed each: the agreement rule needs two)`
          : `${a.agree ? 'agree' : 'DO NOT AGREE'} (median |ours - peer| ${a.medianAbsOursMinusPeer} vs ${a.medianAbsBetweenSeeds} between seeds)`
    }`;
    const oursTotal = s(oursMs);
    const crnFirst = crnRuns[0]?.result;
    const result = {
      config: {
        data: `${data.name} ${data.shape[0]} x ${data.shape[1]}, ${data.classes} classes (${data.source}), ${data.scale}`,
        schedule: 'DDPM linear, beta 1e-4..0.02, T = 1000',
        method: report.method,
        seeds,
        peers: wanted,
        peerSeeds,
        crnStride: p.crnStride,
        mcStride: p.mcStride,
      },
      ours: {
        seconds: Object.fromEntries(Object.entries(report.timings).map(([k, v]) => [k, s(v)])),
        wallSeconds: s(oursRuns[0]!.wallMs),
        datasetLoadSeconds: s(loadMs),
        peakRssBytes: oursPeakRss,
        events: report.events.length,
        pairs: report.pairs.length,
        search: report.search,
        eps: report.eps.value,
        uncertifiedPairs: report.pairs.filter((q) => (q.uncertified ?? []).length > 0).map(pairName),
        recrossings: report.pairs
          .filter((q) => (q.recrossings ?? []).length > 0)
          .map((q) => [pairName(q), q.recrossings]),
        warnings: report.warnings,
        mergerSteps: Object.fromEntries(report.pairs.map((q) => [pairName(q), q.mergerStep])),
        otherSeeds: oursRuns.slice(1).map((r) => ({
          seed: r.seed,
          seconds: Object.fromEntries(Object.entries(r.report.timings).map(([k, v]) => [k, s(v)])),
          fullSpectra: r.report.search.fullSpectra,
          mergerSteps: Object.fromEntries(r.report.pairs.map((q) => [pairName(q), q.mergerStep])),
        })),
        profile: report.profile,
      },
      peerCrn: crnRuns.map((r) => ({
        seed: r.seed,
        version: `numpy ${r.result.numpy}`,
        blas: r.result.blas,
        seconds: r.result.seconds,
        outsideWallSeconds: r.outsideS,
        eigensolves: r.result.eigensolves,
        gramEvents: r.result.gramEvents,
        peakRssBytes: r.result.peakRssBytes,
        eps: r.result.eps,
        mergerSteps: Object.fromEntries(r.result.pairs.map((q) => [`${q.a} vs ${q.b}`, q.mergerStep])),
      })),
      peerMc: mc && {
        version: `numpy ${mc.result.numpy}`,
        steps: mc.result.config.steps.length,
        seconds: mc.result.seconds,
        outsideWallSeconds: mc.outsideS,
        allStepsSecondsEstimate: (() => {
          const later = mc.result.perStep.filter((q) => q.step > 0);
          const step0 = mc.result.perStep.find((q) => q.step === 0)!.total;
          return mc.result.seconds.setup + step0 + (T * later.reduce((sum, q) => sum + q.total, 0)) / later.length;
        })(),
        mergerSteps: Object.fromEntries(mc.result.pairs.map((q) => [`${q.a} vs ${q.b}`, q.mergerStep])),
      },
      ratios: {
        crnPeerOverOurs: crnFirst ? crnFirst.seconds.total / oursTotal : null,
        crnPeerOutsideOverOursWithLoad: crnRuns[0] ? crnRuns[0].outsideS / (s(loadMs) + s(oursRuns[0]!.wallMs)) : null,
        mcPeerStrideOverOurs: mc ? mc.result.seconds.total / oursTotal : null,
      },
      agreement: { crn: crnAgreement, mc: mcAgreement },
      notes: [
        `Ours computes more than the crn peer: the same ${report.pairs.length} pairs with merger steps exact to one step (each confirmed by full spectra at the step and the step before; earlier steps certified above eps by the Ritz bounds except those in uncertifiedPairs, where the tracked estimate alone places d above eps), d on ${report.spectralSteps.length} steps, M at ${report.steps.length} steps, the K² normality test and speciation; its total includes all of it (seconds.* per phase).`,
        "Peer totals exclude python start, numpy import and loading (outsideWallSeconds includes them and the .npy read); ours.wallSeconds excludes the dataset's generation or decoding (datasetLoadSeconds).",
        'Ours draws its noise with Philox (a Bartlett factor for the noise event when it has more than 2D rows), the peers with numpy default_rng: merger steps agree up to sampling noise, judged by the spread between the crn peer seeds.',
      ],
    };
    return { check, rows, detail: result };
  },
};
