// `fluctus analyze`: the merger analysis on a dataset, written to DIR/report.json, DIR/report.html
// (and DIR/late-start.json when late-start steps are requested).
import { join } from 'node:path';
import { Command, Option } from 'commander';
import { requestContext, destroyContext, type Context } from '../runtime/context.js';
import { traced, traceHost } from '../runtime/trace.js';
import { defaultTuneCache } from '../runtime/platform-node.js';
import { tuneLog } from '../kernels/autotune.js';
import { makeSchedule, type ScheduleName } from '../schedule/schedules.js';
import { loadDataset } from '../data/loaders.js';
import { analyzeMergers, momentsDataset } from '../analysis/analyze.js';
import { combineShards } from '../analysis/moment-shards.js';
import { readShards } from './moments.js';
import { parseGroups } from '../analysis/events.js';
import { DEFAULT_EPS_RATIO } from '../analysis/curves.js';
import { DIP_GRID } from '../analysis/merger-search.js';
import { CENTRINGS, LINKAGES, MERGER_METHODS, type MergerReport } from '../formats/report-types.js';
import { writeJsonAtomic, writeReportFiles } from '../report/report-html.js';
import {
  intArg,
  intList,
  packageVersion,
  phaseBar,
  positive,
  seedArg,
  SEED_RANGE,
  LABELS_HELP,
  csvHeaderOption,
  printDataNotes,
  TRACE_HELP,
  writeTrace,
} from './common.js';
import { checkOutFile, openRunFolder } from './out-folder.js';

const MAX_STEPS = 100_000;
/** The files a run of `analyze` writes (a rerun removes the ones it does not write again). */
const ANALYZE_FILES = ['report.json', 'report.html', 'late-start.json'];

function headline(r: MergerReport): string {
  const step = (s: number | null) =>
    s === null ? `none within T = ${r.schedule.T}` : `${s} (abar ${r.schedule.abar[s]!.toPrecision(3)})`;
  const lines = [
    `data–noise merger step: ${step(r.dataNoise.mergerStep)}`,
    r.dataNoise.normality.directions === 0
      ? 'normality: not computed (it needs the data rows)'
      : `normality no longer rejected (alpha ${r.dataNoise.normality.alpha}) from step: ${step(r.dataNoise.normalityStep)}`,
    `speciation step: ${step(r.speciationStep)} (Lambda ${r.speciation.lambdaMax.toPrecision(4)})`,
    `class–rest merger steps: ${r.data.classNames.map((n, k) => `${n} ${r.classRestMerger[k] ?? '-'}`).join(', ')}`,
    `first class merges: ${
      r.dendrogram.merges
        .slice(0, 3)
        .map((m) => `${clusterName(r, m.a)} + ${clusterName(r, m.b)} at ${m.height}`)
        .join('; ') || 'none'
    }`,
  ];
  return lines.join('\n');
}

function clusterName(r: MergerReport, id: number): string {
  const K = r.data.classNames.length;
  if (id < K) return r.data.classNames[id]!;
  const m = r.dendrogram.merges[id - K]!;
  return `(${clusterName(r, m.a)} ${clusterName(r, m.b)})`;
}

export function analyzeCommand(): Command {
  return new Command('analyze')
    .description(
      'cross-fluctuation merger analysis of a dataset: merger steps, normality, dendrogram, speciation; writes DIR/report.json and DIR/report.html',
    )
    .option(
      '--data <name|path>',
      'gmm | digits | fashion-mnist | cifar-shaped | latent-shaped, or a .npy / IDX(.gz) / .csv file or a folder of PNG class subfolders',
      'gmm',
    )
    .option('--labels <file|column>', LABELS_HELP)
    .addOption(csvHeaderOption())
    .addOption(new Option('--split <name>', 'split of a built-in dataset').choices(['train', 'test']).default('train'))
    .option(
      '--samples-per-class <n>',
      'use at most n samples per class (first ones)',
      intArg('--samples-per-class', 2, 2 ** 31 - 1),
    )
    .addOption(new Option('--schedule <name>', 'noise schedule').choices(['linear', 'cosine']).default('linear'))
    .option('--steps <T>', 'number of diffusion steps T', intArg('--steps', 2, MAX_STEPS), 1000)
    .addOption(
      new Option(
        '--method <name>',
        'per-step covariances: crn (one noise draw, all steps), mc (Monte-Carlo sweep), exact (closed form)',
      )
        .choices([...MERGER_METHODS])
        .default('crn'),
    )
    .addOption(
      new Option(
        '--dip-probes <where>',
        `crn: uncertified steps the search probes with full spectra for dips below eps: 'near' (where the tracked estimate is within eps/4 of eps) or 'all' (every ${DIP_GRID}th; slower, for data at the finite-sample floor)`,
      )
        .choices(['near', 'all'])
        .default('near'),
    )
    .option(
      '--eps-ratio <r>',
      `eps = max over classes and all data of lambda_max(C(0)) / r (default ${DEFAULT_EPS_RATIO})`,
      positive('--eps-ratio'),
    )
    .option('--eps <v>', 'absolute eps (instead of --eps-ratio)', positive('--eps'))
    .addOption(
      new Option('--centring <mode>', 'centre each event about its own mean or the global mean')
        .choices([...CENTRINGS])
        .default('own'),
    )
    .addOption(new Option('--linkage <name>', 'dendrogram linkage').choices([...LINKAGES]).default('average'))
    .option('--groups <spec>', "extra events pooling classes, e.g. 'tops=0,2,4,6;shoes=5,7,9' (names or indices)")
    .option(
      '--spectral-steps <n|all>',
      'steps at which full spectra are computed (default: all for small D, fewer for large D)',
    )
    .option(
      '--noise-samples <n>',
      'size of the N(0, I) sample of the noise event (default: number of data rows)',
      intArg('--noise-samples', 8, 2 ** 31 - 1),
    )
    .option('--alpha <a>', 'significance level of the normality test', positive('--alpha'), 0.05)
    .option(
      '--late-start <steps>',
      'save late-start statistics (mean, top-r eigenpairs, isotropic rest) at these steps',
      intList('--late-start', 0, 'steps'),
    )
    .option('--late-rank <r>', 'rank r of the late-start statistics', intArg('--late-rank', 1, 100_000), 16)
    .option('--seed <n>', `noise seed (${SEED_RANGE})`, seedArg, 0)
    .option(
      '--moments <files>',
      "analyse crn moment shards written by `fluctus moments` (a file pattern, e.g. 'part-*.safetensors') instead of --data",
    )
    .option('--out <dir>', 'output folder', 'report')
    .option('--trace <file>', TRACE_HELP)
    .action(async (o) => {
      if (o.eps !== undefined && o.epsRatio !== undefined)
        throw new Error('give either --eps or --eps-ratio, not both');
      let spectral: number | 'all' | undefined;
      if (o.spectralSteps !== undefined) {
        spectral = o.spectralSteps === 'all' ? 'all' : intArg('--spectral-steps', 2, MAX_STEPS + 1)(o.spectralSteps);
      }
      if (o.moments !== undefined && o.method !== 'crn')
        throw new Error(`--moments holds crn moments; --method ${o.method} needs the data rows`);
      if (o.dipProbes !== 'near' && o.method !== 'crn')
        throw new Error(
          `--dip-probes is a setting of crn's merger search; --method ${o.method} takes full spectra on its grid`,
        );
      if (o.trace !== undefined) checkOutFile(o.trace, '--trace');
      const run = openRunFolder(o.out, () => ANALYZE_FILES);
      const bar = phaseBar();
      let ctx: Context | null = null;
      try {
        const tRead = performance.now();
        const moments = o.moments !== undefined ? combineShards(readShards(o.moments)) : null;
        const data = moments
          ? momentsDataset(moments.data)
          : loadDataset(o.data, {
              labels: o.labels,
              csvHeader: o.csvHeader,
              split: o.split,
              limit: o.samplesPerClass,
              seed: o.seed,
            });
        const tReadEnd = performance.now();
        printDataNotes(data);
        const seed = moments ? moments.seed : o.seed;
        const groups = o.groups ? parseGroups(o.groups, data.classNames) : [];
        const schedule = makeSchedule(o.schedule as ScheduleName, o.steps);
        ctx = await requestContext({ profile: true, trace: o.trace !== undefined });
        traceHost(ctx, moments ? 'read moment shards' : 'read data', tRead, tReadEnd);
        const a = ctx.adapterInfo;
        console.log(`adapter: ${a.vendor} ${a.architecture} ${a.description}${a.isFallback ? ' (software)' : ''}`);
        console.log(
          `data: ${data.name} ${data.shape[0]} x ${data.shape[1]}, ${data.classes} classes (${data.source}); schedule ${o.schedule} T=${o.steps}; method ${o.method}`,
        );
        const { report, lateStart } = await analyzeMergers(ctx, data, {
          schedule,
          method: o.method,
          centring: o.centring,
          linkage: o.linkage,
          dipProbes: o.dipProbes,
          seed,
          moments: moments?.pieces,
          eps: o.eps !== undefined ? { value: o.eps } : { ratio: o.epsRatio ?? DEFAULT_EPS_RATIO },
          spectralSteps: spectral,
          noiseSamples: o.noiseSamples,
          groups,
          alpha: o.alpha,
          lateStart: o.lateStart,
          lateRank: o.lateRank,
          progress: (p, d, t) => bar.update(p, d, t),
          version: packageVersion(),
          commit: process.env.FLUCTUS_COMMIT ?? null,
        });
        bar.stop();
        bar.update('report', 0, 1);
        await traced(ctx, 'write report', async () => {
          await writeReportFiles(run.staging, report);
          if (lateStart) writeJsonAtomic(join(run.staging, 'late-start.json'), lateStart);
          run.commit();
        });
        bar.stop();
        if (o.trace !== undefined)
          console.log(`trace: ${o.trace} (${writeTrace(ctx, o.trace, { data: data.name })} events)`);
        console.log(`\n${headline(report)}`);
        for (const w of report.warnings) console.log(`\nwarning: ${w}`);
        if (tuneLog.length) {
          const cache = defaultTuneCache();
          console.log(
            `\nautotune: ${tuneLog.length} kernel shape classes timed on this adapter${cache ? ` (kept in ${cache}: later runs skip them)` : ''}`,
          );
        }
        console.log(
          `\nreport: ${o.out}/report.html (data: ${o.out}/report.json${lateStart ? `, late start: ${o.out}/late-start.json` : ''}) in ${(report.timings.total! / 1e3).toFixed(1)} s`,
        );
      } finally {
        run.abort();
        bar.stop();
        if (ctx) destroyContext(ctx);
      }
    });
}
