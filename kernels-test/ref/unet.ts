// float64 reference of the small U-Net (src/models/unet.ts header), from the layer definitions: 3x3
// convolution with zero padding (weights (cout, 3, 3, cin)), GroupNorm (biased variance, eps 1e-5,
// as torch.nn.GroupNorm), 2x2 average pooling, nearest upsampling, channel concatenation; NHWC arrays.
import { addRef, embeddingRef, linearRef, siluRef, timeFeaturesRef, type F64Params } from './mlp.js';

export interface Img {
  n: number;
  h: number;
  w: number;
  c: number;
}

export function conv3x3Ref(x: Float64Array, s: Img, W: Float64Array, b: Float64Array, cout: number): Float64Array {
  const { n, h, w, c } = s;
  const y = new Float64Array(n * h * w * cout);
  for (let i = 0; i < n; i++) {
    for (let yy = 0; yy < h; yy++) {
      for (let xx = 0; xx < w; xx++) {
        for (let o = 0; o < cout; o++) {
          let acc = b[o]!;
          for (let ky = 0; ky < 3; ky++) {
            const sy = yy + ky - 1;
            if (sy < 0 || sy >= h) continue;
            for (let kx = 0; kx < 3; kx++) {
              const sx = xx + kx - 1;
              if (sx < 0 || sx >= w) continue;
              for (let ci = 0; ci < c; ci++)
                acc += W[((o * 3 + ky) * 3 + kx) * c + ci]! * x[((i * h + sy) * w + sx) * c + ci]!;
            }
          }
          y[((i * h + yy) * w + xx) * cout + o] = acc;
        }
      }
    }
  }
  return y;
}

export function groupNormRef(
  x: Float64Array,
  s: Img,
  groups: number,
  gamma: Float64Array,
  beta: Float64Array,
  eps = 1e-5,
): Float64Array {
  const { n, h, w, c } = s;
  const cpg = c / groups;
  const y = new Float64Array(x.length);
  for (let i = 0; i < n; i++) {
    for (let g = 0; g < groups; g++) {
      let m = 0;
      let cnt = 0;
      for (let p = 0; p < h * w; p++)
        for (let k = 0; k < cpg; k++) {
          m += x[(i * h * w + p) * c + g * cpg + k]!;
          cnt++;
        }
      m /= cnt;
      let v = 0;
      for (let p = 0; p < h * w; p++)
        for (let k = 0; k < cpg; k++) v += (x[(i * h * w + p) * c + g * cpg + k]! - m) ** 2;
      const r = 1 / Math.sqrt(v / cnt + eps);
      for (let p = 0; p < h * w; p++) {
        for (let k = 0; k < cpg; k++) {
          const ch = g * cpg + k;
          const j = (i * h * w + p) * c + ch;
          y[j] = (x[j]! - m) * r * gamma[ch]! + beta[ch]!;
        }
      }
    }
  }
  return y;
}

export function avgPool2Ref(x: Float64Array, s: Img): Float64Array {
  const { n, h, w, c } = s;
  const y = new Float64Array((n * h * w * c) / 4);
  for (let i = 0; i < n; i++)
    for (let yy = 0; yy < h / 2; yy++)
      for (let xx = 0; xx < w / 2; xx++)
        for (let ch = 0; ch < c; ch++) {
          let acc = 0;
          for (let d = 0; d < 4; d++) acc += x[((i * h + 2 * yy + (d >> 1)) * w + 2 * xx + (d & 1)) * c + ch]!;
          y[((i * (h / 2) + yy) * (w / 2) + xx) * c + ch] = acc / 4;
        }
  return y;
}

export function upsample2Ref(x: Float64Array, s: Img): Float64Array {
  const { n, h, w, c } = s;
  const y = new Float64Array(4 * x.length);
  for (let i = 0; i < n; i++)
    for (let yy = 0; yy < 2 * h; yy++)
      for (let xx = 0; xx < 2 * w; xx++)
        for (let ch = 0; ch < c; ch++) {
          y[((i * 2 * h + yy) * 2 * w + xx) * c + ch] = x[((i * h + (yy >> 1)) * w + (xx >> 1)) * c + ch]!;
        }
  return y;
}

export function concatRef(a: Float64Array, ca: number, b: Float64Array, cb: number): Float64Array {
  const pixels = a.length / ca;
  const y = new Float64Array(pixels * (ca + cb));
  for (let p = 0; p < pixels; p++) {
    for (let k = 0; k < ca; k++) y[p * (ca + cb) + k] = a[p * ca + k]!;
    for (let k = 0; k < cb; k++) y[p * (ca + cb) + ca + k] = b[p * cb + k]!;
  }
  return y;
}

export interface UnetRefConfig {
  h: number;
  w: number;
  c: number;
  c0: number;
  c1: number;
  embDim: number;
  groups: number;
  numClasses: number;
}

/** eps_hat (n, h w c) of the U-Net. */
export function unetRef(
  p: F64Params,
  cfg: UnetRefConfig,
  x: Float64Array,
  steps: ArrayLike<number>,
  labels: ArrayLike<number>,
): Float64Array {
  const n = steps.length;
  const P = (k: string) => {
    const v = p.get(k);
    if (!v) throw new Error(`unetRef: missing ${k}`);
    return v;
  };
  const { c0, c1, embDim: E, groups } = cfg;
  const S = Math.max(2, 2 * Math.round(c0 / 2));
  const lin = (name: string, v: Float64Array, rows: number, inp: number, out: number) =>
    linearRef(v, rows, inp, P(`${name}.weight`), P(`${name}.bias`), out);
  const temb = lin('time_mlp.2', siluRef(lin('time_mlp.0', timeFeaturesRef(steps, S), n, S, E)), n, E, E);
  const embAct = siluRef(addRef(temb, embeddingRef(P('class_emb.weight'), E, labels, cfg.numClasses)));
  const conv = (name: string, v: Float64Array, s: Img, cout: number) =>
    conv3x3Ref(v, s, P(`${name}.weight`), P(`${name}.bias`), cout);
  const gn = (name: string, v: Float64Array, s: Img) =>
    groupNormRef(v, s, groups, P(`${name}.weight`), P(`${name}.bias`));
  const res = (pre: string, v: Float64Array, s: Img, cout: number) => {
    let h = conv(`${pre}.conv1`, siluRef(gn(`${pre}.norm1`, v, s)), s, cout);
    const e = lin(`${pre}.emb`, embAct, n, E, cout);
    const hw = s.h * s.w;
    h = h.map((val, j) => val + e[Math.floor(j / (hw * cout)) * cout + (j % cout)]!);
    const so: Img = { ...s, c: cout };
    h = conv(`${pre}.conv2`, siluRef(gn(`${pre}.norm2`, h, so)), so, cout);
    const skip = s.c === cout ? v : lin(`${pre}.skip`, v, n * hw, s.c, cout);
    return addRef(skip, h);
  };
  const { h: H, w: W, c: C } = cfg;
  const i0: Img = { n, h: H, w: W, c: C };
  const h0 = conv('conv_in', x, i0, c0);
  const s0 = res('down.0', h0, { ...i0, c: c0 }, c0);
  const s1 = res('down.1', avgPool2Ref(s0, { ...i0, c: c0 }), { n, h: H / 2, w: W / 2, c: c0 }, c1);
  const m = res('mid', avgPool2Ref(s1, { n, h: H / 2, w: W / 2, c: c1 }), { n, h: H / 4, w: W / 4, c: c1 }, c1);
  const u1in = concatRef(upsample2Ref(m, { n, h: H / 4, w: W / 4, c: c1 }), c1, s1, c1);
  const u1 = res('up.1', u1in, { n, h: H / 2, w: W / 2, c: 2 * c1 }, c1);
  const u0in = concatRef(upsample2Ref(u1, { n, h: H / 2, w: W / 2, c: c1 }), c1, s0, c0);
  const u0 = res('up.0', u0in, { ...i0, c: c1 + c0 }, c0);
  return conv('conv_out', siluRef(gn('out_norm', u0, { ...i0, c: c0 })), { ...i0, c: c0 }, C);
}
