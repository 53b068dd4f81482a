// The merger analysis end to end (`fluctus analyze`'s work: crn, DDPM linear T = 1000, eps = lambda_max / 400)
// against the peers a capable numpy user would write, same run, same machine:
//   npm run bench:analyze -- [--data fashion-mnist|cifar-shaped|latent-shaped] [--seeds 0,1]
//                             [--peers crn,mc|crn|mc|none] [--peer-seeds 0,1] [--mc-stride 50] [--crn-stride 50]
// Ours: analyzeMergers with its defaults (certified top-k bounds, full spectra on the GPU where they cannot
// decide, merger steps exact to one step), then M, normality and speciation as the CLI does; once per
// --seeds seed (the first is the headline time, the others give our own sampling spread).
// Peers (/usr/bin/python3, numpy/OpenBLAS on both cores), given the same float32 rows and labels:
//   crn (peers/merger_crn.py): the same crn identity from one float32 co-moment per event, LAPACK eigvalsh
//     cached per (event, step), a coarse grid then bisection per pair; n x n Gram bases for events with
//     fewer rows than D. Run once per --peer-seeds seed.
// Merger steps of two implementations with different noise draws can only agree up to sampling spread;
// the rule (fixed before the first two-seed run): over all pairs, the median |ours - peer| (first seeds)
// is at most 1.5 x the median difference between seeds of one implementation (both pooled, at least 1
// step), and the mean signed difference is within 3 standard errors of 0.
//   mc (peers/merger_mc.py, Fashion-MNIST only): the paper's Monte-Carlo sweep, fresh noise per step, on the
//     --mc-stride grid; its all-steps time is an estimate by per-step scaling.
// Peak memory: ours is the process's maximum resident set (the dataset, the GPU buffers, which lavapipe
// keeps in host memory, and the host work); the peers report their own ru_maxrss.
// JSON to bench-results/analyze-<data>-<date>.json; the runs quoted in README are copied to docs/bench/.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeMergers } from '../../src/analysis/analyze.js';
import type { MergerReport } from '../../src/formats/report-types.js';
import { BUILTIN_DATASETS, loadDataset } from '../../src/data/loaders.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { destroyContext, requestContext } from '../../src/runtime/context.js';
import { npyBytes } from '../../kernels-test/data-files.js';
import { compare, type PeerResult } from './analyze-compare.js';
import { argOf, intArg, intList, provenance, writeResult } from './common.js';

const T = 1000;
const DATASETS = BUILTIN_DATASETS.filter((d) => d !== 'gmm' && d !== 'digits');
const dataName = argOf('data') ?? 'fashion-mnist';
if (!(DATASETS as readonly string[]).includes(dataName))
  throw new Error(`analyze bench: --data '${dataName}' is not one of ${DATASETS.join(', ')}`);
const seeds = intList('seeds', '0,1');
const seed = seeds[0]!;
const mcStride = intArg('mc-stride', 50, 1);
const crnStride = intArg('crn-stride', 50, 1);
if (T % mcStride) throw new Error(`analyze bench: --mc-stride must divide T = ${T}, got ${mcStride}`);
const peers = (argOf('peers') ?? (dataName === 'fashion-mnist' ? 'crn,mc' : 'crn'))
  .split(',')
  .filter((p) => p !== 'none');
for (const p of peers)
  if (p !== 'crn' && p !== 'mc') throw new Error(`analyze bench: --peers: '${p}' is not crn or mc`);
if (peers.includes('mc') && dataName !== 'fashion-mnist')
  throw new Error('analyze bench: the mc peer reads Fashion-MNIST only (its cost elsewhere is hours)');
const peerSeeds = intList('peer-seeds', '0,1');

const t0 = performance.now();
const elapsed = () => `${((performance.now() - t0) / 1e3).toFixed(1)} s`;
const s = (ms: number) => ms / 1e3;
const peakRss = () => process.resourceUsage().maxRSS * 1024;

// 1. Ours.
const tLoad = performance.now();
const data = loadDataset(dataName, { seed: 1 });
const loadMs = performance.now() - tLoad;
const rssAfterLoad = peakRss();
const schedule = makeSchedule('linear', T);
const ctx = await requestContext({ profile: true });
const prov = provenance(ctx);
let lastPhase = '';
const oursRuns: { seed: number; report: MergerReport; wallMs: number }[] = [];
for (const sd of seeds) {
  const t = performance.now();
  const { report: r } = await analyzeMergers(ctx, data, {
    schedule,
    seed: sd,
    progress: (phase) => {
      if (phase !== lastPhase) console.error(`[${elapsed()}] ours (seed ${sd}): ${phase}`);
      lastPhase = phase;
    },
  });
  oursRuns.push({ seed: sd, report: r, wallMs: performance.now() - t });
}
const { report, wallMs: oursWallMs } = oursRuns[0]!;
const oursPeakRss = peakRss();
destroyContext(ctx);
const pairName = (p: { a: number; b: number }) => `${report.events[p.a]!.name} vs ${report.events[p.b]!.name}`;
/** The crn peer's name of one of our events (class k, all data, noise N(0, I), not class k). */
const peerName = (id: number) => {
  const e = report.events[id]!;
  if (e.kind === 'class') return `class ${e.classes[0]}`;
  if (e.kind === 'all') return 'all data';
  if (e.kind === 'noise') return 'noise N(0, I)';
  if (e.kind === 'rest') return `not class ${data.classNames.findIndex((_, k) => !e.classes.includes(k))}`;
  throw new Error(`analyze bench: event '${e.name}' (${e.kind}) has no crn peer counterpart`);
};

// 2. Peers, given the same rows (a temp .npy pair) and timed from the outside too.
const peerDir = dirname(fileURLToPath(import.meta.url));
const runPeer = <R>(file: string, config: object): { result: R; outsideS: number } => {
  const t = performance.now();
  const out = execFileSync('/usr/bin/python3', [join(peerDir, 'peers', file)], {
    input: JSON.stringify(config),
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  return { result: JSON.parse(out) as R, outsideS: s(performance.now() - t) };
};
const tmp = mkdtempSync(join(tmpdir(), 'fluctus-bench-'));
let crnRuns: { seed: number; result: CrnPeer; outsideS: number }[] = [];
let mc: { result: PeerResult; outsideS: number } | null = null;
try {
  if (peers.includes('crn')) {
    const x = join(tmp, 'x.npy');
    const labels = join(tmp, 'labels.npy');
    writeFileSync(x, npyBytes(data.x, data.shape));
    writeFileSync(labels, npyBytes(data.labels, [data.shape[0]]));
    crnRuns = peerSeeds.map((ps) => {
      console.error(`[${elapsed()}] peer crn, seed ${ps}`);
      return { seed: ps, ...runPeer<CrnPeer>('merger_crn.py', { seed: ps, stride: crnStride, x, labels }) };
    });
  }
  if (peers.includes('mc')) {
    const steps = Array.from({ length: T / mcStride + 1 }, (_, j) => j * mcStride);
    console.error(`[${elapsed()}] peer mc, ${steps.length} steps`);
    mc = runPeer<PeerResult>('merger_mc.py', { steps, seed });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
console.error(`[${elapsed()}] done`);

/** What peers/merger_crn.py prints (seconds). */
interface CrnPeer {
  numpy: string;
  blas: string[];
  config: { seed: number; stride: number; N: number; D: number };
  seconds: { load: number; noise: number; moments: number; eigvalsh: number; search: number; total: number };
  eigensolves: number;
  gramEvents: string[];
  peakRssBytes: number;
  events: string[];
  lambdaMax0: number[];
  eps: number;
  pairs: { a: string; b: string; mergerStep: number | null }[];
}

// 3. Merger steps pair by pair against the crn peer (see the rule in the header); no merger counts as T + 1.
const median = (xs: number[]) => {
  const v = [...xs].sort((a, b) => a - b);
  return v.length ? (v[(v.length - 1) >> 1]! + v[v.length >> 1]!) / 2 : Number.NaN;
};
const crnAgreement = crnRuns.length
  ? (() => {
      const byPair = report.pairs.map((p, q) => {
        const name = pairName(p);
        const key = [peerName(p.a), peerName(p.b)].sort().join(' | ');
        const theirs = crnRuns.map((r) => {
          const x = r.result.pairs.find((y) => [y.a, y.b].sort().join(' | ') === key);
          if (!x) throw new Error(`analyze bench: the crn peer has no pair '${key}' (ours: ${name})`);
          return x.mergerStep ?? T + 1;
        });
        const ours = oursRuns.map((r) => r.report.pairs[q]!.mergerStep ?? T + 1);
        return { pair: name, kind: p.kind, ours, peer: theirs, diff: ours[0]! - theirs[0]! };
      });
      const within = byPair.flatMap((p) => [
        ...(p.peer.length > 1 ? [Math.abs(p.peer[0]! - p.peer[1]!)] : []),
        ...(p.ours.length > 1 ? [Math.abs(p.ours[0]! - p.ours[1]!)] : []),
      ]);
      const diffs = byPair.map((p) => p.diff);
      const bias = diffs.reduce((a, d) => a + d, 0) / diffs.length;
      const sd = Math.sqrt(diffs.reduce((a, d) => a + (d - bias) ** 2, 0) / Math.max(1, diffs.length - 1));
      const se = sd / Math.sqrt(diffs.length);
      const crossMedian = median(diffs.map(Math.abs));
      const withinMedian = within.length ? median(within) : Number.NaN;
      const spreadOk = within.length > 0 && crossMedian <= 1.5 * Math.max(1, withinMedian);
      const biasOk = Math.abs(bias) <= 3 * se || Math.abs(bias) < 1;
      // The per-pair view: ours within the peer seeds' range widened by that range (noisy with two seeds).
      const inRange = byPair.filter((p) => {
        const lo = Math.min(...p.peer);
        const hi = Math.max(...p.peer);
        const w = Math.max(hi - lo, 1);
        return p.ours[0]! >= lo - w && p.ours[0]! <= hi + w;
      }).length;
      return {
        rule: 'median |ours - peer| <= 1.5 x max(1, median |seed a - seed b| of either implementation) and |mean(ours - peer)| <= 3 SE (or < 1 step); no merger = T + 1',
        agree: spreadOk && biasOk,
        medianAbsOursMinusPeer: crossMedian,
        medianAbsBetweenSeeds: withinMedian,
        meanOursMinusPeer: bias,
        standardError: se,
        equalSteps: byPair.filter((p) => p.diff === 0).length,
        dataNoise: byPair.find((p) => p.kind === 'data-noise') ?? null,
        perPairInPeerRange: { agreeing: inRange, total: byPair.length },
        pairs: byPair,
      };
    })()
  : null;
const mcAgreement = mc ? compare(report, mc.result, mcStride) : null;

// 4. Result.
const oursTotal = s(report.timings.total!);
const crnFirst = crnRuns[0]?.result;
const result = {
  bench: 'analyze',
  ...prov,
  config: {
    data: `${data.name} ${data.shape[0]} x ${data.shape[1]}, ${data.classes} classes (${data.source}), ${data.scale}`,
    schedule: 'DDPM linear, beta 1e-4..0.02, T = 1000',
    method: report.method,
    seeds,
    peers,
    peerSeeds,
    crnStride,
    mcStride,
    command: `npm run bench:analyze -- ${process.argv.slice(2).join(' ')}`.trim(),
  },
  ours: {
    seconds: Object.fromEntries(Object.entries(report.timings).map(([k, v]) => [k, s(v)])),
    wallSeconds: s(oursWallMs),
    datasetLoadSeconds: s(loadMs),
    peakRssBytes: oursPeakRss,
    peakRssAfterLoadBytes: rssAfterLoad,
    events: report.events.length,
    pairs: report.pairs.length,
    search: report.search,
    eps: report.eps.value,
    uncertifiedPairs: report.pairs.filter((p) => (p.uncertified ?? []).length > 0).map(pairName),
    recrossings: report.pairs.filter((p) => (p.recrossings ?? []).length > 0).map((p) => [pairName(p), p.recrossings]),
    warnings: report.warnings,
    mergerSteps: Object.fromEntries(report.pairs.map((p) => [pairName(p), p.mergerStep])),
    otherSeeds: oursRuns.slice(1).map((r) => ({
      seed: r.seed,
      seconds: Object.fromEntries(Object.entries(r.report.timings).map(([k, v]) => [k, s(v)])),
      fullSpectra: r.report.search.fullSpectra,
      mergerSteps: Object.fromEntries(r.report.pairs.map((p) => [pairName(p), p.mergerStep])),
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
    mergerSteps: Object.fromEntries(r.result.pairs.map((p) => [`${p.a} vs ${p.b}`, p.mergerStep])),
  })),
  peerMc: mc && {
    version: `numpy ${mc.result.numpy}`,
    steps: mc.result.config.steps.length,
    seconds: mc.result.seconds,
    outsideWallSeconds: mc.outsideS,
    allStepsSecondsEstimate: (() => {
      const later = mc.result.perStep.filter((p) => p.step > 0);
      const step0 = mc.result.perStep.find((p) => p.step === 0)!.total;
      return mc.result.seconds.setup + step0 + (T * later.reduce((a, p) => a + p.total, 0)) / later.length;
    })(),
    mergerSteps: Object.fromEntries(mc.result.pairs.map((p) => [`${p.a} vs ${p.b}`, p.mergerStep])),
  },
  ratios: {
    crnPeerOverOurs: crnFirst ? crnFirst.seconds.total / oursTotal : null,
    crnPeerOutsideOverOursWithLoad: crnRuns[0] ? crnRuns[0].outsideS / (s(loadMs) + s(oursWallMs)) : null,
    mcPeerStrideOverOurs: mc ? mc.result.seconds.total / oursTotal : null,
  },
  agreement: { crn: crnAgreement, mc: mcAgreement },
  notes: [
    `Ours computes more than the crn peer: the same ${report.pairs.length} pairs with merger steps exact to one step (each confirmed by full spectra at the step and the step before; earlier steps certified above eps by the Ritz bounds except those in uncertifiedPairs, where the tracked estimate alone places d above eps), d on ${report.spectralSteps.length} steps, M at ${report.steps.length} steps, the K² normality test and speciation; its total includes all of it (seconds.* per phase).`,
    "Peer totals exclude python start, numpy import and loading (outsideWallSeconds includes them and the .npy read); ours.wallSeconds excludes the dataset's generation or decoding (datasetLoadSeconds).",
    'Ours draws its noise with Philox (a Bartlett factor for the noise event when it has more than 2D rows), the peers with numpy default_rng: merger steps agree up to sampling noise, judged by the spread between the crn peer seeds.',
  ],
};

const file = writeResult(`analyze-${dataName}-${new Date().toISOString().slice(0, 10)}`, result);
const gb = (b: number) => `${(b / 2 ** 30).toFixed(2)} GiB`;
console.log(`adapter: ${prov.adapter.vendor} ${prov.adapter.description}; ${data.name} ${data.shape.join(' x ')}`);
console.log(
  `ours: ${oursTotal.toFixed(1)} s (${Object.entries(result.ours.seconds)
    .filter(([k]) => k !== 'total')
    .map(([k, v]) => `${k} ${v.toFixed(1)}`)
    .join(
      ', ',
    )}); full spectra ${report.search.fullSpectra}, windows ${report.search.windows}, peak RSS ${gb(oursPeakRss)}`,
);
for (const r of crnRuns) {
  console.log(
    `peer crn seed ${r.seed}: ${r.result.seconds.total.toFixed(1)} s (moments ${r.result.seconds.moments.toFixed(1)}, eigvalsh ${r.result.seconds.eigvalsh.toFixed(1)} over ${r.result.eigensolves}), outside ${r.outsideS.toFixed(1)} s, peak RSS ${gb(r.result.peakRssBytes)}`,
  );
}
if (crnAgreement) {
  const a = crnAgreement;
  console.log(
    `crn peer / ours: ${result.ratios.crnPeerOverOurs!.toFixed(2)}x; merger steps: median |ours - peer| ${a.medianAbsOursMinusPeer} vs median between seeds ${a.medianAbsBetweenSeeds}, mean ours - peer ${a.meanOursMinusPeer.toFixed(1)} (SE ${a.standardError.toFixed(1)}): ${a.agree ? 'agree' : 'DO NOT AGREE'}; equal ${a.equalSteps}/${a.pairs.length}; in the peer seeds' widened range ${a.perPairInPeerRange.agreeing}/${a.perPairInPeerRange.total}`,
  );
}
if (mc && mcAgreement) {
  console.log(
    `peer mc (${mc.result.config.steps.length} steps): ${mc.result.seconds.total.toFixed(1)} s, all steps ~${result.peerMc!.allStepsSecondsEstimate.toFixed(0)} s (estimate); merger steps agree ${mcAgreement.agreeing}/${mcAgreement.total} within one stride`,
  );
}
console.log(
  `data-noise merger: ours ${oursRuns.map((r) => r.report.pairs.find((p) => p.kind === 'data-noise')!.mergerStep).join(', ')}; crn peer ${crnRuns.map((r) => r.result.pairs[0]!.mergerStep).join(', ')}`,
);
console.log(`wrote ${file}`);
