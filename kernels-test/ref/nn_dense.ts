// float64 references of the dense neural-network ops, written from the maths (contract (1) of issue 5,
// torch.optim.AdamW, diffusers get_timestep_embedding), independent of the WGSL.

export type Act = 'none' | 'silu';

export const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));
export const silu = (v: number) => v * sigmoid(v);
/** d/dv v sigmoid(v) = s + v s (1 - s). */
export const siluGrad = (v: number) => {
  const s = sigmoid(v);
  return s + v * s * (1 - s);
};

const actF = (act: Act) => (act === 'silu' ? silu : (v: number) => v);
const actD = (act: Act) => (act === 'silu' ? siluGrad : () => 1);

/** y (rows, cols) = act(x + b); b (cols) or null. */
export function biasAct(
  x: ArrayLike<number>,
  b: ArrayLike<number> | null,
  rows: number,
  cols: number,
  act: Act,
): Float64Array {
  const f = actF(act);
  return Float64Array.from({ length: rows * cols }, (_, i) => f(x[i]! + (b ? b[i % cols]! : 0)));
}

/** dx = dy act'(x + b) and db = column sums of dx. */
export function biasActBackward(
  x: ArrayLike<number>,
  b: ArrayLike<number> | null,
  dy: ArrayLike<number>,
  rows: number,
  cols: number,
  act: Act,
): { dx: Float64Array; db: Float64Array } {
  const d = actD(act);
  const dx = Float64Array.from({ length: rows * cols }, (_, i) => dy[i]! * d(x[i]! + (b ? b[i % cols]! : 0)));
  const db = new Float64Array(cols);
  for (let i = 0; i < rows * cols; i++) db[i % cols] += dx[i]!;
  return { dx, db };
}

export function add(a: ArrayLike<number>, b: ArrayLike<number>, alpha: number, beta: number): Float64Array {
  return Float64Array.from({ length: a.length }, (_, i) => alpha * a[i]! + beta * b[i]!);
}

/** Sinusoidal features [sin(t f_j), cos(t f_j)], f_j = 10000^(-j / half), zero last column for odd dim. */
export function timeEmbedding(steps: ArrayLike<number>, dim: number): Float64Array {
  const half = Math.floor(dim / 2);
  const y = new Float64Array(steps.length * dim);
  for (let n = 0; n < steps.length; n++) {
    for (let j = 0; j < half; j++) {
      const arg = steps[n]! * Math.pow(10_000, -j / half);
      y[n * dim + j] = Math.sin(arg);
      y[n * dim + half + j] = Math.cos(arg);
    }
  }
  return y;
}

/** Table row of a label: the label itself, numClasses for the null class -1, -1 for an invalid label. */
export const tableRow = (label: number, numClasses: number) =>
  label === -1 ? numClasses : label >= 0 && label < numClasses ? label : -1;

export function embeddingGather(
  table: ArrayLike<number>,
  labels: ArrayLike<number>,
  E: number,
  numClasses: number,
): Float64Array {
  const y = new Float64Array(labels.length * E);
  for (let n = 0; n < labels.length; n++) {
    const r = tableRow(labels[n]!, numClasses);
    for (let e = 0; e < E; e++) y[n * E + e] = r < 0 ? NaN : table[r * E + e]!;
  }
  return y;
}

/** dtable (numClasses + 1, E) = sum of dy rows per table row (invalid labels add nothing). */
export function embeddingBackward(
  labels: ArrayLike<number>,
  dy: ArrayLike<number>,
  E: number,
  numClasses: number,
): Float64Array {
  const dt = new Float64Array((numClasses + 1) * E);
  for (let n = 0; n < labels.length; n++) {
    const r = tableRow(labels[n]!, numClasses);
    if (r >= 0) for (let e = 0; e < E; e++) dt[r * E + e] += dy[n * E + e]!;
  }
  return dt;
}

export function mseLoss(pred: ArrayLike<number>, target: ArrayLike<number>): { loss: number; dpred: Float64Array } {
  const n = pred.length;
  let s = 0;
  const dpred = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const d = pred[i]! - target[i]!;
    s += d * d;
    dpred[i] = (2 * d) / n;
  }
  return { loss: s / n, dpred };
}

/** Mean softmax cross-entropy over rows and its gradient (softmax - onehot) / rows. */
export function crossEntropy(
  logits: ArrayLike<number>,
  labels: ArrayLike<number>,
  rows: number,
  classes: number,
): { loss: number; dlogits: Float64Array } {
  const dl = new Float64Array(rows * classes);
  let total = 0;
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: classes }, (_, c) => logits[r * classes + c]!);
    const m = Math.max(...row);
    const z = row.reduce((s, v) => s + Math.exp(v - m), 0);
    const lab = labels[r]!;
    total += m + Math.log(z) - row[lab]!;
    for (let c = 0; c < classes; c++) dl[r * classes + c] = (Math.exp(row[c]! - m) / z - (c === lab ? 1 : 0)) / rows;
  }
  return { loss: total / rows, dlogits: dl };
}

export function sumSquares(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  return s;
}

/** [scale, norm] of torch.nn.utils.clip_grad_norm_ for the given sums of squares. */
export function clipScale(sumsq: ArrayLike<number>, maxNorm: number): [number, number] {
  const norm = Math.sqrt(Array.from(sumsq).reduce((a, b) => a + b, 0));
  return [Math.min(1, maxNorm / (norm + 1e-6)), norm];
}

export interface AdamState {
  param: Float64Array;
  m: Float64Array;
  v: Float64Array;
}

/** One torch.optim.AdamW step (decoupled weight decay, bias-corrected moments) on g = scale * grad. */
export function adamW(
  s: AdamState,
  grad: ArrayLike<number>,
  o: { lr: number; beta1: number; beta2: number; eps: number; weightDecay: number; step: number; scale: number },
): AdamState {
  const bc1 = 1 - o.beta1 ** o.step;
  const bc2 = 1 - o.beta2 ** o.step;
  const out: AdamState = { param: s.param.slice(), m: s.m.slice(), v: s.v.slice() };
  for (let i = 0; i < s.param.length; i++) {
    const g = o.scale * grad[i]!;
    out.m[i] = o.beta1 * s.m[i]! + (1 - o.beta1) * g;
    out.v[i] = o.beta2 * s.v[i]! + (1 - o.beta2) * g * g;
    const p = s.param[i]! * (1 - o.lr * o.weightDecay);
    out.param[i] = p - (o.lr * (out.m[i]! / bc1)) / (Math.sqrt(out.v[i]! / bc2) + o.eps);
  }
  return out;
}

export function ema(e: ArrayLike<number>, p: ArrayLike<number>, decay: number): Float64Array {
  return Float64Array.from({ length: e.length }, (_, i) => decay * e[i]! + (1 - decay) * p[i]!);
}
