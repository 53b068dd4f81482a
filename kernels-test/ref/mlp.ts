// float64 reference of the MLP denoiser, written from its definition in src/models/mlp.ts's header
// (torch semantics: Linear y = x W^T + b, SiLU v sigmoid(v), sinusoidal features as diffusers'
// get_timestep_embedding with flip_sin_to_cos = False, downscale_freq_shift = 0), and of the MSE loss.

export type F64Params = Map<string, Float64Array>;

/** y (rows, out) = x (rows, in) W^T + b with W (out, in). */
export function linearRef(
  x: Float64Array,
  rows: number,
  inp: number,
  W: Float64Array,
  b: Float64Array,
  out: number,
): Float64Array {
  const y = new Float64Array(rows * out);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < out; o++) {
      let s = b[o]!;
      for (let i = 0; i < inp; i++) s += x[r * inp + i]! * W[o * inp + i]!;
      y[r * out + o] = s;
    }
  }
  return y;
}

export const siluRef = (v: Float64Array) => v.map((x) => x / (1 + Math.exp(-x)));
export const addRef = (a: Float64Array, b: Float64Array) => a.map((x, i) => x + b[i]!);

/** (rows, dim) sin(t f_j) | cos(t f_j), f_j = exp(-ln(10000) j / (dim / 2)). */
export function timeFeaturesRef(steps: ArrayLike<number>, dim: number): Float64Array {
  const half = dim / 2;
  const y = new Float64Array(steps.length * dim);
  for (let r = 0; r < steps.length; r++) {
    for (let j = 0; j < half; j++) {
      const a = steps[r]! * Math.exp((-Math.log(10000) * j) / half);
      y[r * dim + j] = Math.sin(a);
      y[r * dim + half + j] = Math.cos(a);
    }
  }
  return y;
}

export function embeddingRef(
  table: Float64Array,
  E: number,
  labels: ArrayLike<number>,
  numClasses: number,
): Float64Array {
  const y = new Float64Array(labels.length * E);
  for (let r = 0; r < labels.length; r++) {
    const k = labels[r] === -1 ? numClasses : labels[r]!;
    for (let e = 0; e < E; e++) y[r * E + e] = table[k * E + e]!;
  }
  return y;
}

export interface MlpRefConfig {
  dim: number;
  hidden: number;
  blocks: number;
  timeDim: number;
  numClasses: number;
}

/** eps_hat (rows, dim) of the MLP for x (rows, dim), integer steps and labels (-1 = null class). */
export function mlpRef(
  p: F64Params,
  c: MlpRefConfig,
  x: Float64Array,
  steps: ArrayLike<number>,
  labels: ArrayLike<number>,
): Float64Array {
  const rows = steps.length;
  const H = c.hidden;
  const P = (n: string) => {
    const v = p.get(n);
    if (!v) throw new Error(`mlpRef: missing ${n}`);
    return v;
  };
  const lin = (name: string, v: Float64Array, inp: number, out: number) =>
    linearRef(v, rows, inp, P(`${name}.weight`), P(`${name}.bias`), out);
  const ts = timeFeaturesRef(steps, c.timeDim);
  const temb = lin('time_mlp.2', siluRef(lin('time_mlp.0', ts, c.timeDim, H)), H, H);
  const emb = addRef(temb, embeddingRef(P('class_emb.weight'), H, labels, c.numClasses));
  let h = addRef(lin('input', x, c.dim, H), emb);
  for (let i = 0; i < c.blocks; i++) {
    const u = lin(`blocks.${i}.lin1`, siluRef(h), H, H);
    const r = lin(`blocks.${i}.lin2`, siluRef(addRef(u, emb)), H, H);
    h = addRef(h, r);
  }
  return lin('output', siluRef(h), H, c.dim);
}

/** mean (pred - target)^2. */
export function mseRef(pred: ArrayLike<number>, target: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < pred.length; i++) s += (pred[i]! - target[i]!) ** 2;
  return s / pred.length;
}
