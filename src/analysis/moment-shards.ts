// Moment shards (README "Shards that merge"): the crn moment pass of a range of rows saved as safetensors,
// so a dataset split across machines is reduced by whatever batch runner the user has and merged exactly
// (Chan et al.: counts, float64 means and co-moment sums add with the pairwise update). A shard holds, per
// segment of its rows (crn-segments.ts), the count, the float64 mean of x0 and sum of eps, and the f32
// co-moments sum (x - mean)(x - mean)^T, sum eps eps^T and sum (x - mean) eps^T. Every shard reads all
// labels (small) so that segments, which depend on the class sizes, are the same in every shard.
// Pure bytes in, bytes out: the CLI reads and writes the files (atomically).
import { decodeSafetensors, encodeSafetensors, type SafeTensor } from '../models/safetensors.js';
import type { HostPiece } from './crn-pass.js';

export const MOMENTS_FORMAT = 'fluctus.moments';
export const MOMENTS_VERSION = 1;

/** What every shard of one dataset must agree on. */
export interface MomentsData {
  name: string;
  rows: number;
  dim: number;
  classNames: string[];
  counts: number[];
  /** FNV-1a (32 bit, hex) of the labels as little-endian int32: shards of other labels are refused. */
  labels: string;
  imageShape: [number, number] | null;
  scale: string;
}

export interface MomentShard {
  data: MomentsData;
  seed: number;
  /** Shard index and count (i of n), and its original rows [lo, hi). */
  index: number;
  shards: number;
  lo: number;
  hi: number;
  pieces: HostPiece[];
}

export function labelsHash(labels: Int32Array): string {
  let h = 0x811c9dc5;
  const bytes = new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength);
  for (const b of bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

/** Rows [lo, hi) of shard i of n over N rows: contiguous, sizes differing by at most one. */
export function shardRange(i: number, n: number, N: number): [number, number] {
  return [Math.floor((i * N) / n), Math.floor(((i + 1) * N) / n)];
}

export function encodeShard(s: MomentShard): Uint8Array {
  const D = s.data.dim;
  const tensors = new Map<string, SafeTensor>();
  for (const p of s.pieces) {
    const k = `piece.${p.segment}`;
    tensors.set(`${k}.mean`, { dtype: 'F64', shape: [D], data: p.mean });
    tensors.set(`${k}.esum`, { dtype: 'F64', shape: [D], data: p.esum });
    tensors.set(`${k}.A`, { dtype: 'F32', shape: [D, D], data: p.A });
    tensors.set(`${k}.B`, { dtype: 'F32', shape: [D, D], data: p.B });
    tensors.set(`${k}.X`, { dtype: 'F32', shape: [D, D], data: p.X });
  }
  return encodeSafetensors(tensors, {
    format: MOMENTS_FORMAT,
    version: String(MOMENTS_VERSION),
    method: 'crn',
    data: JSON.stringify(s.data),
    seed: String(s.seed),
    shard: `${s.index}/${s.shards}`,
    rows: `${s.lo}..${s.hi}`,
    pieces: JSON.stringify(s.pieces.map((p) => ({ segment: p.segment, count: p.count }))),
  });
}

export function decodeShard(bytes: Uint8Array, file: string): MomentShard {
  const f = decodeSafetensors(bytes, file);
  const meta = f.metadata;
  const field = (name: string) => {
    const v = meta[name];
    if (v === undefined) throw new Error(`${file}: not a moments shard (metadata field '${name}' is missing)`);
    return v;
  };
  if (field('format') !== MOMENTS_FORMAT)
    throw new Error(`${file}: format '${meta.format}' is not '${MOMENTS_FORMAT}'`);
  if (field('version') !== String(MOMENTS_VERSION)) {
    throw new Error(`${file}: moments version ${meta.version}, this fluctus reads version ${MOMENTS_VERSION}`);
  }
  const json = <T>(name: string): T => {
    try {
      return JSON.parse(field(name)) as T;
    } catch {
      throw new Error(`${file}: metadata field '${name}' is not valid JSON`);
    }
  };
  const data = json<MomentsData>('data');
  const shard = /^(\d+)\/(\d+)$/.exec(field('shard'));
  const rows = /^(\d+)\.\.(\d+)$/.exec(field('rows'));
  if (!shard || !rows) throw new Error(`${file}: metadata fields 'shard' (i/n) and 'rows' (lo..hi) are malformed`);
  const D = data.dim;
  const tensor = (name: string, dtype: string, shape: number[]) => {
    const t = f.tensors.get(name);
    if (!t) throw new Error(`${file}: tensor '${name}' is missing`);
    if (t.dtype !== dtype || t.shape.join(',') !== shape.join(',')) {
      throw new Error(`${file}: tensor '${name}' is ${t.dtype} [${t.shape}], expected ${dtype} [${shape}]`);
    }
    return t.data;
  };
  const pieces = json<{ segment: number; count: number }[]>('pieces').map(({ segment, count }) => {
    const k = `piece.${segment}`;
    return {
      segment,
      count,
      mean: tensor(`${k}.mean`, 'F64', [D]) as Float64Array,
      esum: tensor(`${k}.esum`, 'F64', [D]) as Float64Array,
      A: tensor(`${k}.A`, 'F32', [D, D]) as Float32Array,
      B: tensor(`${k}.B`, 'F32', [D, D]) as Float32Array,
      X: tensor(`${k}.X`, 'F32', [D, D]) as Float32Array,
    };
  });
  return {
    data,
    seed: Number(field('seed')),
    index: Number(shard[1]),
    shards: Number(shard[2]),
    lo: Number(rows[1]),
    hi: Number(rows[2]),
    pieces,
  };
}

/**
 * Checks that shards belong together (same data, labels, seed and shard count; every index once; rows
 * tiling [0, N)) and returns their pieces in shard order. Errors name the file and the field.
 */
export function combineShards(shards: { file: string; shard: MomentShard }[]): {
  data: MomentsData;
  seed: number;
  pieces: HostPiece[];
} {
  if (shards.length === 0) throw new Error('--moments: no shard files');
  const [first] = shards;
  const ref = first!.shard;
  const sameData = (a: MomentsData, b: MomentsData) =>
    (['name', 'rows', 'dim', 'labels'] as const).find((k) => a[k] !== b[k]) ??
    (JSON.stringify(a.classNames) !== JSON.stringify(b.classNames) ? 'classNames' : null) ??
    (JSON.stringify(a.counts) !== JSON.stringify(b.counts) ? 'counts' : null);
  for (const { file, shard } of shards) {
    const bad = sameData(ref.data, shard.data);
    if (bad) {
      throw new Error(
        `${file}: data field '${bad}' is ${JSON.stringify(shard.data[bad])}, but ${first!.file} has ${JSON.stringify(ref.data[bad])}: shards of different data`,
      );
    }
    if (shard.seed !== ref.seed)
      throw new Error(`${file}: seed ${shard.seed}, but ${first!.file} has seed ${ref.seed}`);
    if (shard.shards !== ref.shards) {
      throw new Error(`${file}: shard ${shard.index}/${shard.shards}, but ${first!.file} is one of ${ref.shards}`);
    }
  }
  const byIndex = new Map<number, { file: string; shard: MomentShard }>();
  for (const s of shards) {
    const other = byIndex.get(s.shard.index);
    if (other) throw new Error(`${s.file} and ${other.file} are both shard ${s.shard.index}/${ref.shards}`);
    byIndex.set(s.shard.index, s);
  }
  const missing = Array.from({ length: ref.shards }, (_, i) => i).filter((i) => !byIndex.has(i));
  if (missing.length)
    throw new Error(`--moments: shard${missing.length > 1 ? 's' : ''} ${missing.join(', ')} of ${ref.shards} missing`);
  let next = 0;
  const pieces: HostPiece[] = [];
  for (let i = 0; i < ref.shards; i++) {
    const { file, shard } = byIndex.get(i)!;
    const want = shardRange(i, ref.shards, ref.data.rows);
    if (shard.lo !== next || shard.hi !== want[1]) {
      throw new Error(
        `${file}: rows ${shard.lo}..${shard.hi}, expected ${want[0]}..${want[1]} for shard ${i}/${ref.shards}`,
      );
    }
    next = shard.hi;
    pieces.push(...shard.pieces);
  }
  return { data: ref.data, seed: ref.seed, pieces };
}
