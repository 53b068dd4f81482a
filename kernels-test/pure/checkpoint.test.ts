// safetensors encode/decode against bytes built by hand from the format's specification, round trips
// of checkpoints, header errors, and checkpoint mismatch messages.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeSafetensors, encodeSafetensors } from '../../src/models/safetensors.js';
import {
  checkCheckpoint,
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpoint,
  writeCheckpoint,
  type Checkpoint,
} from '../../src/models/checkpoint.js';

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
