// Browser side of the runtime: navigator.gpu, shaders embedded by the bundler (scripts/build-web.ts
// builds the 'fluctus:shaders' module from shaders/**/*.wgsl). Same exports as platform-node.ts.
import sources from 'fluctus:shaders';
import type { HostWorker } from './host-worker.js';

export const platform = 'browser' as const;

export function getGpu(_flags: string[] = []): GPU {
  if (typeof navigator === 'undefined' || !navigator.gpu) throw new Error(noAdapterHelp);
  return navigator.gpu;
}

export function readShader(file: string): string {
  const text = sources[file];
  if (text === undefined) throw new Error(`fluctus: shader '${file}' is not in the bundle`);
  return text;
}

/** Pages have no file system: caches stay in memory. */
export function readTextFile(_path: string): string | null {
  return null;
}

export function writeTextFile(path: string, _text: string): void {
  throw new Error(`fluctus: cannot write ${path}: a browser page has no file system`);
}

/** Pages keep no tuning cache file: tunes are remembered per context only. */
export function defaultTuneCache(): string | undefined {
  return undefined;
}

export function makeParentDir(path: string): void {
  throw new Error(`fluctus: cannot create the folder of ${path}: a browser page has no file system`);
}

export function readBinaryFile(path: string): Uint8Array {
  throw new Error(
    `fluctus: cannot read ${path}: a browser page has no file system (decode the bytes you fetched instead)`,
  );
}

export function writeBinaryFile(path: string, _bytes: Uint8Array): void {
  throw new Error(`fluctus: cannot write ${path}: a browser page has no file system`);
}

export const noAdapterHelp =
  'fluctus: this browser exposes no WebGPU adapter. Use a browser with WebGPU enabled (Chromium: ' +
  '--enable-unsafe-webgpu on Linux) and serve the page from https or http://127.0.0.1.';

/** Pages run host work on the main thread (no worker pool yet). */
export function hostThreads(): number {
  return 0;
}

export function startHostWorker(_body: string): HostWorker {
  throw new Error('fluctus: host worker threads are not used in a browser page');
}
