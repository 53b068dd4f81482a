// The builds of the GEMM tile (shaders/lib/gemm.wgsl) that matmul and SYRK autotune among. Each is a
// register block of TM x TN outputs per invocation in workgroups of WG invocations, WX of them along
// the columns; every build sums over k in the same order, so all give the same bits. A vec4 build is
// only eligible for the A^T B layout (SYRK's A^T A); with unaligned offsets its plan falls back to the
// scalar build of the same shape.

export interface GemmBuild {
  tm: 4 | 8 | 16 | 32 | 64;
  tn: 4 | 8 | 16;
  wg: number;
  wx: number;
  /** vec4 loads (VEC4): only for op(A) = A^T, op(B) = B with offsets and leading dimensions multiples of 4. */
  vec4: boolean;
  /** Shared-memory tiling (TILED): k slabs of the workgroup's tile staged in workgroup memory. */
  tiled: boolean;
  /**
   * Rows shared through subgroup broadcasts (SUBGROUP_ROWS): the workgroup is one subgroup of 8 lanes
   * holding 32 or 64 rows, each lane 8 columns (tm 32 or 64, tn 8, wg = wx = 8). Needs the `subgroups`
   * feature and subgroups of at least 8 invocations.
   */
  subgroup: boolean;
}

export const GEMM_BUILDS: readonly GemmBuild[] = [
  // Scalar loads, any layout. On lavapipe the subgroup builds below beat these in every class of
  // scripts/dev/gemm-tune-log.ts; they remain the candidates where subgroups are missing (compatibility
  // mode, browsers without the feature); each won a shape class on lavapipe before those existed.
  { tm: 8, tn: 8, wg: 64, wx: 8, vec4: false, tiled: false, subgroup: false },
  { tm: 8, tn: 8, wg: 8, wx: 8, vec4: false, tiled: false, subgroup: false },
  { tm: 4, tn: 4, wg: 64, wx: 8, vec4: false, tiled: false, subgroup: false },
  { tm: 4, tn: 8, wg: 16, wx: 16, vec4: false, tiled: false, subgroup: false },
  // 16 x 16 with scalar loads: SYRK A^T A with D not a multiple of 4 (43 against 31 GFLOP/s at 6000 x 784).
  { tm: 16, tn: 16, wg: 8, wx: 2, vec4: false, tiled: false, subgroup: false },
  // vec4 loads, A^T B only: without subgroups the large blocks win SYRK A^T A and A^T B on lavapipe.
  { tm: 16, tn: 16, wg: 8, wx: 2, vec4: true, tiled: false, subgroup: false },
  { tm: 16, tn: 16, wg: 8, wx: 4, vec4: true, tiled: false, subgroup: false },
  { tm: 8, tn: 16, wg: 16, wx: 4, vec4: true, tiled: false, subgroup: false },
  { tm: 8, tn: 8, wg: 8, wx: 8, vec4: true, tiled: false, subgroup: false },
  // Rows shared through subgroup broadcasts (variants: scripts/dev/gemm-variants.ts). On lavapipe tm 64
  // vec4 wins SYRK A^T A and A^T B (SYRK 6000 x 784: 82.5 GFLOP/s against 43.1 for the best build above;
  // A^T B 1024^3: 58.6 against 17.0), tm 32 scalar A B, A B^T and A A^T (scripts/dev/gemm-time.ts).
  { tm: 32, tn: 8, wg: 8, wx: 8, vec4: true, tiled: false, subgroup: true },
  { tm: 32, tn: 8, wg: 8, wx: 8, vec4: false, tiled: false, subgroup: true },
  { tm: 64, tn: 8, wg: 8, wx: 8, vec4: true, tiled: false, subgroup: true },
  { tm: 64, tn: 8, wg: 8, wx: 8, vec4: false, tiled: false, subgroup: true },
  // Shared-memory tiling: won SYRK on an H100 (Dawn/Vulkan), loses on lavapipe.
  { tm: 4, tn: 4, wg: 256, wx: 16, vec4: false, tiled: true, subgroup: false },
];

export const sameBuild = (x: GemmBuild, y: GemmBuild) =>
  x.tm === y.tm &&
  x.tn === y.tn &&
  x.wg === y.wg &&
  x.wx === y.wx &&
  x.vec4 === y.vec4 &&
  x.tiled === y.tiled &&
  x.subgroup === y.subgroup;

/** Builds a product with these transposes may use. */
export const buildsFor = (transA: boolean, transB: boolean) =>
  GEMM_BUILDS.filter((b) => !b.vec4 || (transA && !transB));

/** What a device offers that builds may need: the `subgroups` feature and its smallest subgroup size. */
export interface GemmDeviceFeatures {
  subgroups: boolean;
  subgroupMinSize: number;
}

/**
 * Whether the device has subgroups of at least 8 invocations, which every kernel that shares loads by
 * subgroup broadcast needs: the GEMM's subgroup builds and the implicit convolutions.
 */
export const subgroupsOf8 = (f: GemmDeviceFeatures) => f.subgroups && f.subgroupMinSize >= 8;

/** Whether a device can run this build (subgroup builds need subgroups of at least 8 invocations). */
export const buildRuns = (b: GemmBuild, f: GemmDeviceFeatures) => !b.subgroup || subgroupsOf8(f);

/** The scalar build with the same tile, used when a vec4 build meets unaligned operands. */
export const scalarOf = (b: GemmBuild): GemmBuild => ({ ...b, vec4: false });

/** Every build compiled for these transposes: the candidates plus the scalar fallbacks of vec4 ones. */
export function gemmBuildsFor(transA: boolean, transB: boolean): GemmBuild[] {
  const out = [...buildsFor(transA, transB)];
  for (const b of out.filter((x) => x.vec4)) if (!out.some((x) => sameBuild(x, scalarOf(b)))) out.push(scalarOf(b));
  return out;
}
