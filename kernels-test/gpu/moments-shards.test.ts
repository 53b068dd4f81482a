// Moment shards (`fluctus moments`, `fluctus analyze --moments`): n shards give the same merger steps as one
// pass (bit for bit), one shard the very same numbers; shard files round-trip; shards that do not belong
// together, missing, duplicated or truncated are refused naming the file and the field; the CLI streams a
// .npy from disk shard by shard.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';
import { analyzeMergers, momentsDataset, type AnalyzeOptions } from '../../src/analysis/analyze.js';
import { shardPieces } from '../../src/analysis/crn-pass.js';
import { planEvents } from '../../src/analysis/events.js';
import {
  combineShards,
  decodeShard,
  encodeShard,
  labelsHash,
  shardRange,
  type MomentShard,
} from '../../src/analysis/moment-shards.js';
import type { Dataset } from '../../src/data/dataset.js';
import { memoryRows } from '../../src/data/row-source.js';
import type { MergerReport } from '../../src/formats/report-types.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { npyBytes } from '../data-files.js';
import { gaussian, rng } from '../random.js';
import { describeGpu } from './device.js';

const D = 20;
const K = 4;
const N = 2400;
const schedule = makeSchedule('cosine', 200);

function dataset(seed: number): Dataset {
  const u = rng(seed);
  const g = gaussian(seed + 1);
  const labels = Int32Array.from({ length: N }, () => Math.floor(u() * K));
  const x = Float32Array.from({ length: N * D }, (_, i) => {
    const k = labels[Math.floor(i / D)]!;
    const c = i % D;
    return g() * (1 + (c === k ? 2 + k : 0)) + 0.3 * k;
  });
  return {
    name: 'shards',
    x,
    labels,
    shape: [N, D],
    classes: K,
    classNames: ['a', 'b', 'c', 'd'],
    imageShape: null,
    source: 'test',
    scale: 'as generated',
  };
}

const opts: Partial<AnalyzeOptions> = { schedule, method: 'crn', seed: 3, eps: { value: 0.5 } };

async function shards(
  ctx: Parameters<typeof shardPieces>[0],
  data: Dataset,
  n: number,
  seed = 3,
): Promise<MomentShard[]> {
  const counts = data.classNames.map(() => 0);
  for (const l of data.labels) counts[l]!++;
  const plan = planEvents(data.classNames, counts, N, []);
  const out: MomentShard[] = [];
  for (let i = 0; i < n; i++) {
    const [lo, hi] = shardRange(i, n, N);
    const { pieces } = await shardPieces(ctx, {
      source: memoryRows(data.x, D),
      labels: data.labels,
      counts,
      plan,
      seed,
      range: [lo, hi],
    });
    out.push({
      data: {
        name: data.name,
        rows: N,
        dim: D,
        classNames: data.classNames,
        counts,
        labels: labelsHash(data.labels),
        imageShape: null,
        scale: data.scale!,
      },
      seed,
      index: i,
      shards: n,
      lo,
      hi,
      pieces,
    });
  }
  return out;
}

const steps = (r: MergerReport) => r.pairs.map((p) => p.mergerStep);

describeGpu('moment shards', (get) => {
  const data = dataset(11);
  let onePass: MergerReport;

  it('one shard reproduces the one-pass analysis exactly; n shards give the same merger steps', async () => {
    const ctx = get();
    onePass = (await analyzeMergers(ctx, data, opts as AnalyzeOptions)).report;
    expect(steps(onePass).filter((s) => s !== null).length).toBeGreaterThan(3);
    for (const n of [1, 3]) {
      const files = (await shards(ctx, data, n)).map((s, i) => ({
        file: `part-${i}`,
        shard: decodeShard(encodeShard(s), `part-${i}`),
      }));
      const merged = combineShards(files);
      const { report } = await analyzeMergers(ctx, momentsDataset(merged.data), {
        ...(opts as AnalyzeOptions),
        seed: merged.seed,
        moments: merged.pieces,
      });
      expect(steps(report), `${n} shards`).toEqual(steps(onePass));
      expect(report.dendrogram.newick).toBe(onePass.dendrogram.newick);
      report.pairs.forEach((p, q) => {
        const want = onePass.pairs[q]!;
        if (n === 1) expect(p.M).toEqual(want.M);
        // f32 sums in another order: M agrees to rounding.
        else p.M.forEach((m, s) => expect(Math.abs(m - want.M[s]!)).toBeLessThan(1e-5));
      });
      expect(report.dataNoise.normality.directions).toBe(0);
      expect(report.warnings.join(' ')).toMatch(/normality test needs the data rows/);
    }
  }, 120_000);

  it('refuses shards that do not belong together, naming the file and the field', async () => {
    const ctx = get();
    const good = await shards(ctx, data, 2);
    const file = (s: MomentShard, name: string) => ({ file: name, shard: s });
    const otherSeed = (await shards(ctx, data, 2, 4))[1]!;
    expect(() => combineShards([file(good[0]!, 'a'), file(otherSeed, 'b')])).toThrow(/b: seed 4, but a has seed 3/);
    const otherDim = { ...good[1]!, data: { ...good[1]!.data, dim: 21 } };
    expect(() => combineShards([file(good[0]!, 'a'), file(otherDim, 'b')])).toThrow(
      /b: data field 'dim' is 21, but a has 20/,
    );
    const otherLabels = { ...good[1]!, data: { ...good[1]!.data, labels: 'deadbeef' } };
    expect(() => combineShards([file(good[0]!, 'a'), file(otherLabels, 'b')])).toThrow(/b: data field 'labels'/);
    const otherClasses = { ...good[1]!, data: { ...good[1]!.data, classNames: ['a', 'b', 'c', 'e'] } };
    expect(() => combineShards([file(good[0]!, 'a'), file(otherClasses, 'b')])).toThrow(/b: data field 'classNames'/);
    expect(() => combineShards([file(good[0]!, 'a'), file(good[0]!, 'b')])).toThrow(/b and a are both shard 0\/2/);
    expect(() => combineShards([file(good[0]!, 'a')])).toThrow(/shard 1 of 2 missing/);
    const bytes = encodeShard(good[0]!);
    expect(() => decodeShard(bytes.subarray(0, bytes.length - 100), 'cut.safetensors')).toThrow(/cut\.safetensors/);
  }, 60_000);

  it('the CLI: moments of two shards of a .npy streamed from disk, then analyze --moments', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluctus-shards-'));
    writeFileSync(join(dir, 'x.npy'), npyBytes(data.x, [N, D]));
    writeFileSync(join(dir, 'y.npy'), npyBytes(Int32Array.from(data.labels), [N]));
    const bin = new URL('../../bin/fluctus.js', import.meta.url).pathname;
    const run = promisify(execFile);
    const fluctus = (args: string[]) => run(process.execPath, [bin, ...args], { timeout: 120_000 });
    for (const i of [0, 1]) {
      await fluctus([
        'moments',
        '--data',
        join(dir, 'x.npy'),
        '--labels',
        join(dir, 'y.npy'),
        '--shard',
        `${i}/2`,
        '--seed',
        '3',
        '--out',
        join(dir, `part-${i}.safetensors`),
      ]);
    }
    const common = ['--schedule', 'cosine', '--steps', '200', '--eps', '0.5'];
    await fluctus(['analyze', '--moments', join(dir, 'part-*.safetensors'), ...common, '--out', join(dir, 'sharded')]);
    await fluctus([
      'analyze',
      '--data',
      join(dir, 'x.npy'),
      '--labels',
      join(dir, 'y.npy'),
      '--seed',
      '3',
      ...common,
      '--out',
      join(dir, 'whole'),
    ]);
    const a = JSON.parse(readFileSync(join(dir, 'sharded', 'report.json'), 'utf8')) as MergerReport;
    const b = JSON.parse(readFileSync(join(dir, 'whole', 'report.json'), 'utf8')) as MergerReport;
    expect(steps(a)).toEqual(steps(b));
    await expect(
      fluctus(['analyze', '--moments', join(dir, 'nothing-*.safetensors'), '--out', join(dir, 'bad')]),
    ).rejects.toThrow(/no file matches/);
  }, 300_000);
});
