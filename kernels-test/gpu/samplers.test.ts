// Samplers against the float64 reference chain (ref/samplers.ts) at awkward n and D: DDPM (both
// variances) and DDIM (eta 0, 0.3, 0.5, 1), full, respaced and late-started grids, every guidance kind,
// with the exact Tweedie denoiser of Gaussian data (sampler-fixtures.ts); sampler_step.wgsl against the
// float64 update; exact denoiser-call counts; w = 1 and w = 0 bit for bit; determinism; agreement with
// samplers/ddpm.ts; SDEdit; bad input.
import { expect, it } from 'vitest';
import { describeGpu } from './device.js';
import { expectWithinBound, gaussDenoiser } from './sampler-fixtures.js';
import { beginBatch, submit } from '../../src/runtime/dispatch.js';
import { createTensor, disposeTensor, readback } from '../../src/runtime/tensor.js';
import { seedKey } from '../../src/runtime/check.js';
import { standardNormals } from '../../src/kernels/forward_noise.js';
import { encodeSamplerStep, samplerStepPipeline } from '../../src/kernels/sampler_step.js';
import { makeSchedule, type Schedule } from '../../src/schedule/schedules.js';
import { sampleDdpm } from '../../src/samplers/ddpm.js';
import {
  ddimScheduler,
  ddpmScheduler,
  sample,
  sdedit,
  SAMPLE_STREAM,
  SDEDIT_STREAM,
  type Guidance,
  type Scheduler,
} from '../../src/samplers/index.js';
import { expectClose, expectSameBits } from '../compare.js';
import { randn } from '../random.js';
import { coefficientsRef, normalsRef, sampleRef, stepRef, type RefKind, type RefMix } from '../ref/samplers.js';

const linear100 = makeSchedule('linear', 100, { betaStart: 1e-3, betaEnd: 0.2 });
const cosine100 = makeSchedule('cosine', 100);

/** The guidance convention written out independently of guidance.ts. */
function refMix(g: Guidance | undefined, t: number): RefMix {
  if (!g) return { a: 'uncond', b: 'cond', w: 1 };
  if (g.kind === 'constant') return { a: 'uncond', b: 'cond', w: g.w };
  const [lo, hi] = g.kind === 'pulse' ? [g.centre - g.width / 2, g.centre + g.width / 2] : [g.lo, g.hi];
  const inside = t >= lo && t <= hi;
  if (g.kind === 'negative' && inside) return { a: 'neg', b: 'cond', w: 1 + g.w };
  return { a: 'uncond', b: 'cond', w: inside ? g.w : (g.outside ?? 1) };
}

interface Case {
  name: string;
  kind: RefKind;
  schedule: Schedule;
  n: number;
  D: number;
  steps: number;
  start?: number;
  guidance?: Guidance;
}

const negRows = (n: number) => Int32Array.from({ length: n }, (_, i) => (i % 3 === 0 ? -1 : (i + 1) % 3));
const CASES: Case[] = [
  {
    name: 'ddpm fixed_small, full grid',
    kind: { kind: 'ddpm', variance: 'fixed_small' },
    schedule: linear100,
    n: 1,
    D: 1,
    steps: 100,
  },
  {
    name: 'ddpm fixed_large, respaced cosine',
    kind: { kind: 'ddpm', variance: 'fixed_large' },
    schedule: cosine100,
    n: 65,
    D: 3,
    steps: 13,
  },
  {
    name: 'ddim eta 0, started at 80',
    kind: { kind: 'ddim', eta: 0 },
    schedule: linear100,
    n: 63,
    D: 13,
    steps: 10,
    start: 80,
  },
  {
    name: 'ddim eta 0.5, constant guidance',
    kind: { kind: 'ddim', eta: 0.5 },
    schedule: linear100,
    n: 7,
    D: 5,
    steps: 7,
    start: 40,
    guidance: { kind: 'constant', w: 2.5 },
  },
  {
    name: 'ddim eta 1, interval guidance',
    kind: { kind: 'ddim', eta: 1 },
    schedule: cosine100,
    n: 64,
    D: 4,
    steps: 20,
    guidance: { kind: 'interval', w: 3, lo: 20, hi: 60 },
  },
  {
    name: 'ddpm, pulse guidance',
    kind: { kind: 'ddpm', variance: 'fixed_small' },
    schedule: linear100,
    n: 9,
    D: 6,
    steps: 25,
    guidance: { kind: 'pulse', w: 4, centre: 50, width: 20, outside: 2 },
  },
  {
    name: 'ddim eta 0.3, negative window',
    kind: { kind: 'ddim', eta: 0.3 },
    schedule: linear100,
    n: 10,
    D: 7,
    steps: 15,
    guidance: { kind: 'negative', w: 1.5, lo: 30, hi: 70, negativeClass: negRows(10), outside: 2 },
  },
];

const makeScheduler = (k: RefKind, s: Schedule): Scheduler =>
  k.kind === 'ddpm' ? ddpmScheduler(s, { variance: k.variance }) : ddimScheduler(s, { eta: k.eta });

describeGpu('samplers', (get) => {
  for (const [rows, cols, w, sigma] of [
    [1, 1, 0, 0.3],
    [63, 4, 2.5, 0.1],
    [65, 3, 0, 0],
    [7, 13, -1.5, 0.7],
  ] as const) {
    it(`sampler_step matches the float64 update for (${rows}, ${cols}), w = ${w}, sigma = ${sigma}`, async () => {
      const ctx = get();
      const seed = 100 + rows * cols;
      const [x, ea, eb] = [0, 1, 2].map((k) => Float32Array.from(randn(rows * cols, seed + k)));
      const [a, b, step] = [1.02, -0.37, 33];
      const t = [x!, ea!, eb!].map((data) => createTensor(ctx, [rows, cols], { data }));
      try {
        const batch = beginBatch(ctx, 'test');
        encodeSamplerStep(batch, await samplerStepPipeline(ctx), {
          epsA: t[1]!,
          epsB: t[2]!,
          x: t[0]!,
          rows,
          cols,
          key: seedKey(seed),
          step,
          stream: SAMPLE_STREAM,
          a,
          b,
          sigma,
          w,
        });
        submit(batch);
        const got = await readback(ctx, t[0]!);
        const z = normalsRef(seedKey(seed), rows, cols, step, SAMPLE_STREAM);
        const want = Float64Array.from(
          x!,
          (xv, i) =>
            Math.fround(a) * xv + Math.fround(b) * (ea![i]! + w * (eb![i]! - ea![i]!)) + Math.fround(sigma) * z[i]!,
        );
        // Six f32 roundings of O(1) terms (|a x| + |b e| + |sigma z| <~ 12 with |w| <= 2.5) and the normal's 6.2e-8.
        expectClose(got, want, { atol: 1e-6 * 12, rtol: 0, seed });
      } finally {
        t.forEach(disposeTensor);
      }
    });
  }

  it('sampler_step covers more than 65,535 workgroups (sampled rows against the float64 update)', async () => {
    const ctx = get();
    // 70,001 rows x 61 quads = 4.27 M invocations = 66,720 workgroups of 64: with a 65,535 limit grid2d makes
    // 2 x 33,360, whose second grid row starts in row 35,000; workgroup 65,535 starts in row 68,758.
    const [rows, cols, seed] = [70_001, 241, 3];
    const ramp = (k: number) => new Float32Array(rows * cols).map((_, i) => (((i + k) * 2654435761) % 1000) / 250 - 2);
    const [x, ea, eb] = [ramp(0), ramp(1), ramp(2)];
    const [a, b, sigma, w, step] = [0.9, 0.3, 0.5, 1.5, 7];
    const t = [x, ea, eb].map((data) => createTensor(ctx, [rows, cols], { data }));
    try {
      const batch = beginBatch(ctx, 'test');
      encodeSamplerStep(batch, await samplerStepPipeline(ctx), {
        epsA: t[1]!,
        epsB: t[2]!,
        x: t[0]!,
        rows,
        cols,
        key: seedKey(seed),
        step,
        stream: SAMPLE_STREAM,
        a,
        b,
        sigma,
        w,
      });
      submit(batch);
      const got = await readback(ctx, t[0]!);
      for (const r of [0, 35_000, 35_001, 68_758, 68_759, rows - 1]) {
        const z = normalsRef(seedKey(seed), 1, cols, step, SAMPLE_STREAM, r);
        const want = Array.from(z, (zv, d) => {
          const j = r * cols + d;
          return Math.fround(a) * x[j]! + Math.fround(b) * (ea[j]! + w * (eb[j]! - ea[j]!)) + Math.fround(sigma) * zv;
        });
        // Six f32 roundings of terms summing to <~ 10.
        expectClose(got.subarray(r * cols, (r + 1) * cols), want, {
          atol: 1e-6 * 10,
          rtol: 0,
          seed,
          label: `row ${r}`,
        });
      }
    } finally {
      t.forEach(disposeTensor);
    }
  });

  for (const c of CASES) {
    it(`${c.name} (n ${c.n}, D ${c.D}) follows the float64 chain`, async () => {
      const ctx = get();
      const seed = 7 * c.n + c.D;
      const C = 3;
      const den = gaussDenoiser(c.schedule, c.D, C, 2.25, seed);
      const classes = Int32Array.from({ length: c.n }, (_, i) => (i % 4 === 3 ? -1 : i % C));
      const sch = makeScheduler(c.kind, c.schedule);
      const res = await sample(ctx, den, {
        n: c.n,
        classes,
        seed,
        scheduler: sch,
        steps: c.steps,
        ...(c.start ? { start: { step: c.start } } : {}),
        ...(c.guidance ? { guidance: c.guidance } : {}),
      });
      const steps = Array.from(res.timesteps);
      expect(steps[0]).toBe(c.start ?? c.schedule.T);
      const x0 = await standardNormals(ctx, c.n, c.D, { seed, stream: SAMPLE_STREAM, step: 0 });
      const neg = c.guidance?.kind === 'negative' ? (c.guidance.negativeClass as Int32Array) : null;
      const labels = { cond: classes, uncond: null, neg } as const;
      const ref = sampleRef({
        kind: c.kind,
        steps,
        abar: steps.map((t) => c.schedule.alphasCumprod[t - 1]!),
        x: x0,
        n: c.n,
        D: c.D,
        key: seedKey(seed),
        stream: SAMPLE_STREAM,
        eps: (x, t, which) => den.epsF64(x, t, labels[which], c.n),
        mix: (t) => refMix(c.guidance, t),
        slope: (t) => den.slope(t),
      });
      // Per element: 2x the first-order bound propagated along the chain (ref/samplers.ts sampleRef) for
      // the neglected second-order terms, plus 1e-7 for the f32 spacing near 0.
      expectWithinBound(res.x, ref.x, ref.bound, 2, 1e-7, `${c.name} (seed ${seed})`);
      const calls = steps.reduce(
        (s, t) => s + (refMix(c.guidance, t).w === 0 || refMix(c.guidance, t).w === 1 ? 1 : 2),
        0,
      );
      expect(res.denoiserCalls).toBe(calls);
      expect(den.calls).toBe(calls);
    });
  }

  it('counts calls: an interval [30, 70] on the 10-step grid 100, 89, ..., 1 adds 4 unconditional calls', async () => {
    const ctx = get();
    const den = gaussDenoiser(linear100, 3, 2, 1, 5);
    const classes = Int32Array.of(0, 1, 1, 0);
    const res = await sample(ctx, den, {
      n: 4,
      classes,
      seed: 9,
      scheduler: ddimScheduler(linear100),
      steps: 10,
      guidance: { kind: 'interval', w: 3, lo: 30, hi: 70 },
    });
    expect(Array.from(res.timesteps)).toEqual([100, 89, 78, 67, 56, 45, 34, 23, 12, 1]);
    expect(res.denoiserCalls).toBe(14);
    const outside = await sample(ctx, den, {
      n: 4,
      classes,
      seed: 9,
      scheduler: ddimScheduler(linear100),
      steps: 10,
      guidance: { kind: 'interval', w: 3, lo: 2, hi: 11 },
    });
    expect(outside.denoiserCalls).toBe(10);
  });

  it('guidance w = 1 equals conditional sampling and w = 0 unconditional sampling bit for bit; a seed repeats bit for bit', async () => {
    const ctx = get();
    const den = gaussDenoiser(cosine100, 5, 3, 0.5, 11);
    const classes = Int32Array.of(0, 2, 1, -1, 2, 0, 1);
    const run = (g: Guidance | undefined, cls: Int32Array | null, seed = 4) =>
      sample(ctx, den, {
        n: 7,
        classes: cls,
        seed,
        scheduler: ddpmScheduler(cosine100),
        steps: 17,
        ...(g ? { guidance: g } : {}),
      });
    const cond = await run(undefined, classes);
    const w1 = await run({ kind: 'constant', w: 1 }, classes);
    expectSameBits(w1.x, cond.x, 'w = 1 vs conditional');
    expect([w1.denoiserCalls, cond.denoiserCalls]).toEqual([17, 17]);
    const w0 = await run({ kind: 'constant', w: 0 }, classes);
    expectSameBits(w0.x, (await run(undefined, null)).x, 'w = 0 vs unconditional');
    expect(w0.denoiserCalls).toBe(17);
    expectSameBits((await run(undefined, classes)).x, cond.x, 'same seed');
    const other = await run(undefined, classes, 5);
    expect(other.x.some((v, i) => v !== cond.x[i])).toBe(true);
  });

  it("samplers/ddpm.ts sampleDdpm is the DDPM scheduler with 'fixed_large' on the full grid", async () => {
    const ctx = get();
    const den = gaussDenoiser(linear100, 6, 0, 1.5, 3);
    const ours = await sample(ctx, den, {
      n: 11,
      classes: null,
      seed: 21,
      scheduler: ddpmScheduler(linear100, { variance: 'fixed_large' }),
    });
    const theirs = await sampleDdpm(ctx, den, { n: 11, classes: null, seed: 21 });
    expectSameBits(ours.x, theirs, 'sampleDdpm');
    expect(ours.denoiserCalls).toBe(100);
  });

  it('sdedit noises x0 to the start step with SDEDIT_STREAM and denoises with DDIM and DDPM', async () => {
    const ctx = get();
    const [n, D, s] = [13, 5, 45];
    const den = gaussDenoiser(linear100, D, 2, 0.8, 8);
    const x0 = Float32Array.from(randn(n * D, 77));
    const classes = Int32Array.from({ length: n }, (_, i) => i % 2);
    for (const kind of [
      { kind: 'ddim', eta: 0 },
      { kind: 'ddpm', variance: 'fixed_small' },
    ] as RefKind[]) {
      den.firstX = null;
      const res = await sdedit(ctx, den, {
        x0,
        classes,
        seed: 12,
        scheduler: makeScheduler(kind, linear100),
        steps: 9,
        start: s,
        guidance: { kind: 'constant', w: 2 },
      });
      const ab = linear100.alphasCumprod[s - 1]!;
      const z = normalsRef(seedKey(12), n, D, s, SDEDIT_STREAM);
      const xs = Float64Array.from(x0, (v, i) => Math.sqrt(ab) * v + Math.sqrt(1 - ab) * z[i]!);
      // f32 noising: two products and a sum of O(1) values.
      expectClose(den.firstX!, xs, { atol: 1e-6, rtol: 1e-6, label: 'x_s' });
      const steps = Array.from(res.timesteps);
      const ref = sampleRef({
        kind,
        steps,
        abar: steps.map((t) => linear100.alphasCumprod[t - 1]!),
        x: den.firstX!,
        n,
        D,
        key: seedKey(12),
        stream: SAMPLE_STREAM,
        eps: (x, t, which) => den.epsF64(x, t, which === 'cond' ? classes : null, n),
        mix: () => ({ a: 'uncond', b: 'cond', w: 2 }),
        slope: (t) => den.slope(t),
      });
      expectWithinBound(res.x, ref.x, ref.bound, 2, 1e-7, `sdedit ${kind.kind}`);
    }
  });

  it('checks the update coefficients against the reference derivation', () => {
    const sch = ddimScheduler(cosine100, { eta: 0.4 });
    const steps = sch.setTimesteps(6, { start: 70 });
    steps.forEach((t, k) => {
      const c = sch.coefficients(t);
      const r = coefficientsRef(
        { kind: 'ddim', eta: 0.4 },
        sch.grid!.alphasCumprod[k]!,
        sch.grid!.prevAlphasCumprod[k]!,
        k === 5,
      );
      expectClose([c.a, c.b, c.sigma], [r.a, r.b, r.sigma], { atol: 1e-12, rtol: 1e-12 });
    });
    expect(stepRef({ kind: 'ddim', eta: 0 }, 1, 0, 0, 0.5, 1, true)).toBeCloseTo(Math.SQRT2, 14);
  });
});
