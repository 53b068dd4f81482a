// Node side of the runtime: Dawn through the `webgpu` package, shaders read from disk.
// The browser bundle swaps this module for platform-browser.ts (scripts/build-web.ts).
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { availableParallelism, homedir, tmpdir } from 'node:os';
import { Worker } from 'node:worker_threads';
import { dirname, join } from 'node:path';
import { create, globals } from 'webgpu';
import { writeFileAtomic } from './atomic-write.js';
import type { HostWorker } from './host-worker.js';

export const platform = 'node' as const;

// dawn.node crashes if the object returned by create() is garbage-collected while in use, so every
// instance stays referenced for the life of the process.
const keptAlive: GPU[] = [];

/** Dawn flags used unless the caller overrides them: real timestamps for profiling. */
const DEFAULT_FLAGS = ['disable-dawn-features=timestamp_quantization'];

export function getGpu(flags: string[] = []): GPU {
  // Mesa's drivers print errors without a runtime dir (ENVIRONMENT.md).
  process.env.XDG_RUNTIME_DIR ??= tmpdir();
  Object.assign(globalThis, globals);
  const fromEnv = (process.env.FLUCTUS_DAWN_FLAGS ?? '').split(/\s+/).filter(Boolean);
  const gpu = create([...DEFAULT_FLAGS, ...fromEnv, ...flags]);
  keptAlive.push(gpu);
  return gpu;
}

const shaderRoot = new URL('../../shaders/', import.meta.url);

export function readShader(file: string): string {
  return readFileSync(new URL(file, shaderRoot), 'utf8');
}

/** A small text file (caches), or null when it does not exist. */
export function readTextFile(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

/** Writes through a temp file and a rename, so a crash never leaves a half-written file. */
export function writeTextFile(path: string, text: string): void {
  writeFileAtomic(path, text);
}

/**
 * The autotune's cache file (autotune.ts): FLUCTUS_TUNE_CACHE when set (a path; `off` or empty: no file),
 * else autotune.json in the user's cache folder ($XDG_CACHE_HOME/fluctus, default ~/.cache/fluctus), as
 * compilers that tune kernels keep theirs. Its folder is created when missing.
 */
export function defaultTuneCache(): string | undefined {
  const env = process.env.FLUCTUS_TUNE_CACHE;
  if (env !== undefined) return env === '' || env === 'off' ? undefined : env;
  const root = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(root, 'fluctus', 'autotune.json');
}

/** Creates the folder a file will be written to, with its parents. */
export function makeParentDir(path: string): void {
  mkdirSync(dirname(path), { recursive: true });
}

/** A whole binary file (checkpoints); the error names the file. */
export function readBinaryFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new Error(`${path}: cannot be read: ${(e as Error).message}`);
  }
}

/** Binary twin of writeTextFile: temp file, then rename; the temp file is removed on failure. */
export function writeBinaryFile(path: string, bytes: Uint8Array): void {
  writeFileAtomic(path, bytes);
}

export const noAdapterHelp =
  'fluctus: no WebGPU adapter found. Without a GPU, Dawn needs Mesa 25 lavapipe: run `npm run setup` ' +
  '(scripts/setup-webgpu; as root on Debian it adds bookworm-backports and installs ' +
  'mesa-vulkan-drivers and libvulkan1 from it), or pass Dawn flags with FLUCTUS_DAWN_FLAGS.';

/**
 * Threads for host work beside the main thread: FLUCTUS_HOST_THREADS when set (0: none, everything on
 * the main thread), else one less than the cores, at most 15.
 */
export function hostThreads(): number {
  const env = process.env.FLUCTUS_HOST_THREADS;
  if (env !== undefined && env !== '') {
    const n = Number(env);
    if (!Number.isInteger(n) || n < 0) throw new Error(`FLUCTUS_HOST_THREADS must be an integer >= 0, got '${env}'`);
    return n;
  }
  return Math.max(0, Math.min(15, availableParallelism() - 1));
}

/**
 * A worker thread running `body`, a CommonJS script that sees `onMessage(f)` and `post(message, transfer)`.
 * Unreferenced until hold(true): an idle worker does not keep the process alive.
 */
export function startHostWorker(body: string): HostWorker {
  const prelude =
    "'use strict';\nconst { parentPort } = require('node:worker_threads');\n" +
    "const onMessage = (f) => parentPort.on('message', f);\n" +
    'const post = (m, t) => parentPort.postMessage(m, t);\n';
  const w = new Worker(prelude + body, { eval: true });
  w.unref();
  return {
    post: (m, t) => w.postMessage(m, t),
    onMessage: (f) => w.on('message', f),
    onError: (f) => w.on('error', f),
    hold: (on) => (on ? w.ref() : w.unref()),
  };
}
