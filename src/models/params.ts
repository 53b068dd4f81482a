// Named parameters of a learned model on the GPU, with the buffers training needs: the gradient and the
// EMA copy (AdamW's moments live in the optimiser's flat buffers, optim.ts). Names follow torch state_dict keys ('blocks.0.lin1.weight').
// Initialisation draws from the engine's Philox (words of counter (i, 0, 0, INIT_STREAM)), so a seed
// fixes the initial weights on every platform.
import type { Context } from '../runtime/context.js';
import { philox } from '../kernels/philox.js';
import { createTensor, disposeTensor, readback, upload, type Tensor } from '../runtime/tensor.js';
import type { HostTensors } from './checkpoint.js';
import { INIT_STREAM } from '../kernels/philox_streams.js';

export { INIT_STREAM };

/**
 * How a parameter starts: uniform on [-bound, bound] (torch's Linear/Conv default uses 1 / sqrt(fan_in)),
 * or a constant (GroupNorm's gamma = 1 and beta = 0, a zero-initialised output layer).
 */
export type Init = { kind: 'uniform'; bound: number } | { kind: 'const'; value: number };

export interface ParamSpec {
  name: string;
  shape: number[];
  init: Init;
  /** AdamW weight decay applies (weights), or not (biases, norms, embeddings). */
  decay: boolean;
}

export interface Param extends ParamSpec {
  size: number;
  value: Tensor;
  grad: Tensor | null;
  ema: Tensor | null;
}

export interface ParamSet {
  list: Param[];
  byName: Map<string, Param>;
  /** Total number of scalars. */
  count: number;
}

export interface ParamBuffers {
  /** A gradient buffer (training). */
  train: boolean;
  /** An EMA copy of the weights. */
  ema: boolean;
}

export const uniformFanIn = (fanIn: number): Init => ({ kind: 'uniform', bound: 1 / Math.sqrt(fanIn) });
export const constInit = (value: number): Init => ({ kind: 'const', value });

/** Creates the GPU buffers of every parameter (values zero until initParams or loadParams). */
export function createParams(ctx: Context, specs: ParamSpec[], bufs: ParamBuffers): ParamSet {
  const byName = new Map<string, Param>();
  const list: Param[] = [];
  let count = 0;
  for (const s of specs) {
    if (byName.has(s.name)) throw new Error(`parameter '${s.name}' is declared twice`);
    const size = s.shape.reduce((a, b) => a * b, 1);
    const mk = (what: string) => createTensor(ctx, s.shape, { label: `${s.name}${what}` });
    const p: Param = {
      ...s,
      size,
      value: mk(''),
      grad: bufs.train ? mk('.grad') : null,
      ema: bufs.ema ? mk('.ema') : null,
    };
    list.push(p);
    byName.set(s.name, p);
    count += size;
  }
  return { list, byName, count };
}

/** Host values of the initial parameters for a seed (uniform from Philox words, or constants). */
export async function initialValues(ctx: Context, specs: ParamSpec[], seed: number): Promise<HostTensors> {
  const sizes = specs.map((s) => s.shape.reduce((a, b) => a * b, 1));
  const total = sizes.reduce((a, b) => a + b, 0);
  const blocks = Math.ceil(total / 4);
  const ctr = new Uint32Array(4 * blocks);
  for (let i = 0; i < blocks; i++) {
    ctr[4 * i] = i;
    ctr[4 * i + 3] = INIT_STREAM;
  }
  const words = blocks ? await philox(ctx, ctr, { seed }) : new Uint32Array(0);
  const out: HostTensors = new Map();
  let off = 0;
  specs.forEach((s, k) => {
    const data = new Float32Array(sizes[k]!);
    if (s.init.kind === 'const') data.fill(s.init.value);
    else for (let i = 0; i < data.length; i++) data[i] = s.init.bound * (2 * ((words[off + i]! + 0.5) / 2 ** 32) - 1);
    off += data.length;
    out.set(s.name, { shape: [...s.shape], data });
  });
  return out;
}

type Slot = 'value' | 'ema';

/** Uploads host tensors into one slot of every parameter; names and shapes must match exactly. */
export function loadParams(
  ctx: Context,
  set: ParamSet,
  host: HostTensors,
  slot: Slot = 'value',
  what = 'parameters',
): void {
  for (const p of set.list) {
    const h = host.get(p.name);
    if (!h) throw new Error(`${what}: missing tensor '${p.name}' (shape [${p.shape}])`);
    if (h.shape.join() !== p.shape.join())
      throw new Error(`${what}: tensor '${p.name}' has shape [${h.shape}] but the model needs [${p.shape}]`);
    const t = p[slot];
    if (!t) throw new Error(`${what}: the model holds no '${slot}' buffers`);
    upload(ctx, t, h.data);
  }
  const extra = [...host.keys()].filter((k) => !set.byName.has(k));
  if (extra.length)
    throw new Error(
      `${what}: tensors the model does not have: ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', ...' : ''}`,
    );
}

/** Reads one slot of every parameter back to the host. */
export async function readParams(ctx: Context, set: ParamSet, slot: Slot | 'grad' = 'value'): Promise<HostTensors> {
  const out: HostTensors = new Map();
  for (const p of set.list) {
    const t = p[slot];
    if (!t) throw new Error(`parameters: no '${slot}' buffer for '${p.name}'`);
    out.set(p.name, { shape: [...p.shape], data: (await readback(ctx, t)) as Float32Array });
  }
  return out;
}

export function disposeParams(set: ParamSet): void {
  for (const p of set.list) for (const t of [p.value, p.grad, p.ema]) if (t) disposeTensor(t);
}
