// Shared by the benchmark cases (`fluctus bench`): what a case is, timing statistics, provenance (version,
// commit, adapter, limits) and the Python peers (numpy, PyTorch) found on this machine.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from '../runtime/context.js';

export const BENCH_SIZES = ['small', 'medium', 'large'] as const;
export type BenchSize = (typeof BENCH_SIZES)[number];

/** A case's parameters: numbers and words, each overridable from the command line (`--reps 5`). */
export type Params = Record<string, number | string>;

/** --peer: which peers to time against. cpu: numpy / PyTorch-CPU; cuda: PyTorch on CUDA where a case has it. */
export const PEER_MODES = ['cpu', 'cuda', 'none'] as const;
export type PeerMode = (typeof PEER_MODES)[number];

export interface BenchEnv {
  ctx: Context;
  peer: PeerMode;
  /** A line for the user (stderr: stdout carries the table). */
  log: (line: string) => void;
  /** Progress of long phases inside a case (the analysis' phases). */
  progress?: (phase: string, done: number, total: number) => void;
}

/** One timed thing of a case: our time, its rate, and the peer's on the same input in the same run. */
export interface BenchRow {
  label: string;
  /** The shape in words, e.g. '60000 x 784'. */
  shape: string;
  /** Our time per operation, milliseconds. */
  ms: Stats;
  /** Our rate in the case's unit (GFLOP/s, GB/s, samples/s, ...), null when a rate means nothing. */
  rate: number | null;
  unit: string;
  /** The peer: its name and median time, or why it was not run. */
  peer: { name: string; ms: number } | { name: string; skipped: string } | null;
  /** Our speed over the peer's (peer ms / our ms); null without a peer. */
  ratio: number | null;
}

export interface CaseResult {
  /** What correctness was checked before timing, with the measured error and its bound. */
  check: string;
  rows: BenchRow[];
  /** Everything else the case measured (per-phase times, tunes, agreement), for the JSON. */
  detail: Record<string, unknown>;
}

export interface BenchCase<P extends Params = Params> {
  name: string;
  /** One line for the table of cases (`fluctus bench --list`). */
  summary: string;
  sizes: Record<BenchSize, P>;
  run: (env: BenchEnv, params: P) => Promise<CaseResult>;
}

export interface Stats {
  median: number;
  min: number;
  max: number;
  /** Interquartile range over the median: the spread used to judge noisy machines. */
  relIqr: number;
  n: number;
}

export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.max(0, Math.round(p * (s.length - 1))))]!;
  const median = q(0.5);
  return { median, min: s[0]!, max: s[s.length - 1]!, relIqr: (q(0.75) - q(0.25)) / median, n: s.length };
}

/** Times `fn` `reps` times after `warmup` runs; milliseconds. */
export async function timeIt(fn: () => Promise<unknown> | unknown, reps: number, warmup = 2): Promise<Stats> {
  for (let i = 0; i < warmup; i++) await fn();
  const ms: number[] = [];
  for (let i = 0; i < Math.max(1, reps); i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return stats(ms);
}

/** A row with a peer measured on the same input (ms), or the reason there is none. */
export function row(
  label: string,
  shape: string,
  ms: Stats,
  work: { rate: number | null; unit: string },
  peer: BenchRow['peer'],
): BenchRow {
  const ratio = peer && 'ms' in peer ? peer.ms / ms.median : null;
  return { label, shape, ms, rate: work.rate, unit: work.unit, peer, ratio };
}

const packageRoot = fileURLToPath(new URL('../..', import.meta.url));

/** The commit of the checkout the code runs from (`+dirty` with uncommitted changes), null for an installed package. */
function gitCommit(): string | null {
  // FLUCTUS_COMMIT names the commit where the tree has no .git (e.g. a copy on another machine).
  if (process.env.FLUCTUS_COMMIT) return process.env.FLUCTUS_COMMIT;
  const git = (args: string[]) =>
    execFileSync('git', ['-C', packageRoot, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  try {
    if (git(['rev-parse', '--show-toplevel']) !== dirname(`${packageRoot}x`)) return null;
    const head = git(['rev-parse', '--short', 'HEAD']);
    return git(['status', '--porcelain', '--untracked-files=no']) ? `${head}+dirty` : head;
  } catch {
    return null;
  }
}

/** A software adapter (lavapipe, SwiftShader, WARP): its times say nothing about a GPU. */
export function isSoftware(ctx: Context): boolean {
  const a = ctx.adapterInfo;
  return (
    a.isFallback || /llvmpipe|lavapipe|swiftshader|warp|software/i.test(`${a.description} ${a.device} ${a.vendor}`)
  );
}

export function provenance(ctx: Context, version: string) {
  return {
    version,
    commit: gitCommit(),
    date: new Date().toISOString(),
    node: process.version,
    cpu: `${cpus()[0]?.model ?? 'unknown'} x ${cpus().length}`,
    platform: ctx.platform,
    adapter: ctx.adapterInfo,
    software: isSoftware(ctx),
    limits: ctx.limits,
    features: ctx.features,
  };
}

export interface Python {
  /** The interpreter that has the module. */
  exe: string;
  /** The module's version, e.g. 'numpy 1.26.4'. */
  version: string;
}

const found = new Map<string, Python | string>();

/**
 * The first Python with `module` importable (and, for 'torch+cuda', a CUDA device): $FLUCTUS_PYTHON, then
 * python3 on PATH, then /usr/bin/python3 (Debian's python3-numpy / python3-torch). A string says why none.
 */
export function findPython(module: 'numpy' | 'torch' | 'torch+cuda'): Python | string {
  const hit = found.get(module);
  if (hit) return hit;
  const name = module === 'torch+cuda' ? 'torch' : module;
  const probe =
    module === 'torch+cuda'
      ? "import torch; assert torch.cuda.is_available(), 'no CUDA device'; print('torch ' + torch.__version__ + ' CUDA ' + torch.cuda.get_device_name(0))"
      : `import ${name}; print('${name} ' + ${name}.__version__)`;
  const tried: string[] = [];
  let result: Python | string = '';
  for (const exe of [process.env.FLUCTUS_PYTHON, 'python3', '/usr/bin/python3']) {
    if (!exe || tried.includes(exe)) continue;
    tried.push(exe);
    try {
      const version = execFileSync(exe, ['-c', probe], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
      result = { exe, version };
      break;
    } catch {
      // next candidate
    }
  }
  if (!result) {
    const pkg = module === 'numpy' ? 'python3-numpy' : 'python3-torch';
    result =
      module === 'torch+cuda'
        ? `no Python with PyTorch and a CUDA device (tried ${tried.join(', ')})`
        : `no Python with ${name} (tried ${tried.join(', ')}; Debian: apt-get install ${pkg}, or set FLUCTUS_PYTHON)`;
  }
  found.set(module, result);
  return result;
}

/** The folder of the peers' Python scripts (shipped with the package). */
// Two levels below the package root both here (src/bench/) and in the bundle (dist/node/).
export const PEERS_DIR = fileURLToPath(new URL('../../src/bench/peers/', import.meta.url));

/** Runs a Python program (a file in PEERS_DIR or `-c` code) and parses the JSON it prints last. */
export function runPython<R>(py: Python, args: string[], input?: string): R {
  const out = execFileSync(py.exe, args, {
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'inherit'],
  });
  const last = out.trim().split('\n').pop() ?? '';
  return JSON.parse(last) as R;
}

/** A file of little-endian float64 (or float32) values, copied out of Node's shared small-file pool. */
export function readFloats(path: string, type: typeof Float64Array | typeof Float32Array): Float64Array | Float32Array {
  const b = readFileSync(path);
  return new type(Uint8Array.from(b).buffer);
}

/** A Python line that sets BLAS to the paths of the BLAS libraries the process has loaded (see blasName). */
export const PY_BLAS =
  "BLAS = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l.lower() and '/' in l}) if __import__('os').path.exists('/proc/self/maps') else []";

/**
 * The BLAS a Python peer loaded, short: OpenBLAS's own library when it is there (folder/file, e.g.
 * openblas-pthread/libopenblasp-r0.3.21.so), else every BLAS library. Which BLAS numpy uses decides the
 * comparison: Debian's reference libblas3 is ~30x slower than OpenBLAS.
 */
export function blasName(paths: string[]): string {
  const short = [...new Set(paths.map((p) => p.split('/').slice(-2).join('/')))];
  const openblas = short.filter((p) => /openblas/i.test(p.split('/').pop()!));
  return (openblas.length ? openblas : short).join(', ') || 'BLAS unknown';
}

/** The median of a list of numbers. */
export function median(xs: number[]): number {
  const v = [...xs].sort((a, b) => a - b);
  return v.length ? (v[(v.length - 1) >> 1]! + v[v.length >> 1]!) / 2 : Number.NaN;
}
