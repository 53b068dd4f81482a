// Per-adapter choice among kernel builds: on first use per (adapter, kernel, shape class) each
// candidate is timed briefly on a representative problem and the fastest kept, in memory per context
// and, in Node, in a JSON file keyed by the adapter's identity (driver version included): the caller's file,
// else FLUCTUS_TUNE_CACHE, else ~/.cache/fluctus/autotune.json (platform-node.ts defaultTuneCache), so
// only a machine's first run pays for tuning (the Fashion-MNIST analysis on lavapipe: 88.8 s tuning, 62.8 s cached).
// All candidates compute the same sums in the same order, so the choice never changes results.
// A cached choice carries a fingerprint of the kernels' WGSL sources and of the candidate list: after an
// upgrade that changes either, the class is tuned again (a choice made among other code would otherwise
// last: a cache written by an older version kept a build of the band reduction's update that runs at 13
// GFLOP/s where a newer build runs at 20, scripts/dev/gemm-band-shapes.ts on lavapipe).
import type { Context } from '../runtime/context.js';
import { kernelParts, type KernelSpec } from '../runtime/pipeline.js';
import { defaultTuneCache, makeParentDir, readShader, readTextFile, writeTextFile } from '../runtime/platform-node.js';

type Entries = Record<string, unknown>;

/** Timed runs per candidate after its warm-up. */
const ROUNDS = 4;
/**
 * A warm-up this many times slower than the fastest one drops the candidate. Generous, since a choice now
 * lasts across runs: one warm-up is one sample, and on a loaded machine a burst slows a run 2-5x (three
 * tunes of the 784 x 784 x 6000 product in one process on lavapipe under load gave its best build 215, 43
 * and 39 ms; the first tune kept a build that runs 2x slower).
 */
const SLOW = 3;

const memory = new WeakMap<Context, Map<string, unknown>>();
/** File caches read this process, by path: adapter key -> tuning key -> choice. */
const files = new Map<string, Record<string, Entries>>();

export function adapterKey(ctx: Context): string {
  const a = ctx.adapterInfo;
  return [a.vendor, a.architecture, a.device, a.description].join('/');
}

/** Size class of one dimension: problems in one class share a tuned build. */
export function sizeClass(x: number): 's' | 'm' | 'l' {
  return x < 64 ? 's' : x < 1024 ? 'm' : 'l';
}

/**
 * Size class of a GEMM's m or n, and of a convolution's channels: sizeClass, with its small class (< 64)
 * split where a tile's height decides: 'a' 1..7, 'b' 8..31, 'c' 32..63 (letters that no older key used, so
 * that no choice made for the old class is taken for a new one). One small class made m = 32 (the band
 * reduction's Z^T = U^T A22) run the build the analyses' column sums (m = 1) had chosen first: on lavapipe
 * 7.0 ms against 1.8 ms for the 32-row subgroup build at 32 x 752 x 752 (scripts/dev/gemm-time.ts --only
 * tridiagZ752).
 */
export function dimClass(x: number): 'a' | 'b' | 'c' | 'm' | 'l' {
  return x < 8 ? 'a' : x < 32 ? 'b' : x < 64 ? 'c' : (sizeClass(x) as 'm' | 'l');
}

function readCache(path: string): Record<string, Entries> {
  let hit = files.get(path);
  if (hit) return hit;
  try {
    hit = JSON.parse(readTextFile(path) ?? '{}') as Record<string, Entries>;
  } catch {
    // A corrupt cache file is ignored and rewritten on the next tune.
    hit = {};
  }
  files.set(path, hit);
  return hit;
}

/** Cache files that could not be written: each is warned about once per process. */
const unwritable = new Set<string>();

/**
 * Adds one choice to the cache file: re-read first, so that choices another process wrote since this one
 * read the file are kept; written through a temp file and a rename.
 */
function writeCache(path: string, section: string, key: string, choice: unknown): void {
  files.delete(path);
  const all = readCache(path);
  (all[section] ??= {})[key] = choice;
  try {
    makeParentDir(path);
    writeTextFile(path, JSON.stringify(all, null, 2) + '\n');
  } catch (e) {
    if (!unwritable.has(path))
      console.warn(`fluctus autotune: could not write the cache ${path}: ${(e as Error).message}`);
    unwritable.add(path);
  }
}

/**
 * FNV-1a hash (hex) of the WGSL parts of `kernels` and the candidates' JSON, after `rule` when given (how
 * the choice is made: TuneCache.untimedFirst): what a cached choice was made among, and how.
 */
export function tuneFingerprint(kernels: readonly KernelSpec[], candidates: readonly unknown[], rule = ''): string {
  const text =
    rule + [...new Set(kernels.flatMap(kernelParts))].map(readShader).join('\0') + JSON.stringify(candidates);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** A cache file's entry: the choice and the fingerprint (tuneFingerprint) of what it was chosen among. */
interface CachedChoice {
  choice: unknown;
  code: string;
}

/** Where and among what a choice is cached: the file (default: defaultTuneCache()) and the kernels timed. */
export interface TuneCache {
  file?: string;
  kernels: readonly KernelSpec[];
  /**
   * Run each candidate once untimed before the timing: its first run compiles its pipelines (lavapipe JITs a
   * pipeline at its first dispatch, seconds for a large kernel where its shader cache lacks it), so timing it
   * measured the compile. For tuners that do not compile every candidate beforehand themselves (the GEMM's
   * does, with a 1 x 1 x 1 run each; the convolution paths' did not: on a fresh machine the 32-row
   * convolution, compiled in ~20 s, lost to builds that compile faster, and with a warm shader cache any new
   * build lost: the 1-row tile of the 16 -> 1 convolution, 25.6 against 52.8 ms, was dropped as slow). Part
   * of the fingerprint, so choices made without it are tuned again.
   */
  untimedFirst?: boolean;
}

const ruleOf = (cache: TuneCache) => (cache.untimedFirst ? 'untimed first run\0' : '');

export interface TuneResult<T> {
  choice: T;
  /** Milliseconds per candidate (best of the timed runs), in candidate order; empty when cached. */
  ms: number[];
}

/** Timing log of the tunes run in this process, for benchmarks and reports. */
export const tuneLog: { key: string; candidates: unknown[]; ms: number[] }[] = [];

/**
 * The choice already made for `key` (this context's, else the cache file's for this adapter, kernel
 * sources and candidates), or undefined: callers check it before they build the timing problem and
 * compile every candidate, which a warm cache makes unnecessary (2-3 s of the Fashion-MNIST analysis on
 * lavapipe).
 */
export function tunedChoice<T>(
  ctx: Context,
  key: string,
  candidates: readonly T[],
  same: (a: T, b: T) => boolean,
  cache: TuneCache,
): T | undefined {
  let mem = memory.get(ctx);
  if (!mem) memory.set(ctx, (mem = new Map()));
  const known = mem.get(key) as T | undefined;
  if (known !== undefined) return known;
  const path = ctx.platform === 'node' ? (cache.file ?? defaultTuneCache()) : undefined;
  if (!path) return undefined;
  const cached = readCache(path)[adapterKey(ctx)]?.[key] as CachedChoice | undefined;
  // Entries of other code (or of versions that stored bare choices) are tuned again and replaced.
  if (cached?.code !== tuneFingerprint(cache.kernels, candidates, ruleOf(cache))) return undefined;
  const match = candidates.find((c) => same(c, cached.choice as T));
  if (match !== undefined) mem.set(key, match);
  return match;
}

/**
 * The candidate with the smallest best-of-ROUNDS `time(candidate)` (milliseconds, one run per call),
 * remembered under `key` for this context and, in a cache file, for this adapter and these kernel
 * sources and candidates. `same` recognises a cached choice among candidates.
 */
export async function tune<T>(
  ctx: Context,
  key: string,
  candidates: readonly T[],
  time: (c: T) => Promise<number>,
  same: (a: T, b: T) => boolean,
  cache: TuneCache,
): Promise<T> {
  const known = tunedChoice(ctx, key, candidates, same, cache);
  if (known !== undefined) return known;
  const mem = memory.get(ctx)!;
  const path = ctx.platform === 'node' ? (cache.file ?? defaultTuneCache()) : undefined;
  const code = path ? tuneFingerprint(cache.kernels, candidates, ruleOf(cache)) : '';
  // With cache.untimedFirst, one untimed run each (its compile) first. Then round-robin: one warm-up run
  // each, then ROUNDS rounds over all candidates, keeping each one's best time, so that a burst of other
  // load on the machine hits every candidate alike. Candidates whose warm-up took over SLOW times the
  // fastest warm-up are not timed further.
  if (cache.untimedFirst) for (const c of candidates) await time(c);
  const warm: number[] = [];
  for (const c of candidates) warm.push(await time(c));
  const fastest = Math.min(...warm);
  const ms = warm.map((w) => (w > SLOW * fastest ? w : Infinity));
  for (let r = 0; r < ROUNDS; r++) {
    for (let i = 0; i < candidates.length; i++)
      if (!(warm[i]! > SLOW * fastest)) ms[i] = Math.min(ms[i]!, await time(candidates[i]!));
  }
  const best = candidates[ms.indexOf(Math.min(...ms))]!;
  tuneLog.push({ key, candidates: [...candidates], ms });
  mem.set(key, best);
  if (path) writeCache(path, adapterKey(ctx), key, { choice: best, code } satisfies CachedChoice);
  return best;
}

/** Forgets this context's in-memory choices and the cache files read (tests; a benchmark that wants to re-tune). */
export function forgetTuning(ctx: Context): void {
  memory.delete(ctx);
  files.clear();
}
