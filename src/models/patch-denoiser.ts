// Patch denoisers of Kamb & Ganguli ("An analytic theory of creativity in convolutional diffusion models", 2025):
// the local score machine (LS) and the equivariant local score machine (ELS). For each pixel p of x_t the k x k
// patch P_p(x_t) (centred, zeros outside the image; training patches padded the same way) is denoised against
// training patches with weights w_u ∝ exp(-||P_p(x_t) - sqrt(abar) P_u||^2 / (2 (1 - abar))):
//   LS:  u runs over the patch at p of every training image (M patches);
//   ELS: u runs over the patches at every location of every training image (M H W patches).
// x0_hat at p is the weighted mean of the patches' centre pixels (all channels); eps_hat = (x_t - sqrt(abar) x0_hat)
// / sqrt(1 - abar). With k >= 2 max(H, W) - 1 every LS patch is the whole image and LS is the empirical denoiser.
// Cost per call: N H W x (M or M H W) x k^2 C; for ELS on 28 x 28 images pass a subset of the training set.
import { checkFinite, checkInt, checkMatrix } from '../runtime/check.js';
import type { Context } from '../runtime/context.js';
import { beginBatch, submit } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, upload, type Tensor } from '../runtime/tensor.js';
import {
  encodePatchMerge,
  encodePatchPad,
  encodePatchPosterior,
  maxPatchRows,
  PARTIAL_FLOATS,
  patchKernels,
  patchLanes,
} from '../kernels/patch_posterior.js';
import { checkDenoiseArgs, type Denoiser } from './denoiser.js';
import type { Schedule } from '../schedule/schedules.js';
import {
  checkClassesPresent,
  imageRange,
  imageShapeOf,
  labelRuns,
  padImages,
  PATCH_MODES,
  patchSizeRule,
  rowOrder,
  sortByClass,
  splitCount,
  type PatchMode,
  type PatchSize,
} from './patch-layout.js';

/** Training images: a Dataset from src/data fits (x (M, D) row-major f32, labels in 0..classes-1, [H, W] image shape). */
export interface PatchTrainingSet {
  x: Float32Array;
  /** [M, D] */
  shape: readonly [number, number];
  /** [H, W] (one channel) or [H, W, C], channels last; null (non-image data) is refused. */
  imageShape: readonly number[] | null;
  labels?: ArrayLike<number> | null;
  /** Number of classes, labels 0..classes-1 (default: largest label + 1); ignored without labels (unconditional only). */
  classes?: number;
}

export interface PatchDenoiserOptions {
  mode: PatchMode;
  schedule: Schedule;
  /** k per step (odd); default: defaultPatchSize in src/models/patch-layout.ts. */
  patchSize?: PatchSize;
}

export interface PatchDenoiser extends Denoiser {
  readonly kind: PatchMode;
  readonly imageShape: readonly [number, number, number];
  /** Training images M. */
  readonly images: number;
  /** The patch size used at a step (after clamping to the full-coverage size 2 max(H, W) - 1). */
  patchSize(step: number): number;
  /** x0_hat (N, D) for x_t (N, D): the posterior mean of the patches' centre pixels. Returns a new tensor. */
  predictX0(ctx: Context, xt: Tensor, n: number, step: number, classes: Int32Array | null): Promise<Tensor>;
}

/** Largest partial-state scratch (bytes) besides the binding limit; query rows are processed in chunks under it. */
const PART_BYTES = 64 * 2 ** 20;

interface PaddedSlab {
  tensor: Tensor;
  first: number;
  count: number;
}

/**
 * Uploads the training images (sorted by class) and returns an LS or ELS denoiser. Zero-padded copies of the
 * training images for the current k live on the GPU (rebuilt when k changes), in slabs under the binding limit.
 */
export async function createPatchDenoiser(
  ctx: Context,
  train: PatchTrainingSet,
  opts: PatchDenoiserOptions,
): Promise<PatchDenoiser> {
  if (!PATCH_MODES.includes(opts.mode))
    throw new Error(`patch denoiser: unknown mode '${String(opts.mode)}'; valid modes: ${PATCH_MODES.join(', ')}`);
  const kind = opts.mode;
  const [M, D] = checkMatrix(`${kind} denoiser: training images`, train.x, train.shape);
  const [H, W, C] = imageShapeOf(train.imageShape, D);
  checkFinite(`${kind} denoiser: training images`, train.x, D);
  const labels = train.labels ?? null;
  let numClasses = 0;
  if (labels) {
    let top = -1;
    for (let i = 0; i < labels.length; i++) top = Math.max(top, labels[i]!);
    numClasses = train.classes ?? top + 1;
    checkInt(`${kind} denoiser: classes`, numClasses, 1, 2 ** 20);
  }
  const sorted = sortByClass(train.x, M, D, labels, Math.max(numClasses, 1));
  const schedule = opts.schedule;
  const sizeAt = patchSizeRule(opts.patchSize, schedule, H, W);
  const kernels = await patchKernels(ctx);
  const HW = H * W;
  const binding = Math.min(ctx.limits.maxStorageBufferBindingSize, ctx.limits.maxBufferSize);

  let padded: { k: number; slabs: PaddedSlab[] } | null = null;
  let disposed = false;
  const scratch = new Map<string, Tensor>();
  const scratchTensor = (role: string, elems: number, dtype: 'f32' | 'u32' = 'f32') => {
    const t = scratch.get(role);
    if (t && t.size >= elems) return t;
    // destroy() defers freeing until submitted work using the buffer has completed.
    if (t) disposeTensor(t);
    const fresh = createTensor(ctx, [Math.max(elems, 4)], { dtype, label: `${kind}.${role}` });
    scratch.set(role, fresh);
    return fresh;
  };

  const slabsFor = (k: number): PaddedSlab[] => {
    if (padded?.k === k) return padded.slabs;
    const r = (k - 1) / 2;
    const imageBytes = 4 * (H + 2 * r) * (W + 2 * r) * C;
    const per = Math.floor(binding / imageBytes);
    if (per < 1)
      throw new Error(
        `${kind} denoiser: one image padded for k = ${k} (${imageBytes} bytes) exceeds the storage binding limit of ${binding} bytes`,
      );
    for (const s of padded?.slabs ?? []) disposeTensor(s.tensor);
    const slabs: PaddedSlab[] = [];
    for (let first = 0; first < M; first += per) {
      const count = Math.min(per, M - first);
      const data = padImages(sorted.x, first, count, H, W, C, r);
      slabs.push({
        tensor: createTensor(ctx, [data.length], { data, label: `${kind}.train.k${k}[${first}]` }),
        first,
        count,
      });
    }
    padded = { k, slabs };
    return slabs;
  };

  const run = (
    callCtx: Context,
    xt: Tensor,
    n: number,
    step: number,
    classes: Int32Array | null,
    what: 'eps' | 'x0',
  ): Tensor => {
    if (disposed) throw new Error(`${kind} denoiser: it was disposed`);
    if (callCtx !== ctx)
      throw new Error(`${kind} denoiser: called with another context than the one it was created on`);
    checkInt(`${kind} denoiser: n`, n, 1, 2 ** 31 - 1);
    if (xt.dtype !== 'f32' || xt.shape.length !== 2 || xt.shape[1] !== D || xt.shape[0]! < n) {
      throw new Error(
        `${kind} denoiser: x_t is ${xt.dtype} of shape [${xt.shape}], expected f32 (N, D) with N >= n = ${n} and D = ${D}`,
      );
    }
    checkDenoiseArgs(denoiser, n, step, classes);
    checkClassesPresent(kind, classes, sorted.starts);
    const k = sizeAt(step);
    const r = (k - 1) / 2;
    const hp = H + 2 * r;
    const wp = W + 2 * r;
    const abar = schedule.alphasCumprod[step - 1]!;
    const a = Math.sqrt(abar);
    const sigma = Math.sqrt(1 - abar);
    const slabs = slabsFor(k);
    const perRow = kind === 'els' ? HW : 1;
    // Query rows per chunk: the padded chunk within one binding, the partial states within PART_BYTES.
    let rows = Math.max(1, Math.min(n, maxPatchRows(HW), Math.floor(binding / (4 * hp * wp * C))));
    const splitsOf = (nr: number) => slabs.map((s) => splitCount(patchLanes(kind === 'els', nr, HW), s.count * perRow));
    const partBytes = (nr: number) => 4 * PARTIAL_FLOATS * nr * HW * splitsOf(nr).reduce((x, y) => x + y, 0);
    while (rows > 1 && partBytes(rows) > Math.min(binding, PART_BYTES)) rows = Math.ceil(rows / 2);
    // Rows run in label order so that each dispatch covers rows drawing from one image range.
    const { order, label } = rowOrder(classes, n);
    const orderT = scratchTensor('order', n, 'u32');
    upload(ctx, orderT, order);
    const xpad = scratchTensor('xpad', rows * hp * wp * C);
    const part = scratchTensor('part', partBytes(rows) / 4);
    const out = createTensor(ctx, [n, D], { label: `${kind}.${what}` });
    const [cx, cacc] = what === 'eps' ? [1 / sigma, -a / sigma] : [0, 1];
    const batch = beginBatch(ctx, `${kind} denoiser`);
    for (let row0 = 0; row0 < n; row0 += rows) {
      const nr = Math.min(rows, n - row0);
      encodePatchPad(batch, kernels, {
        src: xt,
        order: orderT,
        orderOffset: row0,
        out: xpad,
        rows: nr,
        h: H,
        w: W,
        c: C,
        r,
      });
      const splits = splitsOf(nr);
      for (const run of labelRuns(label, row0, row0 + nr)) {
        const [i0, i1] = imageRange(run.label, sorted.starts);
        let split0 = 0;
        slabs.forEach((s, j) => {
          // Every group writes all its split states, an empty image range included (they then weigh nothing).
          const lo = Math.min(Math.max(i0, s.first), s.first + s.count) - s.first;
          const hi = Math.max(lo, Math.min(i1, s.first + s.count) - s.first);
          encodePatchPosterior(batch, kernels, {
            xpad,
            ypad: s.tensor,
            part,
            rows: run.end - run.start,
            row0: run.start - row0,
            chunkRows: nr,
            lo,
            hi,
            h: H,
            w: W,
            c: C,
            k,
            els: kind === 'els',
            splits: splits[j]!,
            split0,
            a,
            g: 1 / (2 * (1 - abar)),
          });
          split0 += splits[j]!;
        });
      }
      const total = splits.reduce((x, y) => x + y, 0);
      encodePatchMerge(batch, kernels, {
        part,
        queries: nr * HW,
        hw: HW,
        c: C,
        splits: total,
        order: orderT,
        orderOffset: row0,
        x: xt,
        out,
        cx,
        cacc,
      });
    }
    submit(batch);
    return out;
  };

  const denoiser: PatchDenoiser = {
    kind,
    dim: D,
    imageShape: [H, W, C],
    numClasses: labels ? numClasses : 0,
    schedule,
    images: M,
    patchSize: (step) => sizeAt(step),
    predictEps: async (c, xt, n, step, classes) => run(c, xt, n, step, classes, 'eps'),
    predictX0: async (c, xt, n, step, classes) => run(c, xt, n, step, classes, 'x0'),
    dispose() {
      disposed = true;
      for (const s of padded?.slabs ?? []) disposeTensor(s.tensor);
      padded = null;
      for (const t of scratch.values()) disposeTensor(t);
      scratch.clear();
    },
  };
  return denoiser;
}
