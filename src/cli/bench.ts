// `fluctus bench [cases...]`: the kernel and analysis benchmarks from an installed package (src/bench/run.ts).
// Each case checks correctness, then times ours and the peer (numpy / PyTorch when present, else plain JS) on
// the same input in the same run; the table goes to stdout and one JSON to --out. Any `--name value` that is
// not a bench option sets that parameter of the selected cases (`--rows 60000`, `--d 1031`); `--list` shows
// them. `fluctus bench --compare a.json b.json` prints the speed ratios of two result files.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { destroyContext, requestContext, type Context } from '../runtime/context.js';
import { writeFileAtomic } from '../runtime/atomic-write.js';
import { BENCH_SIZES, PEER_MODES, type BenchSize, type PeerMode } from '../bench/common.js';
import { BENCH_CASES, type BenchResult, compareBench, formatBench, kebab, runBench, textTable } from '../bench/run.js';
import { checkOutFile, onInterrupt } from './out-folder.js';
import { packageVersion, phaseBar, TRACE_HELP, writeTrace } from './common.js';

/** Splits the operands into case names and `--name value` / `--name=value` parameter overrides. */
export function splitBenchArgs(args: string[]): { names: string[]; overrides: Record<string, string> } {
  const names: string[] = [];
  const overrides: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      names.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(2, eq) : a.slice(2);
    const value = eq > 0 ? a.slice(eq + 1) : args[++i];
    if (value === undefined || !key) throw new Error(`bench: option ${a} needs a value`);
    overrides[key] = value;
  }
  return { names, overrides };
}

/** Every case with its parameters at each size. */
function listCases(): string {
  const body = BENCH_CASES.flatMap((c) =>
    BENCH_SIZES.map((s, i) => [
      i ? '' : c.name,
      s,
      Object.entries(c.sizes[s])
        .map(([k, v]) => `--${kebab(k)} ${v}`)
        .join(' '),
    ]),
  );
  const summaries = BENCH_CASES.map((c) => `  ${c.name.padEnd(10)} ${c.summary}`);
  return ['cases:', ...summaries, '', textTable(['case', 'size', 'parameters'], body)].join('\n');
}

function readResult(path: string): BenchResult {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`bench --compare: cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as BenchResult;
  } catch (e) {
    throw new Error(`bench --compare: ${path} is not JSON: ${(e as Error).message}`);
  }
}

export function benchCommand(): Command {
  return new Command('bench')
    .description(
      'run the kernel and analysis benchmarks (correctness first, then time against numpy / PyTorch when present, else plain JS); prints a table and writes one JSON',
    )
    .argument('[cases...]', `cases to run (default: all): ${BENCH_CASES.map((c) => c.name).join(', ')}`)
    .addOption(
      new Option('--size <size>', 'problem sizes: small runs anywhere in minutes, large is the paper-scale shapes')
        .choices([...BENCH_SIZES])
        .default('small'),
    )
    .addOption(
      new Option('--peer <mode>', 'peers: cpu (numpy, PyTorch-CPU), cuda (PyTorch on CUDA where a case has it), none')
        .choices([...PEER_MODES])
        .default('cpu'),
    )
    .option('--out <file>', 'result JSON (default: fluctus-bench-<size>.json)')
    .option('--trace <file>', TRACE_HELP)
    .option('--list', 'list the cases and their parameters at each size')
    .option('--compare', 'compare two result files given as the operands: fluctus bench --compare a.json b.json')
    .allowUnknownOption()
    .allowExcessArguments()
    .addHelpText('after', '\nAny other --name value sets that parameter of the selected cases (see --list).')
    .action(async (_cases: string[], o, cmd: Command) => {
      if (o.list) {
        console.log(listCases());
        return;
      }
      const { names, overrides } = splitBenchArgs(cmd.args);
      if (o.compare) {
        if (names.length !== 2 || Object.keys(overrides).length)
          throw new Error(`bench --compare takes exactly two result files, got ${cmd.args.join(' ') || 'none'}`);
        console.log(compareBench(readResult(names[0]!), readResult(names[1]!), names));
        return;
      }
      const size = o.size as BenchSize;
      const out = checkOutFile(o.out ?? `fluctus-bench-${size}.json`, '--out');
      if (o.trace !== undefined) checkOutFile(o.trace, '--trace');
      const bar = phaseBar();
      let ctx: Context | null = null;
      const off = onInterrupt(() => bar.stop(), 'no result file was written');
      try {
        // Timestamp queries only with --trace: the timings are wall clock, and profiling adds work per dispatch.
        ctx = await requestContext({ profile: o.trace !== undefined, trace: o.trace !== undefined });
        const result = await runBench(ctx, {
          names,
          size,
          overrides,
          peer: o.peer as PeerMode,
          version: packageVersion(),
          command: `fluctus bench ${process.argv.slice(3).join(' ')}`.trim(),
          log: (line) => {
            bar.stop();
            console.error(line);
          },
          progress: (p, d, t) => bar.update(p, d, t),
        });
        bar.stop();
        writeFileAtomic(out, `${JSON.stringify(result, null, 2)}\n`);
        if (o.trace !== undefined) console.error(`trace: ${o.trace} (${writeTrace(ctx, o.trace, { size })} events)`);
        console.log(formatBench(result));
        console.log(`\nresult: ${out}`);
        const failed = result.cases.filter((c) => c.status === 'failed');
        if (failed.length) {
          console.error(
            `bench: ${failed.length} case${failed.length > 1 ? 's' : ''} failed: ${failed.map((c) => c.name).join(', ')}`,
          );
          process.exitCode = 1;
        }
      } finally {
        off();
        bar.stop();
        if (ctx) destroyContext(ctx);
      }
    });
}
