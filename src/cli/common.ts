// Shared by the `fluctus` commands: option parsers for commander (each throws InvalidArgumentError
// naming the option and the value) and the progress bar of the analysis phases.
import { InvalidArgumentError } from 'commander';
import cliProgress from 'cli-progress';

/** An integer option, in [min, max] when a range is given. */
export function intArg(name: string, min?: number, max?: number) {
  const range = min === undefined && max === undefined ? '' : ` in [${min ?? -Infinity}, ${max ?? Infinity}]`;
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || (min !== undefined && n < min) || (max !== undefined && n > max))
      throw new InvalidArgumentError(`${name} must be an integer${range}, got '${v}'`);
    return n;
  };
}

/** A number option in [min, max], or (min, max] when open. */
export function realArg(name: string, min: number, max: number, open = false) {
  return (v: string) => {
    const x = Number(v);
    if (!Number.isFinite(x) || x < min || x > max || (open && x === min))
      throw new InvalidArgumentError(`${name} must be a number in ${open ? '(' : '['}${min}, ${max}], got '${v}'`);
    return x;
  };
}

/** A positive finite number option. */
export function positive(name: string) {
  return (v: string) => {
    const x = Number(v);
    if (!Number.isFinite(x) || x <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got '${v}'`);
    return x;
  };
}

/** A comma-separated list of integers (at least min), called `what` in the error. */
export function intList(name: string, min = -Infinity, what = 'integers') {
  return (v: string): number[] => {
    const out = v.split(',').map((s) => Number(s.trim()));
    if (out.some((n) => !Number.isInteger(n) || n < min))
      throw new InvalidArgumentError(`${name} must be a comma-separated list of ${what}, got '${v}'`);
    return out;
  };
}

/** A progress bar with rate and ETA that restarts for each phase of the analysis. */
export function phaseBar() {
  const bar = new cliProgress.SingleBar(
    {
      format: '{phase} |{bar}| {percentage}% | {value}/{total} | {rate}/s | ETA {eta_formatted}',
      hideCursor: true,
      etaBuffer: 50,
    },
    cliProgress.Presets.shades_classic,
  );
  let phase = '';
  let t0 = 0;
  let active = false;
  return {
    update(p: string, done: number, total: number) {
      if (!process.stderr.isTTY && p === phase) return;
      if (p !== phase) {
        if (active) bar.stop();
        bar.start(total, done, { phase: p.padEnd(10), rate: '0' });
        phase = p;
        t0 = performance.now();
        active = true;
        return;
      }
      const rate = done / Math.max(1e-3, (performance.now() - t0) / 1e3);
      bar.setTotal(total);
      bar.update(done, { rate: rate.toFixed(1) });
    },
    stop() {
      if (active) bar.stop();
      active = false;
    },
  };
}
