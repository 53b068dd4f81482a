// The `fluctus` command line.
import { Command } from 'commander';
import { analyzeCommand } from './analyze.js';
import { trainCommand } from './train.js';
import { experimentCommand } from './experiment.js';
import { noiseCommand } from './noise.js';
import { momentsCommand } from './moments.js';
import { benchCommand } from './bench.js';
import { packageVersion } from './common.js';

const program = new Command('fluctus')
  .description('When does structure emerge in diffusion models? WebGPU engine.')
  .version(packageVersion(), '-V, --version', 'print the version');

program.addCommand(noiseCommand());
program.addCommand(analyzeCommand());
program.addCommand(momentsCommand());
program.addCommand(trainCommand());
program.addCommand(experimentCommand());
program.addCommand(benchCommand());

program.parseAsync(process.argv).catch((e: Error) => {
  console.error(`fluctus: ${e.message}`);
  process.exit(1);
});
