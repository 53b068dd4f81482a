// Every kernel with the variants and override constants it is built with; scripts/lint-wgsl.ts
// compiles each one, and fails on any shader file not listed here.
import type { KernelSpec, PipelineOptions } from '../runtime/pipeline.js';
import { FORWARD_NOISE, FORWARD_NOISE_WG } from './forward_noise.js';
import { PHILOX, PHILOX_WG } from './philox.js';

export interface RegisteredKernel {
  spec: KernelSpec;
  builds: PipelineOptions[];
}

export const KERNELS: RegisteredKernel[] = [
  { spec: PHILOX, builds: [false, true].map((normal) => ({ constants: { WG: PHILOX_WG }, variant: { normal } })) },
  { spec: FORWARD_NOISE, builds: [{ constants: { WG: FORWARD_NOISE_WG } }] },
];
