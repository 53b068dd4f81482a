// Development probe: does llvmpipe read a matrix faster through textureLoad (rgba32float) than through a
// storage buffer? A symv-like loop: each invocation owns a vec4 group of columns g and sums rows l.
import { requestContext } from '../../src/runtime/context.js';

const ctx = await requestContext();
const dev = ctx.device;
const n = Number(process.argv[2] ?? 784);
const batch = Number(process.argv[3] ?? 8);
const g4 = n / 4;
const data = Float32Array.from({ length: batch * n * n }, (_, i) => Math.sin(i));
const buf = dev.createBuffer({ size: data.byteLength, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_DST });
dev.queue.writeBuffer(buf, 0, data);
const tex = dev.createTexture({
  size: [g4, n, batch],
  format: 'rgba32float',
  usage: GPUTextureUsage.TEXTURE_BINDING | GPUTextureUsage.COPY_DST,
});
dev.queue.writeTexture({ texture: tex }, data, { bytesPerRow: n * 4, rowsPerImage: n }, [g4, n, batch]);
const out = dev.createBuffer({ size: batch * n * 4, usage: GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC });
const WG = 64;
const common = `
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@compute @workgroup_size(${WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lid: u32) {
  let b = wid.x;
  for (var rep = 0u; rep < 8u; rep++) {
  for (var g = lid; g < ${g4}u; g += ${WG}u) {
    var y = vec4<f32>(0.0);
    for (var l = 0u; l < ${n}u; l++) { y += LOAD * f32(l & 7u); }
    out[b * ${g4}u + g] += y;
  }
  }
}`;
const uniform = `
@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> out: array<vec4<f32>>;
@compute @workgroup_size(1)
fn main(@builtin(workgroup_id) wid: vec3<u32>) {
  let b = wid.x;
  for (var rep = 0u; rep < 8u; rep++) {
  for (var g = 0u; g < ${g4}u; g += 2u) {
    var y = vec4<f32>(0.0);
    var y2 = vec4<f32>(0.0);
    for (var l = 0u; l < ${n}u; l++) { let w = f32(l & 7u); y += a[(b * ${n}u + l) * ${g4}u + g] * w; y2 += a[(b * ${n}u + l) * ${g4}u + g + 1u] * w; }
    out[b * ${g4}u + g] += y;
    out[b * ${g4}u + g + 1u] += y2;
  }
  }
}`;
const kernels = {
  uniform,
  buffer:
    `@group(0) @binding(0) var<storage, read> a: array<vec4<f32>>;\n` +
    common.replace('LOAD', `a[(b * ${n}u + l) * ${g4}u + g]`),
  texture:
    `@group(0) @binding(0) var a: texture_2d_array<f32>;\n` +
    common.replace('LOAD', `textureLoad(a, vec2<u32>(g, l), b, 0)`),
};
for (const [name, code] of Object.entries(kernels)) {
  const module = dev.createShaderModule({ code });
  const pipe = await dev.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const res = name !== 'texture' ? { buffer: buf } : tex.createView({ dimension: '2d-array' });
  const bg = dev.createBindGroup({
    layout: pipe.getBindGroupLayout(0),
    entries: [
      { binding: 0, resource: res },
      { binding: 1, resource: { buffer: out } },
    ],
  });
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now();
    const enc = dev.createCommandEncoder();
    const pass = enc.beginComputePass();
    pass.setPipeline(pipe);
    pass.setBindGroup(0, bg);
    pass.dispatchWorkgroups(batch);
    pass.end();
    dev.queue.submit([enc.finish()]);
    await dev.queue.onSubmittedWorkDone();
    const ms = performance.now() - t0;
    const gb = (8 * batch * n * n * 4) / 1e9;
    console.log(`${name}: ${ms.toFixed(1)} ms, ${(gb / (ms / 1e3)).toFixed(2)} GB/s read`);
  }
}
