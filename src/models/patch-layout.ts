// Host-side layout of the patch denoisers (src/models/patch-denoiser.ts), free of GPU calls: the patch size
// per step, the training images sorted by class, zero padding, the image range each query row draws from,
// and how the work is split. Boundary convention: a k x k patch is centred on its pixel and reads zeros
// outside the image, for the query x_t and for the training images alike.
import { checkInt } from '../runtime/check.js';
import { NULL_CLASS } from './denoiser.js';
import type { Schedule } from '../schedule/schedules.js';

export type PatchMode = 'ls' | 'els';
export const PATCH_MODES: readonly PatchMode[] = ['ls', 'els'];

/**
 * Patch size k (odd) per step: one k for every step, an array of length T with k of step i at [i - 1]
 * (0-based like schedule.alphasCumprod), or a function of (step, abar). Default: defaultPatchSize.
 */
export type PatchSize = number | ArrayLike<number> | ((step: number, abar: number) => number);

/**
 * Smallest k whose centred patch covers the whole image from every pixel: k >= 2 max(H, W) - 1 (a corner
 * pixel needs r = (k - 1) / 2 >= max(H, W) - 1). Any larger k adds only entries that are zero in every
 * query and training patch, so larger sizes are computed as this one, exactly.
 */
export function fullPatchSize(h: number, w: number): number {
  return 2 * Math.max(h, w) - 1;
}

/**
 * Default rule: k grows with the noise level, k = max(3, 2 round((sqrt(1 - abar) max(H, W) - 1) / 2) + 1),
 * i.e. the odd number nearest sqrt(1 - abar) max(H, W), at least 3: about the whole image's width at pure
 * noise, 3 x 3 near the data (Kamb & Ganguli find the calibrated locality scale shrinking as t -> 0).
 */
export function defaultPatchSize(h: number, w: number, abar: number): number {
  const k = 2 * Math.round((Math.sqrt(1 - abar) * Math.max(h, w) - 1) / 2) + 1;
  return Math.min(Math.max(3, k), fullPatchSize(h, w));
}

/** The patch size rule checked once: throws on an array of the wrong length or any even/non-positive size. */
export function patchSizeRule(
  rule: PatchSize | undefined,
  schedule: Schedule,
  h: number,
  w: number,
): (step: number) => number {
  const abar = (step: number) => schedule.alphasCumprod[step - 1]!;
  const check = (k: unknown, where: string) => {
    if (typeof k !== 'number' || !Number.isInteger(k) || k < 1 || k % 2 === 0) {
      throw new Error(`patch denoiser: patch size ${where} must be an odd integer >= 1, got ${String(k)}`);
    }
    return Math.min(k, fullPatchSize(h, w));
  };
  if (rule === undefined) return (step) => defaultPatchSize(h, w, abar(step));
  if (typeof rule === 'number') {
    const k = check(rule, '');
    return () => k;
  }
  if (typeof rule === 'function') return (step) => check(rule(step, abar(step)), `at step ${step}`);
  if (rule.length !== schedule.T) {
    throw new Error(
      `patch denoiser: patch size array has ${rule.length} entries; expected one per step (T = ${schedule.T}), k of step i at [i - 1]`,
    );
  }
  const table = Array.from({ length: rule.length }, (_, i) => check(rule[i], `at step ${i + 1} (index ${i})`));
  return (step) => table[step - 1]!;
}

/** Image shape [H, W, C] from a data set's [H, W] or [H, W, C]; throws naming what is needed. */
export function imageShapeOf(shape: readonly number[] | null | undefined, dim: number): [number, number, number] {
  if (!shape) {
    throw new Error(
      `patch denoiser: the data have no image shape; an image shape [H, W] or [H, W, C] is needed (rows are H*W*C values, channels last), got non-image data of dimension ${dim}`,
    );
  }
  const [h, w, c = 1] = shape;
  const ok = (shape.length === 2 || shape.length === 3) && [h, w, c].every((v) => Number.isInteger(v) && v! >= 1);
  if (!ok)
    throw new Error(`patch denoiser: image shape must be [H, W] or [H, W, C] of positive integers, got [${shape}]`);
  if (h! * w! * c !== dim)
    throw new Error(`patch denoiser: image shape [${h}, ${w}, ${c}] holds ${h! * w! * c} values but rows have ${dim}`);
  if (c > 4) throw new Error(`patch denoiser: at most 4 channels are supported, got C = ${c}`);
  return [h!, w!, c];
}

export interface SortedImages {
  /** (M, D) images sorted by class (stable), f32. */
  x: Float32Array;
  /** Class k's images are [starts[k], starts[k + 1]); length numClasses + 1. */
  starts: Int32Array;
}

/** Stable sort of the images by label; with no labels, one block. Labels must be in 0..numClasses-1. */
export function sortByClass(
  x: Float32Array,
  rows: number,
  dim: number,
  labels: ArrayLike<number> | null,
  numClasses: number,
): SortedImages {
  if (!labels) return { x: x.slice(0, rows * dim), starts: Int32Array.from([0, rows]) };
  if (labels.length !== rows) throw new Error(`patch denoiser: ${labels.length} labels for ${rows} images`);
  const counts = new Int32Array(numClasses);
  for (let i = 0; i < rows; i++) {
    const l = labels[i]!;
    if (!Number.isInteger(l) || l < 0 || l >= numClasses)
      throw new Error(`patch denoiser: label ${l} of image ${i} is outside 0..${numClasses - 1}`);
    counts[l]!++;
  }
  const starts = new Int32Array(numClasses + 1);
  for (let k = 0; k < numClasses; k++) starts[k + 1] = starts[k]! + counts[k]!;
  const next = starts.slice(0, numClasses);
  const out = new Float32Array(rows * dim);
  for (let i = 0; i < rows; i++) out.set(x.subarray(i * dim, (i + 1) * dim), dim * next[labels[i]!]!++);
  return { x: out, starts };
}

/** Images [first, first + count) of (rows, h, w, c) data zero-padded by r on every side: (count, h + 2r, w + 2r, c). */
export function padImages(
  x: Float32Array,
  first: number,
  count: number,
  h: number,
  w: number,
  c: number,
  r: number,
): Float32Array {
  const hp = h + 2 * r;
  const wp = w + 2 * r;
  const out = new Float32Array(count * hp * wp * c);
  for (let i = 0; i < count; i++) {
    for (let y = 0; y < h; y++) {
      const src = ((first + i) * h + y) * w * c;
      out.set(x.subarray(src, src + w * c), ((i * hp + y + r) * wp + r) * c);
    }
  }
  return out;
}

/** Query rows in label order (stable, NULL_CLASS first) and each sorted row's label: rows sharing a label run together. */
export function rowOrder(classes: Int32Array | null, n: number): { order: Uint32Array; label: Int32Array } {
  const label = (i: number) => (classes === null ? NULL_CLASS : classes[i]!);
  const order = Uint32Array.from({ length: n }, (_, i) => i).sort((a, b) => label(a) - label(b) || a - b);
  return { order, label: Int32Array.from(order, (i) => label(i)) };
}

/** Runs [start, end) of equal labels among sorted rows [from, to). */
export function labelRuns(
  label: Int32Array,
  from: number,
  to: number,
): { start: number; end: number; label: number }[] {
  const runs: { start: number; end: number; label: number }[] = [];
  for (let i = from; i < to; i++) {
    const last = runs[runs.length - 1];
    if (last && last.label === label[i]) last.end = i + 1;
    else runs.push({ start: i, end: i + 1, label: label[i]! });
  }
  return runs;
}

/** Training images [start, end) (sorted by class) that a label selects; NULL_CLASS selects all. */
export function imageRange(label: number, starts: Int32Array): [number, number] {
  return label === NULL_CLASS ? [0, starts[starts.length - 1]!] : [starts[label]!, starts[label + 1]!];
}

/** Throws if a requested class has no training images (its posterior would be empty). */
export function checkClassesPresent(kind: string, classes: Int32Array | null, starts: Int32Array): void {
  if (!classes) return;
  for (let i = 0; i < classes.length; i++) {
    const c = classes[i]!;
    if (c !== NULL_CLASS && starts[c + 1] === starts[c])
      throw new Error(`${kind} denoiser: class ${c} (row ${i}) has no training images`);
  }
}

/** Invocations one posterior dispatch aims for (enough to fill a large GPU; harmless on a CPU driver). */
export const TARGET_INVOCATIONS = 1 << 16;
/** Fewest training patches one split handles, so partial states stay a small fraction of the work. */
export const MIN_PATCHES_PER_SPLIT = 64;

/** Splits of `patches` training patches for a dispatch of `invocations` invocations per split. */
export function splitCount(invocations: number, patches: number): number {
  const want = Math.ceil(TARGET_INVOCATIONS / Math.max(1, invocations));
  return checkInt('splits', Math.max(1, Math.min(want, Math.ceil(patches / MIN_PATCHES_PER_SPLIT), 65535)), 1, 65535);
}
