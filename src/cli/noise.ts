// `fluctus noise`: noises the built-in synthetic Gaussian mixture at several steps on the GPU and
// checks the per-step moments against the closed form (the first job of the engine; `npm start` now
// runs `fluctus analyze`).
import { Command, Option } from 'commander';
import cliProgress from 'cli-progress';
import { requestContext, destroyContext } from '../runtime/context.js';
import { formatProfile, profileReport } from '../runtime/profile.js';
import { forwardNoise } from '../kernels/forward_noise.js';
import { makeSchedule, abarToSigma, type ScheduleName } from '../schedule/schedules.js';
import { gaussianMixture } from '../data/gmm.js';
import { intArg, intList, seedArg, SEED_RANGE } from './common.js';

export function noiseCommand(): Command {
  return new Command('noise')
    .description(
      'noise the built-in synthetic Gaussian mixture at several steps on the GPU; print a check and the kernel profile',
    )
    .addOption(new Option('--schedule <name>', 'noise schedule').choices(['linear', 'cosine']).default('linear'))
    .option('--T <n>', 'number of diffusion steps', intArg('--T'), 1000)
    .option(
      '--steps <list>',
      'steps to noise at (1..T)',
      intList('--steps'),
      [1, 50, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000],
    )
    .option('--samples-per-class <n>', 'samples per class of the mixture', intArg('--samples-per-class'), 4096)
    .option('--dim <n>', 'dimension of the mixture', intArg('--dim'), 64)
    .option('--seed <n>', `noise seed (${SEED_RANGE})`, seedArg, 0)
    .addOption(new Option('--wait <mode>', 'how to wait for the GPU').choices(['idle', 'poll']).default('idle'))
    .action(async (o) => {
      const data = gaussianMixture({ perClass: o.samplesPerClass, dim: o.dim });
      const [N, D] = data.shape;
      const schedule = makeSchedule(o.schedule as ScheduleName, o.T);
      const ctx = await requestContext({ profile: true, wait: o.wait });
      const a = ctx.adapterInfo;
      console.log(`adapter: ${a.vendor} ${a.architecture} ${a.description}${a.isFallback ? ' (software)' : ''}`);
      console.log(
        `data: gmm ${N} x ${D}, ${data.classes} classes; schedule ${o.schedule} T=${o.T}; ${o.steps.length} steps`,
      );

      // Per-step totals of x and x^2 over all entries, accumulated in float64 as chunks arrive.
      const S = o.steps.length;
      const sum = new Float64Array(S);
      const sumSq = new Float64Array(S);
      const bar = new cliProgress.SingleBar(
        {
          format: 'noising |{bar}| {percentage}% | {value}/{total} values | {rate} Mvalues/s | ETA {eta}s',
          hideCursor: true,
        },
        cliProgress.Presets.shades_classic,
      );
      const total = S * N * D;
      bar.start(total, 0, { rate: '0' });
      const t0 = performance.now();
      let done = 0;
      await forwardNoise(ctx, data.x, data.shape, {
        schedule,
        steps: o.steps,
        seed: o.seed,
        maxChunkBytes: 4 * D * 2048 * S,
        onChunk: ({ stepStart, stepCount, rows, data: chunk }) => {
          for (let s = 0; s < stepCount; s++) {
            let a1 = 0;
            let a2 = 0;
            for (let i = s * rows * D; i < (s + 1) * rows * D; i++) {
              a1 += chunk[i]!;
              a2 += chunk[i]! * chunk[i]!;
            }
            sum[stepStart + s]! += a1;
            sumSq[stepStart + s]! += a2;
          }
          done += chunk.length;
          bar.update(done, { rate: (done / 1e3 / (performance.now() - t0)).toFixed(1) });
        },
      });
      bar.stop();
      const seconds = (performance.now() - t0) / 1e3;

      // Closed form for the check: E[x_i] = sqrt(abar) E[x0], E[x_i^2] = abar E[x0^2] + (1 - abar).
      let m1 = 0;
      let m2 = 0;
      for (const v of data.x) {
        m1 += v;
        m2 += v * v;
      }
      m1 /= N * D;
      m2 /= N * D;
      // Given x0, only the noise is random: se of E[x] is sqrt((1 - abar) / ND); of E[x^2],
      // sqrt((4 abar (1 - abar) E[x0^2] + 2 (1 - abar)^2) / ND). z = (measured - expected) / se.
      const nd = N * D;
      console.log('\n  step      abar     sigma     E[x]  expected      z    E[x^2]  expected      z');
      let worstZ = 0;
      o.steps.forEach((step: number, s: number) => {
        const ab = schedule.alphasCumprod[step - 1]!;
        const e1 = sum[s]! / nd;
        const e2 = sumSq[s]! / nd;
        const z1 = (e1 - Math.sqrt(ab) * m1) / Math.sqrt((1 - ab) / nd);
        const z2 = (e2 - (ab * m2 + 1 - ab)) / Math.sqrt((4 * ab * (1 - ab) * m2 + 2 * (1 - ab) ** 2) / nd);
        worstZ = Math.max(worstZ, Math.abs(z1), Math.abs(z2));
        const f = (v: number, w: number, d = 4) => v.toFixed(d).padStart(w);
        console.log(
          `  ${String(step).padStart(4)} ${f(ab, 9, 6)} ${abarToSigma(ab).toExponential(2).padStart(9)} ` +
            `${f(e1, 8)} ${f(Math.sqrt(ab) * m1, 9)} ${f(z1, 6, 2)} ${f(e2, 9)} ${f(ab * m2 + 1 - ab, 9)} ${f(z2, 6, 2)}`,
        );
      });
      console.log(
        `largest |z| over ${2 * o.steps.length} checks: ${worstZ.toFixed(2)} ${worstZ < 4 ? '(consistent with the closed form)' : '(SUSPICIOUS: larger than 4)'}`,
      );
      console.log(
        `\nnoised ${(total / 1e6).toFixed(1)} M values in ${seconds.toFixed(2)} s (${(total / 1e6 / seconds).toFixed(1)} M/s, including readback)`,
      );
      console.log(formatProfile(profileReport(ctx), ctx.profiler!.mode));
      destroyContext(ctx);
    });
}
