// safetensors encode/decode against bytes built by hand from the format's specification, round trips
// of checkpoints, header errors, and checkpoint mismatch messages; non-finite tensors refused on load
// and never handed to a writer; the data fingerprint against an independent FNV-1a; the resume checks
// train() makes before any GPU work (same model, finite state, same data unless allowed).
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/models/safetensors.js';
import {
  checkCheckpoint,
  dataFingerprint,
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpoint,
  writeCheckpoint,
  type Checkpoint,
} from '../../src/models/checkpoint.js';
import { mlpDef } from '../../src/models/mlp.js';
import { makeSchedule } from '../../src/schedule/schedules.js';
import { checkTraining, NonFiniteStateError, saveFiniteCheckpoint, type TrainOptions } from '../../src/models/train.js';
import type { TrainData } from '../../src/models/train-data.js';

/** Hand-built file: u64 LE header length, the header text padded with spaces, then raw LE bytes. */
function handBuilt(headerText: string, data: number[], pad = true): Uint8Array {
  let h = new TextEncoder().encode(headerText);
  if (pad && h.length % 8) h = Uint8Array.from([...h, ...new Array(8 - (h.length % 8)).fill(0x20)]);
  const out = new Uint8Array(8 + h.length + data.length);
  let n = h.length;
  for (let i = 0; i < 8; i++) {
    out[i] = n & 0xff;
    n = Math.floor(n / 256);
  }
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

// 1.0f = 00 00 80 3f, -2.5f = 00 00 20 c0, int32 7 = 07 00 00 00, int32 -1 = ff ff ff ff.
const F32_BYTES = [0, 0, 0x80, 0x3f, 0, 0, 0x20, 0xc0];
const I32_BYTES = [7, 0, 0, 0, 0xff, 0xff, 0xff, 0xff];

describe('safetensors', () => {
  it('reads a file laid out as the reference writer does (bytes built by hand)', () => {
    const header =
      '{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[1,2],"data_offsets":[8,16]}}';
    const f = decodeSafetensors(handBuilt(header, [...F32_BYTES, ...I32_BYTES]));
    expect(f.metadata).toEqual({ format: 'pt' });
    expect(Array.from(f.tensors.get('a')!.data as Float32Array)).toEqual([1, -2.5]);
    expect(f.tensors.get('b')!.shape).toEqual([1, 2]);
    expect(Array.from(f.tensors.get('b')!.data as Int32Array)).toEqual([7, -1]);
  });

  it('writes exactly the reference layout: padded header, tensors by alignment then name', () => {
    const bytes = encodeSafetensors(
      new Map<string, { shape: number[]; data: Float32Array | Int32Array | Float64Array }>([
        ['z', { shape: [2], data: Float32Array.of(1, -2.5) }],
        ['b', { shape: [1, 2], data: Int32Array.of(7, -1) }],
        ['d', { shape: [], data: Float64Array.of(0.5) }],
      ]),
      { k: 'v' },
    );
    const header =
      '{"__metadata__":{"k":"v"},"d":{"dtype":"F64","shape":[],"data_offsets":[0,8]},"b":{"dtype":"I32","shape":[1,2],"data_offsets":[8,16]},"z":{"dtype":"F32","shape":[2],"data_offsets":[16,24]}}';
    const f64Half = [0, 0, 0, 0, 0, 0, 0xe0, 0x3f];
    expect(Array.from(bytes)).toEqual(Array.from(handBuilt(header, [...f64Half, ...I32_BYTES, ...F32_BYTES])));
    expect(bytes.length % 8).toBe(0);
  });

  it('round-trips every dtype, empty tensors and unicode names', () => {
    const t = new Map<
      string,
      { shape: number[]; data: Float32Array | Float64Array | Int32Array | Uint32Array | Uint8Array | BigInt64Array }
    >([
      ['f32', { shape: [3, 1], data: Float32Array.of(1e-30, -0, 3.5) }],
      ['f64', { shape: [2], data: Float64Array.of(Math.PI, -1e300) }],
      ['i32', { shape: [1], data: Int32Array.of(-2147483648) }],
      ['u32', { shape: [2], data: Uint32Array.of(0, 4294967295) }],
      ['u8', { shape: [3], data: Uint8Array.of(0, 128, 255) }],
      ['i64', { shape: [1], data: BigInt64Array.of(-(2n ** 62n)) }],
      ['empty', { shape: [0, 5], data: new Float32Array(0) }],
      ['ünï.côdé', { shape: [1], data: Float32Array.of(2) }],
    ]);
    const back = decodeSafetensors(encodeSafetensors(t, { a: '1', b: 'x y' }));
    expect(back.metadata).toEqual({ a: '1', b: 'x y' });
    for (const [k, v] of t) {
      const got = back.tensors.get(k)!;
      expect(got.shape, k).toEqual(v.shape);
      expect(Array.from(got.data as ArrayLike<number>), k).toEqual(Array.from(v.data as ArrayLike<number>));
    }
  });

  const bad: [string, Uint8Array, RegExp][] = [
    ['too short', new Uint8Array(5), /too short/],
    ['header past the end', handBuilt('{}', []).map((b, i) => (i === 0 ? 200 : b)), /runs past the end/],
    ['not an object', handBuilt('[1,2]', []), /JSON object starting with '\{'/],
    ['invalid JSON', handBuilt('{"a":', []), /not valid JSON/],
    [
      'unknown dtype',
      handBuilt('{"a":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}', [0, 0, 0, 0]),
      /dtype "Q7"; supported: F64, F32/,
    ],
    ['bad shape', handBuilt('{"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}', [0, 0, 0, 0]), /shape \[-1\]/],
    [
      'size mismatch',
      handBuilt('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}', [0, 0, 0, 0]),
      /spans 4 bytes but F32 of shape \[2\] needs 8/,
    ],
    [
      'gap',
      handBuilt('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', new Array(8).fill(0)),
      /starts at byte 4 but the previous tensor ends at 0 \(gap\)/,
    ],
    [
      'overlap',
      handBuilt(
        '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}',
        new Array(6).fill(0),
      ),
      /overlap/,
    ],
    [
      'trailing bytes',
      handBuilt('{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', new Array(12).fill(0)),
      /cover 4 bytes but the file holds 12/,
    ],
    ['non-string metadata', handBuilt('{"__metadata__":{"a":1}}', []), /__metadata__.a must be a string/],
    [
      'offsets not a pair',
      handBuilt('{"a":{"dtype":"F32","shape":[1],"data_offsets":[4]}}', new Array(4).fill(0)),
      /data_offsets \[4\]/,
    ],
  ];
  for (const [name, bytes, re] of bad) {
    it(`rejects a file with ${name}`, () => {
      expect(() => decodeSafetensors(bytes, 'x.safetensors')).toThrow(re);
    });
  }

  it('rejects a header length over 100 MB', () => {
    const b = new Uint8Array(16);
    new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true);
    expect(() => decodeSafetensors(b)).toThrow(/exceeds the limit/);
  });
});

function sample(): Checkpoint {
  const p = (shape: number[], seed: number) => ({
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(seed + i)),
  });
  const params = new Map([
    ['input.weight', p([4, 3], 1)],
    ['input.bias', p([4], 2)],
  ]);
  const like = (s: number) => new Map([...params].map(([k, v]) => [k, p(v.shape, s)]));
  return {
    info: {
      architecture: 'mlp',
      config: { hidden: 4, blocks: 1, act: 'silu' },
      dataShape: [3],
      numClasses: 2,
      schedule: { name: 'cosine', T: 50 },
      step: 17,
      epoch: 2,
      seed: 9,
      data: 'gmm',
      train: { lr: 1e-3, batch: 8, ema: true },
    },
    params,
    optimM: like(3),
    optimV: like(4),
    ema: like(5),
    loss: Float32Array.of(1, 0.9, 2, 0.8),
  };
}

describe('checkpoint', () => {
  it('round-trips parameters, optimiser state, EMA, loss curve and metadata', () => {
    const c = sample();
    const back = decodeCheckpoint(encodeCheckpoint(c));
    expect(back.info).toEqual(c.info);
    for (const key of ['params', 'optimM', 'optimV', 'ema'] as const) {
      expect([...back[key]!.keys()].sort()).toEqual([...c[key]!.keys()].sort());
      for (const [k, v] of c[key]!)
        expect(Array.from(back[key]!.get(k)!.data), `${key} ${k}`).toEqual(Array.from(v.data));
    }
    expect(Array.from(back.loss!)).toEqual(Array.from(c.loss!));
  });

  it('names tensors like torch state_dict keys with optim./ema. prefixes', () => {
    const names = [...decodeSafetensors(encodeCheckpoint(sample())).tensors.keys()].sort();
    expect(names).toEqual([
      'ema.input.bias',
      'ema.input.weight',
      'input.bias',
      'input.weight',
      'log.loss',
      'optim.m.input.bias',
      'optim.m.input.weight',
      'optim.v.input.bias',
      'optim.v.input.weight',
    ]);
  });

  it('writes atomically (no temp file left) and reads back', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluctus-ckpt-'));
    try {
      const path = join(dir, 'm.safetensors');
      writeCheckpoint(path, sample());
      writeCheckpoint(path, sample());
      expect(readdirSync(dir)).toEqual(['m.safetensors']);
      const back = readCheckpoint(path);
      expect(back.info.step).toBe(17);
      // Read through a Node Buffer: every tensor must hold exactly its own values.
      for (const [k, v] of sample().params) expect(Array.from(back.params.get(k)!.data), k).toEqual(Array.from(v.data));
      expect(back.loss!.length).toBe(4);
      expect(() => readCheckpoint(join(dir, 'missing.safetensors'))).toThrow(/missing.safetensors: cannot be read/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects a safetensors file that is not a fluctus checkpoint', () => {
    const bytes = encodeSafetensors(new Map([['w', { shape: [1], data: Float32Array.of(1) }]]), { format: 'pt' });
    expect(() => decodeCheckpoint(bytes, 'other.safetensors')).toThrow(
      /other.safetensors: metadata 'format' is "pt", not 'fluctus.checkpoint'/,
    );
  });

  it('says exactly what differs when the model does not match', () => {
    const info = sample().info;
    expect(() =>
      checkCheckpoint(info, { architecture: 'mlp', dataShape: [3], numClasses: 2, config: { hidden: 4 } }),
    ).not.toThrow();
    expect(() =>
      checkCheckpoint(
        info,
        { architecture: 'unet-small', dataShape: [8, 8, 1], numClasses: 10 },
        'checkpoint m.safetensors',
      ),
    ).toThrow(
      "checkpoint m.safetensors does not match: architecture is 'mlp' but 'unet-small' was asked for; data shape is [3] but the data are [8, 8, 1]; it has 2 classes but the data have 10",
    );
    expect(() =>
      checkCheckpoint(info, {
        architecture: 'mlp',
        dataShape: [3],
        numClasses: 2,
        config: { hidden: 8 },
        schedule: { name: 'linear', T: 50 },
      }),
    ).toThrow(/hidden is 4 but 8 was asked for; schedule is cosine T=50 but linear T=50 was asked for/);
  });
});

/** A copy of the sample with one value of one tensor (by its name in the file) replaced. */
function poisoned(tensor: string, index: number, value: number): Checkpoint {
  const c = sample();
  const [group, name] = tensor.startsWith('ema.')
    ? (['ema', tensor.slice(4)] as const)
    : tensor.startsWith('optim.m.')
      ? (['optimM', tensor.slice(8)] as const)
      : tensor.startsWith('optim.v.')
        ? (['optimV', tensor.slice(8)] as const)
        : (['params', tensor] as const);
  if (tensor === 'log.loss') c.loss![index] = value;
  else c[group]!.get(name)!.data[index] = value;
  return c;
}

describe('checkpoint: non-finite tensors', () => {
  const cases: [string, number, number][] = [
    ['input.weight', 5, Number.NaN],
    ['input.bias', 0, Number.POSITIVE_INFINITY],
    ['optim.m.input.weight', 11, Number.NEGATIVE_INFINITY],
    ['optim.v.input.bias', 3, Number.NaN],
    ['ema.input.weight', 7, Number.NaN],
    ['log.loss', 3, Number.POSITIVE_INFINITY],
  ];
  for (const [tensor, index, value] of cases) {
    it(`refuses on load a checkpoint with ${value} in '${tensor}', naming the file, tensor, index and value`, () => {
      const bytes = encodeCheckpoint(poisoned(tensor, index, value));
      expect(() => decodeCheckpoint(bytes, 'checkpoint m.safetensors')).toThrow(
        `checkpoint m.safetensors: tensor '${tensor}' holds ${value} at index ${index} (of `,
      );
    });
  }

  it('never hands a non-finite state to the writer: NonFiniteStateError names the step and tensor, the file keeps its bytes', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fluctus-ckpt-'));
    try {
      const path = join(dir, 'm.safetensors');
      writeCheckpoint(path, sample());
      const before = readFileSync(path);
      const write = (c: Checkpoint) => writeCheckpoint(path, c);
      const bad = poisoned('ema.input.weight', 7, Number.NaN);
      bad.info.step = 40;
      let err: unknown = null;
      try {
        saveFiniteCheckpoint(bad, 'periodic', write, 17);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(NonFiniteStateError);
      const e = err as NonFiniteStateError;
      expect([e.step, e.tensor, e.checkpointStep]).toEqual([40, 'ema.input.weight', 17]);
      expect(e.message).toBe(
        "training stopped: after step 40 the state is not finite: tensor 'ema.input.weight' holds NaN at index 7; nothing was written for it, so the checkpoint file keeps what it held (step 17, written earlier in this run). Lower --lr or the clip norm.",
      );
      expect(readFileSync(path).equals(before)).toBe(true);
      expect(() => saveFiniteCheckpoint(poisoned('input.bias', 1, -Infinity), 'final', write, null)).toThrow(
        /tensor 'input.bias' holds -Infinity at index 1; nothing was written for it, so the checkpoint file keeps what it held\. /,
      );
      expect(readFileSync(path).equals(before)).toBe(true);
      expect(readdirSync(dir)).toEqual(['m.safetensors']);
      // A finite state is handed over as it is.
      const seen: string[] = [];
      saveFiniteCheckpoint(sample(), 'final', (_c, why) => seen.push(why), null);
      expect(seen).toEqual(['final']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** 32-bit FNV-1a written from its definition (offset basis 2166136261, prime 16777619) with BigInt arithmetic. */
function fnv1aRef(bytes: Uint8Array): number {
  let h = 2166136261n;
  for (const b of bytes) h = ((h ^ BigInt(b)) * 16777619n) % 2n ** 32n;
  return Number(h);
}

describe('data fingerprint', () => {
  it('the reference matches published FNV-1a vectors', () => {
    const enc = (t: string) => new TextEncoder().encode(t);
    expect(fnv1aRef(enc(''))).toBe(0x811c9dc5);
    expect(fnv1aRef(enc('a'))).toBe(0xe40c292c);
    expect(fnv1aRef(enc('foobar'))).toBe(0xbf9cf968);
  });

  it('is FNV-1a over the float32 bytes of the rows then the int32 bytes of the labels, with the row count', () => {
    const x = Float32Array.from({ length: 6 * 5 }, (_, i) => Math.sin(i) * 3 - 0.5);
    const labels = Int32Array.from({ length: 6 }, (_, i) => i % 3);
    const bytes = new Uint8Array(x.byteLength + labels.byteLength);
    bytes.set(new Uint8Array(x.buffer), 0);
    bytes.set(new Uint8Array(labels.buffer), x.byteLength);
    const fp = dataFingerprint(x, labels);
    expect(fp).toEqual({ rows: 6, hash: `fnv1a32:${fnv1aRef(bytes).toString(16).padStart(8, '0')}` });
    // Views hash their own bytes only.
    const big = new Float32Array(40);
    big.set(x, 7);
    expect(dataFingerprint(big.subarray(7, 37), labels)).toEqual(fp);
    expect(dataFingerprint(new Float32Array(0), new Int32Array(0))).toEqual({ rows: 0, hash: 'fnv1a32:811c9dc5' });
  });

  it('changes with one value, one label or the order of rows', () => {
    const x = Float32Array.from({ length: 8 * 4 }, (_, i) => i / 7);
    const labels = Int32Array.from({ length: 8 }, (_, i) => i % 2);
    const h = dataFingerprint(x, labels).hash;
    const x2 = x.slice();
    x2[13] = Math.fround(x2[13]! + 1e-6);
    expect(dataFingerprint(x2, labels).hash).not.toBe(h);
    const l2 = labels.slice();
    l2[5] = 0;
    expect(dataFingerprint(x, l2).hash).not.toBe(h);
    const swapped = x.slice();
    swapped.set(x.subarray(0, 4), 4);
    swapped.set(x.subarray(4, 8), 0);
    expect(dataFingerprint(swapped, labels).hash).not.toBe(h);
  });

  it('round-trips through the checkpoint with the data options; older files have none', () => {
    const c = sample();
    c.info.dataOptions = { labels: 'lab.npy', samplesPerClass: 10 };
    c.info.dataFingerprint = { rows: 40, hash: 'fnv1a32:0123abcd' };
    expect(decodeCheckpoint(encodeCheckpoint(c)).info).toEqual(c.info);
    expect(decodeCheckpoint(encodeCheckpoint(sample())).info.dataFingerprint).toBeUndefined();
    const bad = (meta: Record<string, string>) => {
      const f = decodeSafetensors(encodeCheckpoint(c));
      return encodeSafetensors(f.tensors as Map<string, { shape: number[]; data: Float32Array }>, {
        ...f.metadata,
        ...meta,
      });
    };
    expect(() => decodeCheckpoint(bad({ data_fingerprint: 'md5:00' }), 'c')).toThrow(
      /c: metadata 'data_fingerprint' must be 'fnv1a32:' and 8 hex digits, got "md5:00"/,
    );
    expect(() => decodeCheckpoint(bad({ data_rows: '-1' }), 'c')).toThrow(
      /metadata 'data_rows' must be a non-negative/,
    );
  });
});

describe('resume checks (before any GPU work)', () => {
  const schedule = makeSchedule('cosine', 50);
  const def = mlpDef(3, 2, schedule, { hidden: 4, blocks: 1, timeDim: 8 });
  const x = Float32Array.from({ length: 20 * 3 }, (_, i) => Math.cos(i));
  const labels = Int32Array.from({ length: 20 }, (_, i) => i % 2);
  const data: TrainData = { x, labels, rows: 20, dim: 3, name: 'a.npy' };
  /** The sample's tensors with the metadata of a run of `def` on `data`, at step 17. */
  const ckpt = (over: Partial<Checkpoint['info']> = {}): Checkpoint => ({
    ...sample(),
    info: {
      ...sample().info,
      config: def.config,
      data: 'a.npy',
      dataFingerprint: dataFingerprint(x, labels),
      ...over,
    },
  });
  const opts = (resume: Checkpoint, more: Partial<TrainOptions> = {}): TrainOptions => ({
    epochs: 100,
    batch: 4,
    seed: 9,
    resume,
    ...more,
  });
  const words = { what: 'resume checkpoint c.safetensors', override: '--allow-different-data' };

  it('passes the same data silently', () => {
    expect(checkTraining(def, data, opts(ckpt()), words)).toEqual([]);
  });

  it('refuses other data of the same shape, naming both; allows them with the override and a warning', () => {
    const other: TrainData = { ...data, x: x.map((v) => v + 1), name: 'b.npy' };
    const fa = dataFingerprint(x, labels).hash;
    const fb = dataFingerprint(other.x, labels).hash;
    expect(() => checkTraining(def, other, opts(ckpt()), words)).toThrow(
      `resume checkpoint c.safetensors was trained on 'a.npy' (20 rows, ${fa}) but the data given are 'b.npy' (20 rows, ${fb}): not the same data. Resume on the data it was trained on, or pass --allow-different-data to continue training on these`,
    );
    expect(checkTraining(def, other, opts(ckpt(), { allowDifferentData: true }), words)).toEqual([
      `--allow-different-data: resume checkpoint c.safetensors was trained on 'a.npy' (20 rows, ${fa}) but the data given are 'b.npy' (20 rows, ${fb}); training continues on the data given, and the checkpoint records them from now on`,
    ]);
  });

  it('accepts a checkpoint without a fingerprint (older fluctus) with a warning', () => {
    expect(checkTraining(def, data, opts(ckpt({ dataFingerprint: undefined })), words)).toEqual([
      "resume checkpoint c.safetensors records no data fingerprint (written by an older fluctus), so nothing checks that 'a.npy' is the data it was trained on ('a.npy')",
    ]);
  });

  it('refuses a non-finite state handed over directly (not through a file), naming the tensor', () => {
    const c = poisoned('optim.v.input.weight', 2, Number.NaN);
    c.info = ckpt().info;
    expect(() => checkTraining(def, data, opts(c), words)).toThrow(
      "resume checkpoint c.safetensors: tensor 'optim.v.input.weight' holds NaN at index 2; a run cannot continue from a non-finite state",
    );
  });

  it('refuses another model or schedule, and a checkpoint already past the steps asked for', () => {
    expect(() => checkTraining(def, data, opts(ckpt({ schedule: { name: 'linear', T: 50 } })), words)).toThrow(
      'resume checkpoint c.safetensors does not match: schedule is linear T=50 but cosine T=50 was asked for',
    );
    expect(() => checkTraining(def, data, opts(ckpt(), { maxSteps: 17 }), words)).toThrow(
      'resume checkpoint c.safetensors is at step 17, which already reaches the 17 steps asked for',
    );
  });
});
