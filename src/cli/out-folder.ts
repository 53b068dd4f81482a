// Where the commands write, checked before any work and filled one run at a time. An output folder is
// created (missing parents one by one, never a recursive mkdir, which spins on /proc) and test-written
// up front, with errors in the user's words. A run's files go to a staging folder inside it and move in
// together at the end, after the previous run's files are removed, so a folder always holds one run;
// Ctrl-C (or SIGTERM) removes the staging folder and leaves the previous run as it was.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';

const STAGING_PREFIX = '.fluctus-partial-';

const reason = (e: unknown) => {
  const err = e as NodeJS.ErrnoException;
  return err.code === 'EACCES' || err.code === 'EPERM' || err.code === 'EROFS'
    ? 'not writable'
    : `${err.code ?? 'error'}: ${err.message}`;
};

/**
 * The folder `path` (given as `option`), created when missing; throws in user words when it cannot be.
 * Returns its absolute path and the folders created, outermost first.
 */
export function ensureFolder(path: string, option = '--out'): { dir: string; created: string[] } {
  const abs = resolve(path);
  const missing: string[] = [];
  let p = abs;
  for (;;) {
    let st: ReturnType<typeof statSync> | undefined;
    try {
      st = statSync(p);
    } catch (e) {
      // ENOTDIR: a file further up, found (and named) on the way up.
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw new Error(`${option} ${path}: ${p}: ${reason(e)}`);
    }
    if (st) {
      if (!st.isDirectory())
        throw new Error(
          p === abs ? `${option} ${path} is a file, not a folder` : `${option} ${path}: ${p} is a file, not a folder`,
        );
      break;
    }
    missing.unshift(p);
    const up = dirname(p);
    if (up === p) break;
    p = up;
  }
  for (const m of missing) {
    try {
      mkdirSync(m);
    } catch (e) {
      throw new Error(`${option} ${path}: cannot create ${m} (${reason(e)})`);
    }
  }
  return { dir: abs, created: missing };
}

/** Removes the folders ensureFolder created when they are still empty (innermost first). */
function removeCreated(created: string[]): void {
  for (const c of [...created].reverse()) {
    try {
      if (readdirSync(c).length) return;
      rmSync(c, { recursive: true });
    } catch {
      return;
    }
  }
}

/** Test-writes a small file in `dir` and removes it; throws "not writable" in user words. */
function probeWrite(dir: string, option: string, given: string): void {
  const probe = join(dir, `${STAGING_PREFIX}probe-${process.pid}`);
  try {
    writeFileSync(probe, '');
  } catch (e) {
    throw new Error(`${option} ${given}: the folder ${dir} is ${reason(e)}`);
  } finally {
    rmSync(probe, { force: true });
  }
}

/**
 * Checks an output file's place before any work: its folder exists (or is created) and takes a file,
 * and the path is not a folder. Returns the absolute path.
 */
export function checkOutFile(path: string, option = '--out'): string {
  const abs = resolve(path);
  if (existsSync(abs) && statSync(abs).isDirectory()) throw new Error(`${option} ${path} is a folder, not a file`);
  const { dir, created } = ensureFolder(dirname(abs), option);
  try {
    probeWrite(dir, option, path);
  } catch (e) {
    removeCreated(created);
    throw e;
  }
  return abs;
}

type Cleanup = () => void;
const cleanups = new Set<Cleanup>();
const notes = new Map<Cleanup, string>();
let handlersInstalled = false;

/**
 * Runs `fn` on Ctrl-C / SIGTERM before the process exits (130 / 143), restores the cursor the progress
 * bars hide and prints `note` (what the interrupted run leaves); returns the unregister function.
 */
export function onInterrupt(fn: Cleanup, note = 'nothing from this run was written'): () => void {
  if (!handlersInstalled) {
    handlersInstalled = true;
    for (const [sig, code] of [
      ['SIGINT', 130],
      ['SIGTERM', 143],
    ] as const) {
      process.on(sig, () => {
        for (const c of [...cleanups].reverse()) {
          try {
            c();
          } catch {
            // an interrupted run exits anyway; the next run removes what is left
          }
        }
        if (process.stderr.isTTY) process.stderr.write('\x1b[?25h\n'); // the progress bar hides the cursor
        const said = [...notes.values()];
        console.error(`fluctus: interrupted (${sig}); ${said[said.length - 1] ?? 'nothing from this run was written'}`);
        process.exit(code);
      });
    }
  }
  cleanups.add(fn);
  notes.set(fn, note);
  return () => {
    notes.delete(fn);
    return cleanups.delete(fn);
  };
}

/** A process id is still running (a staging folder of a live run is left alone). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface RunFolder {
  /** The output folder (absolute). */
  readonly dir: string;
  /** The staging folder the run writes into. */
  readonly staging: string;
  /** Removes `previous` files of an earlier run, moves the staged files in; returns their final paths. */
  commit(): string[];
  /** Removes the staging folder (the output folder keeps the previous run; a folder this run created and
   * left empty is removed). No-op after commit. */
  abort(): void;
}

/**
 * Opens `out` for one run before any work: the folder is created and test-written, stale staging
 * folders of dead runs are removed, and Ctrl-C removes this run's staging folder. `previous(dir)` names
 * the files an earlier run of the same command left there (removed at commit when this run lacks them).
 */
export function openRunFolder(out: string, previous: (dir: string) => string[], option = '--out'): RunFolder {
  const { dir, created } = ensureFolder(out, option);
  for (const name of readdirSync(dir)) {
    const m = new RegExp(`^${STAGING_PREFIX.replace(/\./g, '\\.')}(\\d+)-`).exec(name);
    if (m && !alive(Number(m[1]))) rmSync(join(dir, name), { recursive: true, force: true });
  }
  let staging: string;
  try {
    staging = mkdtempSync(join(dir, `${STAGING_PREFIX}${process.pid}-`));
  } catch (e) {
    removeCreated(created);
    throw new Error(`${option} ${out}: the folder ${dir} is ${reason(e)}`);
  }
  let open = true;
  const abort = () => {
    if (!open) return;
    open = false;
    rmSync(staging, { recursive: true, force: true });
    removeCreated(created);
    unregister();
  };
  const unregister = onInterrupt(abort);
  return {
    dir,
    staging,
    commit() {
      if (!open) throw new Error(`run folder ${dir}: already committed or aborted`);
      // Synchronous from here on: a Ctrl-C is handled after the move, never in the middle of it.
      const names = readdirSync(staging).filter((n) => !n.startsWith(STAGING_PREFIX));
      const fresh = new Set(names);
      for (const old of previous(dir)) {
        const name = basename(old);
        if (!fresh.has(name)) rmSync(join(dir, name), { force: true });
      }
      const moved = names.map((n) => {
        renameSync(join(staging, n), join(dir, n));
        return join(dir, n);
      });
      open = false;
      rmSync(staging, { recursive: true, force: true });
      unregister();
      return moved;
    },
    abort,
  };
}
