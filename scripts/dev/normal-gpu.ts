// Runs lib/philox.wgsl and lib/normal.wgsl on the WebGPU adapter (raw `webgpu` package, no runtime) and
// checks: Philox words against the BigInt reference, normal4 bits against the TS twin
// (scripts/dev/normal-int.ts) bit for bit, and the normals' worst error against float64 Box-Muller.
//   XDG_RUNTIME_DIR=$(mktemp -d) npx tsx scripts/dev/normal-gpu.ts [blocks]
import { readFileSync } from 'node:fs';
import { create, globals } from 'webgpu';
import { boxMuller64, philox4x32_10 } from '../../kernels-test/ref/philox.js';
import { bitsToF32, normal4Bits } from './normal-int.js';

Object.assign(globalThis, globals);

const blocks = Number(process.argv[2] ?? process.env.NORMAL_GPU_BLOCKS ?? 262_144);
const lib = ['lib/philox.wgsl', 'lib/normal_tables.wgsl', 'lib/normal.wgsl']
  .map((p) => readFileSync(new URL(`../../shaders/${p}`, import.meta.url), 'utf8'))
  .join('\n');
const kernel = `
@group(0) @binding(0) var<storage, read> words: array<vec4<u32>>;
@group(0) @binding(1) var<storage, read_write> normals: array<vec4<u32>>;
@group(0) @binding(2) var<storage, read_write> raw: array<vec4<u32>>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = gid.y * nwg.x * 64u + gid.x;
  if (i >= arrayLength(&words)) { return; }
  normals[i] = bitcast<vec4<u32>>(normal4(words[i]));
  raw[i] = philox4x32_10(words[i], vec2<u32>(words[i].w ^ 0x5bd1e995u, words[i].x + 7u));
}
`;

// Words: edge values of both Box-Muller inputs crossed, then seeded random words.
function inputs(n: number): Uint32Array<ArrayBuffer> {
  const edgeA = [
    0, 1, 2, 0x7fffffff, 0x80000000, 0x80000001, 0xfdffffff, 0xfe000000, 0xfe000001, 0xfffffffe, 0xffffffff,
  ];
  const edgeB: number[] = [];
  for (let o = 0; o <= 8; o++) for (const d of [-1, 0, 1]) edgeB.push((o * 0x20000000 + d) >>> 0);
  const w = new Uint32Array(4 * n);
  let i = 0;
  for (const a of edgeA)
    for (const b of edgeB)
      if (i + 2 <= w.length) {
        w[i++] = a;
        w[i++] = b >>> 0;
      }
  let s = 0x2545f491;
  while (i < w.length) {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    w[i++] = (z ^ (z >>> 16)) >>> 0;
  }
  return w;
}

const gpu = create([]);
const adapter = await gpu.requestAdapter();
if (!adapter) throw new Error('no WebGPU adapter');
const device = await adapter.requestDevice({ label: 'normal-gpu' });
const info = adapter.info;
console.log(`adapter: ${info.vendor} / ${info.architecture} / ${info.description}`);

device.pushErrorScope('validation');
const module = device.createShaderModule({ label: 'normal-gpu', code: lib + kernel });
const msgs = (await module.getCompilationInfo()).messages;
for (const m of msgs) console.log(`${m.type} ${m.lineNum}:${m.linePos} ${m.message}`);
const pipeline = device.createComputePipeline({
  label: 'normal-gpu',
  layout: 'auto',
  compute: { module, entryPoint: 'main' },
});
const err = await device.popErrorScope();
if (err) throw new Error(`shader: ${err.message}`);

const words = inputs(blocks);
const bytes = words.byteLength;
const wBuf = device.createBuffer({
  label: 'words',
  size: bytes,
  usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST,
});
device.queue.writeBuffer(wBuf, 0, words);
const nBuf = device.createBuffer({
  label: 'normals',
  size: bytes,
  usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
});
const rBuf = device.createBuffer({
  label: 'raw',
  size: bytes,
  usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC,
});
const read = device.createBuffer({
  label: 'read',
  size: 2 * bytes,
  usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
});
const bind = device.createBindGroup({
  label: 'normal-gpu',
  layout: pipeline.getBindGroupLayout(0),
  entries: [wBuf, nBuf, rBuf].map((buffer, binding) => ({ binding, resource: { buffer } })),
});
const enc = device.createCommandEncoder({ label: 'normal-gpu' });
const pass = enc.beginComputePass({ label: 'normal-gpu' });
pass.setPipeline(pipeline);
pass.setBindGroup(0, bind);
const groups = Math.ceil(blocks / 64); // 2-D grid: x at most 32768, the rest in y
pass.dispatchWorkgroups(Math.min(groups, 32768), Math.ceil(groups / 32768));
pass.end();
enc.copyBufferToBuffer(nBuf, 0, read, 0, bytes);
enc.copyBufferToBuffer(rBuf, 0, read, bytes, bytes);
const t0 = performance.now();
device.pushErrorScope('validation');
device.queue.submit([enc.finish()]);
const dispatchErr = await device.popErrorScope();
if (dispatchErr) throw new Error(`dispatch: ${dispatchErr.message}`);
await read.mapAsync(GPUMapMode.READ);
console.log(`gpu: ${blocks} blocks in ${(performance.now() - t0).toFixed(0)} ms (incl. readback)`);
const out = new Uint32Array(read.getMappedRange().slice(0));
read.unmap();

let bitMismatch = 0;
let rawMismatch = 0;
let worst = 0;
let worstAt = '';
const first: string[] = [];
for (let b = 0; b < blocks; b++) {
  const w = words.subarray(4 * b, 4 * b + 4);
  const twin = normal4Bits(w);
  const ref = boxMuller64(w);
  for (let k = 0; k < 4; k++) {
    const g = out[4 * b + k]!;
    if (g !== twin[k]) {
      bitMismatch++;
      if (first.length < 5)
        first.push(
          `block ${b} [${k}] words ${[...w].map((x) => x.toString(16))}: gpu 0x${g.toString(16)} twin 0x${twin[k]!.toString(16)}`,
        );
    }
    const e = Math.abs(bitsToF32(g) - ref[k]!) / Math.max(1, Math.abs(ref[k]!));
    if (!(e <= worst)) {
      worst = e;
      worstAt = `block ${b} [${k}] gpu ${bitsToF32(g)} float64 ${ref[k]}`;
    }
  }
  if (b % 64 === 0) {
    const want = philox4x32_10([w[0]!, w[1]!, w[2]!, w[3]!], [(w[3]! ^ 0x5bd1e995) >>> 0, (w[0]! + 7) >>> 0]);
    for (let k = 0; k < 4; k++) if (out[4 * blocks + 4 * b + k] !== want[k]) rawMismatch++;
  }
}
console.log(`philox words vs BigInt reference: ${rawMismatch} mismatches over ${Math.ceil(blocks / 64)} blocks`);
console.log(`normal4 bits vs TS twin: ${bitMismatch} mismatches over ${4 * blocks} normals`);
for (const f of first) console.log(`  ${f}`);
console.log(`worst |z_gpu - z64| / max(1, |z64|) = ${worst.toExponential(3)} (${worstAt})`);
device.destroy();
// keep `gpu` referenced to the end (dawn.node crashes if it is collected while in use)
(globalThis as { __normalGpu?: unknown }).__normalGpu = gpu;
process.exit(bitMismatch || rawMismatch ? 1 : 0);
