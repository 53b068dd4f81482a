// `fluctus experiment <name> --out DIR`: the paper's applications measured (DIR/result.json and
// DIR/report.html). Exact denoisers by default, so every experiment runs without training.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InvalidArgumentError, Command, Option } from 'commander';
import { requestContext, destroyContext, type Context } from '../runtime/context.js';
import { traced } from '../runtime/trace.js';
import { MERGER_METHODS } from '../formats/report-types.js';
import { DEFAULT_EPS_RATIO } from '../analysis/curves.js';
import { EXACT_DENOISERS, disposeSetup, prepareExperiment } from '../experiments/setup.js';
import { EXPERIMENTS, experimentByName } from '../experiments/registry.js';
import { EPS_SWEEP } from '../experiments/accelerated.js';
import { writeExperimentReport } from '../report/experiment-report.js';
import { MAX_NOISES } from '../experiments/diffusion-classifier.js';
import {
  intArg,
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

/** The files an earlier experiment left in `dir`: result.json, report.html and those result.json lists. */
export function previousExperimentFiles(dir: string): string[] {
  const names = ['result.json', 'report.html'];
  try {
    const r = JSON.parse(readFileSync(join(dir, 'result.json'), 'utf8')) as {
      files?: unknown;
      images?: { file?: unknown }[];
    };
    const listed = [...(Array.isArray(r.files) ? r.files : []), ...(r.images ?? []).map((im) => im?.file)];
    // Only plain names inside the folder (the writer allows nothing else).
    for (const f of listed) if (typeof f === 'string' && /^[\w.-]+\.(json|png)$/.test(f)) names.push(f);
  } catch {
    // no earlier run, or not one of ours: only the fixed names
  }
  return names;
}

/** --eps-sweep: comma-separated positive ratios, or none. */
function epsSweepArg(v: string): number[] {
  if (v === 'none') return [];
  return v.split(',').map((w) => {
    const q = Number(w);
    if (!(w.trim() !== '' && Number.isFinite(q) && q > 0))
      throw new InvalidArgumentError(`--eps-sweep takes positive ratios separated by commas (or none), got '${w}'`);
    return q;
  });
}

export function experimentCommand(): Command {
  return new Command('experiment')
    .description(
      `run one of the paper's applications and write DIR/result.json and DIR/report.html; experiments: ${EXPERIMENTS.map((e) => `${e.name} (${e.description})`).join('; ')}`,
    )
    .argument('<name>', `experiment: ${EXPERIMENTS.map((e) => e.name).join(', ')}`)
    .requiredOption('--out <dir>', 'output folder')
    .option(
      '--data <name|path>',
      'gmm | digits | fashion-mnist | cifar-shaped | latent-shaped, or a .npy / IDX(.gz) / .csv file or a folder of PNG class subfolders',
      'gmm',
    )
    .option('--labels <file|column>', LABELS_HELP)
    .addOption(csvHeaderOption())
    .option(
      '--samples-per-class <n>',
      'training rows per class kept (first ones)',
      intArg('--samples-per-class', 2, 2 ** 31 - 1),
    )
    .option(
      '--separation <x>',
      'norm of the class means of the built-in gmm (default 4; smaller: classes overlap)',
      positive('--separation'),
    )
    .option('--model <ckpt>', 'a denoiser trained by `fluctus train` (default: an exact denoiser)')
    .addOption(
      new Option(
        '--exact <kind>',
        "exact denoiser: truth (the built-in gmm's true mixture), gmm-fit (one Gaussian per class), empirical (the training set's optimal denoiser)",
      ).choices([...EXACT_DENOISERS]),
    )
    .option(
      '--classifier <ckpt>',
      'a classifier trained by `fluctus train --model classifier` (features for FD, class predictions)',
    )
    .addOption(new Option('--method <name>', 'merger analysis method').choices([...MERGER_METHODS]).default('exact'))
    .option(
      '--eps-ratio <r>',
      'merger analysis: eps = max over classes and all data of lambda_max(C(0)) / r',
      positive('--eps-ratio'),
      DEFAULT_EPS_RATIO,
    )
    .option('--samples <n>', 'samples generated per configuration', intArg('--samples', 2, 1 << 20))
    .option('--seeds <n>', 'seeds per configuration (seed-to-seed spread)', intArg('--seeds', 1, 64))
    .addOption(new Option('--sampler <name>', 'sampler family (accelerated)').choices(['ddpm', 'ddim']))
    .option(
      '--sampler-steps <n>',
      'grid size of the full sampler (accelerated; default every step for ddpm, 100 for ddim)',
      intArg('--sampler-steps', 1, 100_000),
    )
    .option(
      '--test-per-class <n>',
      'held-out rows per class (zero-shot; default ceil(1000 / classes))',
      intArg('--test-per-class', 1, 1 << 20),
    )
    .option(
      '--eps-sweep <ratios>',
      `eps ratios run as a sweep besides --eps-ratio, never the headline (accelerated; default ${EPS_SWEEP.join(',')}; none for no sweep)`,
      epsSweepArg,
    )
    .option('--steps <n>', 'evaluated steps (zero-shot)', intArg('--steps', 2, 100_000))
    .option('--noises <n>', 'noises per step (zero-shot)', intArg('--noises', 1, MAX_NOISES))
    .option('--trace <file>', TRACE_HELP)
    .option('--seed <n>', `seed (${SEED_RANGE})`, seedArg, 0)
    .action(async (name: string, o, cmd: Command) => {
      const spec = experimentByName(name);
      // An experiment's own default data (and exact denoiser) when --data was not given.
      if (spec.defaults && cmd.getOptionValueSource('data') === 'default')
        Object.assign(o, { data: spec.defaults.data, exact: o.exact ?? spec.defaults.exact });
      if (o.trace !== undefined) checkOutFile(o.trace, '--trace');
      const run = openRunFolder(o.out, previousExperimentFiles);
      const bar = phaseBar();
      let ctx: Context | null = null;
      try {
        ctx = await requestContext({ trace: o.trace !== undefined });
        const c = ctx;
        const a = ctx.adapterInfo;
        console.log(`adapter: ${a.vendor} ${a.architecture} ${a.description}${a.isFallback ? ' (software)' : ''}`);
        const setup = await traced(ctx, 'prepare (data, denoiser, merger analysis)', () =>
          prepareExperiment(c, {
            data: o.data,
            labels: o.labels,
            csvHeader: o.csvHeader,
            samplesPerClass: o.samplesPerClass,
            separation: o.separation,
            model: o.model,
            exact: o.exact,
            classifier: o.classifier,
            method: o.method,
            epsRatio: o.epsRatio,
            lateStart: spec.lateStart?.(1000),
            seed: o.seed,
            progress: (p, d, t) => bar.update(p, d, t),
          }),
        );
        bar.stop();
        console.log(
          `data: ${setup.data.name} ${setup.data.shape[0]} x ${setup.data.shape[1]}; denoiser ${setup.denoiserName}; data–noise merger step ${setup.analysis.dataNoise.mergerStep ?? 'none'}`,
        );
        printDataNotes(setup.data);
        try {
          const result = await traced(ctx, `run ${name}`, () =>
            spec.run(setup, {
              samples: o.samples,
              seeds: o.seeds,
              sampler: o.sampler,
              samplerSteps: o.samplerSteps,
              epsSweep: o.epsSweep,
              testPerClass: o.testPerClass,
              steps: o.steps,
              noises: o.noises,
              onProgress: (p, d, t) => bar.update(p, d, t),
            }),
          );
          bar.stop();
          await traced(ctx, 'write report', async () => {
            await writeExperimentReport(run.staging, result);
            run.commit();
          });
          console.log(`\n${result.summary}`);
          for (const g of result.goals)
            console.log(`goal: ${g.goal}: ${g.measured} -> ${g.met === null ? 'undecided' : g.met ? 'met' : 'MISSED'}`);
          for (const w of result.warnings) console.log(`warning: ${w}`);
          console.log(`\nreport: ${join(o.out, 'report.html')} (data: ${join(o.out, 'result.json')})`);
          if (o.trace !== undefined)
            console.log(`trace: ${o.trace} (${writeTrace(ctx, o.trace, { experiment: name })} events)`);
        } finally {
          disposeSetup(setup);
        }
      } finally {
        run.abort();
        bar.stop();
        if (ctx) destroyContext(ctx);
      }
    });
}
