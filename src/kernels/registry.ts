// Every kernel with the variants and override constants it is built with; scripts/lint-wgsl.ts
// compiles each one, and fails on any shader file not listed here.
import type { KernelSpec, PipelineOptions } from '../runtime/pipeline.js';
import { FORWARD_NOISE, FORWARD_NOISE_WG } from './forward_noise.js';
import { PHILOX, philoxBuild } from './philox.js';
import { MATMUL, gemmOptions } from './matmul.js';
import { gemmBuildsFor } from './gemm_builds.js';
import { SYRK, SYRK_MIRROR, SYRK_MIRROR_WG } from './syrk.js';
import {
  FROBENIUS,
  FROBENIUS_CROSS,
  FROBENIUS_REDUCE,
  frobeniusBuild,
  frobeniusCrossBuild,
  frobeniusReduceBuild,
} from './frobenius.js';
import { SYMM_BLOCK, symmBlockBuild } from './symm_block.js';
import { MIXED_MOMENTS, mixedMomentsBuild } from './mixed_moments.js';
import { SEGMENTED_MOMENTS, SEGMENTED_MOMENTS_WG } from './moments_chunk.js';
import { DIFFUSION_BATCH, DIFFUSION_BATCH_WG } from './diffusion_batch.js';
import { SAMPLER_STEP, SAMPLER_STEP_WG } from './sampler_step.js';
import { EMPIRICAL_SOFTMAX, EMPIRICAL_SOFTMAX_WG } from './empirical_softmax.js';
import { GMM_SOFTMAX, GMM_SOFTMAX_WG } from './gmm_softmax.js';
import { POSTERIOR_FINISH, POSTERIOR_FINISH_WG } from './posterior_finish.js';
import { NN_DENSE_REGISTRY } from './nn_dense.js';
import { NN_IMAGE_KERNELS } from './nn_image_base.js';
import { PATCH_BUILD, PATCH_MERGE, PATCH_PAD, PATCH_POSTERIOR, patchPosteriorBuild } from './patch_posterior.js';
import { KNN_SELECT, KNN_SELECT_WG } from './knn_select.js';
import { PRDC_COUNT, PRDC_COUNT_WG } from './prdc_count.js';
import { DFT_POWER, DFT_ROWS, DFT_WG } from './dft.js';
import { MODE_JVP, MODE_PERTURB, MODE_WG } from './mode_jvp.js';
import { BAND_PANEL, BAND_W, bandBuild } from './tridiag.js';
import { COMBINE3, combine3Build } from './combine3.js';
import { NORMAL_ROWS, normalRowsBuild } from './normal_rows.js';
import { RANK_UPDATE, rankUpdateBuild } from './rank_update.js';
import {
  CONV3X3_IMPLICIT,
  CONV3X3_IMPLICIT_BIAS,
  CONV3X3_IMPLICIT_DW,
  CONV3X3_IMPLICIT_RES,
  CONV3X3_IMPLICIT_RES_BIAS,
  IMPLICIT_ROWS_WITH_1,
  IMPLICIT_LOADS,
  IMPLICIT_ROWS,
  implicitBuild,
  type ImplicitResidual,
} from './conv3x3_implicit.js';

export interface RegisteredKernel {
  spec: KernelSpec;
  builds: PipelineOptions[];
}

/** The forward / input-gradient kernel's builds: every height and loads, and the forward-only 1-row tiles. */
const implicitBuilds = (bias: boolean) => [
  ...IMPLICIT_LOADS.flatMap((loads) => IMPLICIT_ROWS.map((r) => implicitBuild(r, bias, loads))),
  ...(['scalar', 'both'] as const).map((loads) => implicitBuild(1, bias, loads)),
];
/** The forward pass's residual builds: every height, scalar loads and the forward's vec4 loads. */
const residualBuilds = (r: ImplicitResidual) =>
  (['scalar', 'both'] as const).flatMap((loads) => IMPLICIT_ROWS_WITH_1.map((h) => implicitBuild(h, true, loads, r)));

export const KERNELS: RegisteredKernel[] = [
  { spec: PHILOX, builds: (['words', 'normal', 'transform'] as const).map(philoxBuild) },
  { spec: FORWARD_NOISE, builds: [{ constants: { WG: FORWARD_NOISE_WG } }] },
  // matmul: every tile build for each pair of transposes, storing C or C^T; syrk: A^T A and the Gram product A A^T.
  {
    spec: MATMUL,
    builds: (
      [
        [false, false],
        [true, false],
        [false, true],
        [true, true],
      ] as const
    ).flatMap(([ta, tb]) =>
      // Plain, and transposed stores (the swapped plans).
      [false, true].flatMap((tc) => gemmBuildsFor(ta, tb).map((b) => gemmOptions(b, ta, tb, tc))),
    ),
  },
  {
    spec: SYRK,
    builds: [
      ...gemmBuildsFor(true, false).map((b) => gemmOptions(b, true, false)),
      ...gemmBuildsFor(false, true).map((b) => gemmOptions(b, false, true)),
    ],
  },
  { spec: SYRK_MIRROR, builds: [{ constants: { WG: SYRK_MIRROR_WG } }] },
  {
    spec: CONV3X3_IMPLICIT,
    builds: implicitBuilds(false),
  },
  {
    spec: CONV3X3_IMPLICIT_BIAS,
    builds: implicitBuilds(true),
  },
  { spec: CONV3X3_IMPLICIT_RES, builds: residualBuilds('res') },
  { spec: CONV3X3_IMPLICIT_RES_BIAS, builds: residualBuilds('resBias') },
  {
    spec: CONV3X3_IMPLICIT_DW,
    builds: (['scalar', 'src'] as const).flatMap((loads) =>
      IMPLICIT_ROWS_WITH_1.map((r) => implicitBuild(r, false, loads)),
    ),
  },
  { spec: FROBENIUS, builds: [frobeniusBuild] },
  { spec: FROBENIUS_REDUCE, builds: [frobeniusReduceBuild] },
  { spec: FROBENIUS_CROSS, builds: [frobeniusCrossBuild] },
  { spec: SYMM_BLOCK, builds: [symmBlockBuild(false), symmBlockBuild(true)] },
  { spec: MIXED_MOMENTS, builds: [mixedMomentsBuild] },
  // Stage 1 of the two-stage symmetric eigenvalue reduction (dense -> band): panel QR, W of the update.
  { spec: BAND_PANEL, builds: [bandBuild] },
  { spec: BAND_W, builds: [bandBuild] },
  { spec: COMBINE3, builds: [combine3Build] },
  // The crn moment pass: noise rows in any order (and Bartlett factors), pairwise merges.
  { spec: NORMAL_ROWS, builds: [normalRowsBuild] },
  { spec: RANK_UPDATE, builds: [rankUpdateBuild(false), rankUpdateBuild(true)] },
  { spec: SEGMENTED_MOMENTS, builds: [{ constants: { WG: SEGMENTED_MOMENTS_WG } }] },
  { spec: DIFFUSION_BATCH, builds: [{ constants: { WG: DIFFUSION_BATCH_WG } }] },
  { spec: SAMPLER_STEP, builds: [{ constants: { WG: SAMPLER_STEP_WG } }] },
  { spec: EMPIRICAL_SOFTMAX, builds: [{ constants: { WG: EMPIRICAL_SOFTMAX_WG } }] },
  { spec: GMM_SOFTMAX, builds: [{ constants: { WG: GMM_SOFTMAX_WG } }] },
  { spec: POSTERIOR_FINISH, builds: [{ constants: { WG: POSTERIOR_FINISH_WG } }] },
  // nn_dense: one entry per build (bias_act, add and their backward in place and not).
  ...NN_DENSE_REGISTRY,
  // nn_image: im2col / col2im, channel bias (in place and not) and sums, GroupNorm, pooling, concat.
  ...NN_IMAGE_KERNELS,
  // Patch denoisers (LS / ELS): padding, the posterior in both variants, the merge of the splits.
  { spec: PATCH_PAD, builds: [PATCH_BUILD] },
  { spec: PATCH_POSTERIOR, builds: [patchPosteriorBuild(false), patchPosteriorBuild(true)] },
  { spec: PATCH_MERGE, builds: [PATCH_BUILD] },
  // Sample-quality metrics (src/metrics/): k-NN radii and the PRDC counting step.
  { spec: KNN_SELECT, builds: [{ constants: { WG: KNN_SELECT_WG } }] },
  { spec: PRDC_COUNT, builds: [{ constants: { WG: PRDC_COUNT_WG } }] },
  // Critical-phenomena diagnostics (src/analysis/spectrum.ts, mode-softening.ts): 2-D DFT power, mode JVPs.
  { spec: DFT_ROWS, builds: [{ constants: { WG: DFT_WG } }] },
  { spec: DFT_POWER, builds: [{ constants: { WG: DFT_WG } }] },
  { spec: MODE_PERTURB, builds: [{ constants: { WG: MODE_WG } }] },
  { spec: MODE_JVP, builds: [{ constants: { WG: MODE_WG } }] },
];
