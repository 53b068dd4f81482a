// Training data on the host: label checks, the per-epoch shuffle drawn from the engine's Philox
// (sort by the words of counter (row, epoch, 0, SHUFFLE_STREAM)), and the rows of each step's batch.
import type { Context } from '../runtime/context.js';
import { philox } from '../kernels/philox.js';
import { SHUFFLE_STREAM } from '../kernels/philox_streams.js';
import type { DataFingerprint } from './checkpoint.js';

export { SHUFFLE_STREAM };

export interface TrainData {
  /** (N, D) row-major f32. */
  x: Float32Array;
  /** (N) labels in 0..numClasses-1. */
  labels: Int32Array;
  rows: number;
  dim: number;
  /** Name for checkpoints and messages (built-in name or path). */
  name: string;
  /** How the data were loaded besides the name (e.g. { labels: 'lab.npy' }), recorded in checkpoints. */
  options?: Record<string, string | number>;
  /** dataFingerprint(x, labels) when the caller has it already (computed otherwise). */
  fingerprint?: DataFingerprint;
}

/** Throws naming the first label outside 0..numClasses-1 (a class the model does not have). */
export function checkLabels(labels: Int32Array, numClasses: number, what = 'labels'): void {
  for (let i = 0; i < labels.length; i++) {
    const c = labels[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= numClasses) {
      const valid = numClasses > 0 ? `0..${numClasses - 1}` : 'none (the model is unconditional)';
      throw new Error(`${what}: label ${c} at row ${i} is outside the model's classes; valid labels: ${valid}`);
    }
  }
}

/** Batch size actually used (the whole data when it has fewer rows) and optimiser steps per epoch (last partial batch dropped). */
export function stepsPerEpoch(rows: number, batch: number): { batch: number; steps: number } {
  const b = Math.min(batch, rows);
  return { batch: b, steps: Math.floor(rows / b) };
}

/** The permutation of 0..rows-1 used in `epoch` (0-based) for `seed`: indices sorted by a Philox word. */
export async function epochOrder(ctx: Context, rows: number, seed: number, epoch: number): Promise<Int32Array> {
  const ctr = new Uint32Array(4 * rows);
  for (let i = 0; i < rows; i++) {
    ctr[4 * i] = i;
    ctr[4 * i + 1] = epoch;
    ctr[4 * i + 3] = SHUFFLE_STREAM;
  }
  const words = await philox(ctx, ctr, { seed });
  const idx = Array.from({ length: rows }, (_, i) => i);
  idx.sort((a, b) => words[4 * a]! - words[4 * b]! || a - b);
  return Int32Array.from(idx);
}

/** Copies the rows order[start .. start + batch) of the data into xOut (batch, D) and labelsOut (batch). */
export function gatherBatch(
  d: TrainData,
  order: Int32Array,
  start: number,
  batch: number,
  xOut: Float32Array,
  labelsOut: Int32Array,
): void {
  const D = d.dim;
  for (let j = 0; j < batch; j++) {
    const r = order[start + j]!;
    xOut.set(d.x.subarray(r * D, (r + 1) * D), j * D);
    labelsOut[j] = d.labels[r]!;
  }
}
