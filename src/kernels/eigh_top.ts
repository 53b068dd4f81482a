// Top-k eigenpairs of a symmetric matrix by block subspace iteration with Rayleigh-Ritz (Saad,
// "Numerical Methods for Large Eigenvalue Problems", §5.2): W = C V on the GPU (symm_block.wgsl),
// then in float64 on the CPU: H = V^T W, H = S Theta S^T, Ritz vectors U = V S with C U = W S (no
// extra product), residuals ||C u - theta u||, and the next basis V = orth(C U) (MGS twice).
// Eigenvalue i converges like (lambda_{m+1} / lambda_i)^iterations with m = k + oversampling.
import type { Context } from '../runtime/context.js';
import { beginBatch, submit } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, readback, upload } from '../runtime/tensor.js';
import { checkInt } from '../runtime/check.js';
import { symmetricEigen } from '../linalg/eigh-cpu.js';
import { rowKernels } from '../linalg/rows.js';
import { explainNonFinite, matrixOnGpu, seededGaussian, type MatrixOnGpu, type SymmetricInput } from './eigh_source.js';
import { encodeSymmBlock, encodeSymmBlockPower, symmBlockPipeline } from './symm_block.js';

/** Most products chained between two orthonormalisations. */
const CHAIN_MAX = 8;

export interface EighTopOptions {
  /** Number of wanted eigenpairs. */
  k: number;
  /** Stop when every wanted ||C v - lambda v|| <= tol * ||C||_2 (estimated; default 1e-5). */
  tol?: number;
  /** Most block products C V (default 500); `iterations` in the result counts them. */
  maxIter?: number;
  /** Extra basis vectors (default max(8, k)); the basis has m = min(d, k + oversample) columns. */
  oversample?: number;
  seed?: number;
  /** Element offset of C in a tensor (one matrix of a stack). */
  offset?: number;
}

export interface EighTopResult {
  /** The k dominant eigenvalues (largest |lambda|; the largest for positive semi-definite C), descending. */
  values: Float64Array;
  /** (k, d) unit eigenvectors as rows. */
  vectors: Float64Array;
  /** ||C v_i - lambda_i v_i||_2 per pair (C v from the GPU in f32, the rest in float64). */
  residuals: Float64Array;
  /** Estimate of ||C||_2 that tol is relative to: the largest |Ritz value|. */
  norm: number;
  /** Block products C V done (GPU). */
  iterations: number;
  /** Rayleigh-Ritz steps done (CPU, float64); each follows one product. */
  rayleighRitzSteps: number;
  converged: boolean;
}

/** Top-k eigenpairs of symmetric C (d, d) row-major f32 (a GPU tensor, or an array uploaded once). */
export async function eighTop(
  ctx: Context,
  c: SymmetricInput,
  d: number,
  opts: EighTopOptions,
): Promise<EighTopResult> {
  return (await eighTopMany(ctx, [{ c, d, k: opts.k, seed: opts.seed, offset: opts.offset }], opts))[0]!;
}

/** One matrix of `eighTopMany`: k, seed and offset as in EighTopOptions. */
export interface EighTopItem {
  c: SymmetricInput;
  d: number;
  k: number;
  seed?: number;
  offset?: number;
}

/**
 * Top-k eigenpairs of several symmetric matrices, each exactly as `eighTop` would find them (same
 * products, same float64 steps, same bits), iterated in lockstep: every round encodes each unfinished
 * matrix's next product (or chain of products) into one submission and reads all their blocks back at
 * once. One matrix at a time cost a GPU round trip per product and per chain: on lavapipe the 13 start
 * bases of the Fashion-MNIST analysis took ~4 s, nearly all of it waiting.
 */
export async function eighTopMany(
  ctx: Context,
  items: readonly EighTopItem[],
  opts: Omit<EighTopOptions, 'k' | 'seed' | 'offset'> = {},
): Promise<EighTopResult[]> {
  const fn = 'eighTop';
  const tol = opts.tol ?? 1e-5;
  if (!(tol > 0 && tol < 1)) throw new Error(`${fn}: tol must be in (0, 1), got ${tol}`);
  const maxIter = checkInt(`${fn}: maxIter`, opts.maxIter ?? 500, 1, 1e9);
  const solvers: Solver[] = [];
  // Each matrix's basis and block at its own vec4 offset of two shared tensors.
  let rows = 0;
  try {
    for (const it of items) {
      const d = it.d;
      const k = checkInt(`${fn}: k`, it.k, 1, Number.isInteger(d) && d > 0 ? d : 1);
      const over = checkInt(`${fn}: oversample`, opts.oversample ?? Math.max(8, k), 0, 1e6);
      const mat = matrixOnGpu(ctx, fn, it.c, d, it.offset);
      solvers.push(newSolver(mat, d, k, Math.min(d, k + over), it.seed ?? 0, rows, tol, maxIter));
      rows += d * solvers.at(-1)!.q4;
    }
    if (solvers.length === 0) return [];
    const p = await symmBlockPipeline(ctx);
    const vT = createTensor(ctx, [rows, 4], { label: `${fn}.V` });
    const wT = createTensor(ctx, [rows, 4], { label: `${fn}.W` });
    const host = new Float32Array(rows * 4);
    try {
      for (;;) {
        const open = solvers.filter((s) => s.state !== 'done');
        if (open.length === 0) break;
        for (const s of open) s.toHost(host);
        upload(ctx, vT, host);
        const chained = open.some((s) => s.state === 'chain');
        const batch = beginBatch(ctx, chained ? `${fn}.chain` : fn);
        for (const s of open) {
          const at = { c: s.mat.tensor, cOffset: s.mat.offset, d: s.d, q4: s.q4, vOffset: s.row, wOffset: s.row };
          if (s.state === 'product') {
            encodeSymmBlock(batch, p, { ...at, v: vT, w: wT });
            continue;
          }
          // The extra products without Rayleigh-Ritz, scaled by 1 / norm, ending in W.
          encodeSymmBlockPower(batch, p, { ...at, v: vT, w: wT, scale: 1 / s.norm }, s.chain - 1);
        }
        submit(batch);
        const out = (await readback(ctx, wT)) as Float32Array;
        for (const s of open) {
          if (s.state === 'product') await s.afterProduct(ctx, out);
          else s.afterChain(out);
        }
      }
    } finally {
      disposeTensor(vT);
      disposeTensor(wT);
    }
    return solvers.map((s) => s.result());
  } finally {
    for (const s of solvers) s.mat.release();
  }
}

/** One matrix's subspace iteration, between the GPU's products. */
interface Solver {
  mat: MatrixOnGpu;
  d: number;
  q4: number;
  /** Its first vec4 row in the shared V and W tensors. */
  row: number;
  /** Next GPU work: one product W = C V (then Rayleigh-Ritz), or `chain` - 1 scaled products. */
  state: 'product' | 'chain' | 'done';
  chain: number;
  norm: number;
  toHost(host: Float32Array): void;
  afterProduct(ctx: Context, out: Float32Array): Promise<void>;
  afterChain(out: Float32Array): void;
  result(): EighTopResult;
}

function newSolver(
  mat: MatrixOnGpu,
  d: number,
  k: number,
  m: number,
  seed: number,
  row: number,
  tol: number,
  maxIter: number,
): Solver {
  const q4 = Math.ceil(m / 4);
  const gauss = seededGaussian(seed);
  const rows = rowKernels();
  const fill = () => Float64Array.from({ length: d }, gauss);
  const V = new Float64Array(m * d);
  for (let a = 0; a < m; a++) V.set(fill(), a * d);
  rows.orthonormalise(V, m, d, fill);
  const W = new Float64Array(m * d);
  const U = new Float64Array(m * d);
  const CU = new Float64Array(m * d);
  const H = new Float64Array(m * m);
  const res = new Float64Array(m);
  let theta: Float64Array = new Float64Array(m);
  let iterations = 0;
  let rayleighRitzSteps = 0;
  let converged = false;
  // Basis rows (m, d) <-> the kernel's (d, 4 q4) f32 layout from vec4 row `row` (padding columns stay 0).
  const base = 4 * row;
  const fromHost = (y: Float32Array, x: Float64Array) => {
    for (let a = 0; a < m; a++) for (let i = 0; i < d; i++) x[a * d + i] = y[base + i * 4 * q4 + a]!;
  };
  const s: Solver = {
    mat,
    d,
    q4,
    row,
    state: 'product',
    chain: 1,
    norm: 0,
    toHost(host) {
      for (let a = 0; a < m; a++) for (let i = 0; i < d; i++) host[base + i * 4 * q4 + a] = V[a * d + i]!;
    },
    async afterProduct(ctx, out) {
      iterations++;
      fromHost(out, W);
      rayleighRitz(V, W, m, d, H);
      rayleighRitzSteps++;
      const eig = symmetricEigen(H, m, { vectors: true });
      theta = eig.values;
      rows.combine(eig.vectors!, V, U, m, d);
      rows.combine(eig.vectors!, W, CU, m, d);
      const norm = Math.max(Math.abs(theta[0]!), Math.abs(theta[m - 1]!));
      s.norm = norm;
      if (!Number.isFinite(norm)) await explainNonFinite(ctx, 'eighTop', mat, d);
      // Subspace iteration finds the largest |lambda|: rank by magnitude, wanted = first k.
      let worst = 0;
      for (let r = 0; r < m; r++) {
        let ss = 0;
        for (let i = 0; i < d; i++) ss += (CU[r * d + i]! - theta[r]! * U[r * d + i]!) ** 2;
        res[r] = Math.sqrt(ss);
      }
      const order = Array.from({ length: m }, (_, r) => r).sort((x, y) => Math.abs(theta[y]!) - Math.abs(theta[x]!));
      for (const r of order.slice(0, k)) worst = Math.max(worst, res[r]!);
      if (worst <= tol * norm) {
        converged = true;
        s.state = 'done';
        return;
      }
      // Next basis: (C / norm)^(s - 1) C U in order of |theta| (wanted directions first), orthonormalised.
      // The extra products run on the GPU without Rayleigh-Ritz (the CPU step costs more than a
      // product here); s keeps the spread theta_1^s / theta_m^s within 1e2 so that no basis
      // direction sinks below f32 resolution between orthonormalisations.
      order.forEach((src, dst) => V.set(CU.subarray(src * d, src * d + d), dst * d));
      const spread = Math.abs(theta[order[0]!]!) / Math.abs(theta[order[m - 1]!]!);
      const chain = Math.max(
        1,
        Math.min(CHAIN_MAX, maxIter - iterations, Math.floor(Math.log(1e2) / Math.log(spread))),
      );
      if (chain > 1 && norm > 0) {
        // Unit rows first: C U has norms up to ||C||, and chain - 1 more products must not overflow f32.
        for (let a = 0; a < m; a++) {
          const row = V.subarray(a * d, a * d + d);
          const n2 = Math.sqrt(row.reduce((t, x) => t + x * x, 0));
          if (n2 > 0) row.forEach((x, i) => (row[i] = x / n2));
        }
        s.chain = chain;
        s.state = 'chain';
        return;
      }
      rows.orthonormalise(V, m, d, fill);
      s.state = iterations < maxIter ? 'product' : 'done';
    },
    afterChain(out) {
      fromHost(out, V);
      iterations += s.chain - 1;
      rows.orthonormalise(V, m, d, fill);
      s.state = iterations < maxIter ? 'product' : 'done';
    },
    result() {
      const wanted = Array.from({ length: m }, (_, r) => r)
        .sort((x, y) => Math.abs(theta[y]!) - Math.abs(theta[x]!))
        .slice(0, k)
        .sort((x, y) => theta[y]! - theta[x]!);
      const vectors = new Float64Array(k * d);
      wanted.forEach((src, dst) => vectors.set(U.subarray(src * d, src * d + d), dst * d));
      return {
        values: Float64Array.from(wanted, (r) => theta[r]!),
        vectors,
        residuals: Float64Array.from(wanted, (r) => res[r]!),
        norm: s.norm,
        iterations,
        rayleighRitzSteps,
        converged,
      };
    },
  };
  return s;
}

/** H = (V W^T + W V^T) / 2 for row blocks V, W (m, d): the projected matrix V^T C V, symmetrised. */
function rayleighRitz(V: Float64Array, W: Float64Array, m: number, d: number, H: Float64Array): void {
  // (W V^T)[a, b] = (V W^T)[b, a] exactly: the same products summed in the same order.
  const P = rowKernels().cross(V, m, W, m, d);
  for (let a = 0; a < m; a++)
    for (let b = a; b < m; b++) H[a * m + b] = H[b * m + a] = 0.5 * (P[a * m + b]! + P[b * m + a]!);
}
