// Every kernel with the variants and override constants it is built with; scripts/lint-wgsl.ts
// compiles each one, and fails on any shader file not listed here.
import type { KernelSpec, PipelineOptions } from '../runtime/pipeline.js';
import { FORWARD_NOISE, FORWARD_NOISE_WG } from './forward_noise.js';
import { PHILOX, philoxBuild } from './philox.js';
import { MATMUL, gemmOptions } from './matmul.js';
import { gemmBuildsFor } from './gemm_builds.js';
import { SYRK, SYRK_MIRROR, SYRK_MIRROR_WG } from './syrk.js';
import { FROBENIUS, FROBENIUS_REDUCE, frobeniusBuild, frobeniusReduceBuild } from './frobenius.js';
import { SYMM_BLOCK, symmBlockBuild } from './symm_block.js';
import { SEGMENTED_MOMENTS, SEGMENTED_MOMENTS_WG } from './moments-chunk.js';

export interface RegisteredKernel {
  spec: KernelSpec;
  builds: PipelineOptions[];
}

export const KERNELS: RegisteredKernel[] = [
  { spec: PHILOX, builds: (['words', 'normal', 'transform'] as const).map(philoxBuild) },
  { spec: FORWARD_NOISE, builds: [{ constants: { WG: FORWARD_NOISE_WG } }] },
  // matmul: every tile build for each pair of transposes; syrk: A^T A and the Gram product A A^T.
  { spec: MATMUL, builds: ([[false, false], [true, false], [false, true], [true, true]] as const).flatMap(([ta, tb]) => gemmBuildsFor(ta, tb).map((b) => gemmOptions(b, ta, tb))) },
  { spec: SYRK, builds: [...gemmBuildsFor(true, false).map((b) => gemmOptions(b, true, false)), ...gemmBuildsFor(false, true).map((b) => gemmOptions(b, false, true))] },
  { spec: SYRK_MIRROR, builds: [{ constants: { WG: SYRK_MIRROR_WG } }] },
  { spec: FROBENIUS, builds: [frobeniusBuild] },
  { spec: FROBENIUS_REDUCE, builds: [frobeniusReduceBuild] },
  { spec: SYMM_BLOCK, builds: [symmBlockBuild] },
  { spec: SEGMENTED_MOMENTS, builds: [{ constants: { WG: SEGMENTED_MOMENTS_WG } }] },
];
