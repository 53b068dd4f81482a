// float64 reference of the classifier (src/models/classifier.ts header) and of the mean softmax
// cross-entropy, from the same layer definitions as the U-Net reference.
import { addRef, linearRef, siluRef, type F64Params } from './mlp.js';
import { avgPool2Ref, conv3x3Ref, groupNormRef, type Img } from './unet.js';

export interface ClassifierRefConfig {
  kind: 'mlp' | 'conv';
  dataShape: number[];
  numClasses: number;
  hidden: number;
  blocks: number;
  c0: number;
  c1: number;
  groups: number;
  features: number;
}

/** Logits (n, numClasses) and features (n, F). */
export function classifierRef(
  p: F64Params,
  c: ClassifierRefConfig,
  x: Float64Array,
  n: number,
): { logits: Float64Array; features: Float64Array } {
  const P = (k: string) => {
    const v = p.get(k);
    if (!v) throw new Error(`classifierRef: missing ${k}`);
    return v;
  };
  const lin = (name: string, v: Float64Array, rows: number, inp: number, out: number) =>
    linearRef(v, rows, inp, P(`${name}.weight`), P(`${name}.bias`), out);
  let flat: Float64Array;
  let width: number;
  if (c.kind === 'mlp') {
    const D = c.dataShape[0]!;
    let h = lin('input', x, n, D, c.hidden);
    for (let i = 0; i < c.blocks; i++) {
      const u = siluRef(lin(`blocks.${i}.lin1`, siluRef(h), n, c.hidden, c.hidden));
      h = addRef(h, lin(`blocks.${i}.lin2`, u, n, c.hidden, c.hidden));
    }
    flat = siluRef(h);
    width = c.hidden;
  } else {
    const [H, W, C] = c.dataShape as [number, number, number];
    const conv = (name: string, v: Float64Array, s: Img, cout: number) =>
      conv3x3Ref(v, s, P(`${name}.weight`), P(`${name}.bias`), cout);
    const gn = (name: string, v: Float64Array, s: Img) =>
      groupNormRef(v, s, c.groups, P(`${name}.weight`), P(`${name}.bias`));
    const res = (pre: string, v: Float64Array, s: Img, cout: number) => {
      let h = conv(`${pre}.conv1`, siluRef(gn(`${pre}.norm1`, v, s)), s, cout);
      h = conv(`${pre}.conv2`, siluRef(gn(`${pre}.norm2`, h, { ...s, c: cout })), { ...s, c: cout }, cout);
      const skip = s.c === cout ? v : lin(`${pre}.skip`, v, n * s.h * s.w, s.c, cout);
      return addRef(skip, h);
    };
    let h = res('res.0', conv('conv_in', x, { n, h: H, w: W, c: C }, c.c0), { n, h: H, w: W, c: c.c0 }, c.c0);
    h = res('res.1', avgPool2Ref(h, { n, h: H, w: W, c: c.c0 }), { n, h: H / 2, w: W / 2, c: c.c0 }, c.c1);
    h = res('res.2', avgPool2Ref(h, { n, h: H / 2, w: W / 2, c: c.c1 }), { n, h: H / 4, w: W / 4, c: c.c1 }, c.c1);
    flat = h;
    width = (H / 4) * (W / 4) * c.c1;
  }
  const features = siluRef(lin('features', flat, n, width, c.features));
  return { logits: lin('head', features, n, c.features, c.numClasses), features };
}

/** mean over rows of -log softmax(logits)[label]. */
export function crossEntropyRef(logits: Float64Array, labels: ArrayLike<number>, K: number): number {
  let s = 0;
  for (let r = 0; r < labels.length; r++) {
    let m = -Infinity;
    for (let k = 0; k < K; k++) m = Math.max(m, logits[r * K + k]!);
    let z = 0;
    for (let k = 0; k < K; k++) z += Math.exp(logits[r * K + k]! - m);
    s += m + Math.log(z) - logits[r * K + labels[r]!]!;
  }
  return s / labels.length;
}
