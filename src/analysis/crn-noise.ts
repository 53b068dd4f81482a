// The noise event N(0, I) of the crn basis (crn-basis.ts): its co-moment [[A, X], [X^T, B]] n of n rows of
// independent z and eps is W_2D(I, n - 1), drawn exactly by the Bartlett decomposition in 2 (2D)^3 / 3
// flops instead of 2 n (2D)^2; with n - 1 < 2D its rows are drawn instead.
import type { Context } from '../runtime/context.js';
import { beginBatch, submit } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback, upload, type Tensor } from '../runtime/tensor.js';
import { seedKey } from '../runtime/check.js';
import { encodeMatmul, matmulPlan } from '../kernels/matmul.js';
import { encodeNormalRows, normalRowsPipeline } from '../kernels/normal_rows.js';
import { STREAM_NOISE_EVENT } from '../kernels/philox_streams.js';
import { encodeRankUpdate, type RankUpdatePlan } from '../kernels/rank_update.js';
import { encodeSyrk, syrkPlan } from '../kernels/syrk.js';
import type { CrnEvent, CrnInput } from './crn-basis.js';

/** Chi-square variates with dof - i degrees of freedom (i = 0 .. p - 1), the Bartlett diagonal squared. */
export function bartlettChiSquares(dof: number, p: number, seed: number): Float64Array {
  // splitmix32 uniforms and Marsaglia-Tsang gamma(k / 2) draws: chi2_k = 2 Gamma(k / 2, 1), exact for k >= 2.
  let s = (seed ^ 0x5bd1e995) >>> 0;
  const uniform = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (((z ^ (z >>> 16)) >>> 0) + 0.5) / 2 ** 32;
  };
  const normal = () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
  const gamma = (alpha: number): number => {
    if (alpha < 1) return gamma(alpha + 1) * uniform() ** (1 / alpha);
    const d = alpha - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = normal();
      const v = (1 + c * x) ** 3;
      if (v <= 0) continue;
      if (Math.log(uniform()) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
    }
  };
  return Float64Array.from({ length: p }, (_, i) => 2 * gamma((dof - i) / 2));
}

export function noiseFlops(n: number, D: number): number {
  return n - 1 >= 2 * D ? 2 * 4 * D ** 3 : 2 * n * (2 * D) ** 2;
}

/** The noise event N(0, I) of inp.noiseCount rows: a Bartlett Wishart draw, or drawn rows when n - 1 < 2D. */
export async function noiseEvent(
  ctx: Context,
  rank: RankUpdatePlan,
  inp: CrnInput,
  D: number,
  ld: number,
): Promise<CrnEvent> {
  const n = inp.noiseCount;
  const key = seedKey(inp.seed);
  const normals = await normalRowsPipeline(ctx);
  const mats = [0, 1, 2].map((m) => createTensor(ctx, [ld, ld], { label: `crn.noise${m}` })) as [
    Tensor,
    Tensor,
    Tensor,
  ];
  const rows = createTensor(ctx, [Math.max(ld, 1)], { label: 'crn.noise.rows', dtype: 'u32' });
  const made: Tensor[] = [rows];
  try {
    upload(
      ctx,
      rows,
      Uint32Array.from({ length: ld }, (_, i) => i),
    );
    if (n - 1 >= 2 * D) {
      // W = L L^T ~ W_2D(I, n - 1) with L lower triangular: L_ii^2 ~ chi2(n - 1 - i), L_ij ~ N(0, 1) below.
      // Blocks: A n = L11 L11^T, X n = L11 L21^T, B n = L21 L21^T + L22 L22^T.
      const chi = bartlettChiSquares(n - 1, 2 * D, inp.seed).map(Math.sqrt);
      const diag = createTensor(ctx, [2 * D], { data: Float32Array.from(chi), label: 'crn.noise.diag' });
      const L = [0, 1, 2].map((b) => createTensor(ctx, [ld, ld], { label: `crn.noise.L${b}` }));
      made.push(diag, ...L);
      const batch = beginBatch(ctx, 'crn.noise');
      const draw = (out: Tensor, tag: number, lower?: number) =>
        encodeNormalRows(batch, normals, {
          rows,
          count: D,
          cols: D,
          ldo: ld,
          out,
          key,
          stream: STREAM_NOISE_EVENT,
          tag,
          ...(lower !== undefined ? { lower: { diag, diagOffset: lower } } : {}),
        });
      draw(L[0]!, 1, 0);
      draw(L[1]!, 2);
      draw(L[2]!, 3, D);
      const gemm = await matmulPlan(ctx, { m: D, n: D, k: D, transB: true });
      const prod = (a: Tensor, b: Tensor, c: Tensor, beta: number) =>
        encodeMatmul(batch, gemm, {
          a,
          b,
          c,
          m: D,
          n: D,
          k: D,
          transB: true,
          lda: ld,
          ldb: ld,
          ldc: ld,
          alpha: 1 / n,
          beta,
        });
      const X = createTensor(ctx, [ld, ld], { label: 'crn.noise.X' });
      made.push(X);
      prod(L[0]!, L[0]!, mats[0], 0);
      prod(L[1]!, L[1]!, mats[1], 0);
      prod(L[2]!, L[2]!, mats[1], 1);
      prod(L[0]!, L[1]!, X, 0);
      encodeRankUpdate(batch, rank, { out: mats[2], rows: D, cols: D, ldo: ld, x: { t: X, ld, symmetric: true } });
      submit(batch);
      await readback(ctx, diag, 0, 1);
    } else {
      await drawnNoiseEvent(ctx, rank, inp, D, ld, mats, made);
    }
  } finally {
    for (const t of made) disposeTensor(t);
  }
  // The sample mean of n N(0, I) rows is N(0, I / n), independent of the co-moment: drawn as one more row.
  const mean = await drawRow(ctx, inp.seed, 4, D, ld);
  return { count: n, mean: mean.map((v) => v / Math.sqrt(n)), mats };
}

async function drawRow(ctx: Context, seed: number, tag: number, D: number, ld: number): Promise<Float64Array> {
  const p = await normalRowsPipeline(ctx);
  const rows = createTensor(ctx, [1], { dtype: 'u32', label: 'crn.row' });
  const out = createTensor(ctx, [ld], { label: 'crn.rowOut' });
  try {
    const batch = beginBatch(ctx, 'crn.row');
    encodeNormalRows(batch, p, {
      rows,
      count: 1,
      cols: D,
      ldo: ld,
      out,
      key: seedKey(seed),
      stream: STREAM_NOISE_EVENT,
      tag,
    });
    submit(batch);
    return Float64Array.from((await readback(ctx, out, 0, D)) as Float32Array);
  } finally {
    disposeTensor(rows);
    disposeTensor(out);
  }
}

/** Small noise samples (n - 1 < 2D): the rows z (tag 5) and their eps (tag 6) are drawn and their raw moments taken. */
async function drawnNoiseEvent(
  ctx: Context,
  rank: RankUpdatePlan,
  inp: CrnInput,
  D: number,
  ld: number,
  mats: [Tensor, Tensor, Tensor],
  made: Tensor[],
): Promise<void> {
  const n = inp.noiseCount;
  const key = seedKey(inp.seed);
  const normals = await normalRowsPipeline(ctx);
  const rows = createTensor(ctx, [n], {
    dtype: 'u32',
    data: Uint32Array.from({ length: n }, (_, i) => i),
    label: 'crn.zrows',
  });
  const z = createTensor(ctx, [n, ld], { label: 'crn.z' });
  const e = createTensor(ctx, [n, ld], { label: 'crn.ze' });
  const ones = createTensor(ctx, [n], { data: new Float32Array(n).fill(1), label: 'crn.zones' });
  const means = createTensor(ctx, [2, ld], { label: 'crn.zmeans' });
  const X = createTensor(ctx, [ld, ld], { label: 'crn.zX' });
  made.push(rows, z, e, ones, means, X);
  const batch = beginBatch(ctx, 'crn.znoise');
  for (const [t, tag] of [
    [z, 5],
    [e, 6],
  ] as const) {
    encodeNormalRows(batch, normals, {
      rows,
      count: n,
      cols: D,
      ldo: ld,
      out: t,
      key,
      stream: STREAM_NOISE_EVENT,
      tag,
    });
  }
  const syrk = await syrkPlan(ctx, { rows: n, cols: D });
  const gemm = await matmulPlan(ctx, { m: D, n: D, k: n, transA: true });
  const sums = await matmulPlan(ctx, { m: 1, n: D, k: n, transA: true });
  encodeSyrk(batch, syrk, { a: z, c: mats[0], rows: n, cols: D, lda: ld, ldc: ld, alpha: 1 / n, mirror: true });
  encodeSyrk(batch, syrk, { a: e, c: mats[1], rows: n, cols: D, lda: ld, ldc: ld, alpha: 1 / n, mirror: true });
  encodeMatmul(batch, gemm, {
    a: z,
    b: e,
    c: X,
    m: D,
    n: D,
    k: n,
    transA: true,
    lda: ld,
    ldb: ld,
    ldc: ld,
    alpha: 1 / n,
  });
  encodeMatmul(batch, sums, { a: ones, b: z, c: means, m: 1, n: D, k: n, transA: true, lda: 1, ldb: ld, alpha: 1 / n });
  encodeMatmul(batch, sums, {
    a: ones,
    b: e,
    c: means,
    m: 1,
    n: D,
    k: n,
    transA: true,
    lda: 1,
    ldb: ld,
    offsetC: ld,
    alpha: 1 / n,
  });
  // Raw second moments minus the mean products: A = Z^T Z / n - zbar zbar^T, and so on.
  const common = { rows: D, cols: D, ldo: ld, beta: 1 };
  encodeRankUpdate(batch, rank, { ...common, out: mats[0], outer: { u: means, v: means, w: -1 } });
  encodeRankUpdate(batch, rank, {
    ...common,
    out: mats[1],
    outer: { u: means, uOffset: ld, v: means, vOffset: ld, w: -1 },
  });
  encodeRankUpdate(batch, rank, { ...common, out: X, outer: { u: means, v: means, vOffset: ld, w: -1 } });
  encodeRankUpdate(batch, rank, { rows: D, cols: D, ldo: ld, out: mats[2], x: { t: X, ld, symmetric: true } });
  submit(batch);
  await readback(ctx, means, 0, 1);
}
