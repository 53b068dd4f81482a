// What the adapter can do at all, against which to read the kernels' GFLOP/s (development only): a
// roofline of sorts for WGSL on this adapter. Each kernel runs `chains` independent multiply-add chains
// per invocation in registers (no memory traffic in the loop: the peak of f32 arithmetic as the driver
// compiles it), and, with --load, reads one f32 (or vec4) from a storage buffer per iteration and feeds
// it to every chain (`chains` products per load). Last, register tiles as a GEMM's inner step has them:
// tm x tn accumulators fed by tm / 4 + tn / 4 vec4 loads per step (--tiles). Written with a * b + c and
// with fma(), so the two can be compared. Flops count 2 per multiply-add.
//   npx tsx scripts/dev/adapter-peak.ts [--chains 1,4,8,16,32,64] [--tiles 4x4,8x8] [--ms 300] [--json out.json]
import { writeFileSync } from 'node:fs';
import { provenance } from '../../src/bench/common.js';
import { requestContext } from '../../src/runtime/context.js';

const arg = (name: string) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const chainCounts = (arg('chains') ?? '1,4,8,16,32,64').split(',').map(Number);
const tiles = (arg('tiles') ?? '4x4,8x8,16x8,16x16')
  .split(',')
  .map((t) => t.split('x').map(Number) as [number, number]);
const targetMs = Number(arg('ms') ?? 300);
const ctx = await requestContext({ wait: 'poll' });
const dev = ctx.device;
const WG = 64;
const GROUPS = 256;
const LOAD_LEN = 1 << 16;

type Load = 'none' | 'f32' | 'vec4' | 'tile';
interface Variant {
  chains: number;
  load: Load;
  fma: boolean;
  /** For 'tile': the accumulators are tm x tn (chains = tm tn). */
  tile?: [number, number];
}

const mad = (fma: boolean, a: string, b: string, c: string) => (fma ? `fma(${a}, ${b}, ${c})` : `${a} * ${b} + ${c}`);

/** tm x tn accumulators, acc[i][j] += a[i] b[j], a and b loaded as vec4s from lane-dependent addresses. */
function tileSource([tm, tn]: [number, number], fma: boolean): string {
  const acc = (i: number, j: number) => `c${i}_${j}`;
  const decl: string[] = [];
  for (let i = 0; i < tm; i++) for (let j = 0; j < tn; j++) decl.push(`  var ${acc(i, j)} = 0.0;`);
  const loads: string[] = [];
  for (let q = 0; q < tm / 4; q++)
    loads.push(`    let a${q} = src[(g.x * 13u + i * ${tm / 4 + tn / 4}u + ${q}u) & ${LOAD_LEN - 1}u];`);
  for (let q = 0; q < tn / 4; q++)
    loads.push(`    let b${q} = src[(g.x * 13u + i * ${tm / 4 + tn / 4}u + ${tm / 4 + q}u) & ${LOAD_LEN - 1}u];`);
  const el = (v: string, k: number) => `${v}${k >> 2}.${'xyzw'[k & 3]}`;
  const steps: string[] = [];
  for (let i = 0; i < tm; i++)
    for (let j = 0; j < tn; j++) steps.push(`    ${acc(i, j)} = ${mad(fma, el('a', i), el('b', j), acc(i, j))};`);
  const sum: string[] = [];
  for (let i = 0; i < tm; i++) for (let j = 0; j < tn; j++) sum.push(acc(i, j));
  return `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> p: vec4<f32>;
@group(0) @binding(2) var<storage, read> src: array<vec4<f32>>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let n = u32(p.z);
${decl.join('\n')}
  for (var i = 0u; i < n; i++) {
${loads.join('\n')}
${steps.join('\n')}
  }
  out[g.x] = ${sum.join(' + ')} + p.x * p.y;
}
`;
}

function source({ chains, load, fma, tile }: Variant): string {
  if (load === 'tile') return tileSource(tile!, fma);
  const decl = Array.from({ length: chains }, (_, j) => `  var a${j} = f32(g.x + ${j}u) * 1e-9;`).join('\n');
  const step = Array.from({ length: chains }, (_, j) => {
    const v = load === 'none' ? 'm' : load === 'f32' ? 'x' : `x.${'xyzw'[j % 4]}`;
    return `    a${j} = ${mad(fma, `a${j}`, v, 'c')};`;
  }).join('\n');
  const read = load === 'none' ? '' : `    let x = src[(g.x * 7u + i) & ${LOAD_LEN - 1}u];`;
  const type = load === 'vec4' ? 'vec4<f32>' : 'f32';
  const sum = Array.from({ length: chains }, (_, j) => `a${j}`).join(' + ');
  return `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@group(0) @binding(1) var<uniform> p: vec4<f32>;
@group(0) @binding(2) var<storage, read> src: array<${type}>;
@compute @workgroup_size(${WG})
fn main(@builtin(global_invocation_id) g: vec3<u32>) {
  let m = p.x;
  let c = p.y;
  let n = u32(p.z);
${decl}
  for (var i = 0u; i < n; i++) {
${read}
${step}
  }
  // src is bound whether or not the loop reads it (an 'auto' layout drops unused bindings).
  out[g.x] = ${sum} + f32(arrayLength(&src)) * 0.0;
}
`;
}

const out = dev.createBuffer({ size: 4 * WG * GROUPS, usage: GPUBufferUsage.STORAGE });
const src = dev.createBuffer({ size: 16 * LOAD_LEN, usage: GPUBufferUsage.STORAGE, mappedAtCreation: true });
new Float32Array(src.getMappedRange()).fill(0.999999);
src.unmap();

const pipelines = new Map<string, GPUComputePipeline>();

/** Wall time of one dispatch of GROUPS x WG invocations, `iters` loop trips each. */
async function timeIt(v: Variant, iters: number, expectMs = 0): Promise<number> {
  const code = source(v);
  let pipeline = pipelines.get(code);
  if (!pipeline) {
    const module = dev.createShaderModule({ code });
    pipeline = await dev.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
    pipelines.set(code, pipeline);
  }
  const uni = dev.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM, mappedAtCreation: true });
  new Float32Array(uni.getMappedRange()).set([0.9999999, 1e-9, iters, 0]);
  uni.unmap();
  const bind = dev.createBindGroup({
    layout: pipeline.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: { buffer: out } },
      { binding: 1, resource: { buffer: uni } },
      { binding: 2, resource: { buffer: src } },
    ],
  });
  const enc = dev.createCommandEncoder();
  const pass = enc.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(0, bind);
  pass.dispatchWorkgroups(GROUPS);
  pass.end();
  const t0 = performance.now();
  dev.queue.submit([enc.finish()]);
  // dawn.node busy-polls the main thread while a GPU promise is pending, taking a core from CPU drivers:
  // sleep for expectMs first.
  if (expectMs > 0) await new Promise((r) => setTimeout(r, expectMs));
  await dev.queue.onSubmittedWorkDone();
  uni.destroy();
  return performance.now() - t0;
}

const rows: { chains: number; load: Load; tile?: string; fma: boolean; iters: number; ms: number; gflops: number }[] =
  [];
const variants: Variant[] = [];
for (const load of ['none', 'f32', 'vec4'] as Load[])
  for (const chains of chainCounts) for (const fma of [false, true]) variants.push({ chains, load, fma });
for (const tile of tiles)
  for (const fma of [false, true]) variants.push({ chains: tile[0] * tile[1], load: 'tile', fma, tile });
for (const v of variants) {
  const { chains, load, fma } = v;
  // A first dispatch (the driver may compile on first use), then size the loop so that one dispatch
  // takes about targetMs as timed with the main thread polling (which slows a 2-core CPU driver about
  // 3x), then keep the best of five timings that sleep through most of the kernel first. A timing
  // that ends within 5 % of its sleep says only that the sleep outlasted the kernel: it is dropped
  // and the sleep shortened.
  await timeIt(v, 1);
  let iters = 64;
  let ms = await timeIt(v, iters);
  while (ms < targetMs / 4) {
    iters *= 4;
    ms = await timeIt(v, iters);
  }
  iters = Math.max(1, Math.round((iters * targetMs) / ms));
  let best = Infinity;
  let sleep = 0.3 * targetMs;
  for (let got = 0, tries = 0; got < 5 && tries < 25; tries++) {
    const t = await timeIt(v, iters, sleep);
    if (t < 1.05 * sleep) {
      sleep *= 0.6;
      continue;
    }
    best = Math.min(best, t);
    got++;
    sleep = 0.8 * best;
  }
  const flops = 2 * chains * iters * WG * GROUPS;
  const tile = v.tile?.join('x');
  const row = { chains, load, ...(tile ? { tile } : {}), fma, iters, ms: best, gflops: flops / best / 1e6 };
  rows.push(row);
  console.log(
    `${tile ? `tile ${tile.padEnd(5)}` : `load ${load.padEnd(4)}`} chains ${String(chains).padStart(3)} ${fma ? 'fma()   ' : 'a * b + c'}  ${best.toFixed(1).padStart(8)} ms  ${row.gflops.toFixed(1).padStart(7)} GFLOP/s`,
  );
}
const json = arg('json');
if (json) {
  const meta = {
    ...provenance(ctx, 'dev'),
    command: `npx tsx scripts/dev/adapter-peak.ts ${process.argv.slice(2).join(' ')}`,
  };
  writeFileSync(json, `${JSON.stringify({ ...meta, workgroup: WG, groups: GROUPS, rows }, null, 1)}\n`);
}
