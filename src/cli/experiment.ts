// `fluctus experiment <name> --out DIR`: the paper's applications measured (DIR/result.json and
// DIR/report.html). Exact denoisers by default, so every experiment runs without training.
import { Command, Option } from 'commander';
import { requestContext, destroyContext } from '../runtime/context.js';
import { MERGER_METHODS } from '../formats/report-types.js';
import { DEFAULT_EPS_RATIO } from '../analysis/curves.js';
import { EXACT_DENOISERS, disposeSetup, prepareExperiment } from '../experiments/setup.js';
import { EXPERIMENTS, experimentByName } from '../experiments/registry.js';
import { writeExperimentReport } from '../report/experiment-report.js';
import { MAX_NOISES } from '../experiments/diffusion-classifier.js';
import { intArg, phaseBar, positive } from './common.js';

export function experimentCommand(): Command {
  return new Command('experiment')
    .description(
      `run one of the paper's applications and write DIR/result.json and DIR/report.html; experiments: ${EXPERIMENTS.map((e) => `${e.name} (${e.description})`).join('; ')}`,
    )
    .argument('<name>', `experiment: ${EXPERIMENTS.map((e) => e.name).join(', ')}`)
    .requiredOption('--out <dir>', 'output folder')
    .option(
      '--data <name|path>',
      'gmm | digits | fashion-mnist, or a .npy / IDX(.gz) / .csv file or a folder of PNG class subfolders',
      'gmm',
    )
    .option('--labels <path>', 'labels for --data given as a path (.npy or IDX)')
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
    .option('--test-per-class <n>', 'held-out rows per class (zero-shot)', intArg('--test-per-class', 1, 1 << 20))
    .option('--steps <n>', 'evaluated steps (zero-shot)', intArg('--steps', 2, 100_000))
    .option('--noises <n>', 'noises per step (zero-shot)', intArg('--noises', 1, MAX_NOISES))
    .option('--seed <n>', 'seed', intArg('--seed', 0, Number.MAX_SAFE_INTEGER), 0)
    .action(async (name: string, o, cmd: Command) => {
      const spec = experimentByName(name);
      // An experiment's own default data (and exact denoiser) when --data was not given.
      if (spec.defaults && cmd.getOptionValueSource('data') === 'default')
        Object.assign(o, { data: spec.defaults.data, exact: o.exact ?? spec.defaults.exact });
      const ctx = await requestContext({});
      const a = ctx.adapterInfo;
      console.log(`adapter: ${a.vendor} ${a.architecture} ${a.description}${a.isFallback ? ' (software)' : ''}`);
      const bar = phaseBar();
      try {
        const setup = await prepareExperiment(ctx, {
          data: o.data,
          labels: o.labels,
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
        });
        bar.stop();
        console.log(
          `data: ${setup.data.name} ${setup.data.shape[0]} x ${setup.data.shape[1]}; denoiser ${setup.denoiserName}; data–noise merger step ${setup.analysis.dataNoise.mergerStep ?? 'none'}`,
        );
        try {
          const result = await spec.run(setup, {
            samples: o.samples,
            seeds: o.seeds,
            sampler: o.sampler,
            samplerSteps: o.samplerSteps,
            testPerClass: o.testPerClass,
            steps: o.steps,
            noises: o.noises,
            onProgress: (p, d, t) => bar.update(p, d, t),
          });
          bar.stop();
          const files = await writeExperimentReport(o.out, result);
          console.log(`\n${result.summary}`);
          for (const g of result.goals)
            console.log(`goal: ${g.goal}: ${g.measured} -> ${g.met === null ? 'undecided' : g.met ? 'met' : 'MISSED'}`);
          for (const w of result.warnings) console.log(`warning: ${w}`);
          console.log(`\nreport: ${files.html} (data: ${files.json})`);
        } finally {
          disposeSetup(setup);
        }
      } finally {
        bar.stop();
        destroyContext(ctx);
      }
    });
}
