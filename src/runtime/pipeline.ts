// One pipeline cache per device, keyed only by what changes compiled code: kernel, entry point,
// override constants and variant flags. Shapes and sizes go in the Params uniform, never in the key.
import type { Context } from './context.js';
import { composeShader, reflectParams, type UniformLayout, type Variant } from './shader.js';

export type StorageAccess = 'read' | 'read_write';

/** What a kernel wrapper declares about its WGSL file. */
export interface KernelSpec {
  /** Kernel name, the file's base name (shaders/<name>.wgsl). */
  name: string;
  /** Library parts concatenated before the kernel file, e.g. ['lib/philox.wgsl']. */
  libs?: string[];
  entry?: string;
  /**
   * Storage bindings @group(0) @binding(1..n), in order. Binding 0 is the `Params` uniform when the
   * kernel declares `struct Params`; it is bound with a dynamic offset into the uniform ring.
   */
  storage: StorageAccess[];
}

export interface PipelineOptions {
  constants?: Record<string, number>;
  variant?: Variant;
}

export interface CachedPipeline {
  key: string;
  kernel: string;
  pipeline: GPUComputePipeline;
  layout: GPUBindGroupLayout;
  params: UniformLayout | null;
  spec: KernelSpec;
}

export interface CompileMessage {
  type: GPUCompilationMessageType;
  text: string;
}

const sortedJson = (o: Record<string, unknown> = {}) =>
  JSON.stringify(
    Object.keys(o)
      .sort()
      .map((k) => [k, o[k]]),
  );

export function pipelineKey(spec: KernelSpec, opts: PipelineOptions = {}): string {
  return `${spec.name}|${spec.entry ?? 'main'}|${sortedJson(opts.constants)}|${sortedJson(opts.variant)}`;
}

export function kernelParts(spec: KernelSpec): string[] {
  return [...(spec.libs ?? []), `${spec.name}.wgsl`];
}

/** Compiles the composed source and returns its messages with file:line:col of the original part. */
export async function compileModule(ctx: Context, spec: KernelSpec, variant: Variant = {}) {
  const parts = kernelParts(spec);
  const { code, lineMap } = composeShader(parts, variant);
  ctx.device.pushErrorScope('validation');
  const module = ctx.device.createShaderModule({ label: `${spec.name}.wgsl`, code });
  const info = await module.getCompilationInfo();
  const scopeError = await ctx.device.popErrorScope();
  const messages: CompileMessage[] = info.messages.map((m) => ({
    type: m.type,
    text: `${lineMap(m.lineNum)}:${m.linePos}: ${m.type}: ${m.message}`,
  }));
  const errors = messages.filter((m) => m.type === 'error');
  if (errors.length || scopeError) {
    const detail = errors.map((e) => e.text).join('\n') || scopeError?.message;
    throw new Error(`fluctus: shader ${spec.name}.wgsl failed to compile:\n${detail}`);
  }
  return { module, code, messages };
}

export async function getPipeline(ctx: Context, spec: KernelSpec, opts: PipelineOptions = {}): Promise<CachedPipeline> {
  const key = pipelineKey(spec, opts);
  const hit = ctx.pipelines.get(key);
  if (hit) return hit;

  const { module, code } = await compileModule(ctx, spec, opts.variant);
  const params = reflectParams(code, `${spec.name}.wgsl`);
  const entries: GPUBindGroupLayoutEntry[] = [];
  if (params) {
    entries.push({
      binding: 0,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: params.size },
    });
  }
  spec.storage.forEach((access, i) =>
    entries.push({
      binding: i + 1,
      visibility: GPUShaderStage.COMPUTE,
      buffer: { type: access === 'read' ? 'read-only-storage' : 'storage' },
    }),
  );
  const device = ctx.device;
  device.pushErrorScope('validation');
  const layout = device.createBindGroupLayout({ label: `${spec.name}.bgl`, entries });
  let pipeline: GPUComputePipeline;
  try {
    pipeline = await device.createComputePipelineAsync({
      label: spec.name,
      layout: device.createPipelineLayout({ label: `${spec.name}.layout`, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint: spec.entry ?? 'main', constants: opts.constants ?? {} },
    });
  } catch (e) {
    await device.popErrorScope();
    throw new Error(`fluctus: pipeline ${spec.name} (shaders/${spec.name}.wgsl) failed: ${(e as Error).message}`);
  }
  const err = await device.popErrorScope();
  if (err) throw new Error(`fluctus: pipeline ${spec.name} (shaders/${spec.name}.wgsl) failed: ${err.message}`);

  const cached: CachedPipeline = { key, kernel: spec.name, pipeline, layout, params, spec };
  ctx.pipelines.set(key, cached);
  ctx.compiles++;
  return cached;
}
