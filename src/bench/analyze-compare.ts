// Comparison of fluctus's merger analysis with the numpy Monte-Carlo peer (peers/merger_mc.py), for
// src/bench/analyze.ts: merger steps per common pair, eps, and d, M and lambda_max at step 0.
import type { MergerReport, PairReport } from '../../src/formats/report-types.js';

/** What peers/merger_mc.py prints (seconds). */
export interface PeerResult {
  peer: string;
  numpy: string;
  blas: string[];
  config: { steps: number[]; seed: number; T: number; epsRatio: number; N: number; D: number; noiseSamples: number };
  seconds: {
    load: number;
    setup: number;
    noise: number;
    covariances: number;
    eigvalsh: number;
    pairs: number;
    total: number;
  };
  perStep: { step: number; noise: number; covariances: number; eigvalsh: number; pairs: number; total: number }[];
  events: string[];
  lambdaMax0: number[];
  eps: number;
  pairs: { a: string; b: string; mergerStep: number | null; d: number[]; M: number[] }[];
}

export interface PairAgreement {
  pair: string;
  kind: 'data-noise' | 'class-class';
  /** Our merger step (bisection-refined to one step). */
  ours: number | null;
  /** Ours moved onto the peer's grid: the first peer step >= ours. */
  oursOnPeerGrid: number | null;
  peer: number | null;
  /** peer - oursOnPeerGrid, with "no merger within T" counted as T + stride. */
  diffSteps: number;
  agree: boolean;
  /** Our merger on our spectral steps that the peer also has, with the peer's eps: separates eps from sampling. */
  oursGridAtPeerEps: number | null;
  agreeAtPeerEps: boolean;
  d0: { ours: number; peer: number; relDiff: number };
  M0: { ours: number; peer: number; relDiff: number };
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), Number.MIN_VALUE);

/** The peer's name of one of our events: 'class k', 'all data' or 'noise N(0, I)'; null for the rest events. */
function peerEventName(report: MergerReport, id: number): string | null {
  const e = report.events[id]!;
  if (e.kind === 'class') return `class ${e.classes[0]}`;
  if (e.kind === 'all') return 'all data';
  if (e.kind === 'noise') return 'noise N(0, I)';
  return null;
}

/**
 * Agreement of merger steps on the pairs both compute (all data vs noise, the 45 class pairs). Ours
 * is exact to one step, the peer's lies on its grid of steps: they agree when the peer's step is the
 * first grid step >= ours or one stride away (different noise draws, crn vs mc). A pair that never
 * merges within T counts as merging at T + stride.
 */
export function compare(report: MergerReport, peer: PeerResult, stride: number) {
  const T = report.schedule.T;
  const grid = peer.config.steps;
  const onGrid = (s: number | null) => (s === null ? null : (grid.find((g) => g >= s) ?? null));
  const past = (s: number | null) => s ?? T + stride;
  const s0 = report.spectralSteps.indexOf(0);
  const m0 = report.steps.indexOf(0);
  if (s0 !== 0 || m0 !== 0 || grid[0] !== 0)
    throw new Error('analyze bench: step 0 must be the first spectral, M and peer step');
  const peerPairs = new Map(peer.pairs.map((p) => [`${p.a}|${p.b}`, p]));
  const common = report.pairs.filter(
    (p): p is PairReport & { kind: 'data-noise' | 'class-class' } =>
      p.kind === 'data-noise' || p.kind === 'class-class',
  );
  const pairs: PairAgreement[] = common.map((p) => {
    const key = `${peerEventName(report, p.a)}|${peerEventName(report, p.b)}`;
    const q = peerPairs.get(key);
    if (!q) throw new Error(`analyze bench: the peer has no pair '${key}'`);
    const mine = onGrid(p.mergerStep);
    const diff = past(q.mergerStep) - past(mine);
    const atPeerEps = report.spectralSteps.find((st, i) => grid.includes(st) && p.d[i]! <= peer.eps) ?? null;
    return {
      pair: key.replace('|', ' vs '),
      kind: p.kind,
      ours: p.mergerStep,
      oursOnPeerGrid: mine,
      peer: q.mergerStep,
      diffSteps: diff,
      agree: Math.abs(diff) <= stride,
      oursGridAtPeerEps: atPeerEps,
      agreeAtPeerEps: Math.abs(past(q.mergerStep) - past(atPeerEps)) <= stride,
      d0: { ours: p.d[0]!, peer: q.d[0]!, relDiff: rel(p.d[0]!, q.d[0]!) },
      M0: { ours: p.M[0]!, peer: q.M[0]!, relDiff: rel(p.M[0]!, q.M[0]!) },
    };
  });
  if (pairs.length !== peer.pairs.length)
    throw new Error(`analyze bench: ${pairs.length} common pairs, the peer has ${peer.pairs.length}`);

  // lambda_max(C(0)) of the events both have; eps over those events and over all of ours.
  const lambdaMax0 = report.events.flatMap((e) => {
    const name = peerEventName(report, e.id);
    if (name === null) return [];
    const ours = report.spectra.values[e.id]![0]![0]!;
    const theirs = peer.lambdaMax0[peer.events.indexOf(name)]!;
    return [{ event: name, ours, peer: theirs, relDiff: rel(ours, theirs) }];
  });
  const restMax = Math.max(
    ...report.events.filter((e) => e.kind === 'rest').map((e) => report.spectra.values[e.id]![0]![0]!),
  );
  const epsCommon = Math.max(...lambdaMax0.map((l) => l.ours)) / (report.eps.ratio ?? peer.config.epsRatio);
  const maxOf = (xs: number[]) => xs.reduce((m, v) => Math.max(m, v), 0);
  const classPairs = pairs.filter((p) => p.kind === 'class-class');
  const dataNoise = pairs.find((p) => p.kind === 'data-noise')!;

  // d at the later grid steps both have: sampling noise (different draws), for information only.
  const dLater = grid.slice(1).flatMap((s) => {
    const i = report.spectralSteps.indexOf(s);
    if (i < 0) return [];
    const diffs = common
      .map((p) => {
        const q = peerPairs.get(`${peerEventName(report, p.a)}|${peerEventName(report, p.b)}`)!;
        return rel(p.d[i]!, q.d[grid.indexOf(s)]!);
      })
      .sort((a, b) => a - b);
    return [{ step: s, medianRelDiff: diffs[Math.floor(diffs.length / 2)]!, maxRelDiff: diffs[diffs.length - 1]! }];
  });

  return {
    rule: `agree when |peer - first peer-grid step >= ours| <= stride (${stride}); no merger within T counts as T + stride`,
    agreeing: pairs.filter((p) => p.agree).length,
    total: pairs.length,
    /** Mean of peer - oursOnPeerGrid (steps): a sign of bias beyond sampling noise. */
    meanDiffSteps: pairs.reduce((a, p) => a + p.diffSteps, 0) / pairs.length,
    agreeingAtPeerEps: pairs.filter((p) => p.agreeAtPeerEps).length,
    pairs,
    eps: {
      ours: report.eps.value,
      peer: peer.eps,
      relDiff: rel(report.eps.value, peer.eps),
      oursOverCommonEvents: epsCommon,
      relDiffCommonEvents: rel(epsCommon, peer.eps),
      oursRestEventsLambdaMax0: restMax,
    },
    step0: {
      dMaxRelDiffClassPairs: maxOf(classPairs.map((p) => p.d0.relDiff)),
      dRelDiffDataNoise: dataNoise.d0.relDiff,
      MMaxRelDiffClassPairs: maxOf(classPairs.map((p) => p.M0.relDiff)),
      MRelDiffDataNoise: dataNoise.M0.relDiff,
      lambdaMax0MaxRelDiff: maxOf(lambdaMax0.filter((l) => !l.event.startsWith('noise')).map((l) => l.relDiff)),
      lambdaMax0,
    },
    dLaterSteps: dLater,
  };
}
