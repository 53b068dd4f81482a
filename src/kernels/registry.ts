// Every kernel with the variants and override constants it is built with; scripts/lint-wgsl.ts
// compiles each one, and fails on any shader file not listed here.
import type { KernelSpec, PipelineOptions } from '../runtime/pipeline.js';
import { FORWARD_NOISE, FORWARD_NOISE_WG } from './forward_noise.js';
import { PHILOX, philoxBuild } from './philox.js';

export interface RegisteredKernel {
  spec: KernelSpec;
  builds: PipelineOptions[];
}

export const KERNELS: RegisteredKernel[] = [
  { spec: PHILOX, builds: (['words', 'normal', 'transform'] as const).map(philoxBuild) },
  { spec: FORWARD_NOISE, builds: [{ constants: { WG: FORWARD_NOISE_WG } }] },
];
