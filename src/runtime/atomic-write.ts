// Node only (the browser bundle never imports it: pages have no file system). The one way fluctus
// writes a file that someone may be reading: reports, checkpoints, caches, benchmark results.
import { renameSync, rmSync, writeFileSync } from 'node:fs';

/**
 * Writes `data` to `path` through a temp file in the same folder (`<path>.tmp-<pid>`) and a rename,
 * which is atomic on one file system, so a reader never sees half a file; the temp file is removed
 * when anything fails, and the error is rethrown.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
}
