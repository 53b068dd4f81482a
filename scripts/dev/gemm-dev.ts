// Times experimental SYRK (A^T A) kernels from scripts/dev/gemm-variants/*.wgsl against the float64
// reference on a small case, then on (N, D) (development only; the winners move to shaders/).
//   npx tsx scripts/dev/gemm-dev.ts FILE.wgsl 'FLAGS-JSON' 'CONSTANTS-JSON' [N D]
// A variant declares the same Params as shaders/syrk.wgsl and bindings 1 A, 2 C; the script dispatches
// ceil(D / BM) * ceil(D / BN) workgroups with BM, BN from the constants' BM/BN entries (not overrides).
import { readFileSync } from 'node:fs';
import { requestContext } from '../../src/runtime/context.js';
import { beginBatch, dispatch, grid2d, submit, sync } from '../../src/runtime/dispatch.js';
import { preprocess, reflectParams } from '../../src/runtime/shader.js';
import { createTensor, readback, type Tensor } from '../../src/runtime/tensor.js';
import type { CachedPipeline } from '../../src/runtime/pipeline.js';
import { syrkRef } from '../../kernels-test/ref/syrk.js';

const [file, flags, consts] = [process.argv[2]!, JSON.parse(process.argv[3] ?? '{}'), JSON.parse(process.argv[4] ?? '{}')];
const N = Number(process.argv[5] ?? 6000);
const D = Number(process.argv[6] ?? 784);
const { BM, BN, ...constants } = consts as Record<string, number>;
const ctx = await requestContext();
const code = [...(consts.LIBS ?? []), file].map((f: string) => preprocess(readFileSync(f, 'utf8'), flags, f)).join('\n');
delete constants.LIBS;
const module = ctx.device.createShaderModule({ code });
const info = await module.getCompilationInfo();
for (const m of info.messages) console.log(m.lineNum, m.message);
const params = reflectParams(code, file)!;
const layout = ctx.device.createBindGroupLayout({
  entries: [
    { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: params.size } },
    { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
    { binding: 2, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
  ],
});
const pipeline = await ctx.device.createComputePipelineAsync({
  layout: ctx.device.createPipelineLayout({ bindGroupLayouts: [layout] }),
  compute: { module, entryPoint: 'main', constants },
});
const p: CachedPipeline = { key: file, kernel: 'dev', pipeline, layout, params, spec: { name: 'dev', storage: ['read', 'read_write'] } };

function run(a: Tensor, c: Tensor, n: number, d: number) {
  const tilesN = Math.ceil(d / BN!);
  const tiles = Math.ceil(d / BM!) * tilesN;
  const b = beginBatch(ctx, 'dev');
  dispatch(b, p, {
    params: { m: d, n: d, k: n, lda: d, ldb: d, ldc: d, off_a: 0, off_b: 0, off_c: 0, tiles_n: tilesN, tiles, upper: 1, alpha: 1, beta: 0 },
    bindings: [a, c], workgroups: grid2d(ctx, tiles, 1), flops: n * d * (d + 1), bytes: 4 * n * d,
  });
  submit(b);
}
// correctness on an awkward small case
for (const [n, d] of [[37, 45], [100, 131]] as const) {
  const x = Float32Array.from({ length: n * d }, (_, i) => Math.sin(i * 0.37));
  const a = createTensor(ctx, [n, d], { data: x });
  const c = createTensor(ctx, [d, d]);
  run(a, c, n, d);
  const got = await readback(ctx, c);
  const ref = syrkRef({ a: x, c: new Float64Array(d * d), rows: n, cols: d });
  let err = 0;
  for (let i = 0; i < d; i++) for (let j = i; j < d; j++) err = Math.max(err, Math.abs(got[i * d + j]! - ref[i * d + j]!));
  console.log(`check ${n}x${d}: max err ${err.toExponential(2)}`);
}
const a = createTensor(ctx, [N, D], { data: Float32Array.from({ length: N * D }, (_, i) => Math.sin(i)) });
const c = createTensor(ctx, [D, D]);
run(a, c, N, D);
await sync(ctx);
const ms: number[] = [];
for (let r = 0; r < 3; r++) {
  const t0 = performance.now();
  run(a, c, N, D);
  await sync(ctx);
  ms.push(performance.now() - t0);
}
const t = Math.min(...ms);
console.log(`${file} ${JSON.stringify(flags)} ${JSON.stringify(consts)}: ${N}x${D} ${t.toFixed(0)} ms = ${((2 * N * D * D) / t / 1e6).toFixed(1)} GFLOP/s (2ND^2)`);
process.exit(0);
