// Shared by the `fluctus` commands: option parsers for commander (each throws InvalidArgumentError
// naming the option and the value) and the progress bar of the analysis phases.
import { readFileSync } from 'node:fs';
import { InvalidArgumentError, Option } from 'commander';
import { CSV_HEADERS } from '../data/parse.js';
import type { Context } from '../runtime/context.js';
import { writeFileAtomic } from '../runtime/atomic-write.js';
import { chromeTrace } from '../runtime/trace.js';
import cliProgress from 'cli-progress';

/** The package's version (package.json), or 0.0.0 when it cannot be read. */
export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string })
      .version;
  } catch {
    return '0.0.0';
  }
}

/** An integer option, in [min, max] when a range is given. */
export function intArg(name: string, min?: number, max?: number) {
  const range = min === undefined && max === undefined ? '' : ` in [${min ?? -Infinity}, ${max ?? Infinity}]`;
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || (min !== undefined && n < min) || (max !== undefined && n > max))
      throw new InvalidArgumentError(`${name} must be an integer${range}, got '${v}'`);
    return n;
  };
}

/** Help of --labels, the same for every command that reads data. */
export const LABELS_HELP =
  'labels: for --data given as .npy or IDX, a .npy or IDX file of integers; for a CSV, the label column by name or 0-based number (default: a column named label or class, else the last)';

/** Prints the warnings about how the data were read (Dataset.notes) on stderr. */
export function printDataNotes(data: { notes?: string[] }): void {
  for (const n of data.notes ?? []) console.warn(`warning: ${n}`);
}

/** --csv-header: how the first line of a CSV is read (unset: auto). */
export function csvHeaderOption(): Option {
  return new Option(
    '--csv-header <mode>',
    'CSV data: the first line is a header (yes), data (no), or auto: a header when it holds only names (default)',
  ).choices([...CSV_HEADERS]);
}

/** --trace FILE: the GPU timeline and host phases in the Chrome Trace Event format. */
export const TRACE_HELP =
  'write the GPU timeline (one event per dispatch, grouped by submission) and the host phases to FILE in the Chrome Trace Event format (Perfetto, chrome://tracing)';

/** Writes the context's trace to `path` (atomically, compact JSON); returns the number of events. */
export function writeTrace(ctx: Context, path: string, metadata: Record<string, unknown>): number {
  const trace = chromeTrace(ctx, { command: process.argv.slice(2).join(' '), version: packageVersion(), ...metadata });
  writeFileAtomic(path, `${JSON.stringify(trace)}\n`);
  return trace.traceEvents.length;
}

/** The largest seed: seeds are 32-bit Philox keys. */
export const MAX_SEED = 2 ** 32 - 1;

/** The --seed option's parser and the range its help shows. */
export const seedArg = intArg('--seed', 0, MAX_SEED);
export const SEED_RANGE = `0..${MAX_SEED}`;

/** A number option in [min, max], or (min, max] when open. */
export function realArg(name: string, min: number, max: number, open = false) {
  return (v: string) => {
    const x = Number(v);
    if (!Number.isFinite(x) || x < min || x > max || (open && x === min))
      throw new InvalidArgumentError(`${name} must be a number in ${open ? '(' : '['}${min}, ${max}], got '${v}'`);
    return x;
  };
}

/** A positive finite number option. */
export function positive(name: string) {
  return (v: string) => {
    const x = Number(v);
    if (!Number.isFinite(x) || x <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got '${v}'`);
    return x;
  };
}

/** A comma-separated list of integers (at least min), called `what` in the error. */
export function intList(name: string, min = -Infinity, what = 'integers') {
  return (v: string): number[] => {
    const out = v.split(',').map((s) => Number(s.trim()));
    if (out.some((n) => !Number.isInteger(n) || n < min))
      throw new InvalidArgumentError(`${name} must be a comma-separated list of ${what}, got '${v}'`);
    return out;
  };
}

/**
 * A progress bar with rate and ETA that restarts for each phase of the analysis. Without a terminal
 * (nohup, CI, a pipe) it prints a line per phase and then one every 10 s: elapsed time, phase, count.
 */
export function phaseBar() {
  return process.stderr.isTTY ? ttyPhaseBar() : linePhaseBar();
}

function linePhaseBar(every = 10_000) {
  const t0 = performance.now();
  let phase = '';
  let printed = 0;
  let last: { done: number; total: number; shown: boolean } | null = null;
  const line = (p: string, done: number, total: number) =>
    process.stderr.write(`[${((performance.now() - t0) / 1e3).toFixed(1)} s] ${p}: ${done}/${total}\n`);
  return {
    update(p: string, done: number, total: number) {
      const now = performance.now();
      const show = p !== phase || now - printed >= every;
      if (p !== phase && last && !last.shown) line(phase, last.done, last.total);
      if (show) {
        line(p, done, total);
        printed = now;
      }
      phase = p;
      last = { done, total, shown: show };
    },
    stop() {
      if (last && !last.shown) line(phase, last.done, last.total);
      if (last) last.shown = true;
    },
  };
}

function ttyPhaseBar() {
  const bar = new cliProgress.SingleBar(
    {
      format: '{phase} |{bar}| {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let phase = '';
  let t0 = 0;
  let active = false;
  return {
    update(p: string, done: number, total: number) {
      if (p !== phase || !active) {
        if (active) bar.stop();
        bar.start(total, done, { phase: p.padEnd(10), rate: '0' });
        phase = p;
        t0 = performance.now();
        active = true;
        return;
      }
      const rate = done / Math.max(1e-3, (performance.now() - t0) / 1e3);
      bar.setTotal(total);
      bar.update(done, { rate: rate.toFixed(1) });
    },
    stop() {
      if (active) bar.stop();
      active = false;
    },
  };
}
