// Command-line options of the development scripts (scripts/dev/, scripts/trace-timeline.ts): the word or
// number after `--name`. The benchmarks take theirs through `fluctus bench` (src/cli/bench.ts).

/** The word after `--name` on the command line, or undefined when the option is not given. */
export function argOf(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
}

/** The number after `--name`, or dflt. */
export function numArg(name: string, dflt: number): number {
  const v = argOf(name);
  return v === undefined ? dflt : Number(v);
}

/** The word after `--name`, or dflt. */
export function strArg(name: string, dflt: string): string {
  return argOf(name) ?? dflt;
}
