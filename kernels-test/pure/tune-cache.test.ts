// Where the autotune keeps its choices across runs (platform-node.ts defaultTuneCache).
import { homedir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultTuneCache } from '../../src/runtime/platform-node.js';

const saved = { tune: process.env.FLUCTUS_TUNE_CACHE, xdg: process.env.XDG_CACHE_HOME };
const restore = (name: string, v: string | undefined) => {
  if (v === undefined) delete process.env[name];
  else process.env[name] = v;
};

describe('defaultTuneCache', () => {
  afterEach(() => {
    restore('FLUCTUS_TUNE_CACHE', saved.tune);
    restore('XDG_CACHE_HOME', saved.xdg);
  });

  it('is the user cache folder unless FLUCTUS_TUNE_CACHE says otherwise', () => {
    delete process.env.FLUCTUS_TUNE_CACHE;
    delete process.env.XDG_CACHE_HOME;
    expect(defaultTuneCache()).toBe(join(homedir(), '.cache', 'fluctus', 'autotune.json'));
    process.env.XDG_CACHE_HOME = '/var/cache/me';
    expect(defaultTuneCache()).toBe('/var/cache/me/fluctus/autotune.json');
    process.env.XDG_CACHE_HOME = '';
    expect(defaultTuneCache()).toBe(join(homedir(), '.cache', 'fluctus', 'autotune.json'));
  });

  it('takes FLUCTUS_TUNE_CACHE as a path, and off or empty as no file', () => {
    process.env.XDG_CACHE_HOME = '/var/cache/me';
    process.env.FLUCTUS_TUNE_CACHE = '/tmp/t.json';
    expect(defaultTuneCache()).toBe('/tmp/t.json');
    process.env.FLUCTUS_TUNE_CACHE = 'off';
    expect(defaultTuneCache()).toBeUndefined();
    process.env.FLUCTUS_TUNE_CACHE = '';
    expect(defaultTuneCache()).toBeUndefined();
  });
});
