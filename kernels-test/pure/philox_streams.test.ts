// The Philox stream table (src/kernels/philox_streams.ts): no two consumers' ranges overlap, every
// stream constant lives in the table and nowhere else in src/, and the diffusion classifier's noises
// map into its own ranges, one stream each. No GPU.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as streams from '../../src/kernels/philox_streams.js';
import {
  MAX_NOISES,
  PHILOX_STREAMS,
  ZERO_SHOT_LOW_NOISES,
  ZERO_SHOT_STREAM,
  zeroShotStream,
} from '../../src/kernels/philox_streams.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const inRange = (s: number) => PHILOX_STREAMS.find((r) => s >= r.start && s < r.start + r.length);

describe('Philox stream ranges', () => {
  it('are whole, non-empty and inside the 32-bit counter word', () => {
    for (const r of PHILOX_STREAMS) {
      expect(Number.isInteger(r.start) && Number.isInteger(r.length), r.name).toBe(true);
      expect(r.length, r.name).toBeGreaterThan(0);
      expect(r.start, r.name).toBeGreaterThanOrEqual(0);
      expect(r.start + r.length, r.name).toBeLessThanOrEqual(2 ** 32);
    }
  });
  it('do not overlap', () => {
    const sorted = [...PHILOX_STREAMS].sort((a, b) => a.start - b.start);
    const overlaps = sorted.slice(1).flatMap((r, i) => {
      const p = sorted[i]!;
      return p.start + p.length > r.start
        ? [`${p.name} [${p.start}, ${p.start + p.length}) overlaps ${r.name} [${r.start}, ${r.start + r.length})`]
        : [];
    });
    expect(overlaps).toEqual([]);
  });
  it('each is named after the constant that starts it', () => {
    for (const r of PHILOX_STREAMS) expect((streams as Record<string, unknown>)[r.name], r.name).toBe(r.start);
  });
  it('every exported stream constant lies in a range', () => {
    const constants = Object.entries(streams).filter(([k, v]) => /STREAM/.test(k) && typeof v === 'number') as [
      string,
      number,
    ][];
    expect(constants.length).toBeGreaterThanOrEqual(13);
    for (const [k, v] of constants) expect(inRange(v), `${k} = ${v}`).toBeDefined();
  });
});

describe('zero-shot noises', () => {
  it('noise j < 16 keeps stream 64 + j; every noise has its own stream inside a zero-shot range', () => {
    for (let j = 0; j < ZERO_SHOT_LOW_NOISES; j++) expect(zeroShotStream(j)).toBe(ZERO_SHOT_STREAM + j);
    const all = Array.from({ length: MAX_NOISES }, (_, j) => zeroShotStream(j));
    expect(new Set(all).size).toBe(MAX_NOISES);
    for (const s of all) expect(inRange(s)?.owner, `stream ${s}`).toMatch(/diffusion-classifier/);
  });
});

describe('one home for stream values', () => {
  it('no file in src/ but the table defines a stream constant by value', () => {
    const files = readdirSync(join(root, 'src'), { recursive: true, encoding: 'utf8' }).filter((f) =>
      f.endsWith('.ts'),
    );
    const offenders: string[] = [];
    for (const f of files) {
      const path = join(root, 'src', f);
      if (relative(root, path).split('\\').join('/') === 'src/kernels/philox_streams.ts') continue;
      for (const m of readFileSync(path, 'utf8').matchAll(/const (\w*STREAM\w*) = \d/g))
        offenders.push(`src/${f}: ${m[1]}`);
    }
    expect(offenders).toEqual([]);
  });
});
