// The `fluctus` command line.
import { Command } from 'commander';
import { analyzeCommand } from './analyze.js';
import { trainCommand } from './train.js';
import { experimentCommand } from './experiment.js';
import { noiseCommand } from './noise.js';

const program = new Command('fluctus').description('When does structure emerge in diffusion models? WebGPU engine.');

program.addCommand(noiseCommand());
program.addCommand(analyzeCommand());
program.addCommand(trainCommand());
program.addCommand(experimentCommand());

program.parseAsync(process.argv).catch((e: Error) => {
  console.error(`fluctus: ${e.message}`);
  process.exit(1);
});
