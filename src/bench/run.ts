// The benchmark suite: the registry of cases, running a selection at one size (each case checks correctness
// before it times anything), the result file (one JSON with version, commit, adapter, limits and every case),
// its table, and the comparison of two result files. `fluctus bench` (src/cli/bench.ts) is a thin caller.
import type { Context } from '../runtime/context.js';
import { traced } from '../runtime/trace.js';
import { defaultTuneCache } from '../runtime/platform-node.js';
import { tuneLog } from '../kernels/autotune.js';
import { analyzeBench } from './analyze.js';
import {
  BENCH_SIZES,
  type BenchCase,
  type BenchEnv,
  type BenchRow,
  type BenchSize,
  type Params,
  type PeerMode,
  provenance,
} from './common.js';
import { eighBench } from './eigh.js';
import { empiricalBench } from './empirical.js';
import { metricsBench } from './metrics.js';
import { momentsBench } from './moments.js';
import { noiseBench } from './noise.js';
import { patchBench } from './patch-denoiser.js';
import { syrkBench } from './syrk.js';
import { trainBench } from './train.js';

// biome-ignore lint/suspicious/noExplicitAny: each case has its own parameter record
export const BENCH_CASES: BenchCase<any>[] = [
  noiseBench,
  syrkBench,
  momentsBench,
  eighBench,
  metricsBench,
  empiricalBench,
  patchBench,
  trainBench,
  analyzeBench,
];

/** The result file's format; `--compare` refuses files of another. */
export const BENCH_FORMAT = { format: 'fluctus-bench', formatVersion: 1 } as const;

export interface CaseRecord {
  name: string;
  params: Params;
  seconds: number;
  status: 'ok' | 'failed';
  /** Autotunes run during the case (0 when the tuning cache knew every shape class it met; absent in older files). */
  tunes?: number;
  error?: string;
  check?: string;
  rows: BenchRow[];
  detail?: Record<string, unknown>;
}

export type BenchResult = typeof BENCH_FORMAT &
  ReturnType<typeof provenance> & {
    size: BenchSize;
    peer: PeerMode;
    command: string;
    tuneCache?: string | null;
    cases: CaseRecord[];
  };

export interface BenchOptions {
  names?: string[];
  size?: BenchSize;
  /** Parameter overrides by name (camelCase or kebab-case), applied to every selected case that has it. */
  overrides?: Record<string, string>;
  peer?: PeerMode;
  version: string;
  command?: string;
  log?: (line: string) => void;
  progress?: BenchEnv['progress'];
}

const camel = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
/** An option's name from a parameter's: jsRows -> js-rows. */
export const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The cases named (all when none), in the registry's order; an unknown name throws listing the valid ones. */
export function selectCases(names: string[] = []): BenchCase[] {
  const known = BENCH_CASES.map((c) => c.name);
  const bad = names.filter((n) => !known.includes(n));
  if (bad.length)
    throw new Error(
      `bench: unknown case${bad.length > 1 ? 's' : ''} ${bad.join(', ')}; the cases are ${known.join(', ')}`,
    );
  return names.length ? BENCH_CASES.filter((c) => names.includes(c.name)) : BENCH_CASES;
}

/**
 * Each selected case's parameters at `size` with the overrides applied. Numbers must parse as finite numbers;
 * an override no selected case has throws, listing the parameters they do have.
 */
export function caseParams(cases: BenchCase[], size: BenchSize, overrides: Record<string, string> = {}): Params[] {
  if (!(BENCH_SIZES as readonly string[]).includes(size))
    throw new Error(`bench: --size '${size}' is not one of ${BENCH_SIZES.join(', ')}`);
  const params = cases.map((c) => ({ ...c.sizes[size] }) as Params);
  for (const [raw, value] of Object.entries(overrides)) {
    const key = camel(raw);
    const holders = params.filter((p) => key in p);
    if (!holders.length) {
      const names = [...new Set(params.flatMap((p) => Object.keys(p)))].map((k) => `--${kebab(k)}`);
      throw new Error(
        `bench: no selected case has a parameter --${kebab(key)}; theirs: ${names.join(', ')} (cases: ${cases.map((c) => c.name).join(', ')})`,
      );
    }
    for (const p of holders) {
      if (typeof p[key] === 'number') {
        const n = Number(value);
        if (value.trim() === '' || !Number.isFinite(n))
          throw new Error(`bench: --${kebab(key)} must be a number, got '${value}'`);
        p[key] = n;
      } else p[key] = value;
    }
  }
  return params;
}

/** Runs the cases on `ctx` (with a trace when the context records one); a failing case is recorded and the rest run. */
export async function runBench(ctx: Context, opts: BenchOptions): Promise<BenchResult> {
  const size = opts.size ?? 'small';
  const cases = selectCases(opts.names);
  const params = caseParams(cases, size, opts.overrides);
  const log = opts.log ?? ((line: string) => console.error(line));
  const env: BenchEnv = { ctx, peer: opts.peer ?? 'cpu', log, progress: opts.progress };
  const records: CaseRecord[] = [];
  const t0 = performance.now();
  for (const [i, c] of cases.entries()) {
    log(`[${((performance.now() - t0) / 1e3).toFixed(1)} s] ${c.name} (${i + 1}/${cases.length}, ${size})`);
    const t = performance.now();
    const tunesBefore = tuneLog.length;
    const tunes = () => tuneLog.length - tunesBefore;
    try {
      const r = await traced(ctx, `bench ${c.name}`, () => c.run(env, params[i]!));
      records.push({
        name: c.name,
        params: params[i]!,
        seconds: (performance.now() - t) / 1e3,
        status: 'ok',
        tunes: tunes(),
        ...r,
      });
    } catch (e) {
      const error = (e as Error).message;
      log(`${c.name}: FAILED: ${error}`);
      records.push({
        name: c.name,
        params: params[i]!,
        seconds: (performance.now() - t) / 1e3,
        status: 'failed',
        tunes: tunes(),
        error,
        rows: [],
      });
    }
  }
  return {
    ...BENCH_FORMAT,
    ...provenance(ctx, opts.version),
    size,
    peer: env.peer,
    command: opts.command ?? '',
    /** Where autotune choices were read from and kept (null: this process only); see CaseRecord.tunes. */
    tuneCache: ctx.platform === 'node' ? (defaultTuneCache() ?? null) : null,
    cases: records,
  };
}

/** A duration for people: 0.123 ms, 12.3 ms, 4.56 s. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms >= 1000) return `${(ms / 1000).toFixed(ms >= 100_000 ? 0 : 2)} s`;
  return `${ms.toPrecision(3)} ms`;
}

/** Plain-text table: a header row and left-aligned columns (the first `right` from the end right-aligned). */
export function textTable(head: string[], body: string[][], right = 0): string {
  const widths = head.map((h, j) => Math.max(h.length, ...body.map((r) => (r[j] ?? '').length)));
  const line = (r: string[]) =>
    r
      .map((v, j) => (j >= r.length - right ? v.padStart(widths[j]!) : v.padEnd(widths[j]!)))
      .join('  ')
      .trimEnd();
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}

/** The result as people read it: the adapter, then one line per timed row and each case's check. */
export function formatBench(r: BenchResult): string {
  const a = r.adapter;
  const head = [
    `fluctus ${r.version}${r.commit ? ` (${r.commit})` : ''}, size ${r.size}, ${r.date}`,
    `adapter: ${a.vendor} ${a.architecture} ${a.description}`.trimEnd() +
      (r.software ? ' (SOFTWARE fallback: CPU-emulated GPU, times say nothing about a GPU)' : ''),
    `cpu: ${r.cpu}; node ${r.node}`,
    `autotune: ${r.cases.reduce((s, c) => s + (c.tunes ?? 0), 0)} shape classes tuned in this run; cache ${r.tuneCache ?? 'none (this process only)'}`,
  ];
  const body: string[][] = [];
  for (const c of r.cases) {
    if (c.status === 'failed') {
      body.push([c.name, 'FAILED (below)', '', '', '', '', '', '']);
      continue;
    }
    for (const w of c.rows) {
      const spread = w.ms.n > 1 ? ` ±${(50 * w.ms.relIqr).toFixed(0)}%` : '';
      const peerMs = w.peer && 'ms' in w.peer ? formatMs(w.peer.ms) : '-';
      const peerName = !w.peer ? '-' : 'ms' in w.peer ? w.peer.name : `${w.peer.name}: ${w.peer.skipped}`;
      body.push([
        ...[c.name, w.label, w.shape, `${formatMs(w.ms.median)}${spread}`],
        w.rate === null ? '-' : `${w.rate.toPrecision(3)} ${w.unit}`,
        ...[peerName, peerMs, w.ratio === null ? '-' : `${w.ratio.toFixed(2)}x`],
      ]);
    }
  }
  const table = textTable(['case', 'what', 'shape', 'ours', 'rate', 'peer', 'peer time', 'ours/peer speed'], body, 2);
  const checks = r.cases.map((c) => (c.check ? `check ${c.name}: ${c.check}` : `FAILED ${c.name}: ${c.error}`));
  return [...head, '', table, '', ...checks].join('\n');
}

/** The rows of two result files side by side: b's speed over a's. Throws a refusal naming what differs. */
export function compareBench(a: BenchResult, b: BenchResult, names = ['a', 'b']): string {
  for (const [r, n] of [
    [a, names[0]],
    [b, names[1]],
  ] as const) {
    if (r.format !== BENCH_FORMAT.format || r.formatVersion !== BENCH_FORMAT.formatVersion)
      throw new Error(
        `bench --compare: ${n} is not a fluctus bench result of format version ${BENCH_FORMAT.formatVersion} (format '${r.format}', version ${r.formatVersion})`,
      );
  }
  if (a.size !== b.size)
    throw new Error(
      `bench --compare: the sizes differ (${names[0]}: ${a.size}, ${names[1]}: ${b.size}); compare runs of one size`,
    );
  const common = a.cases.filter((c) => b.cases.some((d) => d.name === c.name));
  if (!common.length)
    throw new Error(
      `bench --compare: no case in common (${names[0]}: ${a.cases.map((c) => c.name).join(', ')}; ${names[1]}: ${b.cases.map((c) => c.name).join(', ')})`,
    );
  const differing = common.filter(
    (c) => JSON.stringify(c.params) !== JSON.stringify(b.cases.find((d) => d.name === c.name)!.params),
  );
  if (differing.length)
    throw new Error(
      `bench --compare: case ${differing
        .map(
          (c) =>
            `${c.name} ran with other parameters (${JSON.stringify(c.params)} vs ${JSON.stringify(b.cases.find((d) => d.name === c.name)!.params)})`,
        )
        .join('; ')}`,
    );
  const side = (r: BenchResult, n: string) =>
    `${n}: fluctus ${r.version}${r.commit ? ` (${r.commit})` : ''}, ${r.adapter.vendor} ${r.adapter.description}${r.software ? ' (software)' : ''}, ${r.date}`;
  const body: string[][] = [];
  for (const c of common) {
    const d = b.cases.find((x) => x.name === c.name)!;
    if (c.status === 'failed' || d.status === 'failed') {
      body.push([c.name, `failed in ${c.status === 'failed' ? names[0] : names[1]}`, '', '', '', '']);
      continue;
    }
    for (const w of c.rows) {
      const v = d.rows.find((x) => x.label === w.label && x.shape === w.shape);
      const ratio = v ? `${(w.ms.median / v.ms.median).toFixed(2)}x` : `not in ${names[1]}`;
      body.push([c.name, w.label, w.shape, formatMs(w.ms.median), v ? formatMs(v.ms.median) : '-', ratio]);
    }
  }
  const only = [
    ...a.cases.filter((c) => !common.includes(c)).map((c) => `${c.name} (only in ${names[0]})`),
    ...b.cases.filter((c) => !a.cases.some((x) => x.name === c.name)).map((c) => `${c.name} (only in ${names[1]})`),
  ];
  return [
    side(a, names[0]!),
    side(b, names[1]!),
    '',
    textTable(['case', 'what', 'shape', names[0]!, names[1]!, `${names[1]}/${names[0]} speed`], body, 3),
    ...(only.length ? ['', `not compared: ${only.join(', ')}`] : []),
  ].join('\n');
}
