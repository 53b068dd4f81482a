// `fluctus moments`: the crn moment pass of one shard of a dataset's rows, saved as safetensors, so that a
// dataset split across machines is reduced by any batch runner and merged exactly by
// `fluctus analyze --moments 'part-*.safetensors'` (README "Moments in shards").
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Command } from 'commander';
import { shardPieces } from '../analysis/crn-pass.js';
import { planEvents } from '../analysis/events.js';
import { decodeShard, encodeShard, labelsHash, shardRange, type MomentShard } from '../analysis/moment-shards.js';
import { loadDataset } from '../data/loaders.js';
import { isNpyPath, readBytes, readLabels, stem } from '../data/files.js';
import { checkLabelCount, remapLabels } from '../data/dataset.js';
import { memoryRows, type RowSource } from '../data/row-source.js';
import { npyRows } from '../data/npy-rows.js';
import { writeFileAtomic } from '../runtime/atomic-write.js';
import { checkOutFile } from './out-folder.js';
import { destroyContext, requestContext } from '../runtime/context.js';
import { phaseBar, seedArg, SEED_RANGE, LABELS_HELP, csvHeaderOption, printDataNotes } from './common.js';

/** Parses `i/n` (0 <= i < n). */
export function parseShard(spec: string): [number, number] {
  const m = /^(\d+)\/(\d+)$/.exec(spec);
  const i = m ? Number(m[1]) : Number.NaN;
  const n = m ? Number(m[2]) : Number.NaN;
  if (!m || !(n >= 1) || !(i >= 0 && i < n)) throw new Error(`--shard '${spec}' is not i/n with 0 <= i < n (e.g. 0/4)`);
  return [i, n];
}

/** Expands a file pattern with `*` and `?` in its last path component (no recursion), sorted. */
export function expandPattern(pattern: string): string[] {
  const dir = dirname(pattern);
  const base = basename(pattern);
  if (!/[*?]/.test(base)) return [pattern];
  const re = new RegExp(
    `^${base
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    throw new Error(`--moments '${pattern}': cannot read the folder ${dir}`);
  }
  const files = names
    .filter((f) => re.test(f))
    .sort()
    .map((f) => join(dir, f));
  if (files.length === 0) throw new Error(`--moments '${pattern}': no file matches`);
  return files;
}

/** Reads and checks shard files (errors name the file). */
export function readShards(pattern: string): { file: string; shard: MomentShard }[] {
  return expandPattern(pattern).map((file) => ({ file, shard: decodeShard(readBytes(file), file) }));
}

export function momentsCommand(): Command {
  return new Command('moments')
    .description(
      "crn moments of one shard of a dataset's rows (--shard i/n), saved as safetensors for `fluctus analyze --moments`",
    )
    .option(
      '--data <name|path>',
      'gmm | digits | fashion-mnist | cifar-shaped | latent-shaped, or a .npy (streamed from disk) / IDX / CSV / PNG folder',
      'gmm',
    )
    .option('--labels <file|column>', LABELS_HELP)
    .addOption(csvHeaderOption())
    .option('--shard <i/n>', 'this shard: rows [i N / n, (i + 1) N / n) in data order', '0/1')
    .option('--seed <n>', `noise seed (${SEED_RANGE}; every shard of one analysis must use the same)`, seedArg, 0)
    .requiredOption('--out <file>', 'output .safetensors file (written atomically)')
    .action(async (o) => {
      const [index, shards] = parseShard(o.shard);
      checkOutFile(o.out);
      // Labels and shape first: every shard needs all labels (segments depend on the class sizes).
      let source: RowSource & { close?: () => void };
      let labels: Int32Array;
      let meta: { name: string; classNames: string[]; imageShape: [number, number] | null; scale: string };
      if (isNpyPath(o.data) && !o.data.endsWith('.gz')) {
        if (!o.labels) throw new Error(`${o.data}: needs labels: pass --labels <file.npy>`);
        const npy = npyRows(o.data);
        source = npy;
        const raw = readLabels(o.labels);
        checkLabelCount(o.labels, raw.length, o.data, npy.rows);
        // The same class numbering as loading the file whole (loadDataset): distinct labels, ascending.
        const remapped = remapLabels(o.labels, raw);
        labels = remapped.labels;
        meta = { name: stem(o.data), classNames: remapped.classNames, imageShape: npy.imageShape, scale: npy.scale };
      } else {
        const data = loadDataset(o.data, { labels: o.labels, csvHeader: o.csvHeader });
        printDataNotes(data);
        source = memoryRows(data.x, data.shape[1]);
        labels = data.labels;
        meta = {
          name: data.name,
          classNames: data.classNames,
          imageShape: data.imageShape ?? null,
          scale: data.scale ?? 'as given',
        };
      }
      const counts = meta.classNames.map(() => 0);
      for (const l of labels) counts[l]!++;
      const plan = planEvents(meta.classNames, counts, labels.length, []);
      const [lo, hi] = shardRange(index, shards, labels.length);
      const ctx = await requestContext();
      const bar = phaseBar();
      try {
        console.log(
          `moments of ${meta.name}: rows ${lo}..${hi} of ${labels.length} (shard ${index}/${shards}), D = ${source.dim}, seed ${o.seed}`,
        );
        const t0 = performance.now();
        const { pieces, flops } = await shardPieces(ctx, {
          source,
          labels,
          counts,
          plan,
          seed: o.seed,
          range: [lo, hi],
          onProgress: (d, t) => bar.update('moments', d, t),
        });
        bar.stop();
        const bytes = encodeShard({
          data: { ...meta, rows: labels.length, dim: source.dim, counts, labels: labelsHash(labels) },
          seed: o.seed,
          index,
          shards,
          lo,
          hi,
          pieces,
        });
        writeFileAtomic(o.out, bytes);
        const s = (performance.now() - t0) / 1e3;
        console.log(
          `wrote ${o.out}: ${pieces.length} segment pieces, ${(bytes.length / 2 ** 20).toFixed(1)} MiB, ${(flops / 1e9).toFixed(1)} GFLOP in ${s.toFixed(1)} s`,
        );
      } finally {
        bar.stop();
        source.close?.();
        destroyContext(ctx);
      }
    });
}
