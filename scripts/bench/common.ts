// Shared by the benchmarks: command-line options, timing statistics, provenance (commit, adapter,
// limits) and JSON output written to a temp file and renamed, so a crashed run leaves no half-written result.
import { execSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Context } from '../../src/runtime/context.js';
import { writeFileAtomic } from '../../src/runtime/atomic-write.js';

/** The word after `--name` on the command line, or undefined when the option is not given. */
export function argOf(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** The number after `--name`, or dflt. */
export function numArg(name: string, dflt: number): number {
  const v = argOf(name);
  return v === undefined ? dflt : Number(v);
}

/** The integer after `--name` (at least min), or dflt; anything else throws naming the option. */
export function intArg(name: string, dflt: number, min = 0): number {
  const v = Number(argOf(name) ?? dflt);
  if (!Number.isInteger(v) || v < min)
    throw new Error(`bench: --${name} must be an integer >= ${min}, got '${argOf(name)}'`);
  return v;
}

/** The comma-separated integers (>= 0) after `--name`, or those of dflt. */
export function intList(name: string, dflt: string): number[] {
  return (argOf(name) ?? dflt).split(',').map((w) => {
    const v = Number(w);
    if (!Number.isInteger(v) || v < 0) throw new Error(`bench: --${name}: '${w}' is not an integer >= 0`);
    return v;
  });
}

/** The word after `--name`, or dflt. */
export function strArg(name: string, dflt: string): string {
  return argOf(name) ?? dflt;
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
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ms.push(performance.now() - t0);
  }
  return stats(ms);
}

function gitCommit(): string {
  // FLUCTUS_COMMIT names the commit where the checkout has no .git (e.g. a tree copied elsewhere).
  if (process.env.FLUCTUS_COMMIT) return process.env.FLUCTUS_COMMIT;
  try {
    const head = execSync('git rev-parse --short HEAD', {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return execSync('git status --porcelain', { encoding: 'utf8' }).trim() ? `${head}+dirty` : head;
  } catch {
    return 'unknown';
  }
}

export function provenance(ctx: Context) {
  return {
    commit: gitCommit(),
    date: new Date().toISOString(),
    platform: ctx.platform,
    adapter: ctx.adapterInfo,
    limits: ctx.limits,
    features: ctx.features,
  };
}

export function writeResult(name: string, result: unknown): string {
  const dir = join(process.cwd(), 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${name}.json`);
  writeFileAtomic(file, JSON.stringify(result, null, 2) + '\n');
  return file;
}
