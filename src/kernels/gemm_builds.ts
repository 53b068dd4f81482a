// The builds of the GEMM tile (shaders/lib/gemm.wgsl) that matmul and SYRK autotune among. Each is a
// register block of TM x TN outputs per invocation in workgroups of WG invocations, WX of them along
// the columns; every build sums over k in the same order, so all give the same bits. A vec4 build is
// only eligible for the A^T B layout (SYRK's A^T A); with unaligned offsets its plan falls back to the
// scalar build of the same shape.

export interface GemmBuild {
  tm: 4 | 8;
  tn: 4 | 8;
  wg: number;
  wx: number;
  /** vec4 loads (VEC4): only for op(A) = A^T, op(B) = B with offsets and leading dimensions multiples of 4. */
  vec4: boolean;
}

export const GEMM_BUILDS: readonly GemmBuild[] = [
  { tm: 8, tn: 8, wg: 64, wx: 8, vec4: false },
  { tm: 8, tn: 8, wg: 8, wx: 8, vec4: false },
  { tm: 4, tn: 4, wg: 64, wx: 8, vec4: false },
  { tm: 4, tn: 8, wg: 16, wx: 16, vec4: false },
  { tm: 8, tn: 8, wg: 64, wx: 8, vec4: true },
  { tm: 8, tn: 8, wg: 8, wx: 8, vec4: true },
];

export const sameBuild = (x: GemmBuild, y: GemmBuild) => x.tm === y.tm && x.tn === y.tn && x.wg === y.wg && x.wx === y.wx && x.vec4 === y.vec4;

/** Builds a product with these transposes may use. */
export const buildsFor = (transA: boolean, transB: boolean) => GEMM_BUILDS.filter((b) => !b.vec4 || (transA && !transB));

/** The scalar build with the same tile, used when a vec4 build meets unaligned operands. */
export const scalarOf = (b: GemmBuild): GemmBuild => ({ ...b, vec4: false });
