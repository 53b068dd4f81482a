// Image layers as graph ops over the image kernels (src/kernels/nn_image.ts): 3x3 convolution,
// GroupNorm (with the per-image channel offset of time / class conditioning), 2x2 average pooling,
// and channel concatenation (with nearest 2x upsampling of its first part). Activations are NHWC: (n * h * w, c)
// row-major.
import { encodeCopy, type Batch } from '../runtime/dispatch.js';
import { createTensor, disposeTensor, type Tensor } from '../runtime/tensor.js';
import { encodeBiasActBackward } from '../kernels/nn_dense.js';
import {
  CONV3X3_SCRATCH_BYTES,
  conv3x3Kernels,
  encodeAvgPool2,
  encodeAvgPool2Backward,
  encodeConcatChannels,
  encodeConcatChannelsBackward,
  encodeConv3x3Backward,
  encodeConv3x3Forward,
  encodeGroupNorm,
  encodeGroupNormBackward,
  imageKernels,
  disposeImageKernels,
  type ImageKernels,
} from '../kernels/nn_image.js';
import { addOp, newAct, own, type Act, type Encode } from './graph.js';
import { param, passGradient, weight, type Nn } from './layers.js';
import type { Param } from './params.js';

/** Batch and spatial size of an NHWC activation. */
export interface Img {
  n: number;
  h: number;
  w: number;
}

interface ImageState {
  k: ImageKernels;
  /** Patch-matrix scratch shared by every convolution of the graph (they run one after another). */
  cols: Tensor;
}

const states = new WeakMap<Nn, Promise<ImageState>>();

function imageState(nn: Nn): Promise<ImageState> {
  let s = states.get(nn);
  if (!s) {
    s = (async () => {
      const k = await imageKernels(nn.ctx);
      nn.g.disposers.push(() => disposeImageKernels(k));
      const elems = Math.floor(Math.min(CONV3X3_SCRATCH_BYTES, nn.ctx.limits.maxStorageBufferBindingSize) / 4);
      return { k, cols: own(nn.g, createTensor(nn.ctx, [elems], { label: 'conv3x3.cols' })) };
    })();
    states.set(nn, s);
  }
  return s;
}

function gradOf(p: Param): Tensor {
  if (!p.grad) throw new Error(`parameter '${p.name}' has no gradient buffer (model not built for training)`);
  return p.grad;
}

const clear = (b: Batch, t: Tensor) => encodeCopy(b, (enc) => enc.clearBuffer(t.buffer));

/** A residual added to a convolution's output: y = conv3x3(x) + b + (act + bias). */
export interface ConvResidual {
  /** (pixels, cout): a residual block's skip path (its input, or a 1x1 projection made with linear's bias: false). */
  act: Act;
  /** The projection's bias parameter (`${skip}.bias`), added with it; omitted for an identity skip. */
  bias?: string;
}

/**
 * y = conv3x3(x) + b, padding 1: weight `${name}.weight` (cout, 3, 3, cin) = (cout, 9 cin), bias (cout);
 * with `residual`, y = conv3x3(x) + b + (residual + its bias) in the same pass (the same roundings as a
 * residual block's add after the convolution, without its pass over memory).
 */
export async function conv3x3(
  nn: Nn,
  name: string,
  x: Act,
  img: Img,
  cout: number,
  residual: ConvResidual | null = null,
): Promise<Act> {
  const W = param(nn, `${name}.weight`);
  const B = param(nn, `${name}.bias`);
  const R = residual?.bias ? param(nn, residual.bias) : null;
  const cin = x.cols;
  if (W.size !== cout * 9 * cin)
    throw new Error(`${name}: weight is [${W.shape}] but the layer maps ${cin} to ${cout} channels`);
  const res = residual?.act ?? null;
  if (res && (res.rows !== x.rows || res.cols !== cout))
    throw new Error(`${name}: the residual is (${res.rows}, ${res.cols}), the output (${x.rows}, ${cout})`);
  if (R && R.size !== cout) throw new Error(`${name}: residual bias '${R.name}' is [${R.shape}], expected [${cout}]`);
  const st = await imageState(nn);
  const k = await conv3x3Kernels(
    nn.ctx,
    { n: img.n, h: img.h, w: img.w, cin, cout },
    { image: st.k, scratch: st.cols, residual: res !== null },
  );
  if (res) nn.g.disposers.push(() => k.residualSums.forEach(disposeTensor));
  const y = newAct(nn.g, name, x.rows, cout, true);
  const { n, h, w } = img;
  addOp(
    nn.g,
    {
      name,
      out: y,
      fwd: (b) =>
        encodeConv3x3Forward(b, k, {
          x: x.t,
          weight: weight(nn, W),
          bias: weight(nn, B),
          y: y.t,
          ...(res ? { residual: res.t } : {}),
          ...(R ? { residualBias: weight(nn, R) } : {}),
          n,
          h,
          w,
        }),
      bwd: (P) => {
        const dy = P.gradOut(y)!;
        const tx = P.target(x, 'either');
        const enc: Encode[] = [
          (b) =>
            encodeConv3x3Backward(b, k, {
              x: x.t,
              weight: W.value,
              dy,
              dweight: gradOf(W),
              dbias: gradOf(B),
              n,
              h,
              w,
              ...(tx ? { dx: tx.target.t, accumulateDx: tx.target.accumulate } : {}),
            }),
        ];
        // The residual's bias: column sums of dy (bias_act's backward with act 'none' writes nothing else).
        if (R)
          enc.push((b) =>
            encodeBiasActBackward(b, nn.k, { dy, dx: dy, db: gradOf(R), rows: x.rows, cols: cout, act: 'none' }),
          );
        // The residual's gradient is dy: its buffer itself when nothing wrote one yet (read by nothing after this op).
        if (res && !P.alias(res, dy)) enc.push(...passGradient(nn, P, res, dy));
        return enc;
      },
    },
    res ? [x, res] : [x],
  );
  return y;
}

/**
 * silu(GroupNorm(x + offset)) in one pass; the backward recomputes GroupNorm's output from x (it is never
 * stored) and takes silu's derivative inside GroupNorm's backward passes.
 */
export function groupNormSilu(nn: Nn, name: string, x: Act, img: Img, groups: number, offset: Act | null = null) {
  return groupNorm(nn, name, x, img, groups, { offset, withSilu: true });
}

/**
 * GroupNorm over `groups` groups of channels, affine `${name}.weight` (gamma) and `${name}.bias` (beta), of
 * x plus per-image channel offsets `offset` (n, c) when given (time / class conditioning, added inside the
 * norm's passes instead of a pass over x of its own).
 */
export async function groupNorm(
  nn: Nn,
  name: string,
  x: Act,
  img: Img,
  groups: number,
  opts: { offset?: Act | null /** y = silu(GroupNorm) */; withSilu?: boolean } = {},
): Promise<Act> {
  const { offset = null, withSilu = false } = opts;
  const G = param(nn, `${name}.weight`);
  const Bt = param(nn, `${name}.bias`);
  const c = x.cols;
  if (offset && (offset.rows !== img.n || offset.cols !== c))
    throw new Error(`${name}: offsets are (${offset.rows}, ${offset.cols}), expected (${img.n}, ${c})`);
  const st = await imageState(nn);
  const hw = img.h * img.w;
  const y = newAct(nn.g, name, x.rows, c, true);
  const mean = own(nn.g, createTensor(nn.ctx, [img.n * groups], { label: `${name}.mean` }));
  const rstd = own(nn.g, createTensor(nn.ctx, [img.n * groups], { label: `${name}.rstd` }));
  const shift = own(nn.g, createTensor(nn.ctx, [img.n * c], { label: `${name}.shift` }));
  addOp(
    nn.g,
    {
      name,
      out: y,
      fwd: (b) =>
        encodeGroupNorm(b, st.k, {
          x: x.t,
          y: y.t,
          gamma: weight(nn, G),
          beta: weight(nn, Bt),
          mean,
          rstd,
          shift,
          ...(offset ? { offset: offset.t } : {}),
          n: img.n,
          hw,
          c,
          groups,
          silu: withSilu,
        }),
      bwd: (P) => {
        const dy = P.gradOut(y)!;
        const tx = P.target(x, 'either');
        const te = offset ? P.target(offset, 'accumulate') : null;
        // dx is always computed (the kernel writes it); without a target it goes to scratch.
        const dx = tx ? tx.target.t : own(nn.g, createTensor(nn.ctx, [x.rows * c], { label: `${name}.dx-unused` }));
        const accumulate = tx?.target.accumulate ?? false;
        return [
          (b) =>
            encodeGroupNormBackward(b, st.k, {
              x: x.t,
              dy,
              gamma: G.value,
              shift,
              rstd,
              dx,
              accumulate,
              dgamma: gradOf(G),
              dbeta: gradOf(Bt),
              ...(te ? { de: te.target.t } : {}),
              ...(withSilu ? { silu: true, beta: Bt.value } : {}),
              n: img.n,
              hw,
              c,
              groups,
            }),
          ...(tx?.after ?? []),
        ];
      },
    },
    offset ? [x, offset] : [x],
  );
  return y;
}

/** 2x2 average pooling: (n, h, w, c) -> (n, h/2, w/2, c). */
export async function avgPool2(nn: Nn, name: string, x: Act, img: Img): Promise<Act> {
  const st = await imageState(nn);
  const c = x.cols;
  const y = newAct(nn.g, name, x.rows / 4, c, x.needsGrad);
  addOp(
    nn.g,
    {
      name,
      out: y,
      fwd: (b) => encodeAvgPool2(b, st.k, { x: x.t, y: y.t, n: img.n, h: img.h, w: img.w, c }),
      bwd: (P) => {
        const tx = P.target(x, 'either');
        if (!tx) return [];
        const dy = P.gradOut(y)!;
        const { t, accumulate } = tx.target;
        return [(b) => encodeAvgPool2Backward(b, st.k, { dy, dx: t, accumulate, n: img.n, h: img.h, w: img.w, c })];
      },
    },
    [x],
  );
  return y;
}

/**
 * y (pixels, ca + cb) = [a | b] along channels; with `up` (a's images, at half resolution), [upsample2(a) | b]
 * in one pass: the U-Net's skip connections, nearest 2x upsampling without an image of its own.
 */
export async function concatChannels(nn: Nn, name: string, a: Act, c: Act, up?: Img): Promise<Act> {
  const pixels = c.rows;
  if (up && a.rows !== up.n * up.h * up.w)
    throw new Error(`${name}: ${a.rows} pixels to upsample, but images (${up.n}, ${up.h}, ${up.w})`);
  if (a.rows * (up ? 4 : 1) !== pixels)
    throw new Error(`${name}: concatenating ${a.rows}${up ? ' (upsampled x 4)' : ''} and ${pixels} pixels`);
  const st = await imageState(nn);
  const [ca, cb] = [a.cols, c.cols];
  const y = newAct(nn.g, name, pixels, ca + cb, a.needsGrad || c.needsGrad);
  addOp(
    nn.g,
    {
      name,
      out: y,
      fwd: (b) => encodeConcatChannels(b, st.k, { a: a.t, ca, b: c.t, cb, y: y.t, pixels, up }),
      bwd: (P) => {
        const dy = P.gradOut(y)!;
        const ta = P.target(a, 'either');
        const tb = P.target(c, 'either');
        if (!ta && !tb) return [];
        // The kernel writes both halves with one mode; a half nobody needs goes to a scratch tensor.
        const spare = (x: Act) => own(nn.g, createTensor(nn.ctx, [x.rows * x.cols], { label: `${name}.unused` }));
        const da = ta ? ta.target : { t: spare(a), accumulate: false };
        const db = tb ? tb.target : { t: spare(c), accumulate: false };
        const accumulate = da.accumulate || db.accumulate;
        const enc: Encode[] = [];
        // Mixed modes: accumulate into both after clearing the one that is written first.
        if (accumulate && !da.accumulate) enc.push((b) => clear(b, da.t));
        if (accumulate && !db.accumulate) enc.push((b) => clear(b, db.t));
        enc.push((b) =>
          encodeConcatChannelsBackward(b, st.k, { dy, da: da.t, ca, db: db.t, cb, pixels, accumulate, up }),
        );
        return enc;
      },
    },
    [a, c],
  );
  return y;
}
